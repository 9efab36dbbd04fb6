//! Twenty offices of one UF take the same released request at once (SPEC S8):
//! exactly one wins, on SQLite and on DynamoDB Local.

use balcao_app::ports::Change;
use balcao_app::{AppError, Store, open_request, pool};
use balcao_core::{
    Author, Email, Event, EventKind, OfficeId, RawRequestForm, Role, StaffMember, Status,
};
use std::sync::Arc;

async fn race(store: Arc<dyn Store>) {
    let base = balcao_local::seed::demo_offices().remove(0);
    let run = ulid::Ulid::generate().to_string().to_lowercase();
    let offices: Vec<_> = (0..21)
        .map(|i| {
            let mut o = base.clone();
            o.id = OfficeId::parse(&format!("sp-{i}-{run}")).expect("id");
            o
        })
        .collect();
    for o in &offices {
        store.put_office(o).await.expect("office");
    }
    let app = balcao_tests::app_over(store.clone());
    let raw = RawRequestForm {
        service: Some("contato".into()),
        name: Some("Lúcia Prado".into()),
        email: Some("pool@example.com".into()),
        message: Some("Quem atende?".into()),
        consent: Some("true".into()),
        ..Default::default()
    };
    let opened = open_request::open(&app, offices[0].id.as_str(), &raw, &[], None)
        .await
        .expect("open");
    // Released, as after expiry and the citizen's choice.
    let t = store
        .get_ticket(opened.id)
        .await
        .expect("read")
        .expect("ticket");
    let mut released = t.request.clone();
    released.status = Status::Released;
    released.version = 2;
    let event = Event {
        id: ulid::Ulid::generate(),
        seq: 2,
        at: jiff::Timestamp::now(),
        kind: EventKind::StatusChanged,
        author: Author::Citizen,
        text: "liberada".into(),
        status: Some(Status::Released),
        attachments: vec![],
    };
    assert!(
        store
            .apply_change(&Change {
                request: released,
                expected_version: 1,
                event,
                mails: vec![],
                give_back: None,
                tally: None,
            })
            .await
            .expect("release")
    );

    let takes = offices[1..].iter().map(|o| {
        let (app, me, id) = (
            app.clone(),
            StaffMember {
                office: o.id.clone(),
                role: Role::Attendant,
                name: format!("Atendente de {}", o.id),
                email: Email::parse("a@example.com").expect("email"),
            },
            opened.id.to_string(),
        );
        tokio::spawn(async move { pool::take(&app, &me, &id, ulid::Ulid::generate()).await })
    });
    let mut winners = Vec::new();
    for take in takes {
        match take.await.expect("task") {
            Ok(t) => winners.push(t.request.office.id.clone()),
            Err(AppError::Refused(_) | AppError::NotFound(_)) => {}
            Err(e) => panic!("not a clear refusal: {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one office takes it");
    let t = store
        .get_ticket(opened.id)
        .await
        .expect("read")
        .expect("ticket");
    assert_eq!(t.request.office.id, winners[0]);
    assert_eq!(t.request.status, Status::Received);
    assert_eq!(t.request.number.0, 1, "the winner's first number");
    assert_eq!(t.events.len(), 3, "opened, released, taken once");
    assert!(
        store
            .pool(base.uf, &balcao_app::ports::PageRequest::default())
            .await
            .expect("pool")
            .items
            .iter()
            .all(|r| r.id != opened.id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_office_wins_on_sqlite() {
    race(Arc::new(
        balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_office_wins_on_dynamodb_local() {
    race(Arc::new(balcao_tests::fresh_dynamo_store().await)).await;
}

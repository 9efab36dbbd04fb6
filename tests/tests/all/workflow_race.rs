//! Staff acting on one request at the same moment (SPEC S3): exactly one action
//! wins, every other caller gets a clear conflict, and the history records one
//! decision. On SQLite and on DynamoDB Local.

use balcao_app::staff_workflow::{self, DecisionInput};
use balcao_app::{AppError, Store, open_request};
use balcao_core::{Email, RawRequestForm, Role, StaffMember};
use std::sync::Arc;

async fn race(store: Arc<dyn Store>) {
    let office = balcao_local::seed::demo_offices().remove(0);
    store.put_office(&office).await.expect("office");
    let app = balcao_tests::app_over(store);
    let raw = RawRequestForm {
        service: Some("contato".into()),
        name: Some("Lúcia Prado".into()),
        email: Some("corrida@example.com".into()),
        message: Some("Duas pessoas vão decidir ao mesmo tempo.".into()),
        consent: Some("true".into()),
        ..Default::default()
    };
    let opened = open_request::open(&app, office.id.as_str(), &raw, &[], None)
        .await
        .expect("open");
    let id = opened.id.to_string();

    // Twelve staff members at once, once the analysis started: half approve, half reject.
    let staff = |n: usize| StaffMember {
        office: office.id.clone(),
        role: Role::Attendant,
        name: format!("Atendente {n}"),
        email: Email::parse(&format!("a{n}@example.com")).expect("email"),
    };
    staff_workflow::start_analysis(&app, &staff(99), &id, ulid::Ulid::generate())
        .await
        .expect("analysis");
    let calls = (0..12).map(|n| {
        let (app, id, me) = (app.clone(), id.clone(), staff(n));
        tokio::spawn(async move {
            let input = if n % 2 == 0 {
                DecisionInput {
                    decision: "approve".into(),
                    attendant: Some("atendente-1".into()),
                    justification: None,
                }
            } else {
                DecisionInput {
                    decision: "reject".into(),
                    attendant: None,
                    justification: Some("Dados incompletos.".into()),
                }
            };
            staff_workflow::decide(&app, &me, &id, &input, ulid::Ulid::generate()).await
        })
    });
    let mut wins = 0;
    for call in calls {
        match call.await.expect("task") {
            Ok(_) => wins += 1,
            Err(AppError::Conflict | AppError::NotAllowed(_)) => {}
            Err(e) => panic!("not a clear conflict: {e:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one decision wins");
    let t = app
        .tickets
        .get_ticket(opened.id)
        .await
        .expect("read")
        .expect("ticket");
    let decisions = t
        .events
        .iter()
        .filter(|e| {
            e.text.starts_with("Solicitação aprovada")
                || e.text.starts_with("Solicitação rejeitada")
        })
        .count();
    assert_eq!(decisions, 1, "one decision in the history");
    assert_eq!(t.request.version, 3);
    let seqs: Vec<u64> = t.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_decision_wins_on_sqlite() {
    race(Arc::new(
        balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_decision_wins_on_dynamodb_local() {
    race(Arc::new(balcao_tests::fresh_dynamo_store().await)).await;
}

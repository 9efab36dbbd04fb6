//! Erasure and retention (LGPD, issue 14) on every store.

use super::tickets::move_to;
use super::{Shared, citizen_of, created, demo, draft, now};
use balcao_app::ports::{Change, MailId, OutboxMail};
use balcao_core::erasure::{self, ErasureReason};
use balcao_core::{Author, Email, Event, EventKind, Request, Status};
use jiff::SignedDuration;
use jiff::civil::Date;
use ulid::Ulid;

/// Adds `n` staff messages to the request's history, one change each.
async fn talk(store: &Shared, mut r: Request, n: u64) -> Request {
    for i in 0..n {
        let mut next = r.clone();
        next.version = r.version + 1;
        let change = Change {
            request: next.clone(),
            expected_version: r.version,
            event: Event {
                id: Ulid::generate(),
                seq: next.version,
                at: now() + SignedDuration::from_mins(i as i64),
                kind: EventKind::Message,
                author: Author::Staff {
                    name: "Paula Souza".into(),
                },
                text: format!("João, traga o RG ({i})"),
                status: None,
                attachments: vec![],
            },
            mails: vec![],
            give_back: None,
            tally: None,
        };
        assert!(store.apply_change(&change).await.expect("change"));
        r = next;
    }
    r
}

/// Closes the request with its retention ending on `day`.
async fn close(store: &Shared, r: &Request, day: Date) -> Request {
    let mut closed = move_to(store, r, Status::Concluded, false).await;
    let mut next = closed.clone();
    next.version += 1;
    next.erase_on = Some(day);
    let change = Change {
        request: next.clone(),
        expected_version: closed.version,
        event: Event {
            id: Ulid::generate(),
            seq: next.version,
            at: now(),
            kind: EventKind::Notice,
            author: Author::System,
            text: "retenção".into(),
            status: None,
            attachments: vec![],
        },
        mails: vec![],
        give_back: None,
        tally: None,
    };
    assert!(store.apply_change(&change).await.expect("retention"));
    closed = next;
    closed
}

/// A request with a history longer than one DynamoDB transaction takes is
/// erased whole: the citizen's list and the retention index drop it, its
/// history keeps only what kind each entry was, the mail goes with the last
/// write, and a stale or repeated erasure changes nothing.
pub async fn an_erased_request_keeps_only_its_record(store: Shared) {
    let office = demo(0);
    store.put_office(&office).await.expect("put");
    let email = Email::parse("cidadao@example.com").expect("email");
    let citizen = citizen_of(&email);
    let long = created(&store, &office, &draft(&office, now(), None)).await;
    let other = created(&store, &office, &draft(&office, now(), None)).await;
    let long = talk(&store, long, 104).await;
    let day: Date = "2027-12-20".parse().expect("date");
    let long = close(&store, &long, day).await;

    // The retention index finds it on its day, not before.
    let before = day.yesterday().expect("day");
    assert!(
        store
            .due_for_erasure(before, 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        store.due_for_erasure(day, 10).await.expect("due"),
        vec![long.id]
    );
    let listed = store
        .citizen_requests(citizen.as_str(), 10)
        .await
        .expect("list");
    assert_eq!(listed.len(), 2);

    let t = store
        .get_ticket(long.id)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(t.events.len(), 107);
    let erased = erasure::erase(
        &t.request,
        &t.events,
        ErasureReason::Requested,
        Ulid::generate(),
        now(),
    )
    .expect("not erased yet");
    // Erasing from a version read before another change: refused, nothing changed.
    let mut stale = erased.clone();
    stale.request.version -= 1;
    stale.event.seq -= 1;
    assert!(!store.erase_request(&stale, &[]).await.expect("stale"));
    let mail = OutboxMail::new(
        email.clone(),
        balcao_app::emails::data_erased(1, vec![office.name.clone()]),
        None,
        now(),
    );
    assert!(
        store
            .erase_request(&erased, std::slice::from_ref(&mail))
            .await
            .expect("erase")
    );
    assert!(
        !store.erase_request(&erased, &[]).await.expect("again"),
        "a repeat writes nothing"
    );

    let after = store
        .get_ticket(long.id)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(after.request, erased.request);
    assert_eq!(after.events.len(), 108);
    assert_eq!(after.events.last().map(|e| e.kind), Some(EventKind::Erased));
    let all = format!("{:?}", after);
    for personal in [
        "João Souza",
        "cidadao@example.com",
        "52998224725",
        "98765",
        "traga o RG",
    ] {
        assert!(
            !all.to_lowercase().contains(&personal.to_lowercase()),
            "{personal} remains"
        );
    }
    assert!(all.contains("Paula Souza"), "who acted as staff stays");
    assert_eq!(
        store
            .citizen_requests(citizen.as_str(), 10)
            .await
            .expect("list")
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![other.id],
        "the erased request leaves the citizen's list"
    );
    assert!(
        store
            .due_for_erasure(day, 10)
            .await
            .expect("due")
            .is_empty()
    );
    let MailId(_) = mail.id;
    assert!(
        store.get_mail(mail.id).await.expect("mail").is_some(),
        "the confirmation is written with it"
    );

    // A request reopened (taken from the pool) leaves the index until it closes again.
    let mut reopened = other.clone();
    reopened.erase_on = Some(day);
    reopened.status = Status::Released;
    reopened.settle();
    assert_eq!(reopened.erase_on, Some(day), "released is closed: kept");
    reopened.status = Status::Received;
    reopened.settle();
    assert_eq!(reopened.erase_on, None);
}

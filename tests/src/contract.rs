//! The `Store` contract: every case runs against SQLite and against DynamoDB
//! Local (see `tests/store_contract.rs`).

use balcao_app::ports::{
    Compose, IdempotencyRecord, MailAttachment, MailId, NewTicket, Opened, OutboxMail, SlotClaim,
    Store,
};
use balcao_core::{
    Attachment, Author, Citizen, Consent, Email, Event, EventKind, FileName, FileType, Office,
    OfficeSnapshot, PersonName, Request, RequestDetails, RequestId, Status, TicketNumber, Uf,
};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::sync::Arc;
use ulid::Ulid;

pub type Shared = Arc<dyn Store>;

fn demo(i: usize) -> Office {
    balcao_local::seed::demo_offices().remove(i)
}

fn now() -> Timestamp {
    "2026-11-20T15:00:00Z".parse().expect("timestamp")
}

/// What `open_request` composes, with fixed ids so retries write the same ticket.
/// The citizen index key the application would compute, under a test secret.
pub fn citizen_of(email: &Email) -> balcao_core::CitizenKey {
    let key = balcao_app::keys::HmacKey::new(vec![9; 32]).expect("key");
    balcao_app::secrets::citizen_key(&key, email)
}

pub fn draft(
    office: &Office,
    at: Timestamp,
    key_hash: Option<&str>,
) -> impl Fn(TicketNumber) -> NewTicket + Send + Sync {
    booked(office, at, key_hash, None)
}

/// A draft that books `slot` (SPEC C4).
pub fn booked(
    office: &Office,
    at: Timestamp,
    key_hash: Option<&str>,
    slot: Option<SlotClaim>,
) -> impl Fn(TicketNumber) -> NewTicket + Send + Sync {
    let id = RequestId(Ulid::generate());
    let event_id = Ulid::generate();
    let mail_id = MailId(Ulid::generate());
    let office = office.clone();
    let key_hash = key_hash.map(ToOwned::to_owned);
    move |number| {
        let email = Email::parse("cidadao@example.com").expect("email");
        NewTicket {
            request: Request {
                id,
                number,
                citizen_key: citizen_of(&email),
                office_notice: None,
                office: OfficeSnapshot::from(&office),
                service_id: office.services[0].id.clone(),
                service_kind: office.services[0].kind,
                service_name: office.services[0].name.clone(),
                status: Status::Received,
                version: 1,
                created_at: at,
                updated_at: at,
                citizen: Citizen {
                    name: PersonName::parse("João Souza").expect("name"),
                    email: email.clone(),
                    document: None,
                    mobile: None,
                },
                details: RequestDetails::default(),
                appointment: None,
                consent: Consent {
                    version: "v1".into(),
                    accepted_at: at,
                },
                token_hashes: vec!["ab".repeat(32)],
                awaiting_office: true,
                unread_replies: 0,
                assignee: None,
                checklist: vec![],
                decided_at: None,
                rating: None,
                start_by: None,
                slot: slot.map(|c| c.key),
                reply_by: None,
            },
            event: Event {
                id: event_id,
                seq: 1,
                at,
                kind: EventKind::Opened,
                author: Author::Citizen,
                text: "aberta".into(),
                status: Some(Status::Received),
                attachments: vec![],
            },
            mails: vec![OutboxMail {
                id: mail_id,
                to: email,
                letter: balcao_app::emails::Letter {
                    attachments: vec![MailAttachment {
                        name: "convite.ics".into(),
                        content_type: "text/calendar; method=REQUEST".into(),
                        content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
                    }],
                    ..balcao_app::emails::my_requests(&format!(
                        "https://balcao.example/my-requests?k=segredo{number}"
                    ))
                },
                request_id: Some(id),
                created_at: at,
                attempts: 0,
                next_attempt_at: at,
                leased_until: None,
                sent_at: None,
                provider_id: None,
                last_error: None,
            }],
            idempotency: key_hash.as_ref().map(|k| IdempotencyRecord {
                key_hash: k.clone(),
                office_id: office.id.clone(),
                request_id: id,
                number,
                sealed_token: "sealed".into(),
                fingerprint: "fp".into(),
                expires_at: at + SignedDuration::from_hours(24),
            }),
            slot,
        }
    }
}

pub async fn offices_round_trip(store: Shared) {
    let (sp1, sp2, ro) = (demo(0), demo(1), demo(2));
    for o in [&sp1, &sp2, &ro] {
        store.put_office(o).await.expect("put office");
    }
    assert_eq!(
        store.get_office(&sp1.id).await.expect("get"),
        Some(sp1.clone())
    );
    assert_eq!(
        store
            .get_office(&balcao_core::OfficeId::parse("nope").expect("id"))
            .await
            .expect("get"),
        None
    );
    let mut renamed = sp1.clone();
    renamed.name = "Novo nome".into();
    store.put_office(&renamed).await.expect("update office");
    assert_eq!(
        store.get_office(&sp1.id).await.expect("get"),
        Some(renamed.clone()),
        "a read after a write sees it"
    );
    let sp: BTreeSet<String> = store
        .list_offices(Uf::SP)
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        sp,
        BTreeSet::from(["Novo nome".to_owned(), sp2.name.clone()])
    );
    let ro_list = store.list_offices(Uf::RO).await.expect("list");
    assert_eq!(ro_list, vec![ro]);
    assert!(store.list_offices(Uf::AC).await.expect("list").is_empty());
}

pub async fn numbers_are_sequential_per_office_and_tickets_read_back(store: Shared) {
    let (a, b) = (demo(0), demo(2));
    store.put_office(&a).await.expect("put");
    store.put_office(&b).await.expect("put");
    let mut numbers = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let compose = draft(&a, now(), None);
        match store.open_request(&a.id, &compose).await.expect("open") {
            Opened::Created(r) => {
                numbers.push(r.number.0);
                last = Some(*r);
            }
            Opened::Replayed(_) | Opened::SlotFull => panic!("no key, no slot"),
        }
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    let other = created(&store, &b, &draft(&b, now(), None)).await;
    assert_eq!(
        other.number,
        TicketNumber(1),
        "each office counts on its own"
    );

    let last = last.expect("opened");
    let ticket = store
        .get_ticket(last.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(ticket.request, last);
    assert_eq!(ticket.events.len(), 1);
    assert_eq!(ticket.events[0].kind, EventKind::Opened);
    assert!(
        store
            .get_ticket(RequestId(Ulid::generate()))
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn a_reused_key_replays_the_first_ticket(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let first = draft(&o, now(), Some("key-1"));
    let original = created(&store, &o, &first).await;
    let second = draft(&o, now() + SignedDuration::from_mins(1), Some("key-1"));
    match store
        .open_request(&o.id, &second)
        .await
        .expect("open again")
    {
        Opened::Replayed(record) => {
            assert_eq!(record.request_id, original.id);
            assert_eq!(record.number, original.number);
        }
        Opened::Created(_) | Opened::SlotFull => {
            panic!("a reused key must not open a second ticket")
        }
    }
    let due = store
        .due_mail(now() + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 1, "one ticket, one mail");
    // After the record expires the key is free again.
    let later = draft(&o, now() + SignedDuration::from_hours(25), Some("key-1"));
    assert!(matches!(
        store.open_request(&o.id, &later).await.expect("open"),
        Opened::Created(_)
    ));
}

pub async fn concurrent_opens_get_distinct_numbers(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = draft(&o, now(), None);
                match store.open_request(&o.id, &compose).await.expect("open") {
                    Opened::Created(r) => r.number.0,
                    Opened::Replayed(_) | Opened::SlotFull => panic!("no key, no slot"),
                }
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.expect("task"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
}

pub async fn concurrent_opens_with_one_key_open_one_ticket(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = draft(&o, now(), Some("same-key"));
                match store.open_request(&o.id, &compose).await.expect("open") {
                    Opened::Created(r) => (true, r.id),
                    Opened::Replayed(rec) => (false, rec.request_id),
                    Opened::SlotFull => panic!("no slot"),
                }
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = BTreeSet::new();
    for t in tasks {
        let (c, id) = t.await.expect("task");
        created += usize::from(c);
        ids.insert(id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        store
            .due_mail(now() + SignedDuration::from_hours(1), 100)
            .await
            .expect("due")
            .len(),
        1
    );
}

pub async fn outbox_lifecycle(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let mail_id = compose(TicketNumber(1)).mails[0].id;
    store.open_request(&o.id, &compose).await.expect("open");

    assert!(
        store
            .due_mail(now() - SignedDuration::from_secs(1), 10)
            .await
            .expect("due")
            .is_empty(),
        "not yet due"
    );
    assert_eq!(store.due_mail(now(), 10).await.expect("due"), vec![mail_id]);

    let t0 = now() + SignedDuration::from_secs(1);
    let claimed = store
        .claim_mail(mail_id, t0, t0 + SignedDuration::from_secs(60))
        .await
        .expect("claim");
    let claimed = claimed.expect("free mail can be claimed");
    assert_eq!(claimed.attempts, 1);
    assert!(claimed.render().text.contains("k=segredo1"));
    assert_eq!(claimed.letter.attachments.len(), 1);
    assert!(
        store
            .claim_mail(mail_id, t0, t0 + SignedDuration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "leased"
    );

    let retry_at = t0 + SignedDuration::from_secs(30);
    store
        .mail_failed(mail_id, retry_at, "caixa fora do ar")
        .await
        .expect("failed");
    assert!(
        store
            .due_mail(t0 + SignedDuration::from_secs(5), 10)
            .await
            .expect("due")
            .is_empty(),
        "waits its backoff"
    );
    assert_eq!(
        store.due_mail(retry_at, 10).await.expect("due"),
        vec![mail_id]
    );
    let again = store.get_mail(mail_id).await.expect("get").expect("exists");
    assert_eq!(again.last_error.as_deref(), Some("caixa fora do ar"));
    assert_eq!(
        again.letter.attachments.first().map(|a| a.name.as_str()),
        Some("convite.ics"),
        "files of the email are kept with it"
    );
    assert_eq!(again.leased_until, None);

    let t1 = retry_at + SignedDuration::from_secs(1);
    let second = store
        .claim_mail(mail_id, t1, t1 + SignedDuration::from_secs(60))
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!(second.attempts, 2);
    store
        .mail_sent(mail_id, t1, "provider-123")
        .await
        .expect("sent");
    let sent = store.get_mail(mail_id).await.expect("get").expect("exists");
    assert_eq!(sent.sent_at, Some(t1));
    assert_eq!(sent.provider_id.as_deref(), Some("provider-123"));
    assert!(
        !sent.render().text.contains("segredo") && sent.letter.attachments.is_empty(),
        "the body with the ticket secret is dropped once sent"
    );
    assert!(
        store
            .due_mail(t1 + SignedDuration::from_hours(2), 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert!(
        store
            .claim_mail(
                mail_id,
                t1 + SignedDuration::from_hours(2),
                t1 + SignedDuration::from_hours(3)
            )
            .await
            .expect("claim")
            .is_none(),
        "sent mail is never claimed again"
    );
    assert!(
        store
            .claim_mail(MailId(Ulid::generate()), t1, t1)
            .await
            .expect("claim")
            .is_none()
    );
}

pub async fn an_expired_lease_can_be_taken_over(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let mail_id = compose(TicketNumber(1)).mails[0].id;
    store.open_request(&o.id, &compose).await.expect("open");
    let lease_end = now() + SignedDuration::from_secs(60);
    assert!(
        store
            .claim_mail(mail_id, now(), lease_end)
            .await
            .expect("claim")
            .is_some()
    );
    // The first sender died: once its lease ends another may send.
    let taken = store
        .claim_mail(
            mail_id,
            lease_end,
            lease_end + SignedDuration::from_secs(60),
        )
        .await
        .expect("claim");
    assert_eq!(taken.expect("lease expired").attempts, 2);
}

pub async fn a_change_applies_once_and_a_stale_one_changes_nothing(store: Shared) {
    use balcao_app::ports::Change;
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let r = created(&store, &o, &compose).await;
    let at = now() + SignedDuration::from_mins(5);
    let change = |text: &str, expected: u64, status: Status| {
        let mut next = r.clone();
        next.status = status;
        next.version = expected + 1;
        next.updated_at = at;
        let mut mail = compose(r.number).mails.remove(0);
        mail.id = MailId(Ulid::generate());
        Change {
            request: next,
            expected_version: expected,
            event: Event {
                id: Ulid::generate(),
                seq: expected + 1,
                at,
                kind: EventKind::Message,
                author: Author::Citizen,
                text: text.into(),
                status: None,
                attachments: vec![Attachment {
                    id: Ulid::generate(),
                    name: FileName::parse("relatório final.pdf").expect("name"),
                    size: 123_456,
                    file_type: FileType::Pdf,
                }],
            },
            mails: vec![mail],
            give_back: None,
        }
    };
    assert!(
        store
            .apply_change(&change("primeira", 1, Status::Cancelled))
            .await
            .expect("apply")
    );
    // Someone who read version 1 too now loses, and writes nothing.
    assert!(
        !store
            .apply_change(&change("atrasada", 1, Status::ClosedByCitizen))
            .await
            .expect("apply")
    );
    let t = store.get_ticket(r.id).await.expect("get").expect("ticket");
    assert_eq!(t.request.version, 2);
    assert_eq!(t.request.status, Status::Cancelled);
    let texts: Vec<&str> = t.events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["aberta", "primeira"],
        "history in order, append-only"
    );
    let files: Vec<(&str, u64)> = t.events[1]
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.size))
        .collect();
    assert_eq!(
        files,
        vec![("relatório final.pdf", 123_456)],
        "attachments kept with their entry"
    );
    let due = store
        .due_mail(at + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(
        due.len(),
        2,
        "the opening mail and the change's mail; none from the stale change"
    );
}

pub async fn a_citizen_s_requests_newest_first_and_access_links_throttled(store: Shared) {
    use balcao_app::ports::AccessLink;
    let (a, b) = (demo(0), demo(2));
    store.put_office(&a).await.expect("put");
    store.put_office(&b).await.expect("put");
    let mut ids = Vec::new();
    for (i, o) in [&a, &b, &a].into_iter().enumerate() {
        let compose = draft(o, now() + SignedDuration::from_mins(i as i64), None);
        let r = created(&store, o, &compose).await;
        ids.push(r.id);
    }
    let citizen = citizen_of(&Email::parse("cidadao@example.com").expect("email")).0;
    let mine: Vec<RequestId> = store
        .citizen_requests(&citizen, 20)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        mine,
        ids.iter().rev().copied().collect::<Vec<_>>(),
        "across offices, newest first"
    );
    assert_eq!(
        store
            .citizen_requests(&citizen, 2)
            .await
            .expect("list")
            .len(),
        2
    );
    let stranger = citizen_of(&Email::parse("outra@example.com").expect("email")).0;
    assert!(
        store
            .citizen_requests(&stranger, 20)
            .await
            .expect("list")
            .is_empty()
    );

    let mail = draft(&a, now(), None)(TicketNumber(1)).mails.remove(0);
    let link = AccessLink {
        token_hash: "h1".into(),
        citizen: citizen.clone(),
        expires_at: now() + SignedDuration::from_hours(24),
    };
    assert!(
        store
            .put_access_link(&link, &mail, now() - SignedDuration::from_mins(2))
            .await
            .expect("put")
    );
    assert_eq!(
        store.get_access_link("h1").await.expect("get"),
        Some(link.clone())
    );
    assert_eq!(store.get_access_link("nope").await.expect("get"), None);
    let mut again = mail.clone();
    again.id = MailId(Ulid::generate());
    again.created_at = now() + SignedDuration::from_secs(30);
    let second = AccessLink {
        token_hash: "h2".into(),
        ..link.clone()
    };
    assert!(
        !store
            .put_access_link(
                &second,
                &again,
                now() + SignedDuration::from_secs(30) - SignedDuration::from_mins(2)
            )
            .await
            .expect("put"),
        "a second link within the window is refused"
    );
    assert_eq!(
        store.get_access_link("h2").await.expect("get"),
        None,
        "and nothing of it was written"
    );
    again.created_at = now() + SignedDuration::from_mins(3);
    assert!(
        store
            .put_access_link(&second, &again, now() + SignedDuration::from_mins(1))
            .await
            .expect("put")
    );
}

/// Published comments (SPEC S7): upsert and withdraw by request, newest first,
/// per office.
pub async fn reviews_are_published_per_office_and_withdrawn(store: Shared) {
    let (sp, ro) = (demo(0), demo(2));
    // Ids a millisecond apart: ULIDs made within one millisecond have no order.
    let review = |text: &str, ms: u64| {
        let id = RequestId(Ulid::from_parts(1_795_000_000_000 + ms, rand_bits()));
        balcao_core::PublicReview {
            request_id: id,
            verdict: balcao_core::Verdict::Approved,
            comment: text.into(),
            at: now(),
        }
    };
    let (a, b, c) = (
        review("primeiro", 1),
        review("segundo", 2),
        review("de outra serventia", 3),
    );
    store
        .set_review(&sp.id, a.request_id, Some(&a))
        .await
        .expect("a");
    store
        .set_review(&sp.id, b.request_id, Some(&b))
        .await
        .expect("b");
    store
        .set_review(&ro.id, c.request_id, Some(&c))
        .await
        .expect("c");
    let texts =
        |v: Vec<balcao_core::PublicReview>| v.into_iter().map(|r| r.comment).collect::<Vec<_>>();
    assert_eq!(
        texts(store.office_reviews(&sp.id, 10).await.expect("list")),
        vec!["segundo", "primeiro"],
        "newest request first, this office only"
    );
    assert_eq!(
        texts(store.office_reviews(&sp.id, 1).await.expect("list")),
        vec!["segundo"]
    );
    let edited = balcao_core::PublicReview {
        comment: "segundo, revisto".into(),
        ..b.clone()
    };
    store
        .set_review(&sp.id, b.request_id, Some(&edited))
        .await
        .expect("again");
    store
        .set_review(&sp.id, a.request_id, None)
        .await
        .expect("withdraw");
    store
        .set_review(&sp.id, a.request_id, None)
        .await
        .expect("withdrawing twice is fine");
    assert_eq!(
        texts(store.office_reviews(&sp.id, 10).await.expect("list")),
        vec!["segundo, revisto"]
    );
}

fn rand_bits() -> u128 {
    u128::from(Ulid::generate()) & ((1 << 80) - 1)
}

/// Published protocols (SPEC C11): put in a batch (more than one DynamoDB
/// batch), replaced by number, read back per office.
pub async fn protocols_are_published_in_batches_and_replaced(store: Shared) {
    let (sp, ro) = (demo(0), demo(2));
    let protocol = |office: &Office, n: usize, status: &str| balcao_app::ports::PublishedProtocol {
        office: office.id.clone(),
        key: format!("P{n}"),
        number: format!("P-{n}"),
        cpf_hash: "h".repeat(64),
        status: status.into(),
        history: vec![balcao_core::ProtocolStep {
            date: jiff::civil::date(2026, 11, 20),
            text: "Recebido".into(),
        }],
        updated_at: now(),
        updated_by: "Paula".into(),
    };
    let many: Vec<_> = (0..60).map(|n| protocol(&sp, n, "Recebido")).collect();
    store.put_protocols(&many).await.expect("batch");
    store
        .put_protocols(&[protocol(&sp, 7, "Registrado")])
        .await
        .expect("replace");
    let got = |office: &Office, key: &str| {
        let (store, office, key) = (store.clone(), office.id.clone(), key.to_owned());
        async move { store.get_protocol(&office, &key).await.expect("get") }
    };
    assert_eq!(got(&sp, "P59").await.map(|p| p.number), Some("P-59".into()));
    assert_eq!(
        got(&sp, "P7").await.map(|p| p.status),
        Some("Registrado".into())
    );
    assert_eq!(got(&ro, "P7").await, None, "per office");
    assert_eq!(got(&sp, "P99").await, None);
}

/// A manager's change is written only over the version it was made from.
pub async fn office_changes_are_conditional_on_the_version(store: Shared) {
    let office = demo(1);
    store.put_office(&office).await.expect("put");
    let mut first = office.clone();
    first.slot_minutes = 45;
    first.version = office.version + 1;
    assert!(
        store
            .replace_office(&first, office.version)
            .await
            .expect("replace")
    );
    let mut stale = office.clone();
    stale.slot_minutes = 10;
    stale.version = office.version + 1;
    assert!(
        !store
            .replace_office(&stale, office.version)
            .await
            .expect("replace"),
        "a change made from an older version loses"
    );
    let stored = store
        .get_office(&office.id)
        .await
        .expect("get")
        .expect("office");
    assert_eq!(
        (stored.slot_minutes, stored.version),
        (45, office.version + 1)
    );
    let mut unknown = demo(3);
    unknown.id = balcao_core::OfficeId::parse("nao-existe").expect("id");
    assert!(
        !store.replace_office(&unknown, 0).await.expect("replace"),
        "no office is created"
    );
}

/// Opens a ticket that must be new: not replayed, not refused.
async fn created(store: &Shared, office: &Office, compose: &Compose<'_>) -> Request {
    match store.open_request(&office.id, compose).await.expect("open") {
        Opened::Created(r) => *r,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

fn slot(key: &str, capacity: u32) -> SlotClaim {
    SlotClaim {
        key: balcao_core::SlotKey::parse(key).expect("slot"),
        capacity,
    }
}

async fn taken(store: &Shared, o: &Office, from: &str, to: &str) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = store
        .taken_slots(
            &o.id,
            from.parse().expect("date"),
            to.parse().expect("date"),
        )
        .await
        .expect("taken")
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    v.sort();
    v
}

pub async fn a_slot_holds_its_capacity_and_is_given_back(store: Shared) {
    use balcao_app::ports::Change;
    let (o, other) = (demo(0), demo(1));
    store.put_office(&o).await.expect("put");
    store.put_office(&other).await.expect("put");
    let nine = slot("2026-11-24T09:00", 2);
    let mut held = Vec::new();
    for _ in 0..2 {
        let r = created(&store, &o, &booked(&o, now(), None, Some(nine))).await;
        held.push(r);
    }
    let full = booked(&o, now(), Some("late-key"), Some(nine));
    assert!(matches!(
        store.open_request(&o.id, &full).await.expect("open"),
        Opened::SlotFull
    ));
    // Nothing of the refused one was written: no ticket, no mail, no number, no key.
    let refused = full(TicketNumber(3)).request.id;
    assert!(store.get_ticket(refused).await.expect("get").is_none());
    let due = store
        .due_mail(now() + SignedDuration::from_hours(1), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 2);
    // Other slots, days and offices count on their own.
    for (office, key) in [
        (&o, "2026-11-24T09:30"),
        (&o, "2026-11-25T09:00"),
        (&other, "2026-11-24T09:00"),
    ] {
        assert!(matches!(
            store
                .open_request(&office.id, &booked(office, now(), None, Some(slot(key, 2))))
                .await
                .expect("open"),
            Opened::Created(_)
        ));
    }
    let third = created(&store, &o, &draft(&o, now(), None)).await;
    assert_eq!(
        third.number,
        TicketNumber(5),
        "the refused booking took no number"
    );
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [
            ("2026-11-24T09:00".into(), 2),
            ("2026-11-24T09:30".into(), 1)
        ]
    );
    assert_eq!(taken(&store, &o, "2026-11-24", "2026-11-25").await.len(), 3);
    assert!(
        taken(&store, &o, "2026-11-26", "2026-12-31")
            .await
            .is_empty()
    );

    // Cancelling gives one place back in the same write; a stale change gives nothing.
    let r = &held[0];
    let cancel = |expected: u64| {
        let mut next = r.clone();
        next.status = Status::Cancelled;
        next.version = expected + 1;
        next.slot = None;
        Change {
            request: next,
            expected_version: expected,
            event: Event {
                id: Ulid::generate(),
                seq: expected + 1,
                at: now(),
                kind: EventKind::StatusChanged,
                author: Author::Citizen,
                text: "cancelada".into(),
                status: Some(Status::Cancelled),
                attachments: vec![],
            },
            mails: vec![],
            give_back: Some(nine.key),
        }
    };
    assert!(store.apply_change(&cancel(1)).await.expect("apply"));
    assert!(!store.apply_change(&cancel(1)).await.expect("stale"));
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [
            ("2026-11-24T09:00".into(), 1),
            ("2026-11-24T09:30".into(), 1)
        ]
    );
    // The place given back can be booked again, and a retry of a booking that
    // went through replays it even though the slot is full again.
    let retried = booked(&o, now(), Some("booking-key"), Some(nine));
    let again = created(&store, &o, &retried).await;
    match store.open_request(&o.id, &retried).await.expect("retry") {
        Opened::Replayed(rec) => assert_eq!(rec.request_id, again.id),
        other => panic!("a retry replays, got {other:?}"),
    }
}

/// Many citizens booking the last places of one slot at once (SPEC C4).
pub async fn concurrent_bookings_never_exceed_capacity(store: Shared, attempts: usize) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let claim = slot("2026-11-24T10:00", 3);
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let store = store.clone();
            let o = o.clone();
            tokio::spawn(async move {
                let compose = booked(&o, now(), None, Some(claim));
                store.open_request(&o.id, &compose).await
            })
        })
        .collect();
    let (mut created, mut full, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.expect("task") {
            Ok(Opened::Created(_)) => created += 1,
            Ok(Opened::SlotFull) => full += 1,
            Ok(Opened::Replayed(_)) => other.push("replayed".to_owned()),
            Err(e) => other.push(e.to_string()),
        }
    }
    assert_eq!(created, 3, "exactly the capacity; others: {other:?}");
    assert_eq!(
        full,
        attempts - 3,
        "every other one is told the slot is full: {other:?}"
    );
    assert_eq!(
        taken(&store, &o, "2026-11-24", "2026-11-24").await,
        [("2026-11-24T10:00".into(), 3)]
    );
    assert_eq!(
        store
            .due_mail(now() + SignedDuration::from_hours(1), 1000)
            .await
            .expect("due")
            .len(),
        3,
        "one confirmation per booking"
    );
}

/// Abuse-limit counters (the `Limits` port), on the same stores.
pub type SharedLimits = Arc<dyn balcao_app::limits::Limits>;

pub async fn limits_admit_distinct_members_up_to_the_max_per_window(limits: SharedLimits) {
    use balcao_app::limits::Admission;
    let key = format!("test#{}", Ulid::generate());
    let other = format!("test#{}", Ulid::generate());
    let t0: Timestamp = "2026-11-23T13:00:00Z".parse().expect("instant");
    let hour = SignedDuration::from_hours(1);
    let at = |s: i64| t0 + SignedDuration::from_secs(s);
    assert_eq!(limits.count(&key, t0).await.expect("count"), None);
    for i in 0..5 {
        let a = limits
            .admit(&key, &format!("m{i}"), 5, hour, at(i))
            .await
            .expect("admit");
        assert_eq!(a, Admission::Admitted, "member {i}");
    }
    // A member counted before (a retry) is admitted again without counting.
    assert_eq!(
        limits
            .admit(&key, "m0", 5, hour, at(8))
            .await
            .expect("admit"),
        Admission::Admitted
    );
    // A sixth waits for the end of the window, which started at the first member.
    assert_eq!(
        limits
            .admit(&key, "m5", 5, hour, at(10))
            .await
            .expect("admit"),
        Admission::Limited { until: t0 + hour }
    );
    assert_eq!(
        limits.count(&key, at(10)).await.expect("count"),
        Some((5, t0 + hour))
    );
    // Keys spread: another is untouched.
    assert_eq!(
        limits
            .admit(&other, "m5", 5, hour, at(10))
            .await
            .expect("admit"),
        Admission::Admitted
    );
    // After the window, a new one starts with the next member.
    let later = t0 + hour + SignedDuration::from_secs(1);
    assert_eq!(limits.count(&key, later).await.expect("count"), None);
    assert_eq!(
        limits
            .admit(&key, "m6", 5, hour, later)
            .await
            .expect("admit"),
        Admission::Admitted
    );
    assert_eq!(
        limits.count(&key, later).await.expect("count"),
        Some((1, later + hour))
    );
}

pub async fn concurrent_admissions_never_exceed_the_limit(limits: SharedLimits) {
    use balcao_app::limits::Admission;
    let key = format!("race#{}", Ulid::generate());
    let t0: Timestamp = "2026-11-23T13:00:00Z".parse().expect("instant");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (limits, key) = (limits.clone(), key.clone());
            tokio::spawn(async move {
                limits
                    .admit(&key, &format!("m{i}"), 5, SignedDuration::from_hours(1), t0)
                    .await
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(Admission::Admitted) => admitted += 1,
            Ok(Admission::Limited { .. }) | Err(balcao_app::ports::StoreError::Contention) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(admitted, 5, "exactly the limit, under any concurrency");
}

//! The store contract, one module per role of the port: every case runs
//! against SQLite and against DynamoDB Local (`tests/all/store_contract.rs`).

pub mod access;
pub mod erasure;
pub mod limits;
pub mod offices;
pub mod outbox;
pub mod publications;
pub mod tickets;

/// The roles each case calls on the store.
pub use balcao_app::ports::{AccessLinks, Offices, Outbox, Publications, Reports, Tickets};
use balcao_app::ports::{
    Compose, IdempotencyRecord, MailAttachment, MailId, NewTicket, Opened, OutboxMail, SlotClaim,
    Store,
};
use balcao_core::{
    Attachment, Author, Citizen, Consent, Document, Email, Event, EventKind, FileName, FileType,
    Mobile, Office, OfficeSnapshot, PersonName, Request, RequestDetails, RequestId, Status,
    TicketNumber, Uf,
};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::sync::Arc;
use ulid::Ulid;

pub type Shared = Arc<dyn Store>;

pub(crate) fn demo(i: usize) -> Office {
    balcao_local::seed::demo_offices().remove(i)
}

pub(crate) fn now() -> Timestamp {
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
                citizen: Some(Citizen {
                    name: PersonName::parse("João Souza").expect("name"),
                    email: email.clone(),
                    document: Some(Document::parse("529.982.247-25").expect("cpf")),
                    mobile: Some(Mobile::parse("(11) 98765-4321").expect("mobile")),
                }),
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
                erase_on: None,
                erased_at: None,
                windows: Default::default(),
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
                undelivered_at: None,
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
            tally: None,
        }
    }
}

/// Opens a ticket that must be new: not replayed, not refused.
pub(crate) async fn created(store: &Shared, office: &Office, compose: &Compose<'_>) -> Request {
    match store.open_request(&office.id, compose).await.expect("open") {
        Opened::Created(r) => *r,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

pub(crate) fn slot(key: &str, capacity: u32) -> SlotClaim {
    SlotClaim {
        key: balcao_core::SlotKey::parse(key).expect("slot"),
        capacity,
    }
}

pub(crate) async fn taken(store: &Shared, o: &Office, from: &str, to: &str) -> Vec<(String, u32)> {
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

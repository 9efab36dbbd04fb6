//! The ports: what use cases need from the outside world, in the domain's words.

use async_trait::async_trait;
use balcao_core::SlotKey;
use balcao_core::{
    Email, Event, Office, OfficeId, PublicReview, Request, RequestId, TicketNumber, Uf,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;
use ulid::Ulid;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("armazenamento indisponível: {0}")]
    Unavailable(String),
    #[error("dado armazenado ilegível: {0}")]
    Corrupt(String),
    #[error("muitas gravações simultâneas; tente de novo")]
    Contention,
}

/// A ticket page: the request and its history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub request: Request,
    pub events: Vec<Event>,
}

/// What one submission remembers so that a retry opens nothing new. Only hashes
/// of the key are kept; the ticket secret is sealed with a pad derived from the
/// key, so only someone holding the key can read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub key_hash: String,
    pub office_id: OfficeId,
    pub request_id: RequestId,
    pub number: TicketNumber,
    pub sealed_token: String,
    pub fingerprint: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailId(pub Ulid);

impl std::fmt::Display for MailId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A small text file sent with an email (an appointment's `.ics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    pub name: String,
    pub content_type: String,
    pub content: String,
}

/// An email waiting in the outbox, written in the same transaction as the change
/// that caused it. It holds the letter as data; the courier renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredMail")]
pub struct OutboxMail {
    pub id: MailId,
    pub to: Email,
    pub letter: crate::emails::Letter,
    pub request_id: Option<RequestId>,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub leased_until: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub provider_id: Option<String>,
    pub last_error: Option<String>,
}

/// An outbox mail as stored: mail written before letters were data has its
/// subject and bodies instead of a letter.
#[derive(Deserialize)]
struct StoredMail {
    id: MailId,
    to: Email,
    #[serde(default)]
    letter: Option<crate::emails::Letter>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    attachments: Vec<MailAttachment>,
    request_id: Option<RequestId>,
    created_at: Timestamp,
    attempts: u32,
    next_attempt_at: Timestamp,
    leased_until: Option<Timestamp>,
    sent_at: Option<Timestamp>,
    provider_id: Option<String>,
    last_error: Option<String>,
}

impl From<StoredMail> for OutboxMail {
    fn from(m: StoredMail) -> Self {
        let letter = m.letter.unwrap_or_else(|| {
            crate::emails::Letter::rendered(m.subject, m.text, m.html, m.attachments)
        });
        Self {
            id: m.id,
            to: m.to,
            letter,
            request_id: m.request_id,
            created_at: m.created_at,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            leased_until: m.leased_until,
            sent_at: m.sent_at,
            provider_id: m.provider_id,
            last_error: m.last_error,
        }
    }
}

impl OutboxMail {
    /// A new mail, due now.
    pub fn new(
        to: Email,
        letter: crate::emails::Letter,
        request_id: Option<RequestId>,
        now: Timestamp,
    ) -> Self {
        Self {
            id: MailId(Ulid::generate()),
            to,
            letter,
            request_id,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            leased_until: None,
            sent_at: None,
            provider_id: None,
            last_error: None,
        }
    }

    /// Subject and bodies, as sent.
    pub fn render(&self) -> crate::emails::Rendered {
        self.letter.render()
    }
}

/// A protocol as published for lookup (SPEC C11). The CPF is kept only as a
/// hash, enough to check a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedProtocol {
    pub office: OfficeId,
    /// `balcao_core::protocol_key` of the number.
    pub key: String,
    pub number: String,
    pub cpf_hash: String,
    pub status: String,
    pub history: Vec<balcao_core::ProtocolStep>,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// An emailed link to a citizen's requests (SPEC C10); only the secret's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLink {
    pub token_hash: String,
    /// `secrets::citizen_key` of the email it was sent to.
    pub citizen: String,
    pub expires_at: Timestamp,
}

/// One change to a request: the request as it becomes, the history entry that
/// says why, and the emails it causes. Applied only if the stored version is
/// still `expected_version` (one conditional write).
#[derive(Debug, Clone)]
pub struct Change {
    pub request: Request,
    pub expected_version: u64,
    pub event: Event,
    pub mails: Vec<OutboxMail>,
    /// A booked slot of the request's office given back in the same write (SPEC C4).
    pub give_back: Option<SlotKey>,
}

/// Everything written when a ticket opens, in one transaction.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub request: Request,
    pub event: Event,
    /// The citizen's confirmation first, then any notice to the office.
    pub mails: Vec<OutboxMail>,
    pub idempotency: Option<IdempotencyRecord>,
    /// The booked slot, taken in the same write only while fewer than
    /// `capacity` requests hold it (SPEC C4).
    pub slot: Option<SlotClaim>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotClaim {
    pub key: SlotKey,
    pub capacity: u32,
}

#[derive(Debug, Clone)]
pub enum Opened {
    Created(Box<Request>),
    /// The idempotency key was used before: here is what it opened.
    Replayed(IdempotencyRecord),
    /// The slot was full: nothing was written.
    SlotFull,
}

/// Builds a taken request's change once the store has given it the taking
/// office's next number.
pub type TakeCompose<'a> = dyn Fn(TicketNumber) -> Change + Send + Sync + 'a;

/// Builds the ticket once the store has given it its number. Called again if the
/// store must retry with another number.
pub type Compose<'a> = dyn Fn(TicketNumber) -> NewTicket + Send + Sync + 'a;

#[async_trait]
pub trait Store: Send + Sync {
    async fn put_office(&self, office: &Office) -> Result<(), StoreError>;
    async fn get_office(&self, id: &OfficeId) -> Result<Option<Office>, StoreError>;
    /// The office as stored now, never from a cache: what its manager edits
    /// (a stale version would refuse their next save).
    async fn get_office_now(&self, id: &OfficeId) -> Result<Option<Office>, StoreError> {
        self.get_office(id).await
    }
    /// Writes the office only if its stored `version` is still `expected`
    /// (a manager's change over what they read); `false` and nothing written otherwise.
    async fn replace_office(&self, office: &Office, expected: u64) -> Result<bool, StoreError>;
    /// Offices of one UF, ordered by city then name.
    async fn list_offices(&self, uf: Uf) -> Result<Vec<Office>, StoreError>;

    /// Allocates the office's next number and writes request, first event,
    /// outbox mail and idempotency record atomically; or returns the record of
    /// an earlier submission with the same key.
    async fn open_request(
        &self,
        office: &OfficeId,
        compose: &Compose<'_>,
    ) -> Result<Opened, StoreError>;
    /// The live record of an earlier submission with this key, if any.
    async fn idempotency(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    async fn get_ticket(&self, id: RequestId) -> Result<Option<Ticket>, StoreError>;
    /// How many requests hold each slot of the office from `from` to `to`
    /// (inclusive dates); slots nobody holds may be missing.
    async fn taken_slots(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<HashMap<SlotKey, u32>, StoreError>;
    /// A citizen's latest requests across offices, newest first.
    async fn citizen_requests(
        &self,
        citizen: &str,
        limit: usize,
    ) -> Result<Vec<Request>, StoreError>;
    /// Stores the link and its email atomically, unless a link went to the same
    /// citizen after `not_since` (then `false`, nothing written).
    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        not_since: Timestamp,
    ) -> Result<bool, StoreError>;
    async fn get_access_link(&self, token_hash: &str) -> Result<Option<AccessLink>, StoreError>;
    /// Every request of one office (the staff queue filters and sorts them).
    async fn office_requests(&self, office: &OfficeId) -> Result<Vec<Request>, StoreError>;
    /// Released requests of one UF (SPEC S8), oldest first.
    async fn pool(&self, uf: Uf) -> Result<Vec<Request>, StoreError>;
    /// Moves a released request to `office` under that office's next number, in
    /// one atomic write that holds only if the request is still at the version
    /// the change expects; `false` (nothing written) when another office took it.
    async fn take_request(
        &self,
        office: &OfficeId,
        compose: &TakeCompose<'_>,
    ) -> Result<bool, StoreError>;
    /// Writes the change atomically; `false` (and nothing written) when the
    /// request moved on since it was read.
    async fn apply_change(&self, change: &Change) -> Result<bool, StoreError>;

    /// Shows `review` on the office card for this request, or withdraws it with
    /// `None` (SPEC S7). Keyed by the request: repeating it is harmless.
    async fn set_review(
        &self,
        office: &OfficeId,
        request: RequestId,
        review: Option<&PublicReview>,
    ) -> Result<(), StoreError>;
    /// The comments the office card shows, newest request first.
    async fn office_reviews(
        &self,
        office: &OfficeId,
        limit: usize,
    ) -> Result<Vec<PublicReview>, StoreError>;

    /// Publishes protocols, replacing earlier versions of the same numbers.
    async fn put_protocols(&self, protocols: &[PublishedProtocol]) -> Result<(), StoreError>;
    async fn get_protocol(
        &self,
        office: &OfficeId,
        key: &str,
    ) -> Result<Option<PublishedProtocol>, StoreError>;

    /// Unsent mail whose next attempt is due, oldest first.
    async fn due_mail(&self, now: Timestamp, limit: usize) -> Result<Vec<MailId>, StoreError>;
    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxMail>, StoreError>;
    /// Takes a lease on an unsent mail whose lease is free; `None` if sent or leased by another.
    async fn claim_mail(
        &self,
        id: MailId,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<OutboxMail>, StoreError>;
    /// Records the sending and drops the body (it holds the ticket secret).
    async fn mail_sent(
        &self,
        id: MailId,
        at: Timestamp,
        provider_id: &str,
    ) -> Result<(), StoreError>;
    async fn mail_failed(
        &self,
        id: MailId,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError>;
}

#[derive(Debug, Error)]
pub enum MailError {
    #[error("envio recusado: {0}")]
    Rejected(String),
    #[error("serviço de e-mail indisponível: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one email; returns the provider's message id.
    async fn send(&self, mail: &OutboxMail) -> Result<String, MailError>;
}

#[derive(Debug, Error)]
pub enum BlobError {
    #[error("armazenamento de arquivos indisponível: {0}")]
    Unavailable(String),
}

/// What a browser needs to post one file straight to storage: an HTML form
/// `POST` to `url` with `fields` (in any order) followed by the `file` part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadForm {
    pub url: String,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// The conditions storage enforces on that post.
#[derive(Debug, Clone)]
pub struct UploadPolicy<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub max_bytes: u64,
    pub expires_at: Timestamp,
}

/// A stored file's size and first bytes: enough to tell what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    pub size: u64,
    pub head: Vec<u8>,
}

/// A short-lived link that downloads one file under its own name.
#[derive(Debug, Clone)]
pub struct DownloadLink<'a> {
    pub key: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub expires_at: Timestamp,
}

/// File storage (SPEC C8): S3 on AWS, a directory locally. Files never pass
/// through a function's body: browsers post to and download from storage itself.
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn upload_form(
        &self,
        policy: &UploadPolicy<'_>,
        now: Timestamp,
    ) -> Result<UploadForm, BlobError>;
    /// Size and up to `bytes` first bytes; `None` if there is no such file.
    async fn peek(&self, key: &str, bytes: u64) -> Result<Option<BlobHead>, BlobError>;
    /// Copies a file; `false` if `from` does not exist.
    async fn copy(&self, from: &str, to: &str) -> Result<bool, BlobError>;
    /// Deletes a file; deleting a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    async fn download_url(
        &self,
        link: &DownloadLink<'_>,
        now: Timestamp,
    ) -> Result<String, BlobError>;
}

/// What a timer does when it fires (SPEC P1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// The office did not start within the service's start window (SPEC C12).
    StartWindow,
    /// The day before an appointment (SPEC C9).
    Reminder,
    /// Before the start window ends, the office is warned (SPEC S10).
    BreachWarning,
    /// Before the reply window ends, the office is warned (SPEC S9, S10).
    ReplyWarning,
    /// Citizen messages held back by the coalescing window reach the office in one email.
    OfficeNotice,
}

/// A one-time timer. The id is derived from what it is for, so scheduling it
/// twice is harmless and cancelling needs nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub id: String,
    pub kind: TimerKind,
    pub request: RequestId,
    pub due: Timestamp,
    /// The office's IANA zone: schedules are written in local time.
    pub timezone: String,
    /// The appointment's version a reminder is for: a changed appointment's
    /// old reminder finds a newer one and does nothing.
    #[serde(default)]
    pub sequence: u32,
}

impl Timer {
    pub fn start_window(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("expire-{request}"),
            kind: TimerKind::StartWindow,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn breach_warning(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("warn-{request}"),
            kind: TimerKind::BreachWarning,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn reply_warning(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("reply-{request}"),
            kind: TimerKind::ReplyWarning,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    /// One per coalescing window: messages of the same window share it.
    pub fn office_notice(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("notice-{request}-{}", due.as_millisecond()),
            kind: TimerKind::OfficeNotice,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn reminder(request: RequestId, due: Timestamp, timezone: &str, sequence: u32) -> Self {
        Self {
            id: format!("remind-{request}"),
            kind: TimerKind::Reminder,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence,
        }
    }
}

#[derive(Debug, Error)]
pub enum TimerError {
    #[error("agendador indisponível: {0}")]
    Unavailable(String),
}

/// One-time timers: EventBridge Scheduler on AWS, a table the runtime polls locally.
/// Handlers must tolerate a timer firing late, twice or after it stopped applying.
#[async_trait]
pub trait Timers: Send + Sync {
    /// Schedules the timer; the same id again is harmless.
    async fn schedule(&self, timer: &Timer) -> Result<(), TimerError>;
    /// Cancels it; an unknown or already fired id is harmless.
    async fn cancel(&self, id: &str) -> Result<(), TimerError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[cfg(test)]
mod tests {
    use super::OutboxMail;

    #[test]
    fn mail_stored_before_letters_were_data_is_still_delivered() {
        let old = serde_json::json!({
            "id": "01JD0000000000000000000000", "to": "ana@example.com",
            "subject": "Solicitação nº 7 recebida", "text": "Acompanhe: https://x/t?k=s",
            "html": "<p>Acompanhe</p>", "request_id": null,
            "created_at": "2026-11-20T12:00:00Z", "attempts": 0,
            "next_attempt_at": "2026-11-20T12:00:00Z", "leased_until": null,
            "sent_at": null, "provider_id": null, "last_error": null
        });
        let mail: OutboxMail = serde_json::from_value(old).expect("old mail reads");
        let r = mail.render();
        assert_eq!(r.subject, "Solicitação nº 7 recebida");
        assert_eq!(r.text, "Acompanhe: https://x/t?k=s");
        // And a new one round-trips as data.
        let again: OutboxMail =
            serde_json::from_value(serde_json::to_value(&mail).expect("json")).expect("reads");
        assert_eq!(again, mail);
    }
}

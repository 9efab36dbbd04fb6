//! The outbox: emails written with the change that caused them, delivered by
//! the courier through a [`Mailer`].

use super::StoreError;
use async_trait::async_trait;
use balcao_core::{Email, RequestId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use ulid::Ulid;

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
    /// Given up: refused for good, bounced, complained of, suppressed, or failed
    /// too often. No longer retried; `last_error` says why.
    pub undelivered_at: Option<Timestamp>,
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
    #[serde(default)]
    undelivered_at: Option<Timestamp>,
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
            undelivered_at: m.undelivered_at,
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
            undelivered_at: None,
        }
    }

    /// Subject and bodies, as sent.
    pub fn render(&self) -> crate::emails::Rendered {
        self.letter.render()
    }
}

#[async_trait]
pub trait Outbox: Send + Sync {
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

    /// Gives the mail up (sent or not): it leaves the retry index, its body (with
    /// the ticket secret) is dropped, and `reason` is kept. Repeating it is harmless.
    async fn mail_undelivered(
        &self,
        id: MailId,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError>;

    /// No mail goes to this address again (a permanent bounce or a complaint);
    /// `address` is its keyed hash ([`crate::secrets::citizen_key`]).
    async fn suppress(&self, address: &str, reason: &str, at: Timestamp) -> Result<(), StoreError>;

    /// Why mail to this address is suppressed, if it is.
    async fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError>;
    /// Forgets that an address was suppressed (its owner's data was erased).
    async fn unsuppress(&self, address: &str) -> Result<(), StoreError>;
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

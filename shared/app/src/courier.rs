//! Delivers the outbox: claim a mail with a lease, send it, record the sending.
//! At least once: a mail is only re-sent if the process dies between the
//! provider accepting it and the store recording it.

use crate::ports::{Clock, MailId, Mailer, Outbox, StoreError};
use jiff::SignedDuration;
use std::sync::Arc;

/// How much of a failed send's error the outbox keeps.
const MAX_ERROR_CHARS: usize = 500;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// How long a claimed mail is reserved for the sender that claimed it.
    pub lease: SignedDuration,
    /// Wait after the first failure; doubles each time up to `max_backoff`.
    pub first_backoff: SignedDuration,
    pub max_backoff: SignedDuration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            lease: SignedDuration::from_secs(60),
            first_backoff: SignedDuration::from_secs(5),
            max_backoff: SignedDuration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempts: u32) -> SignedDuration {
        let factor = 2i32.saturating_pow(attempts.saturating_sub(1).min(20));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Sent already, or another sender holds it.
    AlreadyHandled,
    Failed(String),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Courier {
    pub outbox: Arc<dyn Outbox>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub policy: RetryPolicy,
}

impl Courier {
    pub async fn deliver(&self, id: MailId) -> Result<Delivery, StoreError> {
        let now = self.clock.now();
        let Some(mail) = self
            .outbox
            .claim_mail(id, now, now + self.policy.lease)
            .await?
        else {
            return Ok(Delivery::AlreadyHandled);
        };
        match self.mailer.send(&mail).await {
            Ok(provider_id) => {
                self.outbox
                    .mail_sent(id, self.clock.now(), &provider_id)
                    .await?;
                tracing::info!(mail = %id, to = %mail.to.masked(), "mail sent");
                Ok(Delivery::Sent)
            }
            Err(e) => {
                let next = self.clock.now() + self.policy.backoff(mail.attempts);
                tracing::warn!(mail = %id, attempts = mail.attempts, error = %e, "mail failed; will retry");
                // The provider's message is kept short: it is for an operator, not an archive.
                let error: String = e.to_string().chars().take(MAX_ERROR_CHARS).collect();
                self.outbox.mail_failed(id, next, &error).await?;
                Ok(Delivery::Failed(e.to_string()))
            }
        }
    }

    /// Delivers every due mail, up to `limit`.
    pub async fn drain(&self, limit: usize) -> Result<DrainReport, StoreError> {
        let mut report = DrainReport::default();
        for id in self.outbox.due_mail(self.clock.now(), limit).await? {
            match self.deliver(id).await? {
                Delivery::Sent => report.sent += 1,
                Delivery::Failed(_) => report.failed += 1,
                Delivery::AlreadyHandled => {}
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), SignedDuration::from_secs(5));
        assert_eq!(p.backoff(2), SignedDuration::from_secs(10));
        assert_eq!(p.backoff(4), SignedDuration::from_secs(40));
        assert_eq!(p.backoff(40), SignedDuration::from_secs(3600));
    }
}

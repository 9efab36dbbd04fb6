//! Delivers the outbox: claim a mail with a lease, send it, record the sending.
//! At least once: a mail is only re-sent if the process dies between the
//! provider accepting it and the store recording it.

use crate::mail_failures::{self, Undelivered};
use crate::ports::{MailError, MailId, Mailer, Outbox};
use crate::{App, AppError};
use jiff::SignedDuration;
use std::sync::Arc;

/// How much of a failed send's error the outbox keeps.
const MAX_ERROR_CHARS: usize = 500;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// How long a claimed mail is reserved for the sender that claimed it.
    pub lease: SignedDuration,
    /// Wait after the first failure; doubles each time up to `max_backoff`,
    /// each wait drawn between half and all of it (jitter: retries of one
    /// outage do not all come back at once).
    pub first_backoff: SignedDuration,
    pub max_backoff: SignedDuration,
    /// Sends tried before the mail is given up and staff are told.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            lease: SignedDuration::from_secs(60),
            first_backoff: SignedDuration::from_secs(5),
            max_backoff: SignedDuration::from_secs(3600),
            // 5 s, 10 s, … then hourly: about 6 hours of trying in all.
            max_attempts: 15,
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

    /// The wait after `attempts` failures, with `draw` (0..=1) choosing where
    /// in its upper half.
    fn jittered(&self, attempts: u32, draw: f64) -> SignedDuration {
        let full = self.backoff(attempts).as_secs_f64();
        SignedDuration::from_secs_f64(full * (0.5 + 0.5 * draw.clamp(0.0, 1.0)))
    }
}

/// A uniform draw in 0..=1 from the OS's generator (0.5 if it cannot answer).
fn draw() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Sent already, or another sender holds it.
    AlreadyHandled,
    Failed(String),
    /// Given up (refused for good, suppressed address, or too many failures).
    Undelivered(Undelivered),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub failed: usize,
    pub undelivered: usize,
}

#[derive(Clone)]
pub struct Courier {
    pub outbox: Arc<dyn Outbox>,
    pub mailer: Arc<dyn Mailer>,
    /// Its clock and keys, and the requests it tells when their mail fails.
    pub app: App,
    pub policy: RetryPolicy,
}

impl Courier {
    pub async fn deliver(&self, id: MailId) -> Result<Delivery, AppError> {
        let clock = &self.app.clock;
        let now = clock.now();
        let Some(mail) = self
            .outbox
            .claim_mail(id, now, now + self.policy.lease)
            .await?
        else {
            return Ok(Delivery::AlreadyHandled);
        };
        if mail_failures::suppressed(&self.app, &*self.outbox, &mail)
            .await?
            .is_some()
        {
            return self.give_up(&mail, Undelivered::Suppressed).await;
        }
        match self.mailer.send(&mail).await {
            Ok(provider_id) => {
                self.outbox.mail_sent(id, clock.now(), &provider_id).await?;
                tracing::info!(mail = %id, to = %mail.to.masked(), "mail sent");
                metrics::counter!("MailSent").increment(1);
                Ok(Delivery::Sent)
            }
            Err(MailError::Rejected(why)) => {
                tracing::warn!(mail = %id, error = %why, "mail refused by the provider");
                self.give_up(&mail, Undelivered::Rejected).await
            }
            Err(e @ MailError::Unavailable(_)) if mail.attempts >= self.policy.max_attempts => {
                tracing::warn!(mail = %id, attempts = mail.attempts, error = %e, "mail failed too often");
                self.give_up(&mail, Undelivered::GaveUp).await
            }
            Err(e) => {
                let next = clock.now() + self.policy.jittered(mail.attempts, draw());
                tracing::warn!(mail = %id, attempts = mail.attempts, error = %e, "mail failed; will retry");
                // The provider's message is kept short: it is for an operator, not an archive.
                let error: String = e.to_string().chars().take(MAX_ERROR_CHARS).collect();
                metrics::counter!("MailFailed").increment(1);
                self.outbox.mail_failed(id, next, &error).await?;
                Ok(Delivery::Failed(e.to_string()))
            }
        }
    }

    async fn give_up(
        &self,
        mail: &crate::ports::OutboxMail,
        why: Undelivered,
    ) -> Result<Delivery, AppError> {
        mail_failures::record(&self.app, &*self.outbox, mail, why).await?;
        Ok(Delivery::Undelivered(why))
    }

    /// Delivers every due mail, up to `limit`.
    pub async fn drain(&self, limit: usize) -> Result<DrainReport, AppError> {
        let mut report = DrainReport::default();
        for id in self.outbox.due_mail(self.app.clock.now(), limit).await? {
            match self.deliver(id).await? {
                Delivery::Sent => report.sent += 1,
                Delivery::Failed(_) => report.failed += 1,
                Delivery::Undelivered(_) => report.undelivered += 1,
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

    #[test]
    fn a_retry_waits_between_half_and_all_of_its_backoff() {
        let p = RetryPolicy::default();
        assert_eq!(p.jittered(3, 0.0), SignedDuration::from_secs(10));
        assert_eq!(p.jittered(3, 1.0), SignedDuration::from_secs(20));
        for _ in 0..100 {
            let d = p.jittered(40, draw());
            assert!(
                d >= SignedDuration::from_secs(1800) && d <= SignedDuration::from_secs(3600),
                "{d:?}"
            );
        }
    }
}

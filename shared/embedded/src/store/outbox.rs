//! [`Outbox`] over SQLite: due mail by an index on the next attempt.

use super::SqliteStore;
use super::rows::{body_by_id, millis, to_json, unavailable};
use crate::exec;
use async_trait::async_trait;
use balcao_app::ports::{MailId, Outbox, OutboxMail, StoreError};
use jiff::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

impl SqliteStore {
    /// Deletes mail sent or given up before `before`: the record of a sending
    /// is kept as long as on AWS (the outbox item's TTL), then goes, with the
    /// address and the letter it held.
    pub async fn purge_finished_mail(&self, before: Timestamp) -> Result<usize, StoreError> {
        self.with(move |c| {
            exec(
                c,
                "DELETE FROM outbox WHERE coalesce(sent_at, undelivered_at) < ?1",
                params![millis(before)],
            )
            .map_err(unavailable)
        })
        .await
    }

    fn update_mail(
        conn: &mut Connection,
        id: MailId,
        change: impl FnOnce(&mut OutboxMail) -> bool,
    ) -> Result<Option<OutboxMail>, StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let Some(mut mail) = body_by_id::<OutboxMail>(
            &tx,
            "SELECT body FROM outbox WHERE id = ?1",
            &id.to_string(),
        )?
        else {
            return Ok(None);
        };
        if !change(&mut mail) {
            return Ok(None);
        }
        exec(
            &tx,
            "UPDATE outbox SET next_attempt_at = ?2, sent_at = ?3, body = ?4, undelivered_at = ?5
             WHERE id = ?1",
            params![
                id.to_string(),
                millis(mail.next_attempt_at),
                mail.sent_at.map(millis),
                to_json(&mail)?,
                mail.undelivered_at.map(millis)
            ],
        )
        .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Some(mail))
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn due_mail(&self, now: Timestamp, limit: usize) -> Result<Vec<MailId>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id FROM outbox
                     WHERE sent_at IS NULL AND undelivered_at IS NULL AND next_attempt_at <= ?1
                     ORDER BY next_attempt_at, id LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![millis(now), limit as i64], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(unavailable)?;
            rows.map(|r| {
                let s = r.map_err(unavailable)?;
                s.parse()
                    .map(MailId)
                    .map_err(|_| StoreError::Corrupt(format!("mail id {s}")))
            })
            .collect()
        })
        .await
    }

    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxMail>, StoreError> {
        self.with(move |c| body_by_id(c, "SELECT body FROM outbox WHERE id = ?1", &id.to_string()))
            .await
    }

    async fn claim_mail(
        &self,
        id: MailId,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<OutboxMail>, StoreError> {
        self.with(move |c| {
            Self::update_mail(c, id, |m| {
                let free = m.sent_at.is_none()
                    && m.undelivered_at.is_none()
                    && m.leased_until.is_none_or(|l| l <= now);
                if free {
                    m.leased_until = Some(lease_until);
                    m.attempts += 1;
                }
                free
            })
        })
        .await
    }

    async fn mail_sent(
        &self,
        id: MailId,
        at: Timestamp,
        provider_id: &str,
    ) -> Result<(), StoreError> {
        let provider_id = provider_id.to_owned();
        self.with(move |c| {
            Self::update_mail(c, id, |m| {
                m.sent_at = Some(at);
                m.leased_until = None;
                m.provider_id = Some(provider_id);
                m.last_error = None;
                // The body carries the ticket secret: keep only what shows it was sent.
                m.letter.forget_body();
                true
            })
            .map(|_| ())
        })
        .await
    }

    async fn mail_failed(
        &self,
        id: MailId,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.with(move |c| {
            Self::update_mail(c, id, |m| {
                m.leased_until = None;
                m.next_attempt_at = next_attempt_at;
                m.last_error = Some(error);
                m.sent_at.is_none()
            })
            .map(|_| ())
        })
        .await
    }

    async fn mail_undelivered(
        &self,
        id: MailId,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError> {
        let reason = reason.to_owned();
        self.with(move |c| {
            Self::update_mail(c, id, |m| {
                m.undelivered_at = Some(at);
                m.leased_until = None;
                m.last_error = Some(reason);
                // The body carries the ticket secret: nothing will send it now.
                m.letter.forget_body();
                true
            })
            .map(|_| ())
        })
        .await
    }

    async fn suppress(&self, address: &str, reason: &str, at: Timestamp) -> Result<(), StoreError> {
        let (address, reason) = (address.to_owned(), reason.to_owned());
        self.with(move |c| {
            exec(
                c,
                "INSERT INTO suppressions (address, reason, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                params![address, reason, millis(at)],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }

    async fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError> {
        let address = address.to_owned();
        self.with(move |c| {
            use rusqlite::OptionalExtension;
            c.prepare_cached("SELECT reason FROM suppressions WHERE address = ?1")
                .and_then(|mut st| st.query_row(params![address], |r| r.get(0)).optional())
                .map_err(unavailable)
        })
        .await
    }

    async fn unsuppress(&self, address: &str) -> Result<(), StoreError> {
        let address = address.to_owned();
        self.with(move |c| {
            exec(
                c,
                "DELETE FROM suppressions WHERE address = ?1",
                params![address],
            )
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }
}

//! [`Limits`] over SQLite: one row per key, its members as JSON, replaced when
//! its window has ended; each admission is one immediate transaction.

use crate::SqliteStore;
use crate::exec;
use async_trait::async_trait;
use balcao_app::limits::{Admission, Limits};
use balcao_app::ports::StoreError;
use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(corrupt)
}

#[async_trait]
impl Limits for SqliteStore {
    async fn admit(
        &self,
        key: &str,
        member: &str,
        max: u32,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let (key, member) = (key.to_owned(), member.to_owned());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let row: Option<(i64, String)> = tx
                .query_row(
                    "SELECT until_ms, members FROM limits WHERE key = ?1",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            let (until, mut members) = match row {
                Some((until, members)) if until > now.as_millisecond() => (
                    until,
                    serde_json::from_str::<Vec<String>>(&members).map_err(corrupt)?,
                ),
                // No window, or it ended: a new one starts now.
                _ => ((now + window).as_millisecond(), Vec::new()),
            };
            if !members.contains(&member) {
                if members.len() >= max as usize {
                    return Ok(Admission::Limited {
                        until: from_millis(until)?,
                    });
                }
                members.push(member);
            }
            exec(
                &tx,
                "INSERT INTO limits (key, until_ms, members) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET until_ms = ?2, members = ?3",
                params![
                    key,
                    until,
                    serde_json::to_string(&members).map_err(corrupt)?
                ],
            )
            .map_err(unavailable)?;
            // Ended windows of other keys go as they are met: the table stays small.
            exec(
                &tx,
                "DELETE FROM limits WHERE until_ms <= ?1",
                [now.as_millisecond()],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(Admission::Admitted)
        })
        .await
    }

    async fn count(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<(u32, Timestamp)>, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let row: Option<(i64, String)> = c
                .query_row(
                    "SELECT until_ms, members FROM limits WHERE key = ?1 AND until_ms > ?2",
                    params![key, now.as_millisecond()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            row.map(|(until, members)| {
                let members: Vec<String> = serde_json::from_str(&members).map_err(corrupt)?;
                Ok((members.len() as u32, from_millis(until)?))
            })
            .transpose()
        })
        .await
    }
}

//! [`AccessLinks`] over SQLite.

use super::SqliteStore;
use super::rows::{from_millis, insert_mail, millis, unavailable};
use crate::exec;
use async_trait::async_trait;
use balcao_app::ports::{AccessLink, AccessLinks, OutboxMail, StoreError};
use jiff::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

#[async_trait]
impl AccessLinks for SqliteStore {
    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        throttle: &str,
        not_since: Timestamp,
    ) -> Result<bool, StoreError> {
        let (link, mail, throttle) = (link.clone(), mail.clone(), throttle.to_owned());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let last: Option<i64> = tx
                .query_row(
                    "SELECT last_sent_at FROM access_throttle WHERE citizen = ?1",
                    [&throttle],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            if last.is_some_and(|l| l > millis(not_since)) {
                return Ok(false);
            }
            exec(
                &tx,
                "INSERT OR REPLACE INTO access_throttle (citizen, last_sent_at) VALUES (?1, ?2)",
                params![throttle, millis(mail.created_at)],
            )
            .map_err(unavailable)?;
            exec(
                &tx,
                "INSERT INTO access_links (token_hash, citizen, expires_at) VALUES (?1, ?2, ?3)",
                params![link.token_hash, link.citizen, millis(link.expires_at)],
            )
            .map_err(unavailable)?;
            insert_mail(&tx, &mail)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn get_access_link(&self, token_hash: &str) -> Result<Option<AccessLink>, StoreError> {
        let hash = token_hash.to_owned();
        self.with(move |c| {
            let row: Option<(String, i64)> = c
                .query_row(
                    "SELECT citizen, expires_at FROM access_links WHERE token_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            row.map(|(citizen, expires)| {
                Ok(AccessLink {
                    token_hash: hash.clone(),
                    citizen,
                    expires_at: from_millis(expires)?,
                })
            })
            .transpose()
        })
        .await
    }
}

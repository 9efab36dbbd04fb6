//! [`Publications`] over SQLite.

use super::SqliteStore;
use super::rows::{from_json, to_json, unavailable};
use crate::exec;
use async_trait::async_trait;
use balcao_app::ports::{Publications, PublishedProtocol, StoreError};
use balcao_core::{OfficeId, PublicReview, RequestId};
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl Publications for SqliteStore {
    async fn set_review(
        &self,
        office: &OfficeId,
        request: RequestId,
        review: Option<&PublicReview>,
    ) -> Result<(), StoreError> {
        let (office, request) = (office.clone(), request.to_string());
        let body = review.map(to_json).transpose()?;
        self.with(move |c| {
            match body {
                Some(b) => exec(
                    c,
                    "INSERT INTO reviews (office_id, request_id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (office_id, request_id) DO UPDATE SET body = ?3",
                    params![office.as_str(), request, b],
                ),
                None => exec(
                    c,
                    "DELETE FROM reviews WHERE office_id = ?1 AND request_id = ?2",
                    params![office.as_str(), request],
                ),
            }
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn office_reviews(
        &self,
        office: &OfficeId,
        limit: usize,
    ) -> Result<Vec<PublicReview>, StoreError> {
        let office = office.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM reviews WHERE office_id = ?1 ORDER BY request_id DESC LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![office.as_str(), limit], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|r| from_json(&r.map_err(unavailable)?)).collect()
        })
        .await
    }

    async fn put_protocols(&self, protocols: &[PublishedProtocol]) -> Result<(), StoreError> {
        let rows = protocols
            .iter()
            .map(|p| Ok((p.office.to_string(), p.key.clone(), to_json(p)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.with(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            for (office, key, body) in &rows {
                exec(
                    &tx,
                    "INSERT INTO protocols (office_id, key, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (office_id, key) DO UPDATE SET body = ?3",
                    params![office, key, body],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn get_protocol(
        &self,
        office: &OfficeId,
        key: &str,
    ) -> Result<Option<PublishedProtocol>, StoreError> {
        let (office, key) = (office.clone(), key.to_owned());
        self.with(move |c| {
            c.query_row(
                "SELECT body FROM protocols WHERE office_id = ?1 AND key = ?2",
                params![office.as_str(), key],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(unavailable)?
            .map(|b| from_json(&b))
            .transpose()
        })
        .await
    }
}

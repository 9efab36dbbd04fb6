//! [`Offices`] over SQLite.

use super::SqliteStore;
use super::rows::{body_by_id, index_office, to_json, unavailable};
use crate::exec;
use async_trait::async_trait;
use balcao_app::ports::order::city_key;
use balcao_app::ports::{Offices, Page, PageRequest, StoreError};
use balcao_core::{Office, OfficeId, OfficeListing, Uf};
use rusqlite::types::Value;
use rusqlite::{TransactionBehavior, params};

#[async_trait]
impl Offices for SqliteStore {
    async fn put_office(&self, office: &Office) -> Result<(), StoreError> {
        let o = office.clone();
        let body = to_json(&o)?;
        self.with(move |c| {
            let tx = c.transaction().map_err(unavailable)?;
            exec(
                &tx,
                "INSERT INTO offices (id, uf, city, name, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET uf = ?2, city = ?3, name = ?4, body = ?5",
                params![o.id.as_str(), o.uf.code(), o.city, o.name, body],
            )
            .map_err(unavailable)?;
            index_office(&tx, &o)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn replace_office(&self, office: &Office, expected: u64) -> Result<bool, StoreError> {
        let o = office.clone();
        let body = to_json(&o)?;
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let current: Option<Office> =
                body_by_id(&tx, "SELECT body FROM offices WHERE id = ?1", o.id.as_str())?;
            if current.is_none_or(|c| c.version != expected) {
                return Ok(false);
            }
            exec(
                &tx,
                "UPDATE offices SET uf = ?2, city = ?3, name = ?4, body = ?5 WHERE id = ?1",
                params![o.id.as_str(), o.uf.code(), o.city, o.name, body],
            )
            .map_err(unavailable)?;
            index_office(&tx, &o)?;
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn get_office(&self, id: &OfficeId) -> Result<Option<Office>, StoreError> {
        let id = id.clone();
        self.with(move |c| body_by_id(c, "SELECT body FROM offices WHERE id = ?1", id.as_str()))
            .await
    }

    async fn list_offices(
        &self,
        uf: Uf,
        city: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<OfficeListing>, StoreError> {
        // A city's keys run from `<city>#` up to `<city>$` (`$` follows `#`).
        let (from, until) = match city {
            Some(c) => (
                format!("{}#", city_key(c)),
                Some(format!("{}$", city_key(c))),
            ),
            None => (String::new(), None),
        };
        let from = match &page.after {
            Some(p) if p.as_str() >= from.as_str() => p.as_str().to_owned(),
            _ => from,
        };
        let strict = page.after.is_some();
        let sql = format!(
            "SELECT listing, listing_key FROM offices
             WHERE uf = ?2 AND listing_key {} ?3 AND (?4 IS NULL OR listing_key < ?4)
             ORDER BY listing_key LIMIT ?1",
            if strict { ">" } else { ">=" }
        );
        let args = vec![
            Value::Text(uf.code().to_owned()),
            Value::Text(from),
            until.map_or(Value::Null, Value::Text),
        ];
        self.json_page(sql, args, page).await
    }

    async fn office_cities(&self, uf: Uf) -> Result<Vec<String>, StoreError> {
        let names: Vec<String> = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT DISTINCT city FROM offices WHERE uf = ?1")
                    .map_err(unavailable)?;
                let rows = stmt
                    .query_map([uf.code()], |r| r.get::<_, String>(0))
                    .map_err(unavailable)?;
                rows.map(|r| r.map_err(unavailable)).collect()
            })
            .await?;
        let mut cities: Vec<(String, String)> =
            names.into_iter().map(|n| (city_key(&n), n)).collect();
        cities.sort();
        cities.dedup_by(|a, b| a.0 == b.0);
        Ok(cities.into_iter().map(|(_, n)| n).collect())
    }
}

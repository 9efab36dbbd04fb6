//! [`Offices`]: profiles, kept a little while in memory, and the directory.

use super::keys::{self, key, n, s};
use super::{DynamoStore, IndexPage, Item, OFFICE_CACHE_TTL, from_av, items, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use balcao_app::ports::order::city_key;
use balcao_app::ports::{Offices, Page, PageRequest, Position, StoreError};
use balcao_core::{Office, OfficeId, OfficeListing, Uf};
use std::time::Instant;

const CITIES: &str = "CITIES";

impl DynamoStore {
    /// Reads the office from the table and keeps it for the public pages.
    async fn read_office(
        &self,
        id: &OfficeId,
        consistent: bool,
    ) -> Result<Option<Office>, StoreError> {
        let item = self.get(keys::office(id), "PROFILE", consistent).await?;
        let office: Option<Office> = item.as_ref().map(|i| from_av(i, "data")).transpose()?;
        if let Some(o) = &office {
            self.offices
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.clone(), (Instant::now(), o.clone()));
        }
        Ok(office)
    }

    fn forget_office(&self, id: &OfficeId) {
        self.offices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// The UF's list of cities gains the office's, in the same write: one
    /// attribute per city, so the list is one small read.
    fn city_item(&self, o: &Office) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::directory(o.uf), CITIES)))
            .update_expression("SET #c = :name")
            .expression_attribute_names("#c", format!("city:{}", city_key(&o.city)))
            .expression_attribute_values(":name", s(o.city.clone()))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    async fn write_office(&self, o: &Office, expected: Option<u64>) -> Result<bool, StoreError> {
        self.forget_office(&o.id);
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(items::office(o)?));
        if let Some(expected) = expected {
            // Offices written before versions existed count as version 0.
            put = put
                .condition_expression(
                    "attribute_exists(PK) AND (#d.#v = :e OR (attribute_not_exists(#d.#v) AND :e = :zero))",
                )
                .expression_attribute_names("#d", "data")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":e", n(expected))
                .expression_attribute_values(":zero", n(0));
        }
        let put = TransactWriteItem::builder()
            .put(put.build().map_err(unavailable)?)
            .build();
        match self.transact(vec![put, self.city_item(o)?]).await? {
            Ok(()) => Ok(true),
            Err(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => Ok(false),
            Err(_) => Err(StoreError::Contention),
        }
    }
}

#[async_trait]
impl Offices for DynamoStore {
    async fn put_office(&self, office: &Office) -> Result<(), StoreError> {
        self.write_office(office, None).await.map(|_| ())
    }

    async fn replace_office(&self, office: &Office, expected: u64) -> Result<bool, StoreError> {
        self.write_office(office, Some(expected)).await
    }

    async fn get_office(&self, id: &OfficeId) -> Result<Option<Office>, StoreError> {
        let cached = self
            .offices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned();
        if let Some((_, office)) = cached.filter(|(at, _)| at.elapsed() < OFFICE_CACHE_TTL) {
            return Ok(Some(office));
        }
        self.read_office(id, false).await
    }

    async fn get_office_now(&self, id: &OfficeId) -> Result<Option<Office>, StoreError> {
        self.read_office(id, true).await
    }

    async fn list_offices(
        &self,
        uf: Uf,
        city: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<OfficeListing>, StoreError> {
        fn table_key(p: &Position) -> Item {
            key(format!("OFFICE#{}", p.id()), "PROFILE")
        }
        let (found, next) = self
            .index_page(IndexPage {
                index: keys::DIRECTORY_AND_OUTBOX,
                pk_attr: "GSI1PK",
                sk_attr: "GSI1SK",
                pk: keys::directory(uf),
                prefix: city.map(|c| format!("{}#", city_key(c))),
                forward: true,
                page,
                table_key,
                filter: None,
            })
            .await?;
        let items = found
            .iter()
            .map(|i| from_av(i, "listing"))
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next })
    }

    async fn office_cities(&self, uf: Uf) -> Result<Vec<String>, StoreError> {
        let item = self.get(keys::directory(uf), CITIES, false).await?;
        let mut cities: Vec<(String, String)> = item
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("city:")?.to_owned();
                Some((key, v.as_s().ok()?.clone()))
            })
            .collect();
        cities.sort();
        Ok(cities.into_iter().map(|(_, name)| name).collect())
    }
}

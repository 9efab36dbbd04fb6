//! The store over one DynamoDB table, one file per role of the port; every key
//! is in [`keys`] and every item's shape in [`items`].
//!
//! Opening a ticket is one `TransactWriteItems`; a ticket page is one `Query`;
//! every list is read a page at a time by key, never filtered whole.

mod access;
pub mod items;
pub mod keys;
mod limits;
mod offices;
mod outbox;
mod publications;
mod tickets;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, StreamSpecification,
    StreamViewType, TransactWriteItem,
};
use balcao_app::ports::{PageRequest, Position, StoreError};
use balcao_core::{Office, OfficeId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Item = HashMap<String, AttributeValue>;

pub const OFFICE_CACHE_TTL: Duration = Duration::from_secs(30);

/// How many reads a filtered page may take before it answers with what it
/// found and a cursor: a page's cost stays bounded whatever the filters.
const MAX_PAGE_READS: usize = 4;

pub struct DynamoStore {
    client: Client,
    table: String,
    /// Last ticket number seen per office, so a warm function opens a ticket
    /// in one transaction without reading the counter first.
    counters: Mutex<HashMap<OfficeId, u64>>,
    /// Office profiles read recently. Configuration changes rarely; a warm
    /// function answers from here for [`OFFICE_CACHE_TTL`], so opening a ticket
    /// is one round trip. Another process sees a change within that time.
    offices: Mutex<HashMap<OfficeId, (Instant, Office)>>,
}

fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

fn to_av<T: Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_av<T: for<'de> Deserialize<'de>>(item: &Item, attr: &str) -> Result<T, StoreError> {
    let v = item
        .get(attr)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("missing attribute {attr}")))?;
    serde_dynamo::from_attribute_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn num(item: &Item, attr: &str) -> Option<i64> {
    item.get(attr)
        .and_then(|v| v.as_n().ok())
        .and_then(|s| s.parse().ok())
}

fn text(item: &Item, attr: &str) -> Option<String> {
    item.get(attr).and_then(|v| v.as_s().ok()).cloned()
}

/// After a conflict with a concurrent transaction: wait a little, longer each
/// attempt, with jitter from the request's id so racers spread out.
async fn back_off(attempt: usize, id: balcao_core::RequestId) {
    let jitter = u64::from(id.0.random() as u8);
    let wait = 5 * (attempt as u64 + 1) + jitter % 20;
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

/// Why a transaction was cancelled, by position of its items.
fn cancellation_codes(
    err: &SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Option<Vec<String>> {
    match err {
        SdkError::ServiceError(e) => match e.err() {
            TransactWriteItemsError::TransactionCanceledException(c) => Some(
                c.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_owned())
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// A filter on what a query reads: `(expression, names, values)`.
type Filter = (String, Vec<(String, String)>, Vec<(String, AttributeValue)>);

/// One page of one index partition, read in key order.
struct IndexPage<'a> {
    index: &'static str,
    /// `GSI<n>PK` / `GSI<n>SK`.
    pk_attr: &'static str,
    sk_attr: &'static str,
    pk: String,
    /// Only sort keys starting with this.
    prefix: Option<String>,
    forward: bool,
    page: &'a PageRequest,
    /// The table key of the item a position ends at.
    table_key: fn(&Position) -> Item,
    filter: Option<Filter>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            counters: Mutex::new(HashMap::new()),
            offices: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(ToOwned::to_owned))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Every item a query finds, page after page (one ticket's history, one
    /// office's slots over a few days: bounded by what they are).
    async fn every_page(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(items),
            }
        }
    }

    /// Reads one page: one more item than asked tells whether there is a next
    /// page without an empty last one. With a filter, reads go on until the
    /// page is full or [`MAX_PAGE_READS`] were spent.
    async fn index_page(
        &self,
        q: IndexPage<'_>,
    ) -> Result<(Vec<Item>, Option<Position>), StoreError> {
        let size = q.page.size.get();
        let want = size + 1;
        let mut condition = format!("{} = :pk", q.pk_attr);
        if q.prefix.is_some() {
            condition.push_str(&format!(" AND begins_with({}, :prefix)", q.sk_attr));
        }
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(q.index)
            .key_condition_expression(condition)
            .expression_attribute_values(":pk", keys::s(q.pk.clone()))
            .scan_index_forward(q.forward);
        if let Some(p) = &q.prefix {
            query = query.expression_attribute_values(":prefix", keys::s(p.clone()));
        }
        if let Some((expr, names, values)) = &q.filter {
            query = query.filter_expression(expr);
            for (k, v) in names {
                query = query.expression_attribute_names(k, v);
            }
            for (k, v) in values {
                query = query.expression_attribute_values(k, v.clone());
            }
        }
        let start_key = |p: &Position| {
            let mut k = (q.table_key)(p);
            k.insert(q.pk_attr.to_owned(), keys::s(q.pk.clone()));
            k.insert(q.sk_attr.to_owned(), keys::s(p.as_str()));
            k
        };
        let mut start = q.page.after.as_ref().map(start_key);
        let mut items: Vec<Item> = Vec::new();
        let mut exhausted = false;
        for _ in 0..MAX_PAGE_READS {
            let limit = if q.filter.is_some() {
                want
            } else {
                want - items.len()
            };
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                None => {
                    exhausted = true;
                    break;
                }
                Some(k) => start = Some(k),
            }
            if items.len() >= want {
                break;
            }
        }
        let sort_key = |i: &Item| text(i, q.sk_attr).map(Position::new);
        let next = if items.len() > size {
            items.truncate(size);
            items.last().and_then(sort_key)
        } else if exhausted {
            None
        } else {
            // The read budget ran out: go on from the last item read.
            start.as_ref().and_then(sort_key)
        };
        Ok((items, next))
    }

    /// Sends one transaction. `Ok(Err(codes))` when DynamoDB cancelled it (a
    /// condition failed or another writer raced), with the reason per item.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<String>>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(err) => match cancellation_codes(&err) {
                Some(codes) => Ok(Err(codes)),
                None => Err(unavailable(err)),
            },
        }
    }

    /// One item by key.
    async fn get(
        &self,
        pk: String,
        sk: &str,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(pk, sk)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// Creates the table as `template.yaml` does (for DynamoDB Local and tests).
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let ks = |h: &str, r: &str| -> Result<Vec<KeySchemaElement>, StoreError> {
            Ok(vec![
                KeySchemaElement::builder()
                    .attribute_name(h)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(unavailable)?,
                KeySchemaElement::builder()
                    .attribute_name(r)
                    .key_type(KeyType::Range)
                    .build()
                    .map_err(unavailable)?,
            ])
        };
        let gsi = |name: &str, n: u8, projection: Projection| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(ks(&format!("GSI{n}PK"), &format!("GSI{n}SK"))?))
                .projection(projection)
                .build()
                .map_err(unavailable)
        };
        let all = || {
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build()
        };
        let listing = Projection::builder()
            .projection_type(ProjectionType::Include)
            .non_key_attributes("listing")
            .build();
        let mut defs = Vec::new();
        for a in [
            "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK",
            "GSI4SK",
        ] {
            defs.push(attr(a).map_err(unavailable)?);
        }
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(defs))
            .set_key_schema(Some(ks("PK", "SK")?))
            .global_secondary_indexes(gsi(keys::DIRECTORY_AND_OUTBOX, 1, listing)?)
            .global_secondary_indexes(gsi(keys::QUEUE, 2, all())?)
            .global_secondary_indexes(gsi(keys::CITIZEN, 3, all())?)
            .global_secondary_indexes(gsi(keys::LISTS, 4, all())?)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::KeysOnly)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

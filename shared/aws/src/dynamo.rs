//! [`Store`] over one DynamoDB table.
//!
//! | item | PK | SK | GSI1PK / GSI1SK |
//! |---|---|---|---|
//! | office | `OFFICE#<id>` | `PROFILE` | `UF#<uf>` / `<city>#<name>#<id>` |
//! | ticket counter | `OFFICE#<id>` | `COUNTER` | |
//! | request | `REQ#<ulid>` | `META` | (GSI2 `OFFICE#<id>` / `<status>#<created>#<id>`; GSI3 the citizen's; GSI4 `POOL#<uf>` only while released) |
//! | review, protocol | `OFFICE#<id>` | `REVIEW#<request>`, `PROTOCOL#<key>` | |
//! | history event | `REQ#<ulid>` | `EV#<ulid>` | |
//! | idempotency record | `IDEM#<key hash>` | `IDEM` | (TTL) |
//! | outbox mail | `MAIL#<ulid>` | `MAIL` | `OUTBOX` / `<due ms>#<id>` while unsent |
//! | abuse limit (`limits.rs`) | `LIMIT#<key>` | `LIMIT` | (TTL) |
//!
//! Opening a ticket is one `TransactWriteItems`; a ticket page is one `Query`.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, PutRequest, ReturnValue, ScalarAttributeType,
    StreamSpecification, StreamViewType, TransactWriteItem, Update, WriteRequest,
};
use balcao_app::emails::Letter;
use balcao_app::ports::{
    AccessLink, Change, Compose, IdempotencyRecord, MailAttachment, MailId, Opened, OutboxMail,
    PublishedProtocol, Store, StoreError, TakeCompose, Ticket,
};
use balcao_core::{
    Email, Event, Office, OfficeId, PublicReview, Request, RequestId, SlotKey, TicketNumber, Uf,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Item = HashMap<String, AttributeValue>;

/// Sent mail is kept this long (without its body) as the record of the sending.
const SENT_RETENTION_DAYS: i64 = 30;
const MAX_ATTEMPTS: usize = 25;

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

pub const OFFICE_CACHE_TTL: Duration = Duration::from_secs(30);

impl DynamoStore {
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }
}

fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
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

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Outbox sort key: zero-padded so string order is time order.
fn due_key(at: Timestamp, id: MailId) -> String {
    format!("{:015}#{id}", millis(at).max(0))
}

fn mail_id(item: &Item) -> Result<MailId, StoreError> {
    text(item, "PK")
        .and_then(|pk| pk.strip_prefix("MAIL#").and_then(|s| s.parse().ok()))
        .map(MailId)
        .ok_or_else(|| StoreError::Corrupt("mail key".into()))
}

fn meta_item(r: &Request) -> Result<Item, StoreError> {
    let mut meta = key(format!("REQ#{}", r.id), "META");
    meta.insert("data".into(), to_av(r)?);
    meta.insert("version".into(), n(r.version));
    meta.insert("GSI2PK".into(), s(format!("OFFICE#{}", r.office.id)));
    meta.insert(
        "GSI3PK".into(),
        s(format!("CIT#{}", r.citizen_key.as_str())),
    );
    meta.insert(
        "GSI3SK".into(),
        s(format!("{:015}#{}", millis(r.created_at), r.id)),
    );
    meta.insert(
        "GSI2SK".into(),
        s(format!(
            "{}#{:015}#{}",
            r.status.key(),
            millis(r.created_at),
            r.id
        )),
    );
    // Sparse: only released requests are in the UF's pool.
    if r.status == balcao_core::Status::Released {
        meta.insert("GSI4PK".into(), s(format!("POOL#{}", r.office.uf)));
        meta.insert(
            "GSI4SK".into(),
            s(format!("{:015}#{}", millis(r.created_at), r.id)),
        );
    }
    Ok(meta)
}

fn event_item(request: RequestId, e: &Event) -> Result<Item, StoreError> {
    // Sorted by sequence; the id makes a repeated action's condition fail.
    let mut ev = key(format!("REQ#{request}"), &format!("EV#{:010}", e.seq));
    ev.insert("event_id".into(), s(e.id.to_string()));
    ev.insert("data".into(), to_av(e)?);
    Ok(ev)
}

fn mail_item(m: &OutboxMail) -> Result<Item, StoreError> {
    let mut mail = key(format!("MAIL#{}", m.id), "MAIL");
    mail.insert(
        "data".into(),
        to_av(&MailContent {
            to: m.to.clone(),
            letter: Some(m.letter.clone()),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
            attachments: vec![],
            request_id: m.request_id,
            created_at: m.created_at,
        })?,
    );
    mail.insert("attempts".into(), n(0));
    mail.insert("next_attempt_at".into(), n(millis(m.next_attempt_at)));
    mail.insert("GSI1PK".into(), s("OUTBOX"));
    mail.insert("GSI1SK".into(), s(due_key(m.next_attempt_at, m.id)));
    Ok(mail)
}

/// After a conflict with a concurrent transaction: wait a little, longer each
/// attempt, with jitter from the request's id so racers spread out.
async fn back_off(attempt: usize, id: RequestId) {
    let jitter = u64::from(id.0.random() as u8);
    let wait = 5 * (attempt as u64 + 1) + jitter % 20;
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

/// What an outbox item holds besides its delivery state.
#[derive(Serialize, Deserialize)]
struct MailContent {
    to: Email,
    /// The letter as data; mail written before that has its rendered subject and bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    letter: Option<Letter>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    html: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<MailAttachment>,
    request_id: Option<RequestId>,
    created_at: Timestamp,
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

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(ToOwned::to_owned))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Every item with `key_attr = value` in the table or one of its indexes, across pages.
    async fn query_all(
        &self,
        index: Option<&str>,
        key_attr: &str,
        value: String,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(ToOwned::to_owned))
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", key_attr)
            .expression_attribute_values(":v", s(value))
            .set_consistent_read(consistent.then_some(true));
        Self::every_page(query).await
    }

    /// Every item a query finds, page after page.
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
            .set_key(Some(key(pk, sk)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    async fn read_counter(&self, office: &OfficeId) -> Result<u64, StoreError> {
        let item = self
            .get(format!("OFFICE#{office}"), "COUNTER", true)
            .await?;
        Ok(item.as_ref().and_then(|i| num(i, "n")).unwrap_or(0) as u64)
    }

    async fn read_idempotency(
        &self,
        key_hash: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let item = self.get(format!("IDEM#{key_hash}"), "IDEM", true).await?;
        item.as_ref().map(|i| from_av(i, "data")).transpose()
    }

    /// The office's item, listed by UF then city; forgets this process's cached copy.
    fn office_item(&self, office: &Office) -> Result<Item, StoreError> {
        self.offices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&office.id);
        let mut item = key(format!("OFFICE#{}", office.id), "PROFILE");
        item.insert("data".into(), to_av(office)?);
        item.insert("GSI1PK".into(), s(format!("UF#{}", office.uf)));
        item.insert(
            "GSI1SK".into(),
            s(format!("{}#{}#{}", office.city, office.name, office.id)),
        );
        Ok(item)
    }

    fn mail_from_item(item: &Item) -> Result<OutboxMail, StoreError> {
        let id = mail_id(item)?;
        let c: MailContent = from_av(item, "data")?;
        let opt_ts = |attr| num(item, attr).map(from_millis).transpose();
        let letter = c
            .letter
            .unwrap_or_else(|| Letter::rendered(c.subject, c.text, c.html, c.attachments));
        Ok(OutboxMail {
            id,
            to: c.to,
            letter,
            request_id: c.request_id,
            created_at: c.created_at,
            attempts: num(item, "attempts").unwrap_or(0) as u32,
            next_attempt_at: from_millis(num(item, "next_attempt_at").unwrap_or(0))?,
            leased_until: opt_ts("lease_until")?,
            sent_at: opt_ts("sent_at")?,
            provider_id: text(item, "provider_id"),
            last_error: text(item, "last_error"),
        })
    }

    /// Reads the office from the table and keeps it for the public pages.
    async fn read_office(
        &self,
        id: &OfficeId,
        consistent: bool,
    ) -> Result<Option<Office>, StoreError> {
        let item = self
            .get(format!("OFFICE#{id}"), "PROFILE", consistent)
            .await?;
        let office: Option<Office> = item.as_ref().map(|i| from_av(i, "data")).transpose()?;
        if let Some(o) = &office {
            self.offices
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.clone(), (Instant::now(), o.clone()));
        }
        Ok(office)
    }

    /// The office's counter moving from `expected` to the next number.
    fn counter_item(
        &self,
        office: &OfficeId,
        expected: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let cond = if expected == 0 {
            "attribute_not_exists(n)"
        } else {
            "n = :expected"
        };
        let mut counter = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("OFFICE#{office}"), "COUNTER")))
            .update_expression("SET n = :next")
            .condition_expression(cond)
            .expression_attribute_values(":next", n(expected + 1));
        if expected > 0 {
            counter = counter.expression_attribute_values(":expected", n(expected));
        }
        Ok(TransactWriteItem::builder()
            .update(counter.build().map_err(unavailable)?)
            .build())
    }

    async fn counter_now(&self, office: &OfficeId) -> Result<u64, StoreError> {
        let cached = self
            .counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(office)
            .copied();
        match cached {
            Some(c) => Ok(c),
            None => self.read_counter(office).await,
        }
    }

    fn remember_counter(&self, office: &OfficeId, value: u64) {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(office.clone(), value);
    }

    /// Counts a slot up (guarded by its capacity) or down.
    fn slot_item(
        &self,
        office: &OfficeId,
        slot: SlotKey,
        by: i64,
        capacity: Option<u32>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("OFFICE#{office}"),
                &format!("SLOT#{slot}"),
            )))
            .update_expression("ADD taken :by")
            .expression_attribute_values(":by", n(by));
        if let Some(cap) = capacity {
            update = update
                .condition_expression("attribute_not_exists(taken) OR taken < :cap")
                .expression_attribute_values(":cap", n(cap));
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }

    /// A change's items: the request guarded by its version first, then its
    /// history entry and emails.
    fn change_items(&self, change: &Change) -> Result<Vec<TransactWriteItem>, StoreError> {
        let r = &change.request;
        let guard = Put::builder()
            .table_name(&self.table)
            .set_item(Some(meta_item(r)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(change.expected_version))
            .build()
            .map_err(unavailable)?;
        let mut items = vec![TransactWriteItem::builder().put(guard).build()];
        items.push(self.put(
            event_item(r.id, &change.event)?,
            Some("attribute_not_exists(PK)"),
        )?);
        for m in &change.mails {
            items.push(self.put(mail_item(m)?, None)?);
        }
        if let Some(slot) = change.give_back {
            items.push(self.slot_item(&r.office.id, slot, -1, None)?);
        }
        Ok(items)
    }

    fn ticket_items(
        &self,
        new: &balcao_app::ports::NewTicket,
        expected: u64,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let r = &new.request;
        let mut items = vec![self.counter_item(&r.office.id, expected)?];
        if let Some(slot) = &new.slot {
            items.push(self.slot_item(&r.office.id, slot.key, 1, Some(slot.capacity))?);
        }

        items.push(self.put(meta_item(r)?, Some("attribute_not_exists(PK)"))?);
        items.push(self.put(event_item(r.id, &new.event)?, None)?);
        for m in &new.mails {
            items.push(self.put(mail_item(m)?, None)?);
        }

        if let Some(idem) = &new.idempotency {
            let mut it = key(format!("IDEM#{}", idem.key_hash), "IDEM");
            it.insert("data".into(), to_av(idem)?);
            it.insert("ttl".into(), n(idem.expires_at.as_second()));
            // An expired record not yet removed by TTL no longer counts.
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(it))
                .condition_expression("attribute_not_exists(PK) OR #ttl < :now")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":now", n(r.created_at.as_second()))
                .build()
                .map_err(unavailable)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(items)
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
        let gsi = |name: &str, h: &str, r: &str| -> Result<GlobalSecondaryIndex, StoreError> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(ks(h, r)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(unavailable)
        };
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
            .global_secondary_indexes(gsi("GSI1", "GSI1PK", "GSI1SK")?)
            .global_secondary_indexes(gsi("GSI2", "GSI2PK", "GSI2SK")?)
            .global_secondary_indexes(gsi("GSI3", "GSI3PK", "GSI3SK")?)
            .global_secondary_indexes(gsi("GSI4", "GSI4PK", "GSI4SK")?)
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

    async fn update_mail(
        &self,
        id: MailId,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<Option<Item>, StoreError> {
        match update
            .table_name(&self.table)
            .set_key(Some(key(format!("MAIL#{id}"), "MAIL")))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
        {
            Ok(out) => Ok(out.attributes),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
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

#[async_trait]
impl Store for DynamoStore {
    async fn put_office(&self, office: &Office) -> Result<(), StoreError> {
        let item = self.office_item(office)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn replace_office(&self, office: &Office, expected: u64) -> Result<bool, StoreError> {
        let item = self.office_item(office)?;
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // Offices written before versions existed count as version 0.
            .condition_expression(
                "attribute_exists(PK) AND (#d.#v = :e OR (attribute_not_exists(#d.#v) AND :e = :zero))",
            )
            .expression_attribute_names("#d", "data")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":e", n(expected))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
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

    async fn list_offices(&self, uf: Uf) -> Result<Vec<Office>, StoreError> {
        let items = self
            .query_all(Some("GSI1"), "GSI1PK", format!("UF#{uf}"), false)
            .await?;
        items.iter().map(|i| from_av(i, "data")).collect()
    }

    async fn idempotency(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self
            .read_idempotency(key_hash)
            .await?
            .filter(|r| r.expires_at > now))
    }

    async fn open_request(
        &self,
        office: &OfficeId,
        compose: &Compose<'_>,
    ) -> Result<Opened, StoreError> {
        let mut expected = self.counter_now(office).await?;
        for attempt in 0..MAX_ATTEMPTS {
            let new = compose(TicketNumber(expected + 1));
            let items = self.ticket_items(&new, expected)?;
            match self.transact(items).await? {
                Ok(()) => {
                    self.remember_counter(office, expected + 1);
                    return Ok(Opened::Created(Box::new(new.request)));
                }
                Err(codes) => {
                    let failed =
                        |i: usize| codes.get(i).is_some_and(|c| c == "ConditionalCheckFailed");
                    // The idempotency record is the last item, when there is one.
                    let idem_at = codes.len().saturating_sub(1);
                    if let Some(idem) = new.idempotency.as_ref().filter(|_| failed(idem_at))
                        && let Some(record) = self.read_idempotency(&idem.key_hash).await?
                    {
                        return Ok(Opened::Replayed(record));
                    }
                    // The slot's guard is the second item, when there is one.
                    if new.slot.is_some() && failed(1) {
                        return Ok(Opened::SlotFull);
                    }
                    if failed(0) {
                        expected = self.read_counter(office).await?;
                    } else {
                        back_off(attempt, new.request.id).await;
                    }
                }
            }
        }
        Err(StoreError::Contention)
    }

    async fn taken_slots(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<HashMap<SlotKey, u32>, StoreError> {
        // `~` sorts after every time of the last day.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(format!("OFFICE#{office}")))
            .expression_attribute_values(":from", s(format!("SLOT#{from}")))
            .expression_attribute_values(":to", s(format!("SLOT#{to}~")))
            .consistent_read(true);
        let mut taken = HashMap::new();
        for item in Self::every_page(query).await? {
            let sk = text(&item, "SK").unwrap_or_default();
            let key = sk
                .strip_prefix("SLOT#")
                .and_then(SlotKey::parse)
                .ok_or_else(|| StoreError::Corrupt(format!("slot {sk}")))?;
            let count = num(&item, "taken").unwrap_or(0);
            if count > 0 {
                taken.insert(key, u32::try_from(count).unwrap_or(u32::MAX));
            }
        }
        Ok(taken)
    }

    async fn get_ticket(&self, id: RequestId) -> Result<Option<Ticket>, StoreError> {
        let mut request: Option<Request> = None;
        let mut events: Vec<Event> = Vec::new();
        // Sorted by key: the EV#<seq> entries in order, then META.
        for item in self
            .query_all(None, "PK", format!("REQ#{id}"), true)
            .await?
        {
            match text(&item, "SK").as_deref() {
                Some("META") => request = Some(from_av(&item, "data")?),
                Some(sk) if sk.starts_with("EV#") => events.push(from_av(&item, "data")?),
                _ => {}
            }
        }
        Ok(request.map(|request| Ticket { request, events }))
    }

    async fn citizen_requests(
        &self,
        citizen: &str,
        limit: usize,
    ) -> Result<Vec<Request>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :c")
            .expression_attribute_values(":c", s(format!("CIT#{citizen}")))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| from_av(i, "data")).collect()
    }

    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        not_since: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut throttle = key(format!("CIT#{}", link.citizen), "THROTTLE");
        throttle.insert("last_sent_at".into(), n(millis(mail.created_at)));
        let guard = Put::builder()
            .table_name(&self.table)
            .set_item(Some(throttle))
            .condition_expression("attribute_not_exists(PK) OR last_sent_at <= :cutoff")
            .expression_attribute_values(":cutoff", n(millis(not_since)))
            .build()
            .map_err(unavailable)?;
        let mut access = key(format!("ACCESS#{}", link.token_hash), "ACCESS");
        access.insert("citizen".into(), s(&link.citizen));
        access.insert("expires_at".into(), n(millis(link.expires_at)));
        access.insert("ttl".into(), n(link.expires_at.as_second()));
        let items = vec![
            TransactWriteItem::builder().put(guard).build(),
            self.put(access, Some("attribute_not_exists(PK)"))?,
            self.put(mail_item(mail)?, None)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(true),
            Err(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => Ok(false),
            Err(_) => Err(StoreError::Contention),
        }
    }

    async fn get_access_link(&self, token_hash: &str) -> Result<Option<AccessLink>, StoreError> {
        let item = self
            .get(format!("ACCESS#{token_hash}"), "ACCESS", true)
            .await?;
        let Some(item) = item else { return Ok(None) };
        let citizen =
            text(&item, "citizen").ok_or_else(|| StoreError::Corrupt("access link".into()))?;
        let expires_at = from_millis(num(&item, "expires_at").unwrap_or(0))?;
        Ok(Some(AccessLink {
            token_hash: token_hash.to_owned(),
            citizen,
            expires_at,
        }))
    }

    async fn office_requests(&self, office: &OfficeId) -> Result<Vec<Request>, StoreError> {
        let items = self
            .query_all(Some("GSI2"), "GSI2PK", format!("OFFICE#{office}"), false)
            .await?;
        items.iter().map(|i| from_av(i, "data")).collect()
    }

    async fn set_review(
        &self,
        office: &OfficeId,
        request: RequestId,
        review: Option<&PublicReview>,
    ) -> Result<(), StoreError> {
        let pk = format!("OFFICE#{office}");
        let sk = format!("REVIEW#{request}");
        match review {
            Some(r) => {
                let mut item = key(pk, &sk);
                item.insert("data".into(), to_av(r)?);
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
            None => {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key(pk, &sk)))
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }

    async fn office_reviews(
        &self,
        office: &OfficeId,
        limit: usize,
    ) -> Result<Vec<PublicReview>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :review)")
            .expression_attribute_values(":pk", s(format!("OFFICE#{office}")))
            .expression_attribute_values(":review", s("REVIEW#"))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| from_av(i, "data")).collect()
    }

    async fn put_protocols(&self, protocols: &[PublishedProtocol]) -> Result<(), StoreError> {
        // BatchWriteItem takes 25 at a time and may hand some back to retry.
        for chunk in protocols.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|p| {
                    let mut item = key(
                        format!("OFFICE#{}", p.office),
                        &format!("PROTOCOL#{}", p.key),
                    );
                    item.insert("data".into(), to_av(p)?);
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(unavailable)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for attempt in 0..8u32 {
                if requests.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(unavailable)?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
            }
            if !requests.is_empty() {
                return Err(StoreError::Contention);
            }
        }
        Ok(())
    }

    async fn get_protocol(
        &self,
        office: &OfficeId,
        key: &str,
    ) -> Result<Option<PublishedProtocol>, StoreError> {
        let item = self
            .get(
                format!("OFFICE#{office}"),
                &format!("PROTOCOL#{key}"),
                false,
            )
            .await?;
        item.as_ref().map(|i| from_av(i, "data")).transpose()
    }

    async fn pool(&self, uf: Uf) -> Result<Vec<Request>, StoreError> {
        let items = self
            .query_all(Some("GSI4"), "GSI4PK", format!("POOL#{uf}"), false)
            .await?;
        items.iter().map(|i| from_av(i, "data")).collect()
    }

    async fn take_request(
        &self,
        office: &OfficeId,
        compose: &TakeCompose<'_>,
    ) -> Result<bool, StoreError> {
        let mut expected = self.counter_now(office).await?;
        for attempt in 0..MAX_ATTEMPTS {
            let change = compose(TicketNumber(expected + 1));
            let mut items = vec![self.counter_item(office, expected)?];
            items.extend(self.change_items(&change)?);
            match self.transact(items).await? {
                Ok(()) => {
                    self.remember_counter(office, expected + 1);
                    return Ok(true);
                }
                Err(codes) => {
                    let failed =
                        |i: usize| codes.get(i).is_some_and(|c| c == "ConditionalCheckFailed");
                    if failed(1) {
                        // The request moved on: another office took it.
                        return Ok(false);
                    }
                    if failed(0) {
                        expected = self.read_counter(office).await?;
                    } else {
                        back_off(attempt, change.request.id).await;
                    }
                }
            }
        }
        Err(StoreError::Contention)
    }

    async fn apply_change(&self, change: &Change) -> Result<bool, StoreError> {
        let items = self.change_items(change)?;
        // Cancelled means it moved on since it was read, or raced another writer: the caller re-reads.
        Ok(self.transact(items).await?.is_ok())
    }

    async fn due_mail(&self, now: Timestamp, limit: usize) -> Result<Vec<MailId>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :o AND GSI1SK <= :due")
            .expression_attribute_values(":o", s("OUTBOX"))
            .expression_attribute_values(":due", s(format!("{:015}~", millis(now).max(0))))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(mail_id).collect()
    }

    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxMail>, StoreError> {
        let item = self.get(format!("MAIL#{id}"), "MAIL", true).await?;
        item.as_ref().map(Self::mail_from_item).transpose()
    }

    async fn claim_mail(
        &self,
        id: MailId,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<OutboxMail>, StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression("SET lease_until = :lease, attempts = if_not_exists(attempts, :zero) + :one")
            .condition_expression(
                "attribute_exists(PK) AND attribute_not_exists(sent_at) AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
            )
            .expression_attribute_values(":lease", n(millis(lease_until)))
            .expression_attribute_values(":now", n(millis(now)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        self.update_mail(id, update)
            .await?
            .as_ref()
            .map(Self::mail_from_item)
            .transpose()
    }

    async fn mail_sent(
        &self,
        id: MailId,
        at: Timestamp,
        provider_id: &str,
    ) -> Result<(), StoreError> {
        let expires = at.as_second() + SENT_RETENTION_DAYS * 86_400;
        // The letter carries the ticket secret: drop it once sent.
        let update = self
            .client
            .update_item()
            .update_expression(
                "SET sent_at = :at, provider_id = :pid, #ttl = :ttl \
                 REMOVE lease_until, GSI1PK, GSI1SK, last_error, #d.#letter, #d.#html, #d.#text, #d.#files",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#d", "data")
            .expression_attribute_names("#letter", "letter")
            .expression_attribute_names("#html", "html")
            .expression_attribute_names("#text", "text")
            .expression_attribute_names("#files", "attachments")
            .expression_attribute_values(":at", n(millis(at)))
            .expression_attribute_values(":pid", s(provider_id))
            .expression_attribute_values(":ttl", n(expires));
        self.update_mail(id, update).await.map(|_| ())
    }

    async fn mail_failed(
        &self,
        id: MailId,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression(
                "SET next_attempt_at = :next, GSI1SK = :due, last_error = :err REMOVE lease_until",
            )
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(sent_at)")
            .expression_attribute_values(":next", n(millis(next_attempt_at)))
            .expression_attribute_values(":due", s(due_key(next_attempt_at, id)))
            .expression_attribute_values(":err", s(error));
        self.update_mail(id, update).await.map(|_| ())
    }
}

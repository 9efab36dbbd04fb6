//! [`Tickets`]: numbers, slots, the ticket, its changes and the staff lists.

use super::keys::{self, key, millis, n, s};
use super::{
    DynamoStore, Filter, IndexPage, Item, back_off, from_av, items, num, text, to_av, unavailable,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use balcao_app::ports::{
    Change, Compose, IdempotencyRecord, NewTicket, Opened, OutboxMail, Page, PageRequest, Position,
    QueueQuery, Reports, StoreError, TakeCompose, Ticket, Tickets,
};
use balcao_core::erasure::Erased;
use balcao_core::report::{DayCounts, Tally};
use balcao_core::{Event, OfficeId, Request, RequestId, SlotKey, TicketNumber, Uf};
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::HashMap;

/// How often a write that lost a race is tried again before giving up.
const MAX_ATTEMPTS: usize = 25;

/// Most items DynamoDB takes in one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

fn request_key(p: &Position) -> Item {
    key(format!("REQ#{}", p.id()), "META")
}

/// The queue's filters besides shelf and priority, as a filter expression.
fn queue_filter(q: &QueueQuery) -> Option<Filter> {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if let Some(st) = q.status {
        parts.push("#st = :st");
        names.push(("#st".to_owned(), "status".to_owned()));
        values.push((":st".to_owned(), s(st.key())));
    }
    if let Some(sv) = &q.service {
        parts.push("#sv = :sv");
        names.push(("#sv".to_owned(), "service".to_owned()));
        values.push((":sv".to_owned(), s(sv.clone())));
    }
    if let Some(sc) = &q.sector {
        parts.push("#sc = :sc");
        names.push(("#sc".to_owned(), "sector".to_owned()));
        values.push((":sc".to_owned(), s(sc.clone())));
    }
    match &q.assignee {
        None => {}
        Some(None) => parts.push("attribute_not_exists(assignee)"),
        Some(Some(a)) => {
            parts.push("assignee = :as");
            values.push((":as".to_owned(), s(a.clone())));
        }
    }
    if let Some((from, to)) = q.opened {
        parts.push("#cr >= :from AND #cr < :to");
        names.push(("#cr".to_owned(), "created".to_owned()));
        values.push((":from".to_owned(), n(millis(from))));
        values.push((":to".to_owned(), n(millis(to))));
    }
    (!parts.is_empty()).then(|| (parts.join(" AND "), names, values))
}

impl DynamoStore {
    /// One page of requests from one of the request lists.
    async fn request_page(&self, q: IndexPage<'_>) -> Result<Page<Request>, StoreError> {
        let (found, next) = self.index_page(q).await?;
        let items = found
            .iter()
            .map(|i| from_av(i, "data"))
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next })
    }

    async fn read_counter(&self, office: &OfficeId) -> Result<u64, StoreError> {
        let item = self.get(keys::office(office), "COUNTER", true).await?;
        Ok(item.as_ref().and_then(|i| num(i, "n")).unwrap_or(0) as u64)
    }

    async fn read_idempotency(
        &self,
        key_hash: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let item = self.get(keys::idempotency(key_hash), "IDEM", true).await?;
        item.as_ref().map(|i| from_av(i, "data")).transpose()
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
            .set_key(Some(key(keys::office(office), "COUNTER")))
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
            .set_key(Some(key(keys::office(office), &keys::slot(slot))))
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

    /// What a write counts, added to its office's day in the same transaction
    /// (issue 15); `None` when it counts nothing.
    fn tally_item(
        &self,
        office: &OfficeId,
        tally: Option<&Tally>,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(t) = tally.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(keys::office(office), &keys::day(t.day))));
        let mut adds = Vec::new();
        for (i, (name, n)) in t.counts.iter().enumerate() {
            adds.push(format!("#c{i} :c{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), format!("{}{name}", keys::COUNT))
                .expression_attribute_values(format!(":c{i}"), n_av(*n));
        }
        let mut expression = String::new();
        if !adds.is_empty() {
            expression.push_str(&format!("ADD {}", adds.join(", ")));
        }
        if let Some(m) = t.first_reply_minutes {
            expression.push_str(" SET #fr = list_append(if_not_exists(#fr, :none), :fr)");
            update = update
                .expression_attribute_names("#fr", keys::FIRST_REPLIES)
                .expression_attribute_values(":none", AttributeValue::L(vec![]))
                .expression_attribute_values(":fr", AttributeValue::L(vec![n_av(m)]));
        }
        let update = update
            .update_expression(expression.trim())
            .build()
            .map_err(unavailable)?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// The search-term items a request is found by, under its office.
    fn term_puts(&self, r: &Request) -> Result<Vec<TransactWriteItem>, StoreError> {
        let sk = balcao_app::ports::order::search_key(r);
        balcao_core::search::terms(r)
            .iter()
            .map(|t| self.put(key(keys::search_term(&r.office.id, t), &sk), None))
            .collect()
    }

    /// Deletes of the term items `before` had and `after` no longer has (an
    /// office move, an erasure).
    fn term_deletes(
        &self,
        before: &Request,
        after: &Request,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let sk = balcao_app::ports::order::search_key(before);
        let kept: Vec<String> = balcao_core::search::terms(after)
            .iter()
            .map(|t| keys::search_term(&after.office.id, t))
            .collect();
        balcao_core::search::terms(before)
            .iter()
            .map(|t| keys::search_term(&before.office.id, t))
            .filter(|pk| !kept.contains(pk))
            .map(|pk| {
                let delete = aws_sdk_dynamodb::types::Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(pk, &sk)))
                    .build()
                    .map_err(unavailable)?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            })
            .collect()
    }

    /// The requests with these ids (up to a page's 100), in one BatchGetItem,
    /// asking again for what DynamoDB left unprocessed.
    async fn requests_by_id(
        &self,
        ids: impl Iterator<Item = RequestId>,
    ) -> Result<Vec<Request>, StoreError> {
        let ids: Vec<RequestId> = ids.collect();
        let Some(&first) = ids.first() else {
            return Ok(vec![]);
        };
        let keys: Vec<Item> = ids
            .iter()
            .map(|id| key(keys::request(*id), "META"))
            .collect();
        let mut pending = Some(
            aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .projection_expression("#d")
                .expression_attribute_names("#d", "data")
                .build()
                .map_err(unavailable)?,
        );
        let mut found = Vec::new();
        for attempt in 0..MAX_ATTEMPTS {
            let Some(ask) = pending.take() else { break };
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, ask)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                found.push(from_av::<Request>(item, "data")?);
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
            if pending.is_some() {
                back_off(attempt, first).await;
            }
        }
        if pending.is_some() {
            return Err(StoreError::Contention);
        }
        Ok(found)
    }

    /// The request as stored now (strongly consistent).
    async fn stored_request(&self, id: RequestId) -> Result<Option<Request>, StoreError> {
        let item = self.get(keys::request(id), "META", true).await?;
        item.as_ref().map(|i| from_av(i, "data")).transpose()
    }

    /// A change's items: the request guarded by its version first, then its
    /// history entry and emails.
    fn change_items(&self, change: &Change) -> Result<Vec<TransactWriteItem>, StoreError> {
        let r = &change.request;
        let guard = Put::builder()
            .table_name(&self.table)
            .set_item(Some(items::request(r)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(change.expected_version))
            .build()
            .map_err(unavailable)?;
        let mut items = vec![TransactWriteItem::builder().put(guard).build()];
        items.push(self.put(
            items::event(r.id, &change.event)?,
            Some("attribute_not_exists(PK)"),
        )?);
        for m in &change.mails {
            items.push(self.put(items::mail(m)?, None)?);
        }
        if let Some(slot) = change.give_back {
            items.push(self.slot_item(&r.office.id, slot, -1, None)?);
        }
        items.extend(self.tally_item(&r.office.id, change.tally.as_ref())?);
        Ok(items)
    }

    fn ticket_items(
        &self,
        new: &NewTicket,
        expected: u64,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let r = &new.request;
        let mut items = vec![self.counter_item(&r.office.id, expected)?];
        if let Some(slot) = &new.slot {
            items.push(self.slot_item(&r.office.id, slot.key, 1, Some(slot.capacity))?);
        }

        items.push(self.put(items::request(r)?, Some("attribute_not_exists(PK)"))?);
        items.push(self.put(items::event(r.id, &new.event)?, None)?);
        items.extend(self.term_puts(r)?);
        items.extend(self.tally_item(&r.office.id, new.tally.as_ref())?);
        for m in &new.mails {
            items.push(self.put(items::mail(m)?, None)?);
        }

        if let Some(idem) = &new.idempotency {
            let mut it = key(keys::idempotency(&idem.key_hash), "IDEM");
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
}

#[async_trait]
impl Tickets for DynamoStore {
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
            .expression_attribute_values(":pk", s(keys::office(office)))
            .expression_attribute_values(":from", s(keys::slot(from)))
            .expression_attribute_values(":to", s(format!("{}~", keys::slot(to))))
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
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::request(id)))
            .consistent_read(true);
        for item in Self::every_page(query).await? {
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
            .index_name(keys::CITIZEN)
            .key_condition_expression("GSI3PK = :c")
            .expression_attribute_values(":c", s(keys::citizen(citizen)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| from_av(i, "data")).collect()
    }

    async fn take_request(
        &self,
        office: &OfficeId,
        compose: &TakeCompose<'_>,
    ) -> Result<bool, StoreError> {
        let mut expected = self.counter_now(office).await?;
        // Its search terms move with it: the old office's go, the new one's come.
        let id = compose(TicketNumber(expected + 1)).request.id;
        let Some(before) = self.stored_request(id).await? else {
            return Ok(false);
        };
        for attempt in 0..MAX_ATTEMPTS {
            let change = compose(TicketNumber(expected + 1));
            let mut items = vec![self.counter_item(office, expected)?];
            items.extend(self.change_items(&change)?);
            items.extend(self.term_deletes(&before, &change.request)?);
            items.extend(self.term_puts(&change.request)?);
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

    async fn office_queue(
        &self,
        office: &OfficeId,
        query: &QueueQuery,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        self.request_page(IndexPage {
            index: keys::QUEUE,
            pk_attr: "GSI2PK",
            sk_attr: "GSI2SK",
            pk: keys::queue(office, query.shelf),
            // Priority is the sort key's first part.
            prefix: query
                .priority
                .map(|p| if p { "0#" } else { "1#" }.to_owned()),
            forward: true,
            page,
            table_key: request_key,
            filter: queue_filter(query),
        })
        .await
    }

    async fn office_ratings(
        &self,
        office: &OfficeId,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        self.request_page(IndexPage {
            index: keys::LISTS,
            pk_attr: "GSI4PK",
            sk_attr: "GSI4SK",
            pk: keys::rated(office),
            prefix: None,
            forward: false,
            page,
            table_key: request_key,
            filter: None,
        })
        .await
    }

    async fn erase_request(
        &self,
        erased: &Erased,
        mails: &[OutboxMail],
    ) -> Result<bool, StoreError> {
        let r = &erased.request;
        // The terms that name the citizen go with the request's own write.
        let before = self.stored_request(r.id).await?;
        // The redacted entries, as many a write as a transaction takes;
        // each only over an entry that exists.
        for chunk in erased.history.chunks(MAX_TRANSACTION_ITEMS) {
            let items = chunk
                .iter()
                .map(|e| self.put(items::event(r.id, e)?, Some("attribute_exists(PK)")))
                .collect::<Result<Vec<_>, _>>()?;
            if self.transact(items).await?.is_err() {
                return Ok(false);
            }
        }
        // Then the request over the version it was read at, with the erasure's entry.
        let change = Change {
            request: r.clone(),
            expected_version: r.version.saturating_sub(1),
            event: erased.event.clone(),
            mails: mails.to_vec(),
            give_back: None,
            tally: None,
        };
        let mut items = self.change_items(&change)?;
        if let Some(before) = &before {
            items.extend(self.term_deletes(before, r)?);
        }
        Ok(self.transact(items).await?.is_ok())
    }

    async fn search(
        &self,
        office: &OfficeId,
        term: &str,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        self.term_page(keys::search_term(office, term), None, page)
            .await
    }

    async fn due_for_erasure(&self, day: Date, limit: usize) -> Result<Vec<RequestId>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::RETENTION)
            .key_condition_expression("GSI1PK = :p AND GSI1SK < :by")
            .expression_attribute_values(":p", s(keys::RETAINED))
            .expression_attribute_values(":by", s(keys::erase_by(day)))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items()
            .iter()
            .map(|i| {
                text(i, "PK")
                    .and_then(|pk| pk.strip_prefix("REQ#").and_then(RequestId::parse))
                    .ok_or_else(|| StoreError::Corrupt("request key".into()))
            })
            .collect()
    }

    async fn pool(&self, uf: Uf, page: &PageRequest) -> Result<Page<Request>, StoreError> {
        self.request_page(IndexPage {
            index: keys::LISTS,
            pk_attr: "GSI4PK",
            sk_attr: "GSI4SK",
            pk: keys::pool(uf),
            prefix: None,
            forward: true,
            page,
            table_key: request_key,
            filter: None,
        })
        .await
    }
}

fn n_av(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl DynamoStore {
    /// One page of the requests a search term's items list: newest first, or
    /// oldest first within `between` (both sort keys included). One Query and
    /// one consistent BatchGetItem.
    async fn term_page(
        &self,
        pk: String,
        between: Option<(String, String)>,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let size = page.size.get();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(pk.clone()))
            .limit(i32::try_from(size + 1).unwrap_or(i32::MAX));
        query = match between {
            Some((first, last)) => query
                .key_condition_expression("PK = :pk AND SK BETWEEN :first AND :last")
                .expression_attribute_values(":first", s(first))
                .expression_attribute_values(":last", s(last)),
            None => query
                .key_condition_expression("PK = :pk")
                .scan_index_forward(false),
        };
        if let Some(after) = &page.after {
            query = query.set_exclusive_start_key(Some(key(pk, after.as_str())));
        }
        let out = query.send().await.map_err(unavailable)?;
        let mut found: Vec<(RequestId, String)> = out
            .items()
            .iter()
            .map(|i| {
                let sk = text(i, "SK").unwrap_or_default().to_owned();
                let id = Position::new(sk.clone()).id().to_owned();
                RequestId::parse(&id)
                    .map(|id| (id, sk))
                    .ok_or_else(|| StoreError::Corrupt("search term key".into()))
            })
            .collect::<Result<_, _>>()?;
        let next = if found.len() > size {
            found.truncate(size);
            found.last().map(|(_, sk)| Position::new(sk.clone()))
        } else {
            None
        };
        let requests = self.requests_by_id(found.iter().map(|(id, _)| *id)).await?;
        // In the terms' order; one erased or moved since is simply not there.
        let items = found
            .iter()
            .filter_map(|(id, _)| requests.iter().find(|r| r.id == *id).cloned())
            .collect();
        Ok(Page { items, next })
    }
}

#[async_trait]
impl Reports for DynamoStore {
    async fn opened_between(
        &self,
        office: &OfficeId,
        from: Timestamp,
        to: Timestamp,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let range = balcao_app::ports::order::opened_range(from, to);
        self.term_page(
            keys::search_term(office, balcao_core::search::EVERY),
            Some(range),
            page,
        )
        .await
    }

    async fn office_days(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayCounts>, StoreError> {
        let mut days = Vec::new();
        let mut start = None;
        // At most 366 small items: one or two pages.
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(keys::office(office)))
                .expression_attribute_values(":from", s(keys::day(from)))
                .expression_attribute_values(":to", s(keys::day(to)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let day = text(item, "SK")
                    .and_then(|sk| {
                        sk.strip_prefix(keys::DAY_PREFIX)
                            .and_then(|d| d.parse::<Date>().ok())
                    })
                    .ok_or_else(|| StoreError::Corrupt("day key".into()))?;
                let mut d = DayCounts {
                    day,
                    ..Default::default()
                };
                for (name, value) in item {
                    if let Some(counter) = name.strip_prefix(keys::COUNT) {
                        let n = value
                            .as_n()
                            .ok()
                            .and_then(|n| n.parse().ok())
                            .ok_or_else(|| StoreError::Corrupt(format!("counter {name}")))?;
                        d.counts.insert(counter.to_owned(), n);
                    } else if name == keys::FIRST_REPLIES {
                        for m in value.as_l().map(Vec::as_slice).unwrap_or_default() {
                            if let Some(m) = m.as_n().ok().and_then(|n| n.parse().ok()) {
                                d.first_reply_minutes.push(m);
                            }
                        }
                    }
                }
                days.push(d);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(days)
    }
}

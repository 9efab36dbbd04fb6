//! [`Tickets`] over SQLite: one immediate transaction per write; lists read
//! by the sort keys of [`balcao_app::ports::order`], kept beside each request.

use super::SqliteStore;
use super::rows::{
    body_by_id, from_json, index_request, insert_event, insert_mail, millis, to_json, unavailable,
    write_tally,
};
use crate::exec;
use async_trait::async_trait;
use balcao_app::ports::{
    Change, Compose, IdempotencyRecord, Opened, OutboxMail, Page, PageRequest, QueueQuery, Reports,
    StoreError, TakeCompose, Ticket, Tickets,
};
use balcao_core::erasure::Erased;
use balcao_core::report::DayCounts;
use balcao_core::{Event, OfficeId, Request, RequestId, SlotKey, TicketNumber, Uf};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;

impl SqliteStore {
    /// The office's last ticket number (its counter).
    async fn last_number(&self, office: &OfficeId) -> Result<i64, StoreError> {
        let oid = office.clone();
        self.with(move |c| {
            c.query_row(
                "SELECT next_number FROM offices WHERE id = ?1",
                [oid.as_str()],
                |r| r.get(0),
            )
            .map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl Tickets for SqliteStore {
    async fn idempotency(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let key_hash = key_hash.to_owned();
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM idempotency WHERE key_hash = ?1 AND expires_at > ?2",
                    params![key_hash, millis(now)],
                    |r| r.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            body.map(|b| from_json::<IdempotencyRecord>(&b)).transpose()
        })
        .await
    }

    async fn open_request(
        &self,
        office: &OfficeId,
        compose: &Compose<'_>,
    ) -> Result<Opened, StoreError> {
        // One immediate transaction holds the counter while the ticket is
        // composed and written: no retries, whatever the concurrency.
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let current: i64 = tx
                .query_row(
                    "SELECT next_number FROM offices WHERE id = ?1",
                    [office.as_str()],
                    |r| r.get(0),
                )
                .map_err(unavailable)?;
            let new = compose(TicketNumber(u64::try_from(current).unwrap_or(0) + 1));
            if let Some(idem) = &new.idempotency {
                let existing: Option<(String, i64)> = tx
                    .query_row(
                        "SELECT body, expires_at FROM idempotency WHERE key_hash = ?1",
                        [&idem.key_hash],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                if let Some((body, expires)) = existing
                    && expires > millis(new.request.created_at)
                {
                    return Ok(Opened::Replayed(from_json::<IdempotencyRecord>(&body)?));
                }
            }
            if let Some(slot) = &new.slot {
                let taken: i64 = tx
                    .query_row(
                        "SELECT taken FROM slots WHERE office_id = ?1 AND slot = ?2",
                        params![office.as_str(), slot.key.to_string()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?
                    .unwrap_or(0);
                if taken >= i64::from(slot.capacity) {
                    return Ok(Opened::SlotFull);
                }
                exec(
                    &tx,
                    "INSERT INTO slots (office_id, slot, taken) VALUES (?1, ?2, 1)
                             ON CONFLICT (office_id, slot) DO UPDATE SET taken = taken + 1",
                    params![office.as_str(), slot.key.to_string()],
                )
                .map_err(unavailable)?;
            }
            let moved = exec(
                &tx,
                "UPDATE offices SET next_number = ?2 WHERE id = ?1 AND next_number = ?3",
                params![office.as_str(), current + 1, current],
            )
            .map_err(unavailable)?;
            if moved == 0 {
                return Err(StoreError::Contention);
            }
            let r = &new.request;
            exec(&tx,
                        "INSERT INTO requests (id, office_id, number, status, version, created_at, body, citizen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            r.id.to_string(),
                            office.as_str(),
                            current + 1,
                            r.status.key(),
                            r.version as i64,
                            r.created_at.to_string(),
                            to_json(r)?,
                            r.citizen_key.as_str()
                        ],
                    )
                    .map_err(unavailable)?;
            index_request(&tx, r)?;
            write_tally(&tx, office, new.tally.as_ref())?;
            insert_event(&tx, r.id, &new.event)?;
            for m in &new.mails {
                insert_mail(&tx, m)?;
            }
            if let Some(idem) = &new.idempotency {
                exec(&tx,
                            "INSERT OR REPLACE INTO idempotency (key_hash, expires_at, body) VALUES (?1, ?2, ?3)",
                            params![idem.key_hash, millis(idem.expires_at), to_json(idem)?],
                        )
                        .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(Opened::Created(Box::new(new.request)))
        })
        .await
    }

    async fn taken_slots(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<HashMap<SlotKey, u32>, StoreError> {
        let (oid, from) = (office.to_string(), from.to_string());
        // Keys sort as text: every slot of `to` is before the next day's date.
        let until = to.tomorrow().unwrap_or(to).to_string();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT slot, taken FROM slots
                     WHERE office_id = ?1 AND slot >= ?2 AND slot < ?3 AND taken > 0",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![oid, from, until], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(unavailable)?;
            rows.map(|row| {
                let (slot, taken) = row.map_err(unavailable)?;
                let key = SlotKey::parse(&slot)
                    .ok_or_else(|| StoreError::Corrupt(format!("slot {slot}")))?;
                Ok((key, u32::try_from(taken).unwrap_or(0)))
            })
            .collect()
        })
        .await
    }

    async fn get_ticket(&self, id: RequestId) -> Result<Option<Ticket>, StoreError> {
        self.with(move |c| {
            let Some(request) = body_by_id::<Request>(
                c,
                "SELECT body FROM requests WHERE id = ?1",
                &id.to_string(),
            )?
            else {
                return Ok(None);
            };
            let mut stmt = c
                .prepare_cached("SELECT body FROM events WHERE request_id = ?1 ORDER BY seq")
                .map_err(unavailable)?;
            let events = stmt
                .query_map([id.to_string()], |r| r.get::<_, String>(0))
                .map_err(unavailable)?
                .map(|r| from_json::<Event>(&r.map_err(unavailable)?))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Ticket { request, events }))
        })
        .await
    }

    async fn citizen_requests(
        &self,
        citizen: &str,
        limit: usize,
    ) -> Result<Vec<Request>, StoreError> {
        let citizen = citizen.to_owned();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM requests WHERE citizen = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows =
                stmt.query_map(params![citizen, limit as i64], |r| r.get::<_, String>(0)).map_err(unavailable)?;
            rows.map(|r| from_json(&r.map_err(unavailable)?)).collect()
        })
        .await
    }

    async fn take_request(
        &self,
        office: &OfficeId,
        compose: &TakeCompose<'_>,
    ) -> Result<bool, StoreError> {
        // Optimistic like opening: read the counter, compose, write if it has not moved.
        for _ in 0..50 {
            let current = self.last_number(office).await?;
            let change = compose(TicketNumber(u64::try_from(current).unwrap_or(0) + 1));
            let oid = office.clone();
            let outcome = self
                .with(move |conn| {
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(unavailable)?;
                    let counter_moved = exec(&tx,
                            "UPDATE offices SET next_number = ?2 WHERE id = ?1 AND next_number = ?3",
                            params![oid.as_str(), current + 1, current],
                        )
                        .map_err(unavailable)?;
                    if counter_moved == 0 {
                        return Ok(None);
                    }
                    let r = &change.request;
                    let moved = exec(&tx,
                            "UPDATE requests SET office_id = ?2, number = ?3, status = ?4, version = ?5, body = ?6
                             WHERE id = ?1 AND version = ?7",
                            params![
                                r.id.to_string(),
                                oid.as_str(),
                                current + 1,
                                r.status.key(),
                                r.version as i64,
                                to_json(r)?,
                                change.expected_version as i64
                            ],
                        )
                        .map_err(unavailable)?;
                    if moved == 0 {
                        return Ok(Some(false));
                    }
                    index_request(&tx, r)?;
                    write_tally(&tx, &r.office.id, change.tally.as_ref())?;
            insert_event(&tx, r.id, &change.event)?;
                    for m in &change.mails {
                        insert_mail(&tx, m)?;
                    }
                    tx.commit().map_err(unavailable)?;
                    Ok(Some(true))
                })
                .await?;
            if let Some(done) = outcome {
                return Ok(done);
            }
        }
        Err(StoreError::Contention)
    }

    async fn apply_change(&self, change: &Change) -> Result<bool, StoreError> {
        let c = change.clone();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let r = &c.request;
            let moved = exec(&tx,
                    "UPDATE requests SET status = ?2, version = ?3, body = ?4 WHERE id = ?1 AND version = ?5",
                    params![r.id.to_string(), r.status.key(), r.version as i64, to_json(r)?, c.expected_version as i64],
                )
                .map_err(unavailable)?;
            if moved == 0 {
                return Ok(false);
            }
            index_request(&tx, r)?;
            write_tally(&tx, &r.office.id, c.tally.as_ref())?;
            insert_event(&tx, r.id, &c.event)?;
            for m in &c.mails {
                insert_mail(&tx, m)?;
            }
            if let Some(slot) = &c.give_back {
                exec(&tx,
                    "UPDATE slots SET taken = max(taken - 1, 0) WHERE office_id = ?1 AND slot = ?2",
                    params![r.office.id.as_str(), slot.to_string()],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn erase_request(
        &self,
        erased: &Erased,
        mails: &[OutboxMail],
    ) -> Result<bool, StoreError> {
        let e = erased.clone();
        let mails = mails.to_vec();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let r = &e.request;
            let moved = exec(
                &tx,
                "UPDATE requests SET status = ?2, version = ?3, body = ?4, citizen = '' \
                 WHERE id = ?1 AND version = ?5",
                params![
                    r.id.to_string(),
                    r.status.key(),
                    r.version as i64,
                    to_json(r)?,
                    r.version.saturating_sub(1) as i64
                ],
            )
            .map_err(unavailable)?;
            if moved == 0 {
                return Ok(false);
            }
            index_request(&tx, r)?;
            for ev in &e.history {
                exec(
                    &tx,
                    "UPDATE events SET body = ?3 WHERE request_id = ?1 AND seq = ?2",
                    params![r.id.to_string(), ev.seq as i64, to_json(ev)?],
                )
                .map_err(unavailable)?;
            }
            insert_event(&tx, r.id, &e.event)?;
            for m in &mails {
                insert_mail(&tx, m)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn due_for_erasure(&self, day: Date, limit: usize) -> Result<Vec<RequestId>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id FROM requests WHERE erase_on <= ?1 ORDER BY erase_on, id LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![day.to_string(), limit as i64], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(unavailable)?;
            rows.map(|r| {
                let id = r.map_err(unavailable)?;
                RequestId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("request id {id}")))
            })
            .collect()
        })
        .await
    }

    async fn office_queue(
        &self,
        office: &OfficeId,
        query: &QueueQuery,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let mut sql = String::from(
            "SELECT body, queue_key FROM requests WHERE office_id = ?2 AND shelf = ?3",
        );
        let mut args = vec![
            Value::Text(office.to_string()),
            Value::Text(query.shelf.key().to_owned()),
        ];
        let mut and = |clause: &str, v: Value, args: &mut Vec<Value>| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len() + 1)));
        };
        if let Some(after) = &page.after {
            and(
                " AND queue_key > ?",
                Value::Text(after.as_str().to_owned()),
                &mut args,
            );
        }
        if let Some(p) = query.priority {
            and(
                " AND substr(queue_key, 1, 1) = ?",
                Value::Text(if p { "0" } else { "1" }.into()),
                &mut args,
            );
        }
        if let Some(st) = query.status {
            and(" AND status = ?", Value::Text(st.key().into()), &mut args);
        }
        if let Some(sv) = &query.service {
            and(
                " AND json_extract(body, '$.service_id') = ?",
                Value::Text(sv.clone()),
                &mut args,
            );
        }
        if let Some(sc) = &query.sector {
            and(
                " AND json_extract(body, '$.details.sector') = ?",
                Value::Text(sc.clone()),
                &mut args,
            );
        }
        match &query.assignee {
            None => {}
            Some(None) => and(
                " AND coalesce(json_extract(body, '$.assignee'), '') = ?",
                Value::Text(String::new()),
                &mut args,
            ),
            Some(Some(a)) => and(
                " AND json_extract(body, '$.assignee') = ?",
                Value::Text(a.clone()),
                &mut args,
            ),
        }
        if let Some((from, to)) = query.opened {
            and(
                " AND created_ms >= ?",
                Value::Integer(millis(from)),
                &mut args,
            );
            and(" AND created_ms < ?", Value::Integer(millis(to)), &mut args);
        }
        sql.push_str(" ORDER BY queue_key LIMIT ?1");
        self.json_page(sql, args, page).await
    }

    async fn search(
        &self,
        office: &OfficeId,
        term: &str,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let after = page.after.as_ref().map(|p| p.as_str().to_owned());
        let sql =
            "SELECT r.body, s.sort_key FROM search_terms s JOIN requests r ON r.id = s.request_id
                   WHERE s.office_id = ?2 AND s.term = ?3 AND (?4 IS NULL OR s.sort_key < ?4)
                   ORDER BY s.sort_key DESC LIMIT ?1";
        let args = vec![
            Value::Text(office.to_string()),
            Value::Text(term.to_owned()),
            after.map_or(Value::Null, Value::Text),
        ];
        self.json_page(sql.to_owned(), args, page).await
    }

    async fn office_ratings(
        &self,
        office: &OfficeId,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let after = page.after.as_ref().map(|p| p.as_str().to_owned());
        let sql = "SELECT body, rated_key FROM requests
                   WHERE office_id = ?2 AND rated_key IS NOT NULL AND (?3 IS NULL OR rated_key < ?3)
                   ORDER BY rated_key DESC LIMIT ?1";
        let args = vec![
            Value::Text(office.to_string()),
            after.map_or(Value::Null, Value::Text),
        ];
        self.json_page(sql.to_owned(), args, page).await
    }

    async fn pool(&self, uf: Uf, page: &PageRequest) -> Result<Page<Request>, StoreError> {
        let after = page.after.as_ref().map(|p| p.as_str().to_owned());
        let sql = "SELECT body, pool_key FROM requests
                   WHERE pool_uf = ?2 AND (?3 IS NULL OR pool_key > ?3)
                   ORDER BY pool_key LIMIT ?1";
        let args = vec![
            Value::Text(uf.code().to_owned()),
            after.map_or(Value::Null, Value::Text),
        ];
        self.json_page(sql.to_owned(), args, page).await
    }
}

#[async_trait]
impl Reports for SqliteStore {
    async fn opened_between(
        &self,
        office: &OfficeId,
        from: Timestamp,
        to: Timestamp,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError> {
        let (first, last) = balcao_app::ports::order::opened_range(from, to);
        let after = page.after.as_ref().map(|p| p.as_str().to_owned());
        let sql =
            "SELECT r.body, s.sort_key FROM search_terms s JOIN requests r ON r.id = s.request_id
                   WHERE s.office_id = ?2 AND s.term = ?3 AND s.sort_key BETWEEN ?4 AND ?5
                     AND (?6 IS NULL OR s.sort_key > ?6)
                   ORDER BY s.sort_key LIMIT ?1";
        let args = vec![
            Value::Text(office.to_string()),
            Value::Text(balcao_core::search::EVERY.to_owned()),
            Value::Text(first),
            Value::Text(last),
            after.map_or(Value::Null, Value::Text),
        ];
        self.json_page(sql.to_owned(), args, page).await
    }

    async fn office_days(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayCounts>, StoreError> {
        let (office, from, to) = (office.to_string(), from.to_string(), to.to_string());
        self.with(move |c| {
            let mut days: std::collections::BTreeMap<String, DayCounts> = Default::default();
            let parse = |d: &str| {
                d.parse::<Date>()
                    .map_err(|e| StoreError::Corrupt(format!("day {d}: {e}")))
            };
            let mut stmt = c
                .prepare_cached(
                    "SELECT day, key, n FROM daily_counts
                     WHERE office_id = ?1 AND day >= ?2 AND day <= ?3",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![office, from, to], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(unavailable)?;
            for row in rows {
                let (day, key, n) = row.map_err(unavailable)?;
                let d = parse(&day)?;
                days.entry(day)
                    .or_insert_with(|| DayCounts {
                        day: d,
                        ..Default::default()
                    })
                    .counts
                    .insert(key, n);
            }
            let mut stmt = c
                .prepare_cached(
                    "SELECT day, minutes FROM daily_first_replies
                     WHERE office_id = ?1 AND day >= ?2 AND day <= ?3",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![office, from, to], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(unavailable)?;
            for row in rows {
                let (day, minutes) = row.map_err(unavailable)?;
                let d = parse(&day)?;
                days.entry(day)
                    .or_insert_with(|| DayCounts {
                        day: d,
                        ..Default::default()
                    })
                    .first_reply_minutes
                    .push(minutes);
            }
            Ok(days.into_values().collect())
        })
        .await
    }
}

//! [`Store`] over SQLite. One connection behind a mutex, used from blocking
//! threads; writes run in `BEGIN IMMEDIATE` transactions so that other processes
//! sharing the file are excluded too.

use crate::exec;
use crate::schema::{self, SCHEMA};
use async_trait::async_trait;
use balcao_app::ports::{
    AccessLink, Change, Compose, IdempotencyRecord, MailId, Opened, OutboxMail, PublishedProtocol,
    Store, StoreError, TakeCompose, Ticket,
};
use balcao_core::{
    Event, Office, OfficeId, PublicReview, Request, RequestId, SlotKey, TicketNumber, Uf,
};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn insert_event(
    tx: &rusqlite::Transaction<'_>,
    request: RequestId,
    e: &Event,
) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO events (id, request_id, seq, body) VALUES (?1, ?2, ?3, ?4)",
        params![
            e.id.to_string(),
            request.to_string(),
            e.seq as i64,
            to_json(e)?
        ],
    )
    .map_err(unavailable)?;
    Ok(())
}

fn insert_mail(tx: &rusqlite::Transaction<'_>, m: &OutboxMail) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO outbox (id, next_attempt_at, body) VALUES (?1, ?2, ?3)",
        params![m.id.to_string(), millis(m.next_attempt_at), to_json(m)?],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// The JSON `body` of the one row `sql` selects by `id`, decoded.
fn body_by_id<T: DeserializeOwned>(
    c: &Connection,
    sql: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    let body: Option<String> = c
        .query_row(sql, [id], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    body.as_deref().map(from_json).transpose()
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path).map_err(unavailable)?)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(unavailable)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(unavailable)?;
        let has_tables: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(unavailable)?;
        if has_tables && version != schema::VERSION {
            return Err(StoreError::Unavailable(format!(
                "banco de dados de outra versão do Balcão (esquema {version}, esperado {}): \
                 apague a pasta de dados para recomeçar com os dados de demonstração",
                schema::VERSION
            )));
        }
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        conn.pragma_update(None, "user_version", schema::VERSION)
            .map_err(unavailable)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

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

    pub(crate) async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError>,
    {
        // In place, not on a blocking thread: one connection serialises every
        // statement anyway, and in WAL mode a statement takes less time than
        // handing it to another thread and waking this task again (measured:
        // `./scripts/bench`, section 4).
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
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
            "UPDATE outbox SET next_attempt_at = ?2, sent_at = ?3, body = ?4 WHERE id = ?1",
            params![
                id.to_string(),
                millis(mail.next_attempt_at),
                mail.sent_at.map(millis),
                to_json(&mail)?
            ],
        )
        .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Some(mail))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_office(&self, office: &Office) -> Result<(), StoreError> {
        let o = office.clone();
        let body = to_json(&o)?;
        self.with(move |c| {
            exec(
                c,
                "INSERT INTO offices (id, uf, city, name, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET uf = ?2, city = ?3, name = ?4, body = ?5",
                params![o.id.as_str(), o.uf.code(), o.city, o.name, body],
            )
            .map_err(unavailable)?;
            Ok(())
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

    async fn list_offices(&self, uf: Uf) -> Result<Vec<Office>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT body FROM offices WHERE uf = ?1 ORDER BY city, name")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([uf.code()], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|r| from_json(&r.map_err(unavailable)?)).collect()
        })
        .await
    }

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

    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        not_since: Timestamp,
    ) -> Result<bool, StoreError> {
        let (link, mail) = (link.clone(), mail.clone());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let last: Option<i64> = tx
                .query_row(
                    "SELECT last_sent_at FROM access_throttle WHERE citizen = ?1",
                    [&link.citizen],
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
                params![link.citizen, millis(mail.created_at)],
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

    async fn office_requests(&self, office: &OfficeId) -> Result<Vec<Request>, StoreError> {
        let office = office.clone();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM requests WHERE office_id = ?1 ORDER BY created_at, id",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([office.as_str()], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|r| from_json(&r.map_err(unavailable)?)).collect()
        })
        .await
    }

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

    async fn pool(&self, uf: Uf) -> Result<Vec<Request>, StoreError> {
        let released: Vec<Request> = self
            .with(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT body FROM requests WHERE status = 'released' ORDER BY created_at, id",
                    )
                    .map_err(unavailable)?;
                let rows = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .map_err(unavailable)?;
                rows.map(|r| from_json(&r.map_err(unavailable)?)).collect()
            })
            .await?;
        Ok(released.into_iter().filter(|r| r.office.uf == uf).collect())
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

    async fn due_mail(&self, now: Timestamp, limit: usize) -> Result<Vec<MailId>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?1
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
                let free = m.sent_at.is_none() && m.leased_until.is_none_or(|l| l <= now);
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
}

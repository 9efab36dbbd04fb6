//! Rows as the tables hold them: JSON bodies beside the columns queries need.

use crate::exec;
use balcao_app::ports::order::{self, Shelf};
use balcao_app::ports::{OutboxMail, StoreError};
use balcao_core::{Event, Office, Request, RequestId};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(super) fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(super) fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn insert_event(
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

pub(super) fn insert_mail(
    tx: &rusqlite::Transaction<'_>,
    m: &OutboxMail,
) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO outbox (id, next_attempt_at, body) VALUES (?1, ?2, ?3)",
        params![m.id.to_string(), millis(m.next_attempt_at), to_json(m)?],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// The JSON `body` of the one row `sql` selects by `id`, decoded.
pub(super) fn body_by_id<T: DeserializeOwned>(
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

/// Keeps the request's place in every list beside it: its shelf and queue
/// key, its rating key once rated, its pool key while released, its
/// retention day while closed.
pub(super) fn index_request(c: &Connection, r: &Request) -> Result<(), StoreError> {
    index_lists(c, r)?;
    index_search(c, r)?;
    exec(
        c,
        "UPDATE requests SET erase_on = ?2 WHERE id = ?1",
        params![r.id.to_string(), r.erase_on.map(|d| d.to_string())],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// The terms the request is found by (issue 15), under its office as it is
/// now: replaced whole on every write, so a request taken by another office or
/// erased is found only as it is.
pub(super) fn index_search(c: &Connection, r: &Request) -> Result<(), StoreError> {
    let id = r.id.to_string();
    exec(c, "DELETE FROM search_terms WHERE request_id = ?1", [&id]).map_err(unavailable)?;
    let sort_key = order::search_key(r);
    for term in balcao_core::search::terms(r) {
        exec(
            c,
            "INSERT OR REPLACE INTO search_terms (office_id, term, sort_key, request_id)
             VALUES (?1, ?2, ?3, ?4)",
            params![r.office.id.as_str(), term, sort_key, id],
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

/// Adds what a write counts to its office's day (issue 15), in the write's
/// own transaction.
pub(super) fn write_tally(
    c: &Connection,
    office: &balcao_core::OfficeId,
    tally: Option<&balcao_core::report::Tally>,
) -> Result<(), StoreError> {
    let Some(t) = tally else { return Ok(()) };
    let day = t.day.to_string();
    for (key, n) in &t.counts {
        exec(
            c,
            "INSERT INTO daily_counts (office_id, day, key, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (office_id, day, key) DO UPDATE SET n = n + excluded.n",
            params![office.as_str(), day, key, n],
        )
        .map_err(unavailable)?;
    }
    if let Some(m) = t.first_reply_minutes {
        exec(
            c,
            "INSERT INTO daily_first_replies (office_id, day, minutes) VALUES (?1, ?2, ?3)",
            params![office.as_str(), day, m],
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

/// The request's place in the lists of schema 9 (its migration fills them).
pub(super) fn index_lists(c: &Connection, r: &Request) -> Result<(), StoreError> {
    let pool = order::pool_key(r);
    exec(
        c,
        "UPDATE requests SET shelf = ?2, queue_key = ?3, rated_key = ?4, pool_uf = ?5,
         pool_key = ?6, created_ms = ?7 WHERE id = ?1",
        params![
            r.id.to_string(),
            Shelf::of(r.status).key(),
            order::queue_key(r),
            order::rated_key(r),
            pool.as_ref().map(|_| r.office.uf.code()),
            pool,
            millis(r.created_at)
        ],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// Keeps the office's place in its UF's directory, and what the directory shows.
pub(super) fn index_office(c: &Connection, o: &Office) -> Result<(), StoreError> {
    exec(
        c,
        "UPDATE offices SET listing_key = ?2, listing = ?3 WHERE id = ?1",
        params![o.id.as_str(), order::office_key(o), to_json(&o.listing())?],
    )
    .map_err(unavailable)?;
    Ok(())
}

//! The schema's history: [`crate::schema::SCHEMA`] creates version 8, and each
//! migration here brings a database one version forward, in one transaction,
//! data included. A `data/` folder of any version from 8 on opens and is
//! brought up to date; an older or newer one is refused with a clear message.

use super::rows::{from_json, index_lists, index_office, index_search, to_json, unavailable};
use crate::schema::{BASE_VERSION, SCHEMA};
use balcao_app::ports::StoreError;
use balcao_core::{Office, Request, RetentionDays};
use rusqlite::{Connection, Transaction, TransactionBehavior};

struct Migration {
    /// The version this migration brings the database to.
    to: i64,
    run: fn(&Transaction<'_>) -> Result<(), StoreError>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 9,
        run: lists_by_key,
    },
    Migration {
        to: 10,
        run: undelivered_mail,
    },
    Migration {
        to: 11,
        run: retention,
    },
    Migration {
        to: 12,
        run: search_terms,
    },
    Migration {
        to: 13,
        run: daily_counts,
    },
    Migration {
        to: 14,
        run: every_request_term,
    },
];

/// The newest version this build knows.
pub const VERSION: i64 = BASE_VERSION + MIGRATIONS.len() as i64;

fn version(c: &Connection) -> Result<i64, StoreError> {
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable)
}

pub(super) fn bring_up_to_date(conn: &mut Connection) -> Result<(), StoreError> {
    let has_tables: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(unavailable)?;
    if !has_tables {
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        conn.pragma_update(None, "user_version", BASE_VERSION)
            .map_err(unavailable)?;
    }
    let found = version(conn)?;
    if !(BASE_VERSION..=VERSION).contains(&found) {
        return Err(StoreError::Unavailable(format!(
            "banco de dados de uma versão do Balcão que esta não sabe abrir (esquema {found}; \
             esta abre de {BASE_VERSION} a {VERSION}): apague a pasta de dados para recomeçar \
             com os dados de demonstração"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.to > found) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        // Another process may have migrated while this one waited for the lock.
        if version(&tx)? >= m.to {
            continue;
        }
        (m.run)(&tx)?;
        tx.pragma_update(None, "user_version", m.to)
            .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        tracing::info!(version = m.to, "database migrated");
    }
    Ok(())
}

/// 9: every list is read a page at a time by a sort key kept beside the row
/// (issue 12), instead of whole and filtered in memory.
fn lists_by_key(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE requests ADD COLUMN shelf TEXT;
         ALTER TABLE requests ADD COLUMN queue_key TEXT;
         ALTER TABLE requests ADD COLUMN rated_key TEXT;
         ALTER TABLE requests ADD COLUMN pool_uf TEXT;
         ALTER TABLE requests ADD COLUMN pool_key TEXT;
         ALTER TABLE requests ADD COLUMN created_ms INTEGER;
         CREATE INDEX requests_queue ON requests (office_id, shelf, queue_key);
         CREATE INDEX requests_rated ON requests (office_id, rated_key) WHERE rated_key IS NOT NULL;
         CREATE INDEX requests_pool ON requests (pool_uf, pool_key) WHERE pool_uf IS NOT NULL;
         ALTER TABLE offices ADD COLUMN listing_key TEXT;
         ALTER TABLE offices ADD COLUMN listing TEXT;
         DROP INDEX IF EXISTS offices_by_uf;
         CREATE INDEX offices_listing ON offices (uf, listing_key);",
    )
    .map_err(unavailable)?;
    let bodies = |sql: &str| -> Result<Vec<String>, StoreError> {
        let mut stmt = tx.prepare(sql).map_err(unavailable)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(unavailable)?;
        rows.map(|r| r.map_err(unavailable)).collect()
    };
    for body in bodies("SELECT body FROM requests")? {
        index_lists(tx, &from_json::<Request>(&body)?)?;
    }
    for body in bodies("SELECT body FROM offices")? {
        index_office(tx, &from_json::<Office>(&body)?)?;
    }
    Ok(())
}

/// 10: mail given up on leaves the retry list, and addresses that bounced or
/// complained are not written to again (issue 13).
fn undelivered_mail(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE outbox ADD COLUMN undelivered_at INTEGER;
         CREATE TABLE suppressions (
             address TEXT PRIMARY KEY,
             reason  TEXT NOT NULL,
             at      INTEGER NOT NULL
         );",
    )
    .map_err(unavailable)
}

/// 11: closed requests by the day their personal data is erased, and sent
/// mail by when it finished, to purge it (issue 14). Requests closed before
/// count from their last change, with the default retention (offices had none).
fn retention(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "ALTER TABLE requests ADD COLUMN erase_on TEXT;
         CREATE INDEX requests_erase_on ON requests (erase_on) WHERE erase_on IS NOT NULL;
         CREATE INDEX outbox_finished ON outbox (coalesce(sent_at, undelivered_at));",
    )
    .map_err(unavailable)?;
    let bodies: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT body FROM requests")
            .map_err(unavailable)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(unavailable)?;
        rows.map(|r| r.map_err(unavailable))
            .collect::<Result<_, _>>()?
    };
    for body in bodies {
        let mut r = from_json::<Request>(&body)?;
        if !r.status.is_closed() || r.erased_at.is_some() || r.erase_on.is_some() {
            continue;
        }
        let tz = r.office.time_zone();
        let day = RetentionDays::default().erase_on(r.updated_at.to_zoned(tz).date());
        r.erase_on = Some(day);
        tx.execute(
            "UPDATE requests SET body = ?2, erase_on = ?3 WHERE id = ?1",
            rusqlite::params![r.id.to_string(), to_json(&r)?, day.to_string()],
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

/// 12: the terms staff search requests by (issue 15), filled for every request.
fn search_terms(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE search_terms (
             office_id  TEXT NOT NULL,
             term       TEXT NOT NULL,
             sort_key   TEXT NOT NULL,
             request_id TEXT NOT NULL,
             PRIMARY KEY (office_id, term, sort_key)
         ) WITHOUT ROWID;
         CREATE INDEX search_terms_request ON search_terms (request_id);",
    )
    .map_err(unavailable)?;
    every_request_term(tx)
}

/// 14: the term every request has, that the export reads by opening date
/// (issue 15): each request's terms written again.
fn every_request_term(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let bodies: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT body FROM requests")
            .map_err(unavailable)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(unavailable)?;
        rows.map(|r| r.map_err(unavailable))
            .collect::<Result<_, _>>()?
    };
    for body in bodies {
        index_search(tx, &from_json::<Request>(&body)?)?;
    }
    Ok(())
}

/// 13: each office's days as their changes count them (issue 15). Days before
/// it have no counts: reports start from the version that counts.
fn daily_counts(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "CREATE TABLE daily_counts (
             office_id TEXT NOT NULL,
             day       TEXT NOT NULL,
             key       TEXT NOT NULL,
             n         INTEGER NOT NULL,
             PRIMARY KEY (office_id, day, key)
         ) WITHOUT ROWID;
         CREATE TABLE daily_first_replies (
             office_id TEXT NOT NULL,
             day       TEXT NOT NULL,
             minutes   INTEGER NOT NULL
         );
         CREATE INDEX daily_first_replies_day ON daily_first_replies (office_id, day);",
    )
    .map_err(unavailable)
}

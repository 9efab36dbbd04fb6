//! The store over SQLite, one file per role of the port. One connection behind
//! a mutex; writes run in `BEGIN IMMEDIATE` transactions so that other
//! processes sharing the file are excluded too.

mod access;
mod migrations;
mod offices;
mod outbox;
mod publications;
mod rows;
mod tickets;

use balcao_app::ports::{Page, PageRequest, Position, StoreError};
use rows::{from_json, unavailable};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path).map_err(unavailable)?)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(unavailable)?;
        migrations::bring_up_to_date(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
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

    /// One page of a list: `sql` selects `<JSON>, <sort key>` in order, with
    /// `?1` bound to the page size plus one (to know whether more follow) and
    /// `args` to `?2` on.
    async fn json_page<T: DeserializeOwned>(
        &self,
        sql: String,
        mut args: Vec<Value>,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let size = page.size.get();
        args.insert(0, Value::Integer(size as i64 + 1));
        let mut found: Vec<(T, String)> = self
            .with(move |c| {
                let mut stmt = c.prepare_cached(&sql).map_err(unavailable)?;
                let rows = stmt
                    .query_map(params_from_iter(args), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(unavailable)?;
                rows.map(|row| {
                    let (json, key) = row.map_err(unavailable)?;
                    Ok((from_json(&json)?, key))
                })
                .collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        let next = if found.len() > size {
            found.truncate(size);
            found.last().map(|(_, k)| Position::new(k.clone()))
        } else {
            None
        };
        Ok(Page {
            items: found.into_iter().map(|(item, _)| item).collect(),
            next,
        })
    }
}

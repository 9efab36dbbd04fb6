//! Timers on one machine: kept in the SQLite database and fired by the local
//! runtime when due (by the wall clock, or when `/_dev/clock` moves the manual one).

use crate::exec;
use crate::store::SqliteStore;
use async_trait::async_trait;
use balcao_app::ports::{StoreError, Timer, TimerError, Timers};
use jiff::Timestamp;
use rusqlite::params;

fn unavailable(e: impl std::fmt::Display) -> TimerError {
    TimerError::Unavailable(e.to_string())
}

impl SqliteStore {
    /// Timers due at `now`, earliest first.
    pub async fn due_timers(&self, now: Timestamp, limit: usize) -> Result<Vec<Timer>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM timers WHERE due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2",
                )
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let rows = stmt
                .query_map(params![now.as_millisecond(), limit], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            rows.map(|r| {
                let body = r.map_err(|e| StoreError::Unavailable(e.to_string()))?;
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
        })
        .await
    }

    /// A timer that fired is gone, as Scheduler deletes a completed schedule.
    pub async fn timer_fired(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            exec(c, "DELETE FROM timers WHERE id = ?1", params![id])
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Timers for SqliteStore {
    async fn schedule(&self, timer: &Timer) -> Result<(), TimerError> {
        let body = serde_json::to_string(timer).map_err(unavailable)?;
        let (id, due) = (timer.id.clone(), timer.due.as_millisecond());
        self.with(move |c| {
            exec(
                c,
                "INSERT INTO timers (id, due_ms, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET due_ms = ?2, body = ?3",
                params![id, due, body],
            )
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            Ok(())
        })
        .await
        .map_err(unavailable)
    }

    async fn cancel(&self, id: &str) -> Result<(), TimerError> {
        self.timer_fired(id).await.map_err(unavailable)
    }
}

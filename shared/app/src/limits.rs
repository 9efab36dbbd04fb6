//! Abuse limits (safe in public): no one is bombed through an office. Each limit
//! is a counter with an expiry on a key that spreads (one citizen, one protocol
//! number), never one shared item, written by one conditional write.

use crate::ports::StoreError;
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

/// What a limited key answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Full until then.
    Limited {
        until: Timestamp,
    },
}

/// Counters with an expiry: DynamoDB items with TTL, SQLite rows.
#[async_trait]
pub trait Limits: Send + Sync {
    /// Counts `member` in the current window of `key`, unless `max` other members
    /// are already counted there; a member counted before is admitted again (a
    /// retry of the same submission is not a new one). A window starts at its
    /// first member and lasts `window`.
    async fn admit(
        &self,
        key: &str,
        member: &str,
        max: u32,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Admission, StoreError>;

    /// How many members the live window of `key` holds, and when it ends.
    async fn count(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<(u32, Timestamp)>, StoreError>;
}

/// One limit: how many within how long.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: SignedDuration,
}

/// New requests per citizen email, across offices.
pub const NEW_REQUESTS: Limit = Limit {
    max: 5,
    window: SignedDuration::from_hours(1),
};

/// Wrong CPFs (or unknown numbers) per protocol number of an office.
pub const PROTOCOL_MISSES: Limit = Limit {
    max: 5,
    window: SignedDuration::from_hours(1),
};

/// Office notices about citizen messages on one ticket: at most one per this long.
pub const NOTICE_EVERY: SignedDuration = SignedDuration::from_mins(10);

pub fn new_requests_key(citizen: &balcao_core::CitizenKey) -> String {
    format!("open#{}", citizen.as_str())
}

pub fn protocol_key(office: &balcao_core::OfficeId, protocol: &str) -> String {
    format!("protocol#{office}#{protocol}")
}

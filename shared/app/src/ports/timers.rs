//! One-time timers (SPEC P1).

use async_trait::async_trait;
use balcao_core::RequestId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a timer does when it fires (SPEC P1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// The office did not start within the service's start window (SPEC C12).
    StartWindow,
    /// The day before an appointment (SPEC C9).
    Reminder,
    /// Before the start window ends, the office is warned (SPEC S10).
    BreachWarning,
    /// Before the reply window ends, the office is warned (SPEC S9, S10).
    ReplyWarning,
    /// Citizen messages held back by the coalescing window reach the office in one email.
    OfficeNotice,
}

/// A one-time timer. The id is derived from what it is for, so scheduling it
/// twice is harmless and cancelling needs nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub id: String,
    pub kind: TimerKind,
    pub request: RequestId,
    pub due: Timestamp,
    /// The office's IANA zone: schedules are written in local time.
    pub timezone: String,
    /// The appointment's version a reminder is for: a changed appointment's
    /// old reminder finds a newer one and does nothing.
    #[serde(default)]
    pub sequence: u32,
}

impl Timer {
    pub fn start_window(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("expire-{request}"),
            kind: TimerKind::StartWindow,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn breach_warning(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("warn-{request}"),
            kind: TimerKind::BreachWarning,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn reply_warning(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("reply-{request}"),
            kind: TimerKind::ReplyWarning,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    /// One per coalescing window: messages of the same window share it.
    pub fn office_notice(request: RequestId, due: Timestamp, timezone: &str) -> Self {
        Self {
            id: format!("notice-{request}-{}", due.as_millisecond()),
            kind: TimerKind::OfficeNotice,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence: 0,
        }
    }

    pub fn reminder(request: RequestId, due: Timestamp, timezone: &str, sequence: u32) -> Self {
        Self {
            id: format!("remind-{request}"),
            kind: TimerKind::Reminder,
            request,
            due,
            timezone: timezone.to_owned(),
            sequence,
        }
    }
}

#[derive(Debug, Error)]
pub enum TimerError {
    #[error("agendador indisponível: {0}")]
    Unavailable(String),
}

/// One-time timers: EventBridge Scheduler on AWS, a table the runtime polls locally.
/// Handlers must tolerate a timer firing late, twice or after it stopped applying.
#[async_trait]
pub trait Timers: Send + Sync {
    /// Schedules the timer; the same id again is harmless.
    async fn schedule(&self, timer: &Timer) -> Result<(), TimerError>;
    /// Cancels it; an unknown or already fired id is harmless.
    async fn cancel(&self, id: &str) -> Result<(), TimerError>;
}

//! The ports: what use cases need from the outside world, in the domain's words.
//! The store is split by role; an adapter implements them all, and each use
//! case (and the courier) holds only the roles it needs.

mod access;
mod files;
mod offices;
pub mod order;
mod outbox;
mod paging;
mod publications;
mod staff_auth;
mod tickets;
mod timers;

pub use access::{AccessLink, AccessLinks};
pub use files::{
    BlobError, BlobHead, Blobs, DownloadLink, FILE_NAME_VARIABLE, UploadForm, UploadPolicy,
};
pub use offices::Offices;
pub use outbox::{MailAttachment, MailError, MailId, Mailer, Outbox, OutboxMail};
pub use paging::{Page, PageRequest, PageSize, Position};
pub use publications::{Publications, PublishedProtocol};
pub use staff_auth::{AuthError, Session, StaffAuth};
pub use tickets::{
    Change, Compose, IdempotencyRecord, NewTicket, Opened, QueueQuery, Reports, SlotClaim,
    TakeCompose, Ticket, Tickets,
};
pub use timers::{Timer, TimerError, TimerKind, Timers};

use jiff::Timestamp;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("armazenamento indisponível: {0}")]
    Unavailable(String),
    #[error("dado armazenado ilegível: {0}")]
    Corrupt(String),
    #[error("muitas gravações simultâneas; tente de novo")]
    Contention,
}

/// Every role of the store, for adapters and for wiring them up.
pub trait Store: Offices + Tickets + Reports + AccessLinks + Publications + Outbox {}

impl<T: Offices + Tickets + Reports + AccessLinks + Publications + Outbox> Store for T {}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

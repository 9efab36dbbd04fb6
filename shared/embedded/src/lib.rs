//! Balcão on one machine: a SQLite store, files in a directory behind signed
//! URLs, a mailbox kept in the same database, and a clock that can be moved by hand.

mod blobs;
mod clock;
pub mod key_file;
mod limits;
mod mailbox;
mod schema;
mod store;
mod timers;

pub use blobs::{LocalBlobError, LocalBlobs, LocalDownload};
pub use clock::ManualClock;
pub use mailbox::{LocalMailbox, MailboxEntry};
pub use store::SqliteStore;

//! Balcão on one machine: a SQLite store, a mailbox kept in the same database,
//! and a clock that can be moved by hand.

mod clock;
mod mailbox;
mod schema;
mod store;

pub use clock::ManualClock;
pub use mailbox::{LocalMailbox, MailboxEntry};
pub use store::SqliteStore;

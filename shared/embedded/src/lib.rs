//! Balcão on one machine: a SQLite store, files in a directory behind signed
//! URLs, a mailbox kept in the same database, and a clock that can be moved by hand.

mod blobs;
mod clock;
mod demo_sessions;
pub mod key_file;
mod limits;
mod mailbox;
mod schema;
mod store;
mod timers;

pub use blobs::{Accepted, LocalBlobError, LocalBlobs, LocalDownload};
pub use clock::ManualClock;
pub use demo_sessions::{DemoSessions, LOGIN_PAGE};
pub use mailbox::{LocalMailbox, MailboxEntry};
pub use store::SqliteStore;

/// Runs one statement, prepared once per connection and kept: the same few
/// statements run for every ticket, and preparing them was a measurable share
/// of each (`./scripts/bench`, section 4).
pub(crate) fn exec<P: rusqlite::Params>(
    c: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    c.prepare_cached(sql)?.execute(params)
}

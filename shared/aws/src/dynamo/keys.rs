//! Every key of the table in one place: partition keys, sort keys and the
//! index keys written beside them. The sort keys of lists come from
//! [`balcao_app::ports::order`], shared with the SQLite store.
//!
//! | item | PK / SK | index keys |
//! |---|---|---|
//! | office | `OFFICE#<id>` / `PROFILE` | GSI1 `OFFICES#<uf>` / `<city>#<name>#<id>` (projects `listing` only) |
//! | UF's cities | `OFFICES#<uf>` / `CITIES` | |
//! | ticket counter, slot, review, protocol | `OFFICE#<id>` / `COUNTER`, `SLOT#<when>`, `REVIEW#<request>`, `PROTOCOL#<key>` | |
//! | request | `REQ#<ulid>` / `META` | GSI1 `RETAIN` / `<erase on>#<id>` while closed and not erased (keys only); GSI2 `QUEUE#<office>#<open\|closed>` / queue key; GSI3 `CIT#<citizen>` / `<created>#<id>` until erased; GSI4 `POOL#<uf>` while released, `RATED#<office>` once rated |
//! | history event | `REQ#<ulid>` / `EV#<seq>` | |
//! | search term | `FIND#<office>#<term>` / `<created>#<id>` | |
//! | an office's day (report counters) | `OFFICE#<id>` / `DAY#<yyyy-mm-dd>` | |
//! | idempotency record | `IDEM#<key hash>` / `IDEM` | (TTL) |
//! | outbox mail | `MAIL#<ulid>` / `MAIL` | GSI1 `OUTBOX#<shard>` / `<due ms>#<id>` while unsent (keys only) |
//! | suppressed address | `SUPPRESS#<keyed hash>` / `SUPPRESS` | |
//! | access link, throttle | `ACCESS#<hash>` / `ACCESS`, `CIT#<citizen>` / `THROTTLE` | (TTL) |
//! | abuse limit | `LIMIT#<key>` / `LIMIT` | (TTL) |

use super::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use balcao_app::ports::MailId;
use balcao_app::ports::order::Shelf;
use balcao_core::{OfficeId, RequestId, Uf};
use jiff::Timestamp;
use std::collections::HashMap;

/// The office directory and the outbox's retry index: items project only
/// the small `listing` attribute (mail items none), so the index stays tiny.
pub const DIRECTORY_AND_OUTBOX: &str = "GSI1";
pub const QUEUE: &str = "GSI2";
pub const CITIZEN: &str = "GSI3";
/// Closed requests by the day their retention ends: request items project no
/// `listing`, so GSI1 holds only their keys.
pub const RETENTION: &str = DIRECTORY_AND_OUTBOX;
/// One partition: about two index writes per request in its whole life, and
/// the daily sweep reads its front.
pub const RETAINED: &str = "RETAIN";
/// Sparse: the UF's pool and each office's rated requests.
pub const LISTS: &str = "GSI4";

/// The outbox index is spread over this many partitions so that no one key
/// takes every mail's writes (issue 12: ~640 index writes a second at the
/// national peak, ~20 per shard).
pub const OUTBOX_SHARDS: u32 = 32;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

pub fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn office(id: &OfficeId) -> String {
    format!("OFFICE#{id}")
}

pub fn request(id: RequestId) -> String {
    format!("REQ#{id}")
}

/// An address no mail goes to (its keyed hash), after a bounce or complaint.
pub fn suppressed(address: &str) -> String {
    format!("SUPPRESS#{address}")
}

pub fn mail(id: MailId) -> String {
    format!("MAIL#{id}")
}

pub fn directory(uf: Uf) -> String {
    format!("OFFICES#{uf}")
}

pub fn queue(office: &OfficeId, shelf: Shelf) -> String {
    format!("QUEUE#{office}#{}", shelf.key())
}

pub fn pool(uf: Uf) -> String {
    format!("POOL#{uf}")
}

pub fn rated(office: &OfficeId) -> String {
    format!("RATED#{office}")
}

/// Retention sort key: ISO dates sort as strings.
pub fn erase_on(day: jiff::civil::Date, id: RequestId) -> String {
    format!("{day}#{id}")
}

/// Every request due on `day` or before sorts before this.
pub fn erase_by(day: jiff::civil::Date) -> String {
    format!("{day}~")
}

pub fn citizen(citizen: &str) -> String {
    format!("CIT#{citizen}")
}

pub fn idempotency(key_hash: &str) -> String {
    format!("IDEM#{key_hash}")
}

pub fn access_link(token_hash: &str) -> String {
    format!("ACCESS#{token_hash}")
}

pub fn limit(key: &str) -> String {
    format!("LIMIT#{key}")
}

/// Sort keys under `OFFICE#<id>`: a booked slot, a review, a protocol.
pub fn slot(when: impl std::fmt::Display) -> String {
    format!("SLOT#{when}")
}

pub fn review(request: RequestId) -> String {
    format!("REVIEW#{request}")
}

pub fn protocol(key: &str) -> String {
    format!("PROTOCOL#{key}")
}

/// The mail's shard, from the random part of its id.
pub fn outbox_shard(id: MailId) -> String {
    outbox_partition((id.0.random() % u128::from(OUTBOX_SHARDS)) as u32)
}

pub fn outbox_partition(shard: u32) -> String {
    format!("OUTBOX#{shard:02}")
}

/// Outbox sort key: zero-padded so string order is time order.
pub fn due(at: Timestamp, id: MailId) -> String {
    format!("{:015}#{id}", millis(at).max(0))
}

/// Everything due by `now` sorts before this.
pub fn due_by(now: Timestamp) -> String {
    format!("{:015}~", millis(now).max(0))
}

/// The requests of `office` a search term finds (issue 15).
pub fn search_term(office: &OfficeId, term: &str) -> String {
    format!("FIND#{office}#{term}")
}

/// An office's day of counters (issue 15): ISO dates sort as strings.
pub const DAY_PREFIX: &str = "DAY#";
/// Counter attributes of a day item start with this.
pub const COUNT: &str = "n.";
/// A day item's list of business minutes to each first reply.
pub const FIRST_REPLIES: &str = "first_replies";

pub fn day(d: jiff::civil::Date) -> String {
    format!("{DAY_PREFIX}{d}")
}

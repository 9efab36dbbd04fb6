//! Requests: opening one, reading a ticket, the lists staff work from, and
//! every later change as one conditional write.

use super::{OutboxMail, Page, PageRequest, StoreError, order::Shelf};
use async_trait::async_trait;
use balcao_core::erasure::Erased;
use balcao_core::report::{DayCounts, Tally};
use balcao_core::{Event, OfficeId, Request, RequestId, SlotKey, Status, TicketNumber, Uf};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A ticket page: the request and its history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub request: Request,
    pub events: Vec<Event>,
}

/// What one submission remembers so that a retry opens nothing new. Only hashes
/// of the key are kept; the ticket secret is sealed with a pad derived from the
/// key, so only someone holding the key can read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub key_hash: String,
    pub office_id: OfficeId,
    pub request_id: RequestId,
    pub number: TicketNumber,
    pub sealed_token: String,
    pub fingerprint: String,
    pub expires_at: Timestamp,
}

/// One change to a request: the request as it becomes, the history entry that
/// says why, and the emails it causes. Applied only if the stored version is
/// still `expected_version` (one conditional write).
#[derive(Debug, Clone)]
pub struct Change {
    pub request: Request,
    pub expected_version: u64,
    pub event: Event,
    pub mails: Vec<OutboxMail>,
    /// A booked slot of the request's office given back in the same write (SPEC C4).
    pub give_back: Option<SlotKey>,
    /// What the change adds to its office's day, in the same write (issue 15).
    pub tally: Option<Tally>,
}

/// Everything written when a ticket opens, in one transaction.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub request: Request,
    pub event: Event,
    /// The citizen's confirmation first, then any notice to the office.
    pub mails: Vec<OutboxMail>,
    pub idempotency: Option<IdempotencyRecord>,
    /// The booked slot, taken in the same write only while fewer than
    /// `capacity` requests hold it (SPEC C4).
    pub slot: Option<SlotClaim>,
    /// The opening counted on its office's day, in the same write (issue 15).
    pub tally: Option<Tally>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotClaim {
    pub key: SlotKey,
    pub capacity: u32,
}

#[derive(Debug, Clone)]
pub enum Opened {
    Created(Box<Request>),
    /// The idempotency key was used before: here is what it opened.
    Replayed(IdempotencyRecord),
    /// The slot was full: nothing was written.
    SlotFull,
}

/// Builds a taken request's change once the store has given it the taking
/// office's next number.
pub type TakeCompose<'a> = dyn Fn(TicketNumber) -> Change + Send + Sync + 'a;

/// Builds the ticket once the store has given it its number. Called again if the
/// store must retry with another number.
pub type Compose<'a> = dyn Fn(TicketNumber) -> NewTicket + Send + Sync + 'a;

/// Which of an office's requests the queue shows. The shelf is read by key;
/// the other filters are applied by the store to what the page reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    pub shelf: Shelf,
    pub status: Option<Status>,
    pub service: Option<String>,
    pub sector: Option<String>,
    /// Opened in `[from, to)`.
    pub opened: Option<(Timestamp, Timestamp)>,
    pub priority: Option<bool>,
    /// Only requests with this attendant (`Some(id)`), or with nobody (`None`).
    pub assignee: Option<Option<String>>,
}

#[async_trait]
pub trait Tickets: Send + Sync {
    /// Allocates the office's next number and writes request, first event,
    /// outbox mail and idempotency record atomically; or returns the record of
    /// an earlier submission with the same key.
    async fn open_request(
        &self,
        office: &OfficeId,
        compose: &Compose<'_>,
    ) -> Result<Opened, StoreError>;

    /// The live record of an earlier submission with this key, if any.
    async fn idempotency(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    async fn get_ticket(&self, id: RequestId) -> Result<Option<Ticket>, StoreError>;

    /// How many requests hold each slot of the office from `from` to `to`
    /// (inclusive dates); slots nobody holds may be missing.
    async fn taken_slots(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<HashMap<SlotKey, u32>, StoreError>;

    /// A citizen's latest requests across offices, newest first.
    async fn citizen_requests(
        &self,
        citizen: &str,
        limit: usize,
    ) -> Result<Vec<Request>, StoreError>;

    /// Moves a released request to `office` under that office's next number, in
    /// one atomic write that holds only if the request is still at the version
    /// the change expects; `false` (nothing written) when another office took it.
    async fn take_request(
        &self,
        office: &OfficeId,
        compose: &TakeCompose<'_>,
    ) -> Result<bool, StoreError>;

    /// Writes the change atomically; `false` (and nothing written) when the
    /// request moved on since it was read.
    async fn apply_change(&self, change: &Change) -> Result<bool, StoreError>;
    /// One page of the office's queue (SPEC S2) in [`super::order::queue_key`]
    /// order. A page may hold fewer than asked when filters drop some of what
    /// it read; `next` says whether there is more.
    async fn office_queue(
        &self,
        office: &OfficeId,
        query: &QueueQuery,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError>;

    /// One page of the office's requests, in every status, that a search term
    /// of [`balcao_core::search::terms`] finds, newest first (issue 15). Read
    /// by the term: never more than the page asked.
    async fn search(
        &self,
        office: &OfficeId,
        term: &str,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError>;

    /// One page of the office's rated requests, newest rating first (SPEC S7).
    async fn office_ratings(
        &self,
        office: &OfficeId,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError>;

    /// One page of the released requests of one UF (SPEC S8), oldest first.
    async fn pool(&self, uf: Uf, page: &PageRequest) -> Result<Page<Request>, StoreError>;

    /// Writes a request erased of its citizen's data (LGPD): every earlier
    /// history entry replaced by its redacted form, the erasure's entry added,
    /// the request written over the version before it. The entries may be
    /// rewritten in several writes before the request's (a long history does
    /// not fit in one); repeating all of it is harmless. `mails` are written
    /// with the request. `false`, with the request unchanged, when it moved
    /// on since it was read.
    async fn erase_request(
        &self,
        erased: &Erased,
        mails: &[OutboxMail],
    ) -> Result<bool, StoreError>;

    /// Up to `limit` closed requests whose retention ended on or before `day`
    /// (their `erase_on`), by that day.
    async fn due_for_erasure(&self, day: Date, limit: usize) -> Result<Vec<RequestId>, StoreError>;
}

/// Each office's days as their changes counted them (issue 15).
#[async_trait]
pub trait Reports: Send + Sync {
    /// The office's counted days in `[from, to]` (days with nothing are absent).
    async fn office_days(
        &self,
        office: &OfficeId,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayCounts>, StoreError>;

    /// One page of the office's requests opened in `[from, to)`, oldest first
    /// (the export): a ranged read of the [`balcao_core::search::EVERY`] term,
    /// never more than the page asked.
    async fn opened_between(
        &self,
        office: &OfficeId,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        page: &PageRequest,
    ) -> Result<Page<Request>, StoreError>;
}

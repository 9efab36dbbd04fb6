//! "Meus dados" (LGPD art. 18): by an emailed link, a citizen sees what
//! Balcão holds about their address in every office, downloads all of it, or
//! has it erased. Closed requests are erased by themselves when the office's
//! retention ends (art. 15–16): [`sweep`].
//!
//! A "meus dados" link is an access link like "minhas solicitações", stored
//! under a hash of its own kind, so a link to see one's requests cannot erase
//! them. It works while the address has requests: after an erasure it, and
//! every other link of the address, answers as not found.

use crate::attachments::{file_key, signed_url};
use crate::citizen_actions::{CitizenAction, act_on};
use crate::my_requests::{LinkKind, link_citizen, send_link};
use crate::ports::{OutboxMail, Ticket, Timer};
use crate::secrets::{address_key, sha256_hex};
use crate::{App, AppError, emails};
use balcao_core::RequestId;
use balcao_core::erasure::{self, ErasureReason};
use jiff::Timestamp;
use std::collections::HashMap;
use ulid::Ulid;

/// Most requests read for one address: far more than a person opens.
const MOST: usize = 500;
const NOT_FOUND: AppError = AppError::NotFound("link (peça um novo)");
/// Requests erased by one sweep before it stops (the next one goes on).
pub const SWEEP_BATCH: usize = 100;

/// "Meus dados": stored under a hash of its own kind, throttled apart.
const DATA: LinkKind = LinkKind {
    path: "/my-data",
    hash: |secret| sha256_hex(format!("my-data:{}", secret.hash()).as_bytes()),
    letter: emails::my_data,
    throttle: |citizen| format!("{citizen}#data"),
};

/// Emails a link if the address has requests; silent otherwise, and the
/// answer is the same either way.
pub async fn request_link(app: &App, email: &str) -> Result<(), AppError> {
    send_link(app, email, &DATA).await
}

/// The citizen key behind a live "meus dados" link.
async fn citizen_for(app: &App, token: &str) -> Result<String, AppError> {
    link_citizen(app, token, &DATA).await?.ok_or(NOT_FOUND)
}

/// Every request of the citizen with its history, newest first.
async fn tickets_of(app: &App, citizen: &str) -> Result<Vec<Ticket>, AppError> {
    let mut tickets = Vec::new();
    for r in app.tickets.citizen_requests(citizen, MOST).await? {
        if let Some(t) = app.tickets.get_ticket(r.id).await? {
            tickets.push(t);
        }
    }
    Ok(tickets)
}

/// What Balcão holds about the link's address: every request with its whole
/// history. Not found once nothing is held (after an erasure).
pub async fn holdings(app: &App, token: &str) -> Result<Vec<Ticket>, AppError> {
    let citizen = citizen_for(app, token).await?;
    let tickets = tickets_of(app, &citizen).await?;
    if tickets.is_empty() {
        return Err(NOT_FOUND);
    }
    Ok(tickets)
}

/// A file of the citizen's requests, with a link that works for five minutes.
#[derive(Debug, Clone)]
pub struct FileLink {
    pub request: RequestId,
    pub file: Ulid,
    pub url: String,
}

/// A download link for every file of these requests, for the export.
pub async fn file_links(app: &App, tickets: &[Ticket]) -> Result<Vec<FileLink>, AppError> {
    let mut links = Vec::new();
    for t in tickets {
        for a in t.events.iter().flat_map(|e| &e.attachments) {
            links.push(FileLink {
                request: t.request.id,
                file: a.id,
                url: signed_url(app, t.request.id, a).await?,
            });
        }
    }
    Ok(links)
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErasureReport {
    /// Open requests cancelled first.
    pub cancelled: usize,
    pub erased: usize,
}

/// Erases everything the link's address holds: open requests are cancelled
/// first (the office is told, a booked slot is given back, timers stop), then
/// every request loses its personal data and files, and one last email
/// confirms it. Asking again, or a retry after a failure half-way, erases
/// only what is left; with nothing left it changes nothing.
pub async fn erase(app: &App, token: &str) -> Result<ErasureReport, AppError> {
    let citizen = citizen_for(app, token).await?;
    let mut report = ErasureReport::default();
    let tickets = tickets_of(app, &citizen).await?;
    let Some(address) = tickets
        .iter()
        .find_map(|t| t.request.citizen_email().cloned())
    else {
        return Ok(report);
    };
    let offices: Vec<String> = {
        let mut names: Vec<String> = tickets
            .iter()
            .map(|t| t.request.office.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    let count = tickets.len();
    for (i, t) in tickets.into_iter().enumerate() {
        let t = if t.request.status.is_closed() {
            t
        } else {
            report.cancelled += 1;
            let id = t.request.id;
            let t = act_on(app, t, CitizenAction::Cancel, Ulid::generate()).await?;
            cancel_timers(app, id).await;
            t
        };
        // The confirmation goes out with the last write, so it is sent once.
        let last = i + 1 == count;
        let mails = if last {
            let letter = emails::data_erased(count, offices.clone());
            vec![OutboxMail::new(
                address.clone(),
                letter,
                None,
                app.clock.now(),
            )]
        } else {
            vec![]
        };
        if erase_one(app, t, ErasureReason::Requested, &mails).await? {
            report.erased += 1;
        }
    }
    // The address's bounce record is about the person too.
    let key = address_key(app.keys.get().await?, &address);
    app.outbox.unsuppress(&key).await?;
    tracing::info!(to = %address.masked(), erased = report.erased, "personal data erased on request");
    Ok(report)
}

/// Timers of a request that are known by their id; the others find it closed.
async fn cancel_timers(app: &App, id: RequestId) {
    let t = Timestamp::UNIX_EPOCH;
    let ids = [
        Timer::start_window(id, t, "").id,
        Timer::breach_warning(id, t, "").id,
        Timer::reply_warning(id, t, "").id,
        Timer::reminder(id, t, "", 0).id,
    ];
    for timer in ids {
        if let Err(e) = app.timers.cancel(&timer).await {
            tracing::warn!(error = %e, request = %id, "timer not cancelled before erasure");
        }
    }
}

/// Erases one request: its files from storage first (a retry deletes them
/// again harmlessly), then its data in one write over the version read.
/// `false` when it was erased already.
async fn erase_one(
    app: &App,
    mut t: Ticket,
    reason: ErasureReason,
    mails: &[OutboxMail],
) -> Result<bool, AppError> {
    for _ in 0..3 {
        let now = app.clock.now();
        let Some(erased) = erasure::erase(&t.request, &t.events, reason, Ulid::generate(), now)
        else {
            return Ok(false);
        };
        for a in t.events.iter().flat_map(|e| &e.attachments) {
            app.blobs.delete(&file_key(t.request.id, a.id)).await?;
        }
        if app.tickets.erase_request(&erased, mails).await? {
            metrics::counter!("Erasures", "Reason" => reason_label(reason)).increment(1);
            return Ok(true);
        }
        t = app
            .tickets
            .get_ticket(t.request.id)
            .await?
            .ok_or(AppError::NotFound("solicitação"))?;
    }
    Err(AppError::Conflict)
}

fn reason_label(reason: ErasureReason) -> &'static str {
    match reason {
        ErasureReason::Requested => "requested",
        ErasureReason::RetentionEnded { .. } => "retention",
    }
}

/// Erases the closed requests whose retention ended, up to [`SWEEP_BATCH`];
/// returns how many. Each is checked against its office's own date (the
/// index is read by the UTC date, hours ahead of Brazil's), so none goes a
/// day early; one that fails is left for the next sweep.
pub async fn sweep(app: &App) -> Result<usize, AppError> {
    let now = app.clock.now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut retention: HashMap<String, u32> = HashMap::new();
    let mut erased = 0;
    for id in app.tickets.due_for_erasure(today, SWEEP_BATCH).await? {
        let Some(t) = app.tickets.get_ticket(id).await? else {
            continue;
        };
        let r = &t.request;
        let tz = r.office.time_zone();
        let due = r.erase_on.is_some_and(|d| d <= now.to_zoned(tz).date());
        if !due || !r.status.is_closed() {
            continue;
        }
        let office = r.office.id.to_string();
        let days = match retention.get(&office) {
            Some(d) => *d,
            None => {
                let o = app.offices.get_office(&r.office.id).await?;
                let d = o.map(|o| o.retention).unwrap_or_default().days();
                retention.insert(office, d);
                d
            }
        };
        match erase_one(app, t, ErasureReason::RetentionEnded { days }, &[]).await {
            Ok(true) => erased += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, request = %id, "retention erasure failed"),
        }
    }
    if erased > 0 {
        tracing::info!(erased, "requests erased at the end of their retention");
    }
    Ok(erased)
}

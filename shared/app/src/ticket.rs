//! Reading a ticket with the secret from an email link (SPEC C7), and the one
//! way every action changes a request.

use crate::ports::{Change, Ticket, Timer};
use crate::secrets::token_matches;
use crate::{App, AppError};
use balcao_core::{Author, EventKind, Request, RequestId};
use jiff::Timestamp;
use std::str::FromStr;
use ulid::Ulid;

const NOT_FOUND: AppError = AppError::NotFound("solicitação");

/// Attempts before two people acting at once becomes a conflict for this caller.
const ATTEMPTS: usize = 3;

/// A wrong or missing secret answers exactly like an unknown id.
pub async fn read(app: &App, id: &str, token: Option<&str>) -> Result<Ticket, AppError> {
    let id = RequestId::parse(id).ok_or(NOT_FOUND)?;
    let token = token.ok_or(NOT_FOUND)?;
    let ticket = app.tickets.get_ticket(id).await?.ok_or(NOT_FOUND)?;
    // Check every hash, so timing does not tell which secret matched.
    let matched = ticket
        .request
        .token_hashes
        .iter()
        .fold(false, |ok, h| token_matches(token, h) | ok);
    if matched {
        return Ok(ticket);
    }
    // A live "my requests" link opens every ticket of its citizen (SPEC C10).
    let owner = &ticket.request.citizen_key;
    match crate::my_requests::citizen_for(app, token).await? {
        Some(citizen) if !owner.0.is_empty() && citizen == owner.0 => Ok(ticket),
        _ => Err(NOT_FOUND),
    }
}

/// A client-chosen id for the action (a ULID from the form), so a double
/// submission records one message.
pub fn parse_action_key(key: Option<&str>) -> Result<Ulid, AppError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(Ulid::generate()),
        Some(k) => Ulid::from_str(k)
            .map_err(|_| AppError::invalid("action_key", "identificador de envio inválido")),
    }
}

/// True when the action with this key is already in the history: a retry, which
/// answers the ticket as it is without checking anything again.
pub fn done_before(t: &Ticket, key: Ulid) -> bool {
    t.events.iter().any(|e| e.id == key)
}

/// Reads the ticket, checks the caller may act on it, builds the change, lets
/// the request settle what it must (its slot, its reply clock) and writes it
/// all conditionally; re-reads and rebuilds if someone else wrote first.
/// An action whose `key` is already in the history was done before: it answers
/// the ticket as it is.
pub async fn change(
    app: &App,
    id: RequestId,
    key: Ulid,
    // The ticket as the caller already read it, saving the first read.
    mut first: Option<Ticket>,
    allowed: impl Fn(&Ticket) -> Result<(), AppError>,
    build: impl Fn(&Ticket, Timestamp) -> Result<Change, AppError>,
) -> Result<Ticket, AppError> {
    for _ in 0..ATTEMPTS {
        let t = match first.take() {
            Some(t) => t,
            None => app.tickets.get_ticket(id).await?.ok_or(NOT_FOUND)?,
        };
        allowed(&t)?;
        if let Some(done) = t.events.iter().find(|e| e.id == key) {
            // A citizen's message opens the office's reply window: its warning,
            // which the first call may have failed to set, is set again.
            if done.kind == EventKind::Message && matches!(done.author, Author::Citizen) {
                ensure_reply_warning(app, &t.request).await?;
            }
            return Ok(t);
        }
        let now = app.clock.now();
        let mut change = build(&t, now)?;
        crate::calendar_mail::cancel_if_ended(app, &t.request, &mut change, now);
        change.give_back = change.request.settle().or(change.give_back);
        if closes(&t.request, &change.request) {
            change.request.erase_on = Some(erase_on(app, &change.request, now).await?);
        }
        let tally = tally(app, &t, &change, now).await?;
        change.request.windows.add(&tally);
        change.tally = Some(tally);
        if app.tickets.apply_change(&change).await? {
            follow_reply_window(app, &t.request, &change.request).await?;
            // The uploads are spent; what failed to delete expires with the bucket's lifecycle.
            if let Err(e) = crate::attachments::consume(app, &change.event.attachments).await {
                tracing::warn!(error = %e, "uploads not deleted after attaching");
            }
            let mut t = t;
            t.request = change.request;
            t.events.push(change.event);
            return Ok(t);
        }
    }
    Err(AppError::Conflict)
}

/// What the change adds to its office's day (issue 15); the office's first
/// reply counts its business minutes since the opening.
async fn tally(
    app: &App,
    before: &Ticket,
    change: &Change,
    now: Timestamp,
) -> Result<balcao_core::report::Tally, AppError> {
    use balcao_core::report;
    let r = &change.request;
    let day = now.to_zoned(r.office.time_zone()).date();
    let minutes = if report::is_first_reply(&change.event, &before.events) {
        app.offices.get_office(&r.office.id).await?.map(|o| {
            balcao_core::calendar::BusinessCalendar::for_office(&o)
                .minutes_between(r.created_at, now)
        })
    } else {
        None
    };
    Ok(report::changed(
        &before.request,
        r,
        &change.event,
        now,
        day,
        minutes,
    ))
}

/// The change ends the office's work (or ends it again: released after
/// expiring, cancelled after release): retention counts from here.
fn closes(before: &Request, after: &Request) -> bool {
    after.status.is_closed() && after.status != before.status && after.erased_at.is_none()
}

/// The office's day on which a request closed `now` is erased, by the
/// office's retention (LGPD art. 15–16).
async fn erase_on(app: &App, r: &Request, now: Timestamp) -> Result<jiff::civil::Date, AppError> {
    let retention = app
        .offices
        .get_office(&r.office.id)
        .await?
        .map(|o| o.retention)
        .unwrap_or_default();
    Ok(retention.erase_on(now.to_zoned(r.office.time_zone()).date()))
}

/// Keeps the reply warning's timer in step with the written request: set when
/// a window opens, cancelled when it closes. After the write, so a window lost
/// to a lost race schedules nothing. A warning that could not be set fails the
/// call (the change stands): the caller's retry sets it (see
/// [`ensure_reply_warning`]). A failed cancel only leaves a stale timer, which
/// finds no window when it fires.
async fn follow_reply_window(app: &App, before: &Request, after: &Request) -> Result<(), AppError> {
    if before.reply_by == after.reply_by {
        return Ok(());
    }
    match after.reply_by.as_ref().and_then(|w| w.warn_at) {
        Some(_) => ensure_reply_warning(app, after).await,
        None => {
            let id = Timer::reply_warning(after.id, Timestamp::UNIX_EPOCH, "").id;
            if let Err(e) = app.timers.cancel(&id).await {
                tracing::warn!(error = %e, request = %after.id, "reply warning left to fire for nothing");
            }
            Ok(())
        }
    }
}

/// Sets the reply warning the request's open window asks for (setting it
/// again is harmless): a retry heals a warning its first call could not set.
pub async fn ensure_reply_warning(app: &App, r: &Request) -> Result<(), AppError> {
    let Some(due) = r.reply_by.as_ref().and_then(|w| w.warn_at) else {
        return Ok(());
    };
    if due <= app.clock.now() {
        return Ok(());
    }
    let timer = Timer::reply_warning(r.id, due, &r.office.timezone);
    app.timers.schedule(&timer).await.map_err(|e| {
        tracing::error!(error = %e, request = %r.id, "reply warning timer not set");
        AppError::TimerPending(e)
    })
}

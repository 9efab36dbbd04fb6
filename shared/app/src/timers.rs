//! What happens when a timer fires (SPEC P1, C12). Every handler checks that the
//! timer still applies and acts through one conditional write, so a timer that
//! fires late, twice, out of order or after it was cancelled changes nothing more.

use crate::emails;
use crate::ports::{Change, OutboxMail, Timer, TimerKind};
use crate::secrets::TicketSecret;
use crate::{App, AppError, open_request, ticket};
use balcao_core::{Action, Author, Event, EventKind, Status};
use ulid::Ulid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// The timer changed the request.
    Acted,
    /// It no longer applied (decided, cancelled, already expired, unknown request).
    Ignored,
}

pub async fn fire(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    match timer.kind {
        TimerKind::StartWindow => expire(app, timer).await,
        TimerKind::Reminder => remind(app, timer).await,
        TimerKind::BreachWarning => warn_office(app, timer).await,
    }
}

/// The start window and its warning, from `now` in the office's business time:
/// the warning when a third of the window is left (at least a minute).
pub fn start_window_timers(
    office: &balcao_core::Office,
    request: balcao_core::RequestId,
    minutes: u32,
    now: jiff::Timestamp,
) -> Option<(balcao_core::calendar::Deadline, Vec<Timer>)> {
    let calendar = balcao_core::calendar::BusinessCalendar::for_office(office);
    let deadline = calendar.add_minutes(now, i64::from(minutes))?;
    let mut timers = vec![Timer::start_window(request, deadline.at, &office.timezone)];
    let lead = (i64::from(minutes) / 3).max(1);
    if i64::from(minutes) > lead
        && let Some(w) = calendar.add_minutes(now, i64::from(minutes) - lead)
    {
        timers.push(Timer::breach_warning(request, w.at, &office.timezone));
    }
    Some((deadline, timers))
}

/// The office is told the start window is about to end, once, if still untouched.
async fn warn_office(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let Some(current) = app.store.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    let applies = |r: &balcao_core::Request| r.status == Status::Received && r.decided_at.is_none();
    let key = key_of(timer);
    if !applies(&current.request)
        || app.clock.now() < timer.due
        || ticket::done_before(&current, key)
    {
        return Ok(Fired::Ignored);
    }
    let result = ticket::change(app, timer.request, key, Some(current), |_| Ok(()), |t, now| {
        let r = &t.request;
        if !applies(r) {
            return Err(AppError::Refused("a solicitação já foi iniciada"));
        }
        let tz = jiff::tz::TimeZone::get(&r.office.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let until = r
            .start_by
            .as_ref()
            .map(|d| d.at.to_zoned(tz).strftime("%d/%m %H:%M").to_string())
            .unwrap_or_default();
        let mut n = r.clone();
        n.version = r.version + 1;
        n.updated_at = now;
        let text = format!("Aviso ao cartório: o prazo para iniciar o atendimento termina em {until}.");
        let letter = emails::office_notice(
            &n,
            &format!("Solicitação nº {}: o prazo para iniciar termina em {until}", r.number),
            "Se o atendimento não for iniciado (ou decidido) até lá, o cidadão poderá liberar a solicitação para outros cartórios da UF.",
        );
        let event = Event {
            id: key,
            seq: n.version,
            at: now,
            kind: EventKind::Notice,
            author: Author::System,
            text,
            status: None,
            attachments: vec![],
        };
        let mail = OutboxMail::new(r.office.email.clone(), letter, Some(r.id), now);
        Ok(Change { request: n, expected_version: r.version, event, mails: vec![mail] })
    })
    .await;
    match result {
        Ok(_) => Ok(Fired::Acted),
        Err(AppError::Refused(_) | AppError::NotAllowed(_)) => Ok(Fired::Ignored),
        Err(e) => Err(e),
    }
}

/// One key per timer and appointment version: a repeated delivery finds its entry.
fn key_of(timer: &Timer) -> Ulid {
    let salt = u128::from(timer.sequence) << 64;
    Ulid::from_parts(
        timer.due.as_millisecond().max(0) as u64,
        (u128::from(timer.request.0) ^ salt) & ((1 << 80) - 1),
    )
}

/// The day before the appointment, once, if it is still the same appointment.
async fn remind(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let Some(current) = app.store.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    let applies = |r: &balcao_core::Request| {
        r.status == Status::Scheduled
            && r.appointment
                .as_ref()
                .is_some_and(|a| a.sequence == timer.sequence)
    };
    let key = key_of(timer);
    if !applies(&current.request)
        || app.clock.now() < timer.due
        || ticket::done_before(&current, key)
    {
        return Ok(Fired::Ignored);
    }
    let result = ticket::change(
        app,
        timer.request,
        key,
        Some(current),
        |_| Ok(()),
        |t, now| {
            let r = &t.request;
            let Some(a) = r.appointment.as_ref().filter(|_| applies(r)) else {
                return Err(AppError::Refused("o agendamento mudou"));
            };
            let mut n = r.clone();
            n.version = r.version + 1;
            n.updated_at = now;
            let secret = TicketSecret::generate();
            n.add_secret_hash(secret.hash());
            let link = open_request::ticket_url(app, r.id, &secret.encode());
            let when = format!(
                "{} às {} (horário de {})",
                a.date.strftime("%d/%m/%Y"),
                a.time.strftime("%H:%M"),
                r.office.timezone
            );
            let place = match &a.meeting {
                Some(m) => m.label(),
                None => format!(
                    "Presencial: {}, {}/{}",
                    r.office.address,
                    r.office.city,
                    r.office.uf.code()
                ),
            };
            let letter = emails::ticket_update(
                &n,
                &link,
                format!(
                    "Lembrete: seu atendimento é amanhã – solicitação nº {}",
                    r.number
                ),
                "Seu atendimento é amanhã",
                &[when.clone(), place],
                &[],
            );
            let event = Event {
                id: key,
                seq: n.version,
                at: now,
                kind: EventKind::Appointment,
                author: Author::System,
                text: format!("Lembrete do atendimento de {when} enviado ao cidadão."),
                status: None,
                attachments: vec![],
            };
            let mail = OutboxMail::new(r.citizen.email.clone(), letter, Some(r.id), now);
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: vec![mail],
            })
        },
    )
    .await;
    match result {
        Ok(_) => Ok(Fired::Acted),
        Err(AppError::Refused(_) | AppError::NotAllowed(_)) => Ok(Fired::Ignored),
        Err(e) => Err(e),
    }
}

/// The office did not start in time: the request expires and the citizen may
/// release it to the other offices of the UF.
async fn expire(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let Some(current) = app.store.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    let applies = |r: &balcao_core::Request| r.status == Status::Received && r.decided_at.is_none();
    if !applies(&current.request) || app.clock.now() < timer.due {
        return Ok(Fired::Ignored);
    }
    // One key per timer: a duplicate delivery finds its own entry in the history.
    let key = key_of(timer);
    let result = ticket::change(app, timer.request, key, Some(current), |_| Ok(()), |t, now| {
        let r = &t.request;
        if !applies(r) {
            return Err(AppError::Refused("o prazo não se aplica mais"));
        }
        let mut n = r.clone();
        n.status = r.status.apply(Action::Expire)?;
        n.version = r.version + 1;
        n.updated_at = now;
        n.unread_replies += 1;
        let secret = TicketSecret::generate();
        n.add_secret_hash(secret.hash());
        let link = open_request::ticket_url(app, r.id, &secret.encode());
        let uf = r.office.uf.name();
        let letter = emails::ticket_update(
            &n,
            &link,
            format!("Solicitação nº {} expirou – você pode liberá-la", r.number),
            &format!("{} não iniciou o atendimento no prazo", r.office.name),
            &[format!(
                "Você pode liberar sua solicitação para outro cartório de {uf}: abra o link acima e escolha \"Liberar para outros cartórios\"."
            )],
            &[],
        );
        let event = Event {
            id: key,
            seq: n.version,
            at: now,
            kind: EventKind::StatusChanged,
            author: Author::System,
            text: "O prazo para o cartório iniciar o atendimento terminou.".into(),
            status: Some(n.status),
            attachments: vec![],
        };
        let mail = OutboxMail::new(r.citizen.email.clone(), letter, Some(r.id), now);
        Ok(Change { request: n, expected_version: r.version, event, mails: vec![mail] })
    })
    .await;
    match result {
        Ok(t) if t.request.status == Status::Expired => Ok(Fired::Acted),
        Ok(_) | Err(AppError::Refused(_) | AppError::NotAllowed(_)) => Ok(Fired::Ignored),
        Err(e) => Err(e),
    }
}

//! What happens when a timer fires (SPEC P1, C12). Every handler checks that the
//! timer still applies and acts through one conditional write, so a timer that
//! fires late, twice, out of order or after it was cancelled changes nothing more.

use crate::emails;
use crate::ports::{Change, OutboxMail, Ticket, Timer, TimerKind};
use crate::secrets::TicketSecret;
use crate::{App, AppError, open_request, ticket};
use balcao_core::calendar::{BusinessCalendar, Deadline};
use balcao_core::{Action, Author, Event, EventKind, Office, ReplyWindow, RequestId, Status};
use jiff::Timestamp;
use ulid::Ulid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// The timer changed the request.
    Acted,
    /// It no longer applied (decided, cancelled, already expired, unknown request).
    Ignored,
}

pub async fn fire(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let fired = match timer.kind {
        TimerKind::StartWindow => expire(app, timer).await,
        TimerKind::Reminder => remind(app, timer).await,
        TimerKind::BreachWarning => warn_office(app, timer, Window::Start).await,
        TimerKind::ReplyWarning => warn_office(app, timer, Window::Reply).await,
        TimerKind::OfficeNotice => notify_office(app, timer).await,
    }?;
    count(timer.kind, fired);
    Ok(fired)
}

/// Timers fired and ignored, and what the service levels saw (CloudWatch metrics on AWS).
fn count(kind: TimerKind, fired: Fired) {
    let label = format!("{kind:?}");
    if fired == Fired::Ignored {
        metrics::counter!("TimersIgnored", "Kind" => label).increment(1);
        return;
    }
    metrics::counter!("TimersFired", "Kind" => label).increment(1);
    match kind {
        TimerKind::StartWindow => metrics::counter!("Expiries").increment(1),
        TimerKind::BreachWarning => {
            metrics::counter!("ServiceLevelWarnings", "Window" => "start").increment(1)
        }
        TimerKind::ReplyWarning => {
            metrics::counter!("ServiceLevelWarnings", "Window" => "reply").increment(1)
        }
        TimerKind::Reminder | TimerKind::OfficeNotice => {}
    }
}

/// The citizen's messages since the office's last notice.
fn unnoticed(t: &Ticket) -> Vec<&Event> {
    let through = t.request.office_notice.map_or(0, |n| n.through);
    t.events
        .iter()
        .filter(|e| e.kind == EventKind::Message && e.author == Author::Citizen)
        .filter(|e| e.seq > through)
        .collect()
}

/// One notice for the messages held back by the coalescing window, while the
/// office has not answered them.
async fn notify_office(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let Some(current) = app.tickets.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    let key = key_of(timer);
    let applies = |t: &Ticket| t.request.awaiting_office && !unnoticed(t).is_empty();
    if !applies(&current) || app.clock.now() < timer.due || ticket::done_before(&current, key) {
        return Ok(Fired::Ignored);
    }
    let office = app.offices.get_office(&current.request.office.id).await?;
    if office.is_some_and(|o| !o.notifications.citizen_message) {
        return Ok(Fired::Ignored);
    }
    let result = ticket::change(
        app,
        timer.request,
        key,
        Some(current),
        |_| Ok(()),
        |t, now| {
            if !applies(t) {
                return Err(AppError::Refused("nada novo para avisar"));
            }
            let r = &t.request;
            let messages = unnoticed(t);
            let tz = r.office.time_zone();
            let body = messages
                .iter()
                .map(|e| {
                    let at = e.at.to_zoned(tz.clone()).strftime("%d/%m %H:%M");
                    let text = crate::attachments::with_listing(&e.text, &e.attachments);
                    format!("{at}: {text}")
                })
                .collect::<Vec<_>>()
                .join("\n\n");
            let subject = format!(
                "{} nova(s) mensagem(ns) na solicitação nº {}",
                messages.len(),
                r.number
            );
            let text = format!(
                "Cartório avisado de {} mensagem(ns) do cidadão.",
                messages.len()
            );
            let letter = |n: &balcao_core::Request| {
                emails::office_notice(n, &subject, &body, &app.config.public_base_url)
            };
            Ok(office_notice(r, key, now, letter, text, |n| {
                n.office_notice = Some(balcao_core::NoticeMark {
                    at: now,
                    through: n.version,
                });
            }))
        },
    )
    .await;
    outcome(result, |_| true)
}

/// The office is emailed, the history says so, nothing else changes but what
/// `mark` records; one entry keyed by the timer.
fn office_notice(
    r: &balcao_core::Request,
    key: Ulid,
    now: Timestamp,
    letter: impl FnOnce(&balcao_core::Request) -> emails::Letter,
    text: String,
    mark: impl FnOnce(&mut balcao_core::Request),
) -> Change {
    let mut n = r.clone();
    n.version = r.version + 1;
    n.updated_at = now;
    mark(&mut n);
    let letter = letter(&n);
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
    Change {
        request: n,
        expected_version: r.version,
        event,
        mails: vec![mail],
        give_back: None,
        tally: None,
    }
}

/// A window of `minutes` business minutes from `now`, and the moment a third
/// of it is left (at least a minute), when the office is warned.
fn window(office: &Office, minutes: u32, now: Timestamp) -> Option<(Deadline, Option<Timestamp>)> {
    let calendar = BusinessCalendar::for_office(office);
    let minutes = i64::from(minutes);
    let deadline = calendar.add_minutes(now, minutes)?;
    let lead = (minutes / 3).max(1);
    let warn = (minutes > lead)
        .then(|| calendar.add_minutes(now, minutes - lead))
        .flatten()
        .map(|d| d.at);
    Some((deadline, warn))
}

/// The start window and its warning (SPEC S9, C12).
pub fn start_window_timers(
    office: &Office,
    request: RequestId,
    minutes: u32,
    now: Timestamp,
) -> Option<(Deadline, Vec<Timer>)> {
    let (deadline, warn) = window(office, minutes, now)?;
    let mut timers = vec![Timer::start_window(request, deadline.at, &office.timezone)];
    timers.extend(warn.map(|w| Timer::breach_warning(request, w, &office.timezone)));
    Some((deadline, timers))
}

/// The reply window (SPEC S9: 24 business hours at the virtual counter) from a
/// citizen's message; its warning's timer is `Timer::reply_warning` at `warn_at`.
pub fn reply_window(office: &Office, hours: u32, now: Timestamp) -> Option<ReplyWindow> {
    let (deadline, warn_at) = window(office, hours.saturating_mul(60), now)?;
    Some(ReplyWindow { deadline, warn_at })
}

/// Which window a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    Start,
    Reply,
}

impl Window {
    /// The deadline the timer warns of, while it still applies.
    fn deadline(self, r: &balcao_core::Request, timer: &Timer) -> Option<Timestamp> {
        match self {
            Self::Start => r
                .start_by
                .as_ref()
                .filter(|_| r.status == Status::Received && r.decided_at.is_none())
                .map(|d| d.at),
            // A warning of an earlier window (the office answered since) finds another time.
            Self::Reply => r
                .reply_by
                .as_ref()
                .filter(|w| r.awaiting_office && w.warn_at == Some(timer.due))
                .map(|w| w.deadline.at),
        }
    }

    fn texts(
        self,
        number: balcao_core::TicketNumber,
        until: &str,
    ) -> (String, String, &'static str) {
        match self {
            Self::Start => (
                format!(
                    "Aviso ao cartório: o prazo para iniciar o atendimento termina em {until}."
                ),
                format!("Solicitação nº {number}: o prazo para iniciar termina em {until}"),
                "Se o atendimento não for iniciado (ou decidido) até lá, o cidadão poderá liberar a solicitação para outros cartórios da UF.",
            ),
            Self::Reply => (
                format!("Aviso ao cartório: o prazo para responder ao cidadão termina em {until}."),
                format!("Solicitação nº {number}: responda ao cidadão até {until}"),
                "O cidadão aguarda uma resposta. O prazo conta em horas úteis desde a mensagem mais antiga ainda sem resposta.",
            ),
        }
    }
}

/// The office is told a window is about to end, once, while it still applies.
async fn warn_office(app: &App, timer: &Timer, window: Window) -> Result<Fired, AppError> {
    let Some(current) = app.tickets.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    let key = key_of(timer);
    if window.deadline(&current.request, timer).is_none()
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
            let Some(deadline) = window.deadline(r, timer) else {
                return Err(AppError::Refused("o prazo não se aplica mais"));
            };
            let tz = r.office.time_zone();
            let until = deadline.to_zoned(tz).strftime("%d/%m %H:%M").to_string();
            let (text, subject, body) = window.texts(r.number, &until);
            let letter = |n: &balcao_core::Request| {
                emails::office_notice(n, &subject, body, &app.config.public_base_url)
            };
            Ok(office_notice(r, key, now, letter, text, |_| {}))
        },
    )
    .await;
    outcome(result, |_| true)
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
    let Some(current) = app.tickets.get_ticket(timer.request).await? else {
        return Ok(Fired::Ignored);
    };
    // A reminder delivered after the appointment began would only confuse.
    let now = app.clock.now();
    let applies = |r: &balcao_core::Request| {
        r.status == Status::Scheduled
            && r.appointment.as_ref().is_some_and(|a| {
                a.sequence == timer.sequence
                    && a.starts_at(&r.office.timezone).is_some_and(|s| s > now)
            })
    };
    let key = key_of(timer);
    if !applies(&current.request) || now < timer.due || ticket::done_before(&current, key) {
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
                "{} às {} ({})",
                a.date.strftime("%d/%m/%Y"),
                a.time.strftime("%H:%M"),
                balcao_core::office::zone_label(&r.office.timezone)
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
            let mail = r
                .citizen_email()
                .map(|to| OutboxMail::new(to.clone(), letter, Some(r.id), now));
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: mail.into_iter().collect(),
                give_back: None,
                tally: None,
            })
        },
    )
    .await;
    outcome(result, |_| true)
}

/// The office did not start in time: the request expires and the citizen may
/// release it to the other offices of the UF.
async fn expire(app: &App, timer: &Timer) -> Result<Fired, AppError> {
    let Some(current) = app.tickets.get_ticket(timer.request).await? else {
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
        let mail = r.citizen_email().map(|to| OutboxMail::new(to.clone(), letter, Some(r.id), now));
        Ok(Change { request: n, expected_version: r.version, event, mails: mail.into_iter().collect(), give_back: None, tally: None })
    })
    .await;
    outcome(result, |t| t.request.status == Status::Expired)
}

/// What a timer's change came to: a timer found not to apply while its change
/// was built (or whose change `acted` does not recognise) did nothing.
fn outcome(
    result: Result<Ticket, AppError>,
    acted: impl Fn(&Ticket) -> bool,
) -> Result<Fired, AppError> {
    match result {
        Ok(t) if acted(&t) => Ok(Fired::Acted),
        Ok(_) | Err(AppError::Refused(_) | AppError::NotAllowed(_)) => Ok(Fired::Ignored),
        Err(e) => Err(e),
    }
}

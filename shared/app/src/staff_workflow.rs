//! How staff work a request (SPEC S3, S5, S6): start the analysis, answer the
//! checklist, decide, set the appointment and conclude. Each is one conditional
//! write through [`ticket::change`]: two people acting at once give one result and
//! one clear conflict. The citizen is emailed a rejection, an appointment (with an
//! `.ics`) and the conclusion (with the whole record), each with a fresh link.

use crate::emails;
use crate::ports::{Change, MailAttachment, OutboxMail, Ticket, Timer};
use crate::secrets::TicketSecret;
use crate::staff_requests::{own, view};
use crate::{App, AppError, attachments, open_request, ticket};
use balcao_core::ics::{Invite, Method};
use balcao_core::{
    Action, Appointment, AppointmentMode, AppointmentPlan, Attachment, Author, ChecklistAnswer,
    Decision, Event, EventKind, FileType, FreeText, Meeting, Office, Request, Service, StaffMember,
    TransitionError, UploadRef,
};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use ulid::Ulid;

/// How long an appointment lasts in the invitation until offices set slot lengths.
pub const APPOINTMENT_LENGTH: SignedDuration = SignedDuration::from_mins(30);

/// What staff sent to decide, before it is checked against the service.
#[derive(Debug, Default, Clone)]
pub struct DecisionInput {
    pub decision: String,
    pub attendant: Option<String>,
    pub justification: Option<String>,
}

/// What staff sent to schedule, before it is checked.
#[derive(Debug, Default, Clone)]
pub struct AppointmentInput {
    pub date: Option<String>,
    pub time: Option<String>,
    pub mode: Option<String>,
    pub subject: Option<String>,
    pub meeting_link: Option<String>,
    pub whatsapp: bool,
}

fn invalid(field: &str, e: impl ToString) -> AppError {
    AppError::invalid(field, &e.to_string())
}

/// The office and the request's service, as staff see them now.
async fn office_and_service(app: &App, t: &Ticket) -> Result<(Office, Service), AppError> {
    let office = app
        .offices
        .get_office(&t.request.office.id)
        .await?
        .ok_or(AppError::NotFound("serventia"))?;
    let service = office
        .service(t.request.service_id.as_str())
        .cloned()
        .ok_or(AppError::NotFound("atendimento"))?;
    Ok((office, service))
}

fn staff_event(
    staff: &StaffMember,
    key: Ulid,
    seq: u64,
    at: Timestamp,
    kind: EventKind,
    text: String,
) -> Event {
    Event {
        id: key,
        seq,
        at,
        kind,
        author: Author::Staff {
            name: staff.name.clone(),
        },
        text,
        status: None,
        attachments: vec![],
    }
}

/// The request moved by `action`, one version up.
fn next(r: &Request, action: Option<Action>, now: Timestamp) -> Result<Request, AppError> {
    let mut n = r.clone();
    if let Some(a) = action {
        n.status = r.status.apply(a)?;
    }
    n.version = r.version + 1;
    n.updated_at = now;
    Ok(n)
}

/// An email to the citizen with a fresh link (secrets are never stored);
/// none once their data was erased.
fn to_citizen(
    app: &App,
    next: &mut Request,
    now: Timestamp,
    letter: impl FnOnce(&Request, &str) -> emails::Letter,
) -> Option<OutboxMail> {
    let to = next.citizen_email()?.clone();
    let secret = TicketSecret::generate();
    next.add_secret_hash(secret.hash());
    let link = open_request::ticket_url(app, next.id, &secret.encode());
    Some(OutboxMail::new(to, letter(next, &link), Some(next.id), now))
}

/// "Iniciar análise".
pub async fn start_analysis(
    app: &App,
    staff: &StaffMember,
    id: &str,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let first = view(app, staff, id).await?;
    let rid = first.request.id;
    ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let n = next(r, Some(Action::StartAnalysis), now)?;
            let mut event = staff_event(
                staff,
                key,
                n.version,
                now,
                EventKind::StatusChanged,
                "Análise iniciada.".into(),
            );
            event.status = Some(n.status);
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await
}

/// One yes/no answer to a step of the service's checklist, kept in the history.
pub async fn answer_checklist(
    app: &App,
    staff: &StaffMember,
    id: &str,
    step: &str,
    answer: &str,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let first = view(app, staff, id).await?;
    let (_, service) = office_and_service(app, &first).await?;
    let answer = ChecklistAnswer::parse(&service, step, answer).map_err(|e| invalid("step", e))?;
    let rid = first.request.id;
    ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            if !r.status.checklist_open() {
                return Err(AppError::NotAllowed(TransitionError {
                    from: r.status,
                    action: Action::StartAnalysis,
                }));
            }
            let mut n = next(r, None, now)?;
            n.checklist.retain(|a| a.step != answer.step);
            n.checklist.push(answer.clone());
            n.checklist.sort_by_key(|a| a.step);
            let event = staff_event(
                staff,
                key,
                n.version,
                now,
                EventKind::Checklist,
                answer.history_text(&service),
            );
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await
}

/// Approve with an attendant, create or use a registry record (certificates), or
/// reject with a justification the citizen receives by email. Stops the start
/// window's clock.
pub async fn decide(
    app: &App,
    staff: &StaffMember,
    id: &str,
    input: &DecisionInput,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let first = view(app, staff, id).await?;
    let (office, service) = office_and_service(app, &first).await?;
    let decision = Decision::parse(
        &service,
        &office,
        &input.decision,
        input.attendant.as_deref(),
        input.justification.as_deref(),
    )
    .map_err(|e| {
        let field = match e {
            balcao_core::WorkflowError::JustificationRequired => "justification",
            balcao_core::WorkflowError::AttendantRequired
            | balcao_core::WorkflowError::UnknownAttendant => "attendant",
            _ => "decision",
        };
        invalid(field, e)
    })?;
    let rid = first.request.id;
    let decided = ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let mut n = next(r, Some(decision.action()), now)?;
            n.decided_at = Some(now);
            n.awaiting_office = false;
            if let Decision::Approve { attendant } = &decision {
                n.assignee = Some(attendant.clone());
            }
            let text = decision.history_text(&office);
            let mut event = staff_event(staff, key, n.version, now, EventKind::StatusChanged, text);
            event.status = Some(n.status);
            let mut mails = vec![];
            if let Decision::Reject { justification } = &decision {
                n.unread_replies += 1;
                mails.extend(to_citizen(app, &mut n, now, |r, link| {
                    emails::ticket_update(
                        r,
                        link,
                        format!("Solicitação nº {} rejeitada", r.number),
                        &format!("{} rejeitou sua solicitação", r.office.name),
                        &[format!("Justificativa: {}", justification.as_str())],
                        &[],
                    )
                }));
            }
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails,
                give_back: None,
                tally: None,
            })
        },
    )
    .await?;
    // The start window stops at a decision; a timer that fires anyway is ignored.
    if decided.request.start_by.is_some() {
        for t in [
            Timer::start_window(rid, Timestamp::UNIX_EPOCH, ""),
            Timer::breach_warning(rid, Timestamp::UNIX_EPOCH, ""),
        ] {
            if let Err(e) = app.timers.cancel(&t.id).await {
                tracing::warn!(error = %e, timer = %t.id, "could not cancel a timer that no longer applies");
            }
        }
    }
    Ok(decided)
}

fn parse_plan(input: &AppointmentInput) -> Result<AppointmentPlan, AppError> {
    let mut errors = balcao_core::FieldErrors::default();
    let date = input
        .date
        .as_deref()
        .and_then(|d| d.trim().parse::<Date>().ok());
    if date.is_none() {
        errors.add("date", "informe a data (AAAA-MM-DD)");
    }
    let time = input
        .time
        .as_deref()
        .and_then(|t| t.trim().parse::<Time>().ok());
    if time.is_none() {
        errors.add("time", "informe o horário (HH:MM)");
    }
    let mode = input.mode.as_deref().and_then(AppointmentMode::parse);
    if mode.is_none() {
        errors.add("mode", "escolha presencial ou virtual");
    }
    let subject = FreeText::parse(input.subject.as_deref().unwrap_or(""));
    if let Err(e) = &subject {
        errors.add("subject", e.to_string());
    }
    let meeting = match mode {
        Some(AppointmentMode::Virtual) => {
            match Meeting::parse(input.meeting_link.as_deref(), input.whatsapp) {
                Ok(m) => Some(m),
                Err(e) => {
                    errors.add("meeting_link", e.to_string());
                    None
                }
            }
        }
        _ => None,
    };
    match (date, time, mode, subject) {
        (Some(date), Some(time), Some(mode), Ok(subject)) if errors.is_empty() => {
            Ok(AppointmentPlan {
                date,
                time,
                mode,
                subject,
                meeting,
            })
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Sets or changes the appointment; the citizen receives an `.ics` whose UID
/// stays and whose SEQUENCE grows, in the office's time zone.
pub async fn schedule(
    app: &App,
    staff: &StaffMember,
    id: &str,
    input: &AppointmentInput,
    key: Ulid,
) -> Result<Ticket, AppError> {
    // Another office's request is not found before anything else is said about it.
    let first = view(app, staff, id).await?;
    if ticket::done_before(&first, key) {
        // The reminder its first call may not have set.
        let (office, _) = office_and_service(app, &first).await?;
        remind_the_day_before(app, &office, &first).await?;
        return Ok(first);
    }
    let plan = parse_plan(input)?;
    let (office, _) = office_and_service(app, &first).await?;
    let start = plan
        .date
        .to_datetime(plan.time)
        .to_zoned(office.time_zone())
        .map_err(|_| invalid("time", "horário inexistente no fuso horário da serventia"))?
        .timestamp();
    if start <= app.clock.now() {
        return Err(invalid("date", "escolha uma data e um horário futuros"));
    }
    if start > balcao_core::booking::latest(app.clock.now()) {
        return Err(invalid(
            "date",
            format!(
                "marque no máximo {} dias à frente",
                balcao_core::booking::HORIZON_DAYS
            ),
        ));
    }
    let rid = first.request.id;
    let scheduled = ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let mut n = next(r, Some(Action::Schedule), now)?;
            let sequence = r.appointment.as_ref().map_or(1, |a| a.sequence + 1);
            let appointment = Appointment {
                date: plan.date,
                time: plan.time,
                mode: plan.mode,
                subject: Some(plan.subject.as_str().to_owned()),
                meeting: plan.meeting.clone(),
                sequence,
            };
            let when = format!(
                "{} às {} ({})",
                plan.date.strftime("%d/%m/%Y"),
                plan.time.strftime("%H:%M"),
                balcao_core::office::zone_label(&office.timezone)
            );
            let place = match &plan.meeting {
                Some(m) => m.label(),
                None => format!(
                    "Presencial: {}, {}/{}",
                    office.address,
                    office.city,
                    office.uf.code()
                ),
            };
            let changed = r.appointment.as_ref().is_some_and(|a| a.sequence > 0);
            let verb = if changed { "alterado" } else { "marcado" };
            let text = format!(
                "Atendimento {verb} para {when}. {place}. Assunto: {}",
                plan.subject.as_str()
            );
            // Moved off the slot the citizen booked: that place is free again.
            // The office's own choice of time is not counted against the grid.
            let moved = r
                .slot
                .filter(|k| k.date != appointment.date || k.time != appointment.time);
            if moved.is_some() {
                n.slot = None;
            }
            n.appointment = Some(appointment);
            n.unread_replies += 1;
            let mut event = staff_event(staff, key, n.version, now, EventKind::Appointment, text);
            event.status = (n.status != r.status).then_some(n.status);
            let invite = Invite {
                method: Method::Request,
                uid: &format!("{}@balcao", r.id),
                sequence,
                start,
                end: start + APPOINTMENT_LENGTH,
                stamp: now,
                summary: &format!("{} – {}", r.service_name, office.name),
                description: &format!(
                    "Solicitação nº {}. Assunto: {}. {place}",
                    r.number,
                    plan.subject.as_str()
                ),
                location: &match &plan.meeting {
                    Some(Meeting::Link { url }) => url.clone(),
                    Some(Meeting::Whatsapp) => "WhatsApp".into(),
                    None => format!("{}, {}/{}", office.address, office.city, office.uf.code()),
                },
                organizer_name: &office.name,
                organizer_email: office.email.as_str(),
                attendee_name: r.citizen_name(),
                attendee_email: r.citizen_email().map_or("", |e| e.as_str()),
            };
            let (invite_type, invite_text) = (invite.content_type(), invite.render());
            let mail = to_citizen(app, &mut n, now, |r, link| {
                let mut letter = emails::ticket_update(
                    r,
                    link,
                    format!("Atendimento {verb} – solicitação nº {}", r.number),
                    &format!("Seu atendimento foi {verb}"),
                    &[
                        when.clone(),
                        place.clone(),
                        format!("Assunto: {}", plan.subject.as_str()),
                    ],
                    &[],
                );
                letter.attachments.push(MailAttachment {
                    name: "atendimento.ics".into(),
                    content_type: invite_type.into(),
                    content: invite_text.clone(),
                });
                letter
            });
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: mail.into_iter().collect(),
                give_back: moved,
                tally: None,
            })
        },
    )
    .await?;
    remind_the_day_before(app, &office, &scheduled).await?;
    Ok(scheduled)
}

/// The reminder for this version of the appointment, at the office's reminder
/// time the day before; none if that moment has passed. The same id replaces
/// the reminder of an earlier version. Runs on a retry too (the appointment
/// already written): a reminder its first call could not set is set then.
async fn remind_the_day_before(app: &App, office: &Office, t: &Ticket) -> Result<(), AppError> {
    let Some(a) = &t.request.appointment else {
        return Ok(());
    };
    let due = a
        .date
        .yesterday()
        .ok()
        .and_then(|d| {
            d.to_datetime(office.reminder_time)
                .to_zoned(office.time_zone())
                .ok()
        })
        .map(|z| z.timestamp());
    let Some(due) = due.filter(|d| *d > app.clock.now()) else {
        return Ok(());
    };
    let timer = Timer::reminder(t.request.id, due, &office.timezone, a.sequence);
    app.timers.schedule(&timer).await.map_err(|e| {
        // The appointment stands; the staff's retry sets its reminder.
        tracing::error!(error = %e, timer = %timer.id, "could not schedule a reminder");
        AppError::TimerPending(e)
    })
}

/// Concludes with a note and a PDF (only a PDF, checked by content); the
/// citizen receives the whole record.
pub async fn conclude(
    app: &App,
    staff: &StaffMember,
    id: &str,
    note: &str,
    files: &[UploadRef],
    key: Ulid,
) -> Result<Ticket, AppError> {
    let first = view(app, staff, id).await?;
    if ticket::done_before(&first, key) {
        return Ok(first);
    }
    let note = FreeText::parse(note).map_err(|e| invalid("message", e))?;
    let [pdf] = files else {
        return Err(invalid(
            "attachments",
            "anexe o documento de conclusão em PDF (um arquivo)",
        ));
    };
    if FileType::from_name(pdf.name.as_str()) != Some(FileType::Pdf) {
        return Err(invalid(
            "attachments",
            format!(
                "{}: somente arquivos PDF são aceitos na conclusão",
                pdf.name
            ),
        ));
    }
    // Checked before the file is kept.
    first.request.status.apply(Action::Conclude)?;
    let (office, _) = office_and_service(app, &first).await?;
    let rid = first.request.id;
    let kept: Vec<Attachment> = attachments::receive(
        app,
        &office,
        attachments::FileOwner::Staff(staff),
        rid,
        std::slice::from_ref(pdf),
    )
    .await?;
    // The header is not enough: the document must open, with pages.
    for a in &kept {
        let bytes = attachments::read_kept(app, rid, a).await?;
        if let Err(e) = balcao_core::attachment::check_pdf(&bytes) {
            attachments::discard(app, rid, &kept).await?;
            return Err(invalid("attachments", format!("{}: {e}", a.name)));
        }
    }
    ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let mut n = next(r, Some(Action::Conclude), now)?;
            n.awaiting_office = false;
            n.unread_replies += 1;
            let mut event = staff_event(
                staff,
                key,
                n.version,
                now,
                EventKind::StatusChanged,
                format!("Atendimento concluído. {}", note.as_str()),
            );
            event.status = Some(n.status);
            event.attachments = kept.clone();
            let record = record_lines(t, &event);
            let mail = to_citizen(app, &mut n, now, |r, link| {
                emails::ticket_update(
                    r,
                    link,
                    format!("Solicitação nº {} concluída", r.number),
                    &format!("{} concluiu seu atendimento", r.office.name),
                    &[note.as_str().to_owned()],
                    &record,
                )
            });
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
    .await
}

/// Every entry of the history and every file, as the conclusion email lists them.
fn record_lines(t: &Ticket, last: &Event) -> Vec<String> {
    let tz = t.request.office.time_zone();
    t.events
        .iter()
        .chain(std::iter::once(last))
        .filter(|e| e.kind != EventKind::Read)
        .map(|e| {
            let when = e.at.to_zoned(tz.clone()).strftime("%d/%m/%Y %H:%M");
            let mut line = format!("{when} · {}: {}", e.author.label(), e.text);
            if let Some(files) = attachments::listing(&e.attachments) {
                line.push_str(&format!(" ({files})"));
            }
            line
        })
        .collect()
}

//! What a citizen does from the ticket page (SPEC C7): send a message, cancel,
//! or close as solved ("Concluir Atendimento"). Each is one conditional write
//! with its history entry and the office's notification (SPEC S10).

use crate::attachments::FileOwner;
use crate::limits;
use crate::ports::{Change, OutboxMail, Ticket, Timer};
use crate::{App, AppError, ticket};
use crate::{attachments, emails};
use balcao_core::{
    Action, Author, Event, EventKind, FreeText, NoticeMark, Request, Status, TransitionError,
    UploadRef,
};
use ulid::Ulid;

/// Why the change is made; decides the status, the history text and the office's email.
pub enum CitizenAction {
    /// Text, files or both.
    Message {
        text: Option<FreeText>,
        files: Vec<UploadRef>,
    },
    Cancel,
    Close(Option<FreeText>),
    /// An expired request goes to the other offices of the UF (SPEC C12).
    Release,
    /// The office's replies were seen; no email, no status change.
    Read,
}

impl CitizenAction {
    fn action(&self) -> Option<Action> {
        match self {
            Self::Message { .. } | Self::Read => None,
            Self::Cancel => Some(Action::Cancel),
            Self::Close(_) => Some(Action::CloseByCitizen),
            Self::Release => Some(Action::Release),
        }
    }

    fn history_text(&self) -> String {
        match self {
            Self::Message { text, .. } => text
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            Self::Read => "O cidadão leu as respostas do cartório.".into(),
            Self::Cancel => "Solicitação cancelada pelo cidadão.".into(),
            Self::Release => {
                "O cidadão liberou a solicitação para os outros cartórios da UF.".into()
            }
            Self::Close(None) => "Atendimento concluído pelo cidadão.".into(),
            Self::Close(Some(m)) => format!("Atendimento concluído pelo cidadão.\n{}", m.as_str()),
        }
    }

    fn notice_subject(&self, r: &Request) -> String {
        match self {
            Self::Message { .. } | Self::Read => {
                format!("Nova mensagem na solicitação nº {}", r.number)
            }
            Self::Cancel => format!("Solicitação nº {} cancelada pelo cidadão", r.number),
            Self::Close(_) => format!("Solicitação nº {} concluída pelo cidadão", r.number),
            Self::Release => format!("Solicitação nº {} liberada para outros cartórios", r.number),
        }
    }
}

pub async fn act(
    app: &App,
    id: &str,
    token: Option<&str>,
    what: CitizenAction,
    key: Ulid,
) -> Result<Ticket, AppError> {
    // The secret is checked once, before anything else.
    let current = ticket::read(app, id, token).await?;
    act_on(app, current, what, key).await
}

/// The action on a ticket whose reader was already checked: by its link, or
/// by a "meus dados" link of its address (cancelling before an erasure).
pub async fn act_on(
    app: &App,
    current: Ticket,
    what: CitizenAction,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let id = current.request.id;
    let nothing_to_read =
        matches!(what, CitizenAction::Read) && current.request.unread_replies == 0;
    if nothing_to_read || ticket::done_before(&current, key) {
        return Ok(current);
    }
    // The office may switch off emails for citizen messages (SPEC S10); it always hears of cancel and close.
    let office = app.offices.get_office(&current.request.office.id).await?;
    let files = match (&what, &office) {
        (CitizenAction::Message { files, .. }, _) if files.is_empty() => vec![],
        (CitizenAction::Message { files, .. }, Some(office)) => {
            if current.request.status.is_closed() {
                return Err(closed(current.request.status));
            }
            let rid = current.request.id;
            attachments::receive(app, office, FileOwner::Ticket(rid), rid, files).await?
        }
        (CitizenAction::Message { .. }, None) => return Err(AppError::NotFound("serventia")),
        _ => vec![],
    };
    let notify = match what {
        CitizenAction::Read => false,
        CitizenAction::Message { .. } => office
            .as_ref()
            .is_none_or(|o| o.notifications.citizen_message),
        CitizenAction::Cancel | CitizenAction::Close(_) | CitizenAction::Release => true,
    };
    let is_message = matches!(what, CitizenAction::Message { .. });
    // Secrets are not revoked, so the check above holds for the retries below.
    let allowed = |_: &Ticket| Ok(());
    let written = ticket::change(app, id, key, Some(current), allowed, |t, now| {
        let r = &t.request;
        let status = match what.action() {
            None if matches!(what, CitizenAction::Read) => r.status,
            None if r.status.is_closed() => return Err(closed(r.status)),
            None if r.status == Status::AwaitingCitizen => r.status.apply(Action::CitizenReply)?,
            None => r.status,
            Some(a) => r.status.apply(a)?,
        };
        let mut next = r.clone();
        next.status = status;
        next.version = r.version + 1;
        next.updated_at = now;
        next.awaiting_office = match what {
            CitizenAction::Message { .. } => true,
            CitizenAction::Read => r.awaiting_office,
            CitizenAction::Cancel | CitizenAction::Close(_) | CitizenAction::Release => false,
        };
        next.unread_replies = 0;
        // The reply clock starts at the oldest message the office has not answered.
        if next.awaiting_office && r.reply_by.is_none() {
            next.reply_by = office
                .as_ref()
                .and_then(|o| Some((o, o.service(r.service_id.as_str())?.response_window_hours?)))
                .and_then(|(o, h)| crate::timers::reply_window(o, h, now));
        }
        let event = Event {
            id: key,
            seq: next.version,
            at: now,
            kind: match what {
                CitizenAction::Read => EventKind::Read,
                CitizenAction::Message { .. } => EventKind::Message,
                CitizenAction::Cancel | CitizenAction::Close(_) | CitizenAction::Release => {
                    EventKind::StatusChanged
                }
            },
            author: Author::Citizen,
            text: what.history_text(),
            status: (status != r.status).then_some(status),
            attachments: files.clone(),
        };
        // Office notices about messages are coalesced: within the window after
        // the last one, the message waits for the timer at the window's end.
        let held = is_message
            && r.office_notice
                .is_some_and(|n| n.at + limits::NOTICE_EVERY > now);
        if notify && !held {
            next.office_notice = Some(NoticeMark {
                at: now,
                through: next.version,
            });
        }
        let mails = if notify && !held {
            let body = attachments::with_listing(&event.text, &files);
            let letter = emails::office_notice(
                &next,
                &what.notice_subject(&next),
                &body,
                &app.config.public_base_url,
            );
            vec![OutboxMail::new(
                r.office.email.clone(),
                letter,
                Some(r.id),
                now,
            )]
        } else {
            vec![]
        };
        Ok(Change {
            request: next,
            expected_version: r.version,
            event,
            mails,
            give_back: None,
            tally: None,
        })
    })
    .await?;
    // A held message gets the window's timer (one id per window, so all share it).
    // After the write, like the reply warning: a failure here costs a notice, never data.
    let last = written.events.last().map(|e| e.seq);
    if notify
        && is_message
        && let Some(mark) = written.request.office_notice
        && last != Some(mark.through)
    {
        let r = &written.request;
        let timer = Timer::office_notice(r.id, mark.at + limits::NOTICE_EVERY, &r.office.timezone);
        if let Err(e) = app.timers.schedule(&timer).await {
            tracing::warn!(error = %e, request = %r.id, "office notice timer not scheduled");
        }
    }
    Ok(written)
}

fn closed(from: Status) -> AppError {
    AppError::NotAllowed(TransitionError {
        from,
        action: Action::CitizenReply,
    })
}

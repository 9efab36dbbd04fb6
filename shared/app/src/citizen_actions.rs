//! What a citizen does from the ticket page (SPEC C7): send a message, cancel,
//! or close as solved ("Concluir Atendimento"). Each is one conditional write
//! with its history entry and the office's notification (SPEC S10).

use crate::attachments::FileOwner;
use crate::limits;
use crate::ports::{Change, OutboxMail, Ticket, Timer};
use crate::{App, AppError, ticket};
use crate::{attachments, emails};
use balcao_core::{
    Action, Author, Event, EventKind, FreeText, Request, Status, TransitionError, UploadRef,
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
    let id = current.request.id;
    let nothing_to_read =
        matches!(what, CitizenAction::Read) && current.request.unread_replies == 0;
    if nothing_to_read || ticket::done_before(&current, key) {
        return Ok(current);
    }
    // The office may switch off emails for citizen messages (SPEC S10); it always hears of cancel and close.
    let office = app.store.get_office(&current.request.office.id).await?;
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
    // Office notices about messages are coalesced: within the window after the
    // last one, a timer at its end sends one notice listing everything that came.
    // Scheduled before the write (a timer for nothing finds nothing to send); also
    // when the notice goes now, in case a concurrent message takes this one's turn.
    if notify && matches!(what, CitizenAction::Message { .. }) {
        let now = app.clock.now();
        let due = current
            .request
            .office_noticed_at
            .map(|t| t + limits::NOTICE_EVERY)
            .filter(|d| *d > now)
            .unwrap_or(now + limits::NOTICE_EVERY);
        let r = &current.request;
        app.timers
            .schedule(&Timer::office_notice(r.id, due, &r.office.timezone))
            .await?;
    }
    // Secrets are not revoked, so the check above holds for the retries below.
    let allowed = |_: &Ticket| Ok(());
    ticket::change(app, id, key, Some(current), allowed, |t, now| {
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
        let held = matches!(what, CitizenAction::Message { .. })
            && r.office_noticed_at
                .is_some_and(|t| t + limits::NOTICE_EVERY > now);
        if notify && !held {
            next.office_noticed_at = Some(now);
        }
        let mails = if notify && !held {
            let body = attachments::with_listing(&event.text, &files);
            let letter = emails::office_notice(&next, &what.notice_subject(&next), &body);
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
        })
    })
    .await
}

fn closed(from: Status) -> AppError {
    AppError::NotAllowed(TransitionError {
        from,
        action: Action::CitizenReply,
    })
}

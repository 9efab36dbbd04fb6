//! Erasing a citizen's personal data from a request (LGPD art. 16 and 18 VI):
//! what goes and what stays. What stays is the office's record, needed for its
//! statistics and audit: the service, the statuses and dates, which staff
//! acted, how many messages there were; never who the citizen was nor what
//! anyone wrote in the conversation.

use crate::request::{Author, Event, EventKind, Request};
use jiff::Timestamp;
use ulid::Ulid;

/// Why the data went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureReason {
    /// The citizen asked ("meus dados").
    Requested,
    /// The office's retention after the final close ended.
    RetentionEnded { days: u32 },
}

impl ErasureReason {
    /// The history entry left in place of the data.
    pub fn text(self) -> String {
        match self {
            Self::Requested => "Dados pessoais apagados a pedido do titular.".into(),
            Self::RetentionEnded { days } => format!(
                "Dados pessoais apagados ao fim do prazo de guarda ({days} dias após o encerramento)."
            ),
        }
    }
}

/// A request and its history as they become once erased, with the entry that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub request: Request,
    /// Every earlier entry, its text replaced by what kind of entry it was and its files gone.
    pub history: Vec<Event>,
    pub event: Event,
}

/// The erased request, one version up; `None` when it was erased already.
/// `key` identifies the erasure, so doing it twice writes one entry.
pub fn erase(
    request: &Request,
    history: &[Event],
    reason: ErasureReason,
    key: Ulid,
    now: Timestamp,
) -> Option<Erased> {
    if request.erased_at.is_some() {
        return None;
    }
    let mut r = request.clone();
    r.version = request.version + 1;
    r.updated_at = now;
    r.citizen = None;
    r.citizen_key = Default::default();
    // Every emailed link stops working.
    r.token_hashes.clear();
    r.details.message = None;
    r.details.protocol = None;
    if let Some(a) = r.appointment.as_mut() {
        a.subject = None;
        a.meeting = None;
    }
    if let Some(rating) = r.rating.as_mut() {
        rating.comment = None;
    }
    r.unread_replies = 0;
    r.erase_on = None;
    r.erased_at = Some(now);
    let history = history.iter().map(redacted).collect();
    let event = Event {
        id: key,
        seq: r.version,
        at: now,
        kind: EventKind::Erased,
        author: Author::System,
        text: reason.text(),
        status: None,
        attachments: vec![],
    };
    Some(Erased {
        request: r,
        history,
        event,
    })
}

/// The entry with only what kind of step it was: no text anyone wrote, no files.
fn redacted(e: &Event) -> Event {
    let text = match (e.kind, &e.author) {
        (EventKind::Opened, _) => "Solicitação aberta.".to_owned(),
        (EventKind::Message, Author::Citizen) => "Mensagem do cidadão (apagada).".to_owned(),
        (EventKind::Message, _) => "Mensagem do cartório (apagada).".to_owned(),
        (EventKind::StatusChanged, _) => e.status.map_or_else(
            || "Situação alterada.".to_owned(),
            |s| format!("Situação: {}.", s.label()),
        ),
        (EventKind::Read, _) => "O cidadão leu as respostas do cartório.".to_owned(),
        (EventKind::Checklist, _) => "Etapa da solicitação respondida.".to_owned(),
        (EventKind::Appointment, _) => "Agendamento registrado.".to_owned(),
        (EventKind::Rating, _) => "Avaliação registrada.".to_owned(),
        (EventKind::Notice, _) => "Aviso ao cartório.".to_owned(),
        (EventKind::MailUndelivered, _) => "E-mail ao cidadão não entregue.".to_owned(),
        (EventKind::Note, _) => "Nota interna (apagada).".to_owned(),
        // Says which attendant (staff, not the citizen): kept.
        (EventKind::Assigned, _) => e.text.clone(),
        (EventKind::Erased, _) => e.text.clone(),
    };
    Event {
        text,
        attachments: vec![],
        ..e.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::test_request;

    #[test]
    fn nothing_personal_remains_and_erasing_twice_does_nothing() {
        let (r, history) = test_request();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let e = erase(&r, &history, ErasureReason::Requested, Ulid::nil(), now).unwrap();
        let all = format!("{:?} {:?} {:?}", e.request, e.history, e.event);
        for personal in [
            "Maria",
            "maria@example.com",
            "52998224725",
            "secret",
            "doc.pdf",
        ] {
            assert!(!all.contains(personal), "{personal} remains: {all}");
        }
        assert_eq!(e.request.version, r.version + 1);
        assert_eq!(e.event.seq, e.request.version);
        assert_eq!(e.request.status, r.status);
        assert_eq!(e.history.len(), history.len());
        assert_eq!(e.history[1].author, history[1].author);
        assert_eq!(e.request.citizen_name(), crate::request::ERASED_CITIZEN);
        assert!(
            erase(
                &e.request,
                &e.history,
                ErasureReason::Requested,
                Ulid::nil(),
                now
            )
            .is_none()
        );
        assert!(
            ErasureReason::RetentionEnded { days: 365 }
                .text()
                .contains("365 dias")
        );
    }
}

//! Who has each request (issue 15): staff hand a request to an attendant of
//! the office, take it themselves, or release it. One conditional write each,
//! with the history saying who assigned whom.

use crate::ports::{Change, Ticket};
use crate::staff_requests::{own, view};
use crate::{App, AppError, ticket};
use balcao_core::{Attendant, Author, Event, EventKind, Office, RequestId, StaffMember};
use ulid::Ulid;

/// Whom to give the request to, as the form says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// The attendant whose e-mail is the caller's.
    Me,
    /// An attendant of the office, by id.
    Attendant(String),
    /// Nobody: back to the office.
    Nobody,
}

impl Assignee {
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "" => Self::Nobody,
            "me" => Self::Me,
            id => Self::Attendant(id.to_owned()),
        }
    }
}

/// The attendant of `office` that `staff` is (same e-mail), if any.
pub fn attendant_of<'a>(office: &'a Office, staff: &StaffMember) -> Option<&'a Attendant> {
    office
        .attendants
        .iter()
        .find(|a| a.email.as_str().eq_ignore_ascii_case(staff.email.as_str()))
}

/// The attendant `who` names in `office`, or `None` for nobody.
pub fn resolve<'a>(
    office: &'a Office,
    staff: &StaffMember,
    who: &Assignee,
) -> Result<Option<&'a Attendant>, AppError> {
    match who {
        Assignee::Nobody => Ok(None),
        Assignee::Me => attendant_of(office, staff).map(Some).ok_or_else(|| {
            AppError::invalid(
                "attendant",
                "você não está na lista de atendentes da serventia; peça ao gestor para incluir seu e-mail",
            )
        }),
        Assignee::Attendant(id) => office
            .attendants
            .iter()
            .find(|a| a.id.as_str() == id)
            .map(Some)
            .ok_or_else(|| AppError::invalid("attendant", "atendente desconhecido")),
    }
}

/// Gives request `id` to `who`. Giving it to whom already has it writes nothing.
pub async fn assign(
    app: &App,
    staff: &StaffMember,
    id: &str,
    who: &Assignee,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let rid = RequestId::parse(id).ok_or(AppError::NotFound("solicitação"))?;
    let first = view(app, staff, id).await?;
    if ticket::done_before(&first, key) {
        return Ok(first);
    }
    let office = crate::staff_requests::staff_office(app, staff).await?;
    let to = resolve(&office, staff, who)?;
    let to_id = to.map(|a| a.id.to_string());
    if first.request.assignee == to_id {
        return Ok(first);
    }
    let text = match to {
        Some(a) if Some(a) == attendant_of(&office, staff) => {
            format!("{} assumiu a solicitação.", staff.name)
        }
        Some(a) => format!("{} atribuiu a solicitação a {}.", staff.name, a.name),
        None => format!("{} deixou a solicitação sem responsável.", staff.name),
    };
    ticket::change(
        app,
        rid,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let mut next = r.clone();
            next.version = r.version + 1;
            next.updated_at = now;
            next.assignee = to_id.clone();
            Ok(Change {
                request: next,
                expected_version: r.version,
                event: Event {
                    id: key,
                    seq: r.version + 1,
                    at: now,
                    kind: EventKind::Assigned,
                    author: Author::Staff {
                        name: staff.name.clone(),
                    },
                    text: text.clone(),
                    status: None,
                    attachments: vec![],
                },
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await
}

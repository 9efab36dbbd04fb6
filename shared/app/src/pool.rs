//! "Disponíveis de outros cartórios" (SPEC S8): released requests of the
//! caller's UF, and taking one. Several offices may try at once; one atomic
//! write decides, and the winner gives it its own next number.

use crate::ports::{Change, OutboxMail, Page, PageRequest, Ticket};
use crate::secrets::TicketSecret;
use crate::{App, AppError, emails, open_request};
use balcao_core::{
    Action, Author, Event, EventKind, Office, OfficeSnapshot, Request, RequestId, StaffMember,
    Status,
};
use ulid::Ulid;

const NOT_FOUND: AppError = AppError::NotFound("solicitação disponível");

async fn own_office(app: &App, staff: &StaffMember) -> Result<Office, AppError> {
    app.offices
        .get_office(&staff.office)
        .await?
        .ok_or(AppError::NotFound("serventia"))
}

/// One page of the released requests of the caller's UF, oldest first; the
/// caller's own are left out (a page may then hold fewer than asked).
pub async fn list(
    app: &App,
    staff: &StaffMember,
    page: &PageRequest,
) -> Result<Page<Request>, AppError> {
    let office = own_office(app, staff).await?;
    let mut found = app.tickets.pool(office.uf, page).await?;
    found.items.retain(|r| r.office.id != office.id);
    Ok(found)
}

/// "Pegar solicitação": moves it to the caller's office as a new received
/// request, history kept; the citizen is emailed the new office.
pub async fn take(app: &App, staff: &StaffMember, id: &str, key: Ulid) -> Result<Ticket, AppError> {
    let office = own_office(app, staff).await?;
    let rid = RequestId::parse(id).ok_or(NOT_FOUND)?;
    let t = app.tickets.get_ticket(rid).await?.ok_or(NOT_FOUND)?;
    if t.events.iter().any(|e| e.id == key) && t.request.office.id == office.id {
        return Ok(t);
    }
    // Only what the pool shows can be taken: released, same UF, another office.
    let r = &t.request;
    if r.status != Status::Released || r.office.uf != office.uf || r.office.id == office.id {
        return Err(NOT_FOUND);
    }
    let now = app.clock.now();
    let service = office.service(r.service_id.as_str());
    // The new office's own start window, scheduled first as at opening.
    let window = service
        .and_then(|s| s.start_window_minutes)
        .and_then(|m| crate::timers::start_window_timers(&office, r.id, m, now));
    let start_by = window.as_ref().map(|(d, _)| d.clone());
    for t in window.iter().flat_map(|(_, timers)| timers) {
        app.timers.schedule(t).await?;
    }
    let from = r.office.name.clone();
    let status = r.status.apply(Action::Take)?;
    // What was written, kept to answer with: no second read of the ticket.
    let written: std::sync::Mutex<Option<(Request, Event)>> = std::sync::Mutex::new(None);
    let compose = |number| {
        let mut n = r.clone();
        n.status = status;
        n.number = number;
        n.office = OfficeSnapshot::from(&office);
        n.version = r.version + 1;
        n.updated_at = now;
        n.awaiting_office = true;
        n.assignee = None;
        // Open again: retention counts from its next close.
        n.erase_on = None;
        n.checklist.clear();
        n.decided_at = None;
        n.start_by = start_by.clone();
        n.unread_replies += 1;
        let secret = TicketSecret::generate();
        n.add_secret_hash(secret.hash());
        let link = open_request::ticket_url(app, r.id, &secret.encode());
        let letter = emails::ticket_update(
            &n,
            &link,
            format!("Sua solicitação está agora com {}", office.name),
            &format!("{} assumiu sua solicitação", office.name),
            &[format!(
                "Ela foi liberada por {from} e agora é a solicitação nº {number} de {}, {}/{}.",
                office.name,
                office.city,
                office.uf.code()
            )],
            &[],
        );
        let event = Event {
            id: key,
            seq: n.version,
            at: now,
            kind: EventKind::StatusChanged,
            author: Author::Staff {
                name: staff.name.clone(),
            },
            text: format!(
                "Solicitação assumida por {} (nº {number}); antes com {from}.",
                office.name
            ),
            status: Some(status),
            attachments: vec![],
        };
        let mail = n
            .citizen_email()
            .map(|to| OutboxMail::new(to.clone(), letter, Some(r.id), now));
        *written.lock().unwrap_or_else(|p| p.into_inner()) = Some((n.clone(), event.clone()));
        Change {
            request: n,
            expected_version: r.version,
            event,
            mails: mail.into_iter().collect(),
            give_back: None,
            tally: None,
        }
    };
    if !app.tickets.take_request(&office.id, &compose).await? {
        return Err(AppError::Refused(
            "outro cartório pegou esta solicitação primeiro",
        ));
    }
    let taken = written.into_inner().unwrap_or_else(|p| p.into_inner());
    let (request, event) = taken.ok_or(NOT_FOUND)?;
    let mut events = t.events;
    events.push(event);
    Ok(Ticket { request, events })
}

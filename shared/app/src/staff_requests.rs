//! The office's side of requests (SPEC S2, S4): the queue, one request, and
//! replies. Every function is scoped to the signed-in member's office.

use crate::attachments::FileOwner;
use crate::ports::order::Shelf;
use crate::ports::{Change, OutboxMail, Page, PageRequest, QueueQuery, Ticket, UploadForm};
use crate::secrets::TicketSecret;
use crate::{App, AppError, open_request, ticket};
use crate::{attachments, emails};
use balcao_core::{
    Author, Event, EventKind, FreeText, Request, RequestId, StaffMember, Status, UploadRef,
};
use jiff::civil::Date;
use ulid::Ulid;

/// The queue's filters; `None` lets everything through. Without a status the
/// queue shows the open shelf, or the closed one when `closed` is set.
#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub status: Option<Status>,
    pub closed: bool,
    pub service: Option<String>,
    pub sector: Option<String>,
    /// Day the request was opened, in the office's time zone.
    pub date: Option<Date>,
    pub priority: Option<bool>,
    /// `assigned=me|none|<attendant id>`.
    pub assigned: Option<crate::assignment::Assignee>,
}

/// One page of the office's requests, in every status, found by what the
/// citizen says (issue 15): number, a word of the name, e-mail, CPF/CNPJ or
/// protocol in any format; newest first. Several words of a name must all
/// be there (a page may then hold fewer than asked; `next` says if more).
pub async fn search(
    app: &App,
    staff: &StaffMember,
    q: &str,
    page: &PageRequest,
) -> Result<Page<Request>, AppError> {
    let query = balcao_core::search::SearchQuery::parse(q).ok_or_else(|| {
        AppError::invalid(
            "q",
            "digite o número, um nome, o e-mail, o CPF/CNPJ ou o protocolo",
        )
    })?;
    let mut found = app.tickets.search(&staff.office, &query.term, page).await?;
    found.items.retain(|r| query.matches(r));
    Ok(found)
}

/// One page of the queue: legal priority first, then oldest (SPEC S2).
pub async fn queue(
    app: &App,
    staff: &StaffMember,
    filter: &QueueFilter,
    page: &PageRequest,
) -> Result<Page<Request>, AppError> {
    let office = match (&filter.date, &filter.assigned) {
        (None, None) => None,
        _ => Some(staff_office(app, staff).await?),
    };
    let assignee = match (&filter.assigned, &office) {
        (Some(who), Some(office)) => {
            Some(crate::assignment::resolve(office, staff, who)?.map(|a| a.id.to_string()))
        }
        _ => None,
    };
    let opened = match (filter.date, &office) {
        (Some(day), Some(office)) => {
            let tz = jiff::tz::TimeZone::get(&office.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
            let start = |d: Date| d.to_zoned(tz.clone()).map(|z| z.timestamp());
            let from = start(day).map_err(|_| AppError::invalid("date", "data inválida"))?;
            let to = day
                .tomorrow()
                .and_then(start)
                .map_err(|_| AppError::invalid("date", "data inválida"))?;
            Some((from, to))
        }
        _ => None,
    };
    let shelf = match filter.status {
        Some(s) => Shelf::of(s),
        None if filter.closed => Shelf::Closed,
        None => Shelf::Open,
    };
    let query = QueueQuery {
        shelf,
        status: filter.status,
        service: filter.service.clone(),
        sector: filter.sector.clone(),
        opened,
        priority: filter.priority,
        assignee,
    };
    Ok(app
        .tickets
        .office_queue(&staff.office, &query, page)
        .await?)
}

/// Another office's request answers exactly like one that does not exist.
pub(crate) fn own(staff: &StaffMember, t: &Ticket) -> Result<(), AppError> {
    if t.request.office.id == staff.office {
        Ok(())
    } else {
        Err(AppError::NotFound("solicitação"))
    }
}

pub async fn view(app: &App, staff: &StaffMember, id: &str) -> Result<Ticket, AppError> {
    let id = RequestId::parse(id).ok_or(AppError::NotFound("solicitação"))?;
    let t = app
        .tickets
        .get_ticket(id)
        .await?
        .ok_or(AppError::NotFound("solicitação"))?;
    own(staff, &t)?;
    Ok(t)
}

/// One request with the office as it is now (its attendants, checklists, time
/// zone), for the page staff work it on.
pub async fn workbench(
    app: &App,
    staff: &StaffMember,
    id: &str,
) -> Result<(Ticket, Option<balcao_core::Office>), AppError> {
    let t = view(app, staff, id).await?;
    let office = app.offices.get_office(&t.request.office.id).await?;
    Ok((t, office))
}

/// A slot for a file the office will send on one of its requests.
pub async fn upload_slot(
    app: &App,
    staff: &StaffMember,
    name: &str,
    size: u64,
) -> Result<attachments::UploadSlot, AppError> {
    let office = staff_office(app, staff).await?;
    attachments::slot(app, &office, FileOwner::Staff(staff), name, size).await
}

/// A no-JavaScript upload form for this staff member (see [`attachments::form_slot`]).
pub async fn upload_form_slot(
    app: &App,
    staff: &StaffMember,
    redirect: impl FnOnce(&str) -> String,
) -> Result<UploadForm, AppError> {
    let office = staff_office(app, staff).await?;
    attachments::form_slot(app, &office, FileOwner::Staff(staff), redirect).await
}

/// Checks a file this staff member just posted (see [`attachments::check_upload`]);
/// `pdf_only` for a conclusion's document.
pub async fn check_upload(
    app: &App,
    staff: &StaffMember,
    token: &str,
    posted_key: Option<&str>,
    pdf_only: bool,
) -> Result<attachments::CheckedUpload, AppError> {
    let office = staff_office(app, staff).await?;
    attachments::check_upload(
        app,
        &office,
        FileOwner::Staff(staff),
        token,
        posted_key,
        pdf_only,
    )
    .await
}

/// The office of the signed-in member.
pub(crate) async fn staff_office(
    app: &App,
    staff: &StaffMember,
) -> Result<balcao_core::Office, AppError> {
    app.offices
        .get_office(&staff.office)
        .await?
        .ok_or(AppError::NotFound("serventia"))
}

/// Checks and keeps the files a staff member sends with an entry of `id`
/// (a reply or a note); none read nothing.
pub(crate) async fn receive_files(
    app: &App,
    staff: &StaffMember,
    id: RequestId,
    files: &[UploadRef],
) -> Result<Vec<balcao_core::Attachment>, AppError> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let office = staff_office(app, staff).await?;
    attachments::receive(app, &office, FileOwner::Staff(staff), id, files).await
}

/// A follow-up message to the citizen (SPEC S4), emailed with a fresh link (SPEC C9).
/// With `ask`, the office waits for the citizen's answer (awaiting citizen).
pub async fn reply(
    app: &App,
    staff: &StaffMember,
    id: &str,
    text: Option<FreeText>,
    files: &[UploadRef],
    ask: bool,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let id = RequestId::parse(id).ok_or(AppError::NotFound("solicitação"))?;
    // Reading first keeps another office's caller from learning anything from the file check.
    let first = view(app, staff, &id.to_string()).await?;
    if ticket::done_before(&first, key) {
        return Ok(first);
    }
    let files = receive_files(app, staff, id, files).await?;
    let text = text.map(|t| t.as_str().to_owned()).unwrap_or_default();
    let body = attachments::with_listing(&text, &files);
    ticket::change(
        app,
        id,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            if r.status.is_terminal() {
                return Err(AppError::NotAllowed(balcao_core::TransitionError {
                    from: r.status,
                    action: balcao_core::Action::AskCitizen,
                }));
            }
            let secret = TicketSecret::generate();
            let mut next = r.clone();
            if ask {
                next.status = r.status.apply(balcao_core::Action::AskCitizen)?;
            }
            next.version = r.version + 1;
            next.updated_at = now;
            next.awaiting_office = false;
            next.unread_replies += 1;
            next.add_secret_hash(secret.hash());
            let event = Event {
                id: key,
                seq: next.version,
                at: now,
                kind: EventKind::Message,
                author: Author::Staff {
                    name: staff.name.clone(),
                },
                text: text.clone(),
                status: (next.status != r.status).then_some(next.status),
                attachments: files.clone(),
            };
            let link = open_request::ticket_url(app, r.id, &secret.encode());
            let letter = emails::office_reply(&next, &link, &staff.name, &body);
            let mail = r
                .citizen_email()
                .map(|to| OutboxMail::new(to.clone(), letter, Some(r.id), now));
            Ok(Change {
                request: next,
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

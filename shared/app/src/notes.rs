//! Internal notes (issue 15): what staff leave for each other on a request,
//! with files like a reply. Kept in the history for staff only: never on the
//! citizen's page or JSON, never in an email to the citizen. Notes about a
//! person are their personal data: the LGPD export carries them.

use crate::ports::Change;
use crate::staff_requests::{own, receive_files, view};
use crate::{App, AppError, ticket};
use balcao_core::{Author, Event, EventKind, FreeText, RequestId, StaffMember, UploadRef};
use ulid::Ulid;

/// Adds a note (text, files or both) in one conditional write; the request's
/// status and the citizen's marks do not move.
pub async fn add(
    app: &App,
    staff: &StaffMember,
    id: &str,
    text: Option<FreeText>,
    files: &[UploadRef],
    key: Ulid,
) -> Result<crate::ports::Ticket, AppError> {
    let id = RequestId::parse(id).ok_or(AppError::NotFound("solicitação"))?;
    let first = view(app, staff, &id.to_string()).await?;
    if ticket::done_before(&first, key) {
        return Ok(first);
    }
    let files = receive_files(app, staff, id, files).await?;
    let text = text.map(|t| t.as_str().to_owned()).unwrap_or_default();
    ticket::change(
        app,
        id,
        key,
        Some(first),
        |t| own(staff, t),
        |t, now| {
            let r = &t.request;
            let mut next = r.clone();
            next.version = r.version + 1;
            next.updated_at = now;
            Ok(Change {
                request: next,
                expected_version: r.version,
                event: Event {
                    id: key,
                    seq: r.version + 1,
                    at: now,
                    kind: EventKind::Note,
                    author: Author::Staff {
                        name: staff.name.clone(),
                    },
                    text: text.clone(),
                    status: None,
                    attachments: files.clone(),
                },
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await
}

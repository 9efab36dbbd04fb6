//! Attachments (SPEC C8). A sender first asks for an upload slot, which refuses
//! at once what could never pass and lets the browser post the file straight to
//! storage under `uploads/`. The slot's reference is signed for whoever asked
//! (a new request at an office, one ticket, or one staff member), so it cannot be
//! forged from a file id seen elsewhere. Attaching copies the upload to the
//! request's own key under `files/` first and checks *that* copy (magic bytes,
//! not the name), so a re-post to the still-valid upload form changes nothing
//! kept; the upload is then deleted, so a slot serves one request only. A file
//! kept for one request lives under that request's key: no other can name it.

use crate::keys::HmacKey;
use crate::ports::{BlobHead, DownloadLink, Ticket, UploadForm, UploadPolicy};
use crate::{App, AppError};
use balcao_core::attachment::{MAX_PER_MESSAGE, check, check_declared};
use balcao_core::{
    Attachment, AttachmentError, FileName, FileType, Office, OfficeId, RequestId, StaffMember,
    UploadRef,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use subtle::ConstantTimeEq;
use ulid::Ulid;

/// How long a browser has to post the file once it has a slot.
pub const UPLOAD_TTL: SignedDuration = SignedDuration::from_mins(15);
/// How long a download link works: enough to click, too short to forward.
pub const DOWNLOAD_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Bytes read to tell a file's type.
const HEAD_BYTES: u64 = 1024;
const FIELD: &str = "attachments";

pub fn upload_key(id: Ulid) -> String {
    format!("uploads/{id}")
}

/// Where a checked file of one request is kept; downloads are signed only here.
pub fn file_key(request: RequestId, id: Ulid) -> String {
    format!("files/{request}-{id}")
}

/// Who an upload slot is for; its reference only attaches there.
#[derive(Debug, Clone, Copy)]
pub enum FileOwner<'a> {
    /// A citizen opening a request at this office.
    NewRequest(&'a OfficeId),
    /// A citizen writing on this ticket.
    Ticket(RequestId),
    /// This staff member, on their office's requests.
    Staff(&'a StaffMember),
}

impl FileOwner<'_> {
    fn label(&self) -> String {
        match self {
            Self::NewRequest(office) => format!("new:{office}"),
            Self::Ticket(id) => format!("ticket:{id}"),
            Self::Staff(s) => format!("staff:{}:{}", s.office, s.email.as_str().to_lowercase()),
        }
    }
}

fn tag_for(key: &HmacKey, owner: FileOwner<'_>, id: Ulid, name: &FileName) -> String {
    let mac = key.mac("upload", &[&owner.label(), &id.to_string(), name.as_str()]);
    URL_SAFE_NO_PAD.encode(&mac[..16])
}

/// The tag of a form slot, whose file's name is not known yet.
fn form_tag(key: &HmacKey, owner: FileOwner<'_>, id: Ulid) -> String {
    let mac = key.mac("upload-form", &[&owner.label(), &id.to_string()]);
    URL_SAFE_NO_PAD.encode(&mac[..16])
}

/// The answer to "I want to send this file".
#[derive(Debug, Clone, Serialize)]
pub struct UploadSlot {
    pub id: Ulid,
    /// What to send back in the `attachments` field: `<id>.<signature>:<name>`.
    pub attachment: String,
    pub content_type: &'static str,
    pub max_bytes: u64,
    pub expires_at: Timestamp,
    pub upload: UploadForm,
}

/// A slot at a public office: for opening a request, or, with the ticket's id
/// and link secret, for a message on that ticket.
pub async fn citizen_slot(
    app: &App,
    office_id: &str,
    ticket: Option<(&str, Option<&str>)>,
    name: &str,
    size: u64,
) -> Result<UploadSlot, AppError> {
    let (office, ticket) = citizen_sender(app, office_id, ticket).await?;
    slot(app, &office, citizen_owner(&office, ticket), name, size).await
}

/// [`form_slot`] for a citizen, like [`citizen_slot`].
pub async fn citizen_form_slot(
    app: &App,
    office_id: &str,
    ticket: Option<(&str, Option<&str>)>,
    redirect: impl FnOnce(&str) -> String,
) -> Result<UploadForm, AppError> {
    let (office, ticket) = citizen_sender(app, office_id, ticket).await?;
    form_slot(app, &office, citizen_owner(&office, ticket), redirect).await
}

/// [`check_upload`] for a citizen, like [`citizen_slot`].
pub async fn citizen_check(
    app: &App,
    office_id: &str,
    ticket: Option<(&str, Option<&str>)>,
    token: &str,
    posted_key: Option<&str>,
) -> Result<CheckedUpload, AppError> {
    let (office, ticket) = citizen_sender(app, office_id, ticket).await?;
    let owner = citizen_owner(&office, ticket);
    check_upload(app, &office, owner, token, posted_key, false).await
}

/// The office, and the ticket the citizen proves access to, if any.
async fn citizen_sender(
    app: &App,
    office_id: &str,
    ticket: Option<(&str, Option<&str>)>,
) -> Result<(Office, Option<RequestId>), AppError> {
    let office = crate::offices::card(app, office_id).await?;
    let Some((id, k)) = ticket else {
        return Ok((office, None));
    };
    let t = crate::ticket::read(app, id, k).await?;
    if t.request.office.id != office.id {
        return Err(AppError::NotFound("solicitação"));
    }
    Ok((office, Some(t.request.id)))
}

fn citizen_owner(office: &Office, ticket: Option<RequestId>) -> FileOwner<'_> {
    match ticket {
        None => FileOwner::NewRequest(&office.id),
        Some(id) => FileOwner::Ticket(id),
    }
}

pub async fn slot(
    app: &App,
    office: &Office,
    owner: FileOwner<'_>,
    name: &str,
    size: u64,
) -> Result<UploadSlot, AppError> {
    let name = FileName::parse(name).map_err(|e| AppError::invalid("name", &e.to_string()))?;
    let file_type =
        check_declared(&name, size, office.max_attachment_bytes).map_err(|e| refusal(&name, &e))?;
    let id = Ulid::generate();
    let now = app.clock.now();
    let expires_at = now + UPLOAD_TTL;
    let key = upload_key(id);
    let policy = UploadPolicy {
        key: &key,
        named_by_file: false,
        content_type: Some(file_type.content_type()),
        max_bytes: office.max_attachment_bytes,
        expires_at,
        redirect: None,
    };
    let upload = app.blobs.upload_form(&policy, now).await?;
    let tag = tag_for(app.keys.get().await?, owner, id, &name);
    Ok(UploadSlot {
        id,
        attachment: UploadRef { id, tag, name }.encode(),
        content_type: file_type.content_type(),
        max_bytes: office.max_attachment_bytes,
        expires_at,
        upload,
    })
}

/// A form that posts one file straight to storage without JavaScript: the
/// file's own name completes its key, and storage sends the browser on to
/// `redirect(token)` (with the key in the query), where [`check_upload`] takes
/// the token and the key. The token is signed for `owner` like a reference.
pub async fn form_slot(
    app: &App,
    office: &Office,
    owner: FileOwner<'_>,
    redirect: impl FnOnce(&str) -> String,
) -> Result<UploadForm, AppError> {
    let id = Ulid::generate();
    let now = app.clock.now();
    let token = format!("{id}.{}", form_tag(app.keys.get().await?, owner, id));
    let redirect = redirect(&token);
    let prefix = format!("{}/", upload_key(id));
    let policy = UploadPolicy {
        key: &prefix,
        named_by_file: true,
        content_type: None,
        max_bytes: office.max_attachment_bytes,
        expires_at: now + FORM_TTL,
        redirect: Some(&redirect),
    };
    Ok(app.blobs.upload_form(&policy, now).await?)
}

/// How long a page's no-JavaScript upload form stays usable: a person may
/// read and write for a while before choosing a file.
pub const FORM_TTL: SignedDuration = SignedDuration::from_hours(2);

/// What a posted file turned out to be.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedUpload {
    /// What to send in the `attachments` field.
    pub attachment: String,
    pub name: FileName,
    pub size: u64,
    pub content_type: &'static str,
}

/// Right after the browser posted a file: is it what its name says, within
/// the office's limit (and a PDF, when `pdf_only`)? A refused file is deleted
/// at once, so the person learns it beside the file, not when sending. `token`
/// is a slot's reference (`<id>.<tag>:<name>`) or, after a form post without
/// JavaScript, a [`form_slot`] token with the `posted_key` storage gave; that
/// file is moved to where a reference's file lives. Safe to repeat.
pub async fn check_upload(
    app: &App,
    office: &Office,
    owner: FileOwner<'_>,
    token: &str,
    posted_key: Option<&str>,
    pdf_only: bool,
) -> Result<CheckedUpload, AppError> {
    let key = app.keys.get().await?;
    let forged = || {
        AppError::invalid(
            FIELD,
            "este anexo não foi enviado para esta solicitação; anexe o arquivo de novo",
        )
    };
    let r: UploadRef = match posted_key {
        None => token
            .parse()
            .map_err(|e: AttachmentError| AppError::invalid(FIELD, &e.to_string()))?,
        Some(posted) => {
            let (id, tag) = token.split_once('.').ok_or_else(forged)?;
            let id: Ulid = id.parse().map_err(|_| forged())?;
            let expected = form_tag(key, owner, id);
            if !bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
                return Err(forged());
            }
            let prefix = format!("{}/", upload_key(id));
            let name = posted.strip_prefix(&prefix).ok_or_else(forged)?;
            let name =
                FileName::parse(name).map_err(|e| AppError::invalid(FIELD, &e.to_string()))?;
            // Moved where a reference's upload lives; a repeat finds it there.
            if app.blobs.copy(posted, &upload_key(id)).await? {
                app.blobs.delete(posted).await?;
            }
            UploadRef {
                id,
                tag: tag_for(key, owner, id, &name),
                name,
            }
        }
    };
    let expected = tag_for(key, owner, r.id, &r.name);
    if !bool::from(expected.as_bytes().ct_eq(r.tag.as_bytes())) {
        return Err(forged());
    }
    let Some(head) = app.blobs.peek(&upload_key(r.id), HEAD_BYTES).await? else {
        return Err(AppError::invalid(
            FIELD,
            &format!("{}: arquivo não encontrado; envie-o de novo", r.name),
        ));
    };
    let judged = check(
        r.name.as_str(),
        head.size,
        &head.head,
        office.max_attachment_bytes,
    )
    .map_err(|e| refusal_text(&r.name, &e))
    .and_then(|t| {
        if pdf_only && t != FileType::Pdf {
            Err(format!("{}: somente arquivos PDF são aceitos aqui", r.name))
        } else {
            Ok(t)
        }
    });
    match judged {
        Ok(t) => Ok(CheckedUpload {
            attachment: r.encode(),
            name: r.name,
            size: head.size,
            content_type: t.content_type(),
        }),
        Err(reason) => {
            app.blobs.delete(&upload_key(r.id)).await?;
            Err(AppError::invalid(FIELD, &reason))
        }
    }
}

/// Parses the `attachments` values of a form.
pub fn parse_refs<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<UploadRef>, AppError> {
    let mut refs: Vec<UploadRef> = Vec::new();
    for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
        let r: UploadRef = v
            .parse()
            .map_err(|e: AttachmentError| AppError::invalid(FIELD, &e.to_string()))?;
        if !refs.iter().any(|x| x.id == r.id) {
            refs.push(r);
        }
    }
    if refs.len() > MAX_PER_MESSAGE {
        return Err(AppError::invalid(
            FIELD,
            &format!("no máximo {MAX_PER_MESSAGE} arquivos por mensagem"),
        ));
    }
    Ok(refs)
}

/// Checks every uploaded file and keeps those that pass, under `request`'s own
/// keys; if any is refused, nothing is kept for this message, every refused file
/// is deleted and the error says why for each. Safe to repeat: a file kept for
/// this request before is copied again. Call [`consume`] once the message is written.
pub async fn receive(
    app: &App,
    office: &Office,
    owner: FileOwner<'_>,
    request: RequestId,
    refs: &[UploadRef],
) -> Result<Vec<Attachment>, AppError> {
    let key = app.keys.get().await?;
    let forged: Vec<String> = refs
        .iter()
        .filter(|r| {
            let expected = tag_for(key, owner, r.id, &r.name);
            !bool::from(expected.as_bytes().ct_eq(r.tag.as_bytes()))
        })
        .map(|r| {
            format!(
                "{}: este anexo não foi enviado para esta solicitação; anexe o arquivo de novo",
                r.name
            )
        })
        .collect();
    if !forged.is_empty() {
        return Err(AppError::invalid(FIELD, &forged.join("; ")));
    }
    let max = office.max_attachment_bytes;
    let mut kept = Vec::with_capacity(refs.len());
    let mut refused: Vec<String> = Vec::new();
    for r in refs {
        match examine(app, r, request, max).await? {
            Ok(a) => kept.push(a),
            Err(reason) => refused.push(reason),
        }
    }
    if !refused.is_empty() {
        // Nothing of a refused message is kept.
        discard(app, request, &kept).await?;
        return Err(AppError::invalid(FIELD, &refused.join("; ")));
    }
    Ok(kept)
}

/// Once the message naming them is written, the uploads are deleted: a slot
/// serves one message. Until then a failed write can be retried with them.
pub async fn consume(app: &App, files: &[Attachment]) -> Result<(), AppError> {
    for a in files {
        app.blobs.delete(&upload_key(a.id)).await?;
    }
    Ok(())
}

/// Keeps a copy of the upload under the request's key and judges that copy: what
/// is checked is exactly what will be served.
async fn examine(
    app: &App,
    r: &UploadRef,
    request: RequestId,
    max: u64,
) -> Result<Result<Attachment, String>, AppError> {
    let kept_key = file_key(request, r.id);
    let judge = |h: BlobHead| {
        check(r.name.as_str(), h.size, &h.head, max).map(|file_type| Attachment {
            id: r.id,
            name: r.name.clone(),
            size: h.size,
            file_type,
        })
    };
    let missing = || format!("{}: arquivo não encontrado; envie-o de novo", r.name);
    // Always from the upload: once a message naming it is written the upload is
    // gone, so a spent slot attaches nothing new (a retry of the same message is
    // answered before this, by its action key).
    if !app.blobs.copy(&upload_key(r.id), &kept_key).await? {
        return Ok(Err(missing()));
    }
    let Some(head) = app.blobs.peek(&kept_key, HEAD_BYTES).await? else {
        return Ok(Err(missing()));
    };
    Ok(match judge(head) {
        Ok(a) => Ok(a),
        Err(e) => {
            app.blobs.delete(&kept_key).await?;
            app.blobs.delete(&upload_key(r.id)).await?;
            Err(refusal_text(&r.name, &e))
        }
    })
}

/// The whole of a kept file, for checks that need more than its first bytes.
pub async fn read_kept(
    app: &App,
    request: RequestId,
    file: &Attachment,
) -> Result<Vec<u8>, AppError> {
    let head = app
        .blobs
        .peek(&file_key(request, file.id), file.size)
        .await?
        .ok_or(AppError::NotFound("anexo"))?;
    Ok(head.head)
}

/// Deletes files kept for a message that was then not written.
pub async fn discard(app: &App, request: RequestId, files: &[Attachment]) -> Result<(), AppError> {
    for a in files {
        app.blobs.delete(&file_key(request, a.id)).await?;
    }
    Ok(())
}

/// A short-lived link to one file of the ticket; unknown files answer as not found.
pub async fn download_url(app: &App, ticket: &Ticket, file: &str) -> Result<String, AppError> {
    const NOT_FOUND: AppError = AppError::NotFound("anexo");
    let id: Ulid = file.parse().map_err(|_| NOT_FOUND)?;
    let a = ticket
        .events
        .iter()
        .flat_map(|e| &e.attachments)
        .find(|a| a.id == id)
        .ok_or(NOT_FOUND)?;
    signed_url(app, ticket.request.id, a).await
}

/// A link to one kept file of `request` that works for [`DOWNLOAD_TTL`].
pub async fn signed_url(app: &App, request: RequestId, a: &Attachment) -> Result<String, AppError> {
    let now = app.clock.now();
    let key = file_key(request, a.id);
    let link = DownloadLink {
        key: &key,
        file_name: a.name.as_str(),
        content_type: a.file_type.content_type(),
        expires_at: now + DOWNLOAD_TTL,
    };
    Ok(app.blobs.download_url(&link, now).await?)
}

/// "Arquivos anexados: a.pdf (12 KB), b.png (1,5 MB)" for emails and notices.
pub fn listing(files: &[Attachment]) -> Option<String> {
    (!files.is_empty()).then(|| {
        let names: Vec<String> = files
            .iter()
            .map(|a| format!("{} ({})", a.name, a.size_label()))
            .collect();
        format!("Arquivos anexados: {}", names.join(", "))
    })
}

/// A message's text followed by the list of its files, for an email body.
pub fn with_listing(text: &str, files: &[Attachment]) -> String {
    [Some(text.to_owned()), listing(files)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn refusal_text(name: &FileName, e: &AttachmentError) -> String {
    format!("{name}: {e}")
}

fn refusal(name: &FileName, e: &AttachmentError) -> AppError {
    AppError::invalid(FIELD, &refusal_text(name, e))
}

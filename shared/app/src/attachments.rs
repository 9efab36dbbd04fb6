//! Attachments (SPEC C8). A sender first asks for an upload slot, which refuses
//! at once what could never pass and lets the browser post the file straight to
//! storage under `uploads/`. Attaching it to a message or a new request checks
//! the stored content (magic bytes, not the name) and only then copies it to
//! `files/`, the only place downloads are signed for. A refused file is deleted.

use crate::ports::{BlobHead, DownloadLink, Ticket, UploadForm, UploadPolicy};
use crate::{App, AppError};
use balcao_core::attachment::{MAX_PER_MESSAGE, check, check_declared};
use balcao_core::{Attachment, AttachmentError, FileName, Office, UploadRef};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
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

pub fn file_key(id: Ulid) -> String {
    format!("files/{id}")
}

/// The answer to "I want to send this file".
#[derive(Debug, Clone, Serialize)]
pub struct UploadSlot {
    pub id: Ulid,
    /// What to send back in the `attachments` field: `<id>:<name>`.
    pub attachment: String,
    pub content_type: &'static str,
    pub max_bytes: u64,
    pub expires_at: Timestamp,
    pub upload: UploadForm,
}

/// A slot at a public office, for a citizen opening a request or writing on one.
pub async fn citizen_slot(
    app: &App,
    office_id: &str,
    name: &str,
    size: u64,
) -> Result<UploadSlot, AppError> {
    let office = crate::offices::card(app, office_id).await?;
    slot(app, &office, name, size).await
}

pub async fn slot(
    app: &App,
    office: &Office,
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
        content_type: file_type.content_type(),
        max_bytes: office.max_attachment_bytes,
        expires_at,
    };
    let upload = app.blobs.upload_form(&policy, now).await?;
    Ok(UploadSlot {
        id,
        attachment: UploadRef { id, name }.encode(),
        content_type: file_type.content_type(),
        max_bytes: office.max_attachment_bytes,
        expires_at,
        upload,
    })
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

/// Checks every uploaded file and keeps those that pass; if any is refused,
/// every refused upload is deleted, nothing is kept for this message and the
/// error says why for each. Safe to repeat: a file kept before is found again.
pub async fn receive(
    app: &App,
    office: &Office,
    refs: &[UploadRef],
) -> Result<Vec<Attachment>, AppError> {
    let max = office.max_attachment_bytes;
    let mut passed = Vec::with_capacity(refs.len());
    let mut refused: Vec<String> = Vec::new();
    for r in refs {
        match examine(app, r, max).await? {
            Examined::Kept(a) => passed.push((a, true)),
            Examined::Uploaded(a) => passed.push((a, false)),
            Examined::Missing => refused.push(format!(
                "{}: arquivo não encontrado; envie-o de novo",
                r.name
            )),
            Examined::Refused(e) => {
                app.blobs.delete(&upload_key(r.id)).await?;
                refused.push(refusal_text(&r.name, &e));
            }
        }
    }
    if !refused.is_empty() {
        return Err(AppError::invalid(FIELD, &refused.join("; ")));
    }
    let mut kept = Vec::with_capacity(passed.len());
    for (a, already) in passed {
        if !already {
            // Someone attaching the same upload at once may have moved it first.
            let copied = app.blobs.copy(&upload_key(a.id), &file_key(a.id)).await?;
            if !copied && app.blobs.peek(&file_key(a.id), 0).await?.is_none() {
                return Err(AppError::invalid(
                    FIELD,
                    &format!("{}: arquivo não encontrado; envie-o de novo", a.name),
                ));
            }
            app.blobs.delete(&upload_key(a.id)).await?;
        }
        kept.push(a);
    }
    Ok(kept)
}

enum Examined {
    /// Checked and kept by an earlier attempt.
    Kept(Attachment),
    /// Uploaded and passing the check, not kept yet.
    Uploaded(Attachment),
    Missing,
    Refused(AttachmentError),
}

async fn examine(app: &App, r: &UploadRef, max: u64) -> Result<Examined, AppError> {
    let judge = |h: BlobHead| match check(r.name.as_str(), h.size, &h.head, max) {
        Ok(file_type) => Ok(Attachment {
            id: r.id,
            name: r.name.clone(),
            size: h.size,
            file_type,
        }),
        Err(e) => Err(e),
    };
    if let Some(h) = app.blobs.peek(&file_key(r.id), HEAD_BYTES).await? {
        return Ok(match judge(h) {
            Ok(a) => Examined::Kept(a),
            // Kept under another name whose type differs: not this file.
            Err(_) => Examined::Missing,
        });
    }
    Ok(match app.blobs.peek(&upload_key(r.id), HEAD_BYTES).await? {
        None => Examined::Missing,
        Some(h) => match judge(h) {
            Ok(a) => Examined::Uploaded(a),
            Err(e) => Examined::Refused(e),
        },
    })
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
    let now = app.clock.now();
    let key = file_key(a.id);
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

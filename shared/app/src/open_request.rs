//! Open a request (SPEC C3, C5, C6): validate against the office's rules, store
//! the ticket with its first event, idempotency record and confirmation email in
//! one transaction.

use crate::attachments::FileOwner;
use crate::limits::{self, Admission};
use crate::ports::{IdempotencyRecord, NewTicket, Opened, OutboxMail, SlotClaim, Timer};
use crate::secrets::{IdempotencyKey, TicketSecret, sha256_hex};
use crate::{App, AppError};
use crate::{attachments, emails};
use balcao_core::{
    Author, Consent, Event, EventKind, FieldRule, FormField, OfficeSnapshot, RawRequestForm,
    Request, RequestId, SlotKey, Status, TicketNumber, UploadRef, ValidRequestForm,
};
use jiff::ToSpan;
use ulid::Ulid;

/// How long a retry with the same key returns the same ticket.
const IDEMPOTENCY_HOURS: i64 = 24;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedTicket {
    pub id: RequestId,
    pub number: TicketNumber,
    pub status: Status,
    pub ticket_url: String,
    /// The secret of the link, for building a relative redirect.
    pub token: String,
    /// True when this answer repeats an earlier submission.
    pub replayed: bool,
}

pub async fn open(
    app: &App,
    office_id: &str,
    raw: &RawRequestForm,
    files: &[UploadRef],
    header_key: Option<&str>,
) -> Result<OpenedTicket, AppError> {
    let office = crate::offices::card(app, office_id).await?;
    let key = match raw
        .idempotency_key
        .as_deref()
        .or(header_key)
        .filter(|k| !k.trim().is_empty())
    {
        None => None,
        Some(k) => Some(IdempotencyKey::parse(k).ok_or_else(|| {
            AppError::invalid(
                "idempotency_key",
                "chave de idempotência inválida (8 a 128 caracteres visíveis)",
            )
        })?),
    };
    let now = app.clock.now();
    let rule = raw
        .service
        .as_deref()
        .and_then(|s| office.service(s))
        .map_or(FieldRule::Hidden, |s| s.fields.rule(FormField::Attachments));
    // A service that asks for no files keeps none.
    let files = if rule == FieldRule::Hidden {
        &[][..]
    } else {
        files
    };
    let missing_files = rule == FieldRule::Required && files.is_empty();
    let form = match (ValidRequestForm::parse(raw, &office, now), missing_files) {
        (Ok(form), false) => form,
        (parsed, _) => {
            let mut errors = parsed.err().unwrap_or_default();
            if missing_files {
                errors.add(FormField::Attachments.key(), "anexe pelo menos um arquivo");
            }
            return Err(AppError::Invalid(errors));
        }
    };
    let mut fingerprinted = serde_json::to_vec(&form).unwrap_or_default();
    for f in files {
        fingerprinted.extend_from_slice(f.encode().as_bytes());
    }
    let fingerprint = sha256_hex(&fingerprinted);
    let office_key = office.id.as_str();
    // A retry with files answers before they are checked or kept again (their
    // uploads are spent). Without files the opening transaction itself finds the
    // earlier submission, and the limit below does not count it twice.
    let key_hash = key.as_ref().map(|k| k.hash(office_key));
    let earlier = async |app: &App| match &key_hash {
        Some(h) => app.tickets.idempotency(h, now).await,
        None => Ok(None),
    };
    if !files.is_empty()
        && let (Some(k), Some(record)) = (&key, earlier(app).await?)
    {
        return replay(app, k, office_key, &record, &fingerprint);
    }

    let citizen_key = crate::secrets::citizen_key(app.keys.get().await?, &form.citizen.email);
    // Back and submit again brings a new key with the same request: the one
    // already open stands, and a booking never holds two places for one person.
    if let Some(open) = already_open(app, &citizen_key, &office, &form, files, now).await? {
        if let (Some(k), Some(record)) = (&key, earlier(app).await?) {
            return replay(app, k, office_key, &record, &fingerprint);
        }
        return Err(open);
    }

    // At most a few new requests per email an hour: no one is bombed through an office.
    let member = key_hash
        .clone()
        .unwrap_or_else(|| Ulid::generate().to_string());
    let limit = limits::NEW_REQUESTS;
    let counter = limits::new_requests_key(&citizen_key);
    if let Admission::Limited { until } = app
        .limits
        .admit(&counter, &member, limit.max, limit.window, now)
        .await?
    {
        // A retry of a submission counted in an earlier window still gets its ticket.
        if let (Some(k), Some(record)) = (&key, earlier(app).await?) {
            return replay(app, k, office_key, &record, &fingerprint);
        }
        return Err(AppError::too_many(
            "email",
            &format!(
                "Este e-mail já abriu {} solicitações na última hora.",
                limit.max
            ),
            now,
            until,
        ));
    }

    let id = RequestId(Ulid::generate());
    // Kept under this request's key, checked there; the uploads are spent once it is written.
    let owner = FileOwner::NewRequest(&office.id);
    let files = match attachments::receive(app, &office, owner, id, files).await {
        Ok(kept) => kept,
        Err(e) => {
            // A double submission spends the uploads only after writing its ticket:
            // if they are gone, that ticket is the answer.
            if let (Some(k), Some(record)) = (&key, earlier(app).await?) {
                return replay(app, k, office_key, &record, &fingerprint);
            }
            return Err(e);
        }
    };

    let secret = TicketSecret::generate();
    let token = secret.encode();
    let ticket_url = ticket_url(app, id, &token);
    let snapshot = OfficeSnapshot::from(&office);
    // The start window's timer goes first: if the ticket is then not written, it
    // fires for nothing and is ignored; the other way round a crash would lose it.
    let window = form
        .service
        .start_window_minutes
        .and_then(|m| crate::timers::start_window_timers(&office, id, m, now));
    let start_by = window.as_ref().map(|(d, _)| d.clone());
    let reply_by = form
        .service
        .response_window_hours
        .and_then(|h| crate::timers::reply_window(&office, h, now));
    let reply_warning = reply_by
        .as_ref()
        .and_then(|w| w.warn_at)
        .map(|due| Timer::reply_warning(id, due, &office.timezone));
    let timers = window.iter().flat_map(|(_, timers)| timers);
    for t in timers.chain(reply_warning.iter()) {
        app.timers.schedule(t).await?;
    }
    // A booked appointment holds its slot from the first write (SPEC C4).
    let slot = form.appointment.as_ref().map(|a| SlotClaim {
        key: SlotKey {
            date: a.date,
            time: a.time,
        },
        capacity: office.slot_capacity,
    });

    let compose = |number: TicketNumber| {
        let request = Request {
            id,
            number,
            office: snapshot.clone(),
            service_id: form.service.id.clone(),
            service_kind: form.service.kind,
            service_name: form.service.name.clone(),
            status: Status::Received,
            version: 1,
            created_at: now,
            updated_at: now,
            citizen: Some(form.citizen.clone()),
            citizen_key: citizen_key.clone(),
            details: form.details.clone(),
            appointment: form.appointment.clone(),
            consent: Consent {
                version: office.privacy.version.clone(),
                accepted_at: now,
            },
            token_hashes: vec![secret.hash()],
            awaiting_office: true,
            unread_replies: 0,
            assignee: None,
            checklist: vec![],
            decided_at: None,
            rating: None,
            start_by: start_by.clone(),
            slot: slot.map(|c| c.key),
            reply_by: reply_by.clone(),
            // Only notices about messages are coalesced; the first message is told at once.
            office_notice: None,
            erase_on: None,
            erased_at: None,
            windows: Default::default(),
        };
        let event = Event {
            id: Ulid::generate(),
            seq: 1,
            at: now,
            kind: EventKind::Opened,
            author: Author::Citizen,
            text: format!("Solicitação aberta: {}", form.service.name),
            status: Some(Status::Received),
            attachments: files.clone(),
        };
        let letter = emails::ticket_opened(&request, &ticket_url);
        let mut mails = vec![OutboxMail::new(
            form.citizen.email.clone(),
            letter,
            Some(id),
            now,
        )];
        if office.notifications.new_request {
            let headline = format!("Nova solicitação nº {number}");
            let body = request
                .details
                .message
                .as_ref()
                .map(|m| m.as_str())
                .unwrap_or("(sem mensagem)");
            let body = attachments::with_listing(body, &files);
            let notice =
                emails::office_notice(&request, &headline, &body, &app.config.public_base_url);
            mails.push(OutboxMail::new(office.email.clone(), notice, Some(id), now));
        }
        let idempotency = key.as_ref().map(|k| IdempotencyRecord {
            key_hash: k.hash(office_key),
            office_id: office.id.clone(),
            request_id: id,
            number,
            sealed_token: k.seal(office_key, &secret),
            fingerprint: fingerprint.clone(),
            expires_at: now + IDEMPOTENCY_HOURS.hours(),
        });
        let tally =
            balcao_core::report::opened(&request, now.to_zoned(request.office.time_zone()).date());
        NewTicket {
            request,
            event,
            mails,
            idempotency,
            slot,
            tally: Some(tally),
        }
    };

    let opened = app.tickets.open_request(&office.id, &compose).await;
    if !matches!(opened, Ok(Opened::Created(_))) {
        // Nothing names the copies kept for a ticket that was not written.
        attachments::discard(app, id, &files).await?;
    }
    match opened? {
        Opened::Created(request) => {
            tracing::info!(request = %request.id, office = %office.id, number = %request.number, "request opened");
            metrics::counter!("RequestsOpened", "ServiceKind" => format!("{:?}", request.service_kind))
                .increment(1);
            if let Err(e) = attachments::consume(app, &files).await {
                tracing::warn!(error = %e, "uploads not deleted after opening");
            }
            Ok(OpenedTicket {
                id,
                number: request.number,
                status: request.status,
                ticket_url,
                token,
                replayed: false,
            })
        }
        Opened::SlotFull => Err(AppError::SlotFull),
        Opened::Replayed(record) => {
            let key = key.as_ref().ok_or(AppError::IdempotencyMismatch)?;
            replay(app, key, office_key, &record, &fingerprint)
        }
    }
}

/// The answer an earlier submission with the same key got; other data with the
/// same key is a conflict.
fn replay(
    app: &App,
    key: &IdempotencyKey,
    office_key: &str,
    record: &IdempotencyRecord,
    fingerprint: &str,
) -> Result<OpenedTicket, AppError> {
    if record.fingerprint != fingerprint {
        return Err(AppError::IdempotencyMismatch);
    }
    let secret = key
        .unseal(office_key, &record.sealed_token)
        .ok_or(AppError::IdempotencyMismatch)?;
    let token = secret.encode();
    Ok(OpenedTicket {
        id: record.request_id,
        number: record.number,
        status: Status::Received,
        ticket_url: self::ticket_url(app, record.request_id, &token),
        token,
        replayed: true,
    })
}

pub fn ticket_url(app: &App, id: RequestId, token: &str) -> String {
    format!("{}/tickets/{id}?k={token}", app.config.public_base_url)
}

/// How long an identical request counts as the same one sent again.
const RESUBMISSION: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);

/// The citizen's open request this form repeats: at the same office and
/// service, sent moments ago with the same text and no new files, or holding
/// the same slot.
async fn already_open(
    app: &App,
    citizen: &balcao_core::CitizenKey,
    office: &balcao_core::Office,
    form: &ValidRequestForm,
    files: &[UploadRef],
    now: jiff::Timestamp,
) -> Result<Option<AppError>, AppError> {
    let slot = form.appointment.as_ref().map(|a| SlotKey {
        date: a.date,
        time: a.time,
    });
    let recent = app.tickets.citizen_requests(citizen.as_str(), 5).await?;
    let same = recent.iter().find(|r| {
        let here = r.office.id == office.id && !r.status.is_closed();
        let same_slot = slot.is_some() && r.slot == slot;
        // New files make it another submission (the earlier uploads were spent).
        let same_text = files.is_empty()
            && r.service_id == form.service.id
            && r.details.message == form.details.message
            && r.created_at + RESUBMISSION > now;
        here && (same_slot || same_text)
    });
    Ok(same.map(|r| {
        let to = form.citizen.email.masked();
        let (field, what) = if slot.is_some() && r.slot == slot {
            ("date", "Você já tem este horário reservado")
        } else {
            ("message", "Você já enviou esta solicitação há pouco")
        };
        AppError::AlreadyOpened {
            number: r.number,
            message: format!(
                "{what} (solicitação nº {}); o link para acompanhá-la foi enviado para {to}. Não é preciso enviar de novo.",
                r.number
            ),
            field,
        }
    }))
}

//! Items as the table stores them, built from and read back into domain values.

use super::keys::{self, key, millis, n, s};
use super::{Item, from_av, num, text, to_av};
use balcao_app::emails::Letter;
use balcao_app::ports::order::{self, Shelf};
use balcao_app::ports::{MailAttachment, MailId, OutboxMail, StoreError};
use balcao_core::{Email, Event, Office, Request, RequestId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub fn from_millis(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A request's item, with the keys of every list it is on and the plain
/// attributes the queue's filters read.
pub fn request(r: &Request) -> Result<Item, StoreError> {
    let mut meta = key(keys::request(r.id), "META");
    meta.insert("data".into(), to_av(r)?);
    meta.insert("version".into(), n(r.version));
    meta.insert("status".into(), s(r.status.key()));
    meta.insert("service".into(), s(r.service_id.as_str()));
    if let Some(sector) = &r.details.sector {
        meta.insert("sector".into(), s(sector.as_str()));
    }
    meta.insert("created".into(), n(millis(r.created_at)));
    if let Some(a) = &r.assignee {
        meta.insert("assignee".into(), s(a.as_str()));
    }
    meta.insert(
        "GSI2PK".into(),
        s(keys::queue(&r.office.id, Shelf::of(r.status))),
    );
    meta.insert("GSI2SK".into(), s(order::queue_key(r)));
    // An erased request leaves its citizen's list.
    if !r.citizen_key.as_str().is_empty() {
        meta.insert("GSI3PK".into(), s(keys::citizen(r.citizen_key.as_str())));
        meta.insert(
            "GSI3SK".into(),
            s(format!("{:015}#{}", millis(r.created_at), r.id)),
        );
    }
    if let Some(day) = r.erase_on {
        meta.insert("GSI1PK".into(), s(keys::RETAINED));
        meta.insert("GSI1SK".into(), s(keys::erase_on(day, r.id)));
    }
    // Sparse: a released request is in its UF's pool; a rated one on its office's list.
    if let Some(k) = order::pool_key(r) {
        meta.insert("GSI4PK".into(), s(keys::pool(r.office.uf)));
        meta.insert("GSI4SK".into(), s(k));
    } else if let Some(k) = order::rated_key(r) {
        meta.insert("GSI4PK".into(), s(keys::rated(&r.office.id)));
        meta.insert("GSI4SK".into(), s(k));
    }
    Ok(meta)
}

pub fn event(request: RequestId, e: &Event) -> Result<Item, StoreError> {
    // Sorted by sequence; the id makes a repeated action's condition fail.
    let mut ev = key(keys::request(request), &format!("EV#{:010}", e.seq));
    ev.insert("event_id".into(), s(e.id.to_string()));
    ev.insert("data".into(), to_av(e)?);
    Ok(ev)
}

/// The office's profile, listed in its UF's directory by city and name.
pub fn office(o: &Office) -> Result<Item, StoreError> {
    let mut item = key(keys::office(&o.id), "PROFILE");
    item.insert("data".into(), to_av(o)?);
    item.insert("listing".into(), to_av(&o.listing())?);
    item.insert("GSI1PK".into(), s(keys::directory(o.uf)));
    item.insert("GSI1SK".into(), s(order::office_key(o)));
    Ok(item)
}

/// What an outbox item holds besides its delivery state.
#[derive(Serialize, Deserialize)]
struct MailContent {
    to: Email,
    /// The letter as data; mail written before that has its rendered subject and bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    letter: Option<Letter>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    html: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<MailAttachment>,
    request_id: Option<RequestId>,
    created_at: Timestamp,
}

/// A new mail, on its shard of the retry index until sent.
pub fn mail(m: &OutboxMail) -> Result<Item, StoreError> {
    let mut mail = key(keys::mail(m.id), "MAIL");
    mail.insert(
        "data".into(),
        to_av(&MailContent {
            to: m.to.clone(),
            letter: Some(m.letter.clone()),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
            attachments: vec![],
            request_id: m.request_id,
            created_at: m.created_at,
        })?,
    );
    mail.insert("attempts".into(), n(0));
    mail.insert("next_attempt_at".into(), n(millis(m.next_attempt_at)));
    mail.insert("GSI1PK".into(), s(keys::outbox_shard(m.id)));
    mail.insert("GSI1SK".into(), s(keys::due(m.next_attempt_at, m.id)));
    Ok(mail)
}

pub fn mail_id(item: &Item) -> Result<MailId, StoreError> {
    text(item, "PK")
        .and_then(|pk| pk.strip_prefix("MAIL#").and_then(|s| s.parse().ok()))
        .map(MailId)
        .ok_or_else(|| StoreError::Corrupt("mail key".into()))
}

pub fn mail_from(item: &Item) -> Result<OutboxMail, StoreError> {
    let id = mail_id(item)?;
    let c: MailContent = from_av(item, "data")?;
    let opt_ts = |attr| num(item, attr).map(from_millis).transpose();
    let letter = c
        .letter
        .unwrap_or_else(|| Letter::rendered(c.subject, c.text, c.html, c.attachments));
    Ok(OutboxMail {
        id,
        to: c.to,
        letter,
        request_id: c.request_id,
        created_at: c.created_at,
        attempts: num(item, "attempts").unwrap_or(0) as u32,
        next_attempt_at: from_millis(num(item, "next_attempt_at").unwrap_or(0))?,
        leased_until: opt_ts("lease_until")?,
        sent_at: opt_ts("sent_at")?,
        provider_id: text(item, "provider_id"),
        last_error: text(item, "last_error"),
        undelivered_at: opt_ts("undelivered_at")?,
    })
}

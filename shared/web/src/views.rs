//! JSON shapes of the public contract, and the display values pages share.

use balcao_app::ports::Ticket;
use balcao_core::office::weekday_label;
use balcao_core::{FieldRule, Office, OfficeListing, Request};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> List<T> {
    /// A whole list.
    pub fn of(items: Vec<T>) -> Self {
        Self { items, next: None }
    }

    /// One page of a longer list.
    pub fn page(items: Vec<T>, next: Option<&balcao_app::ports::Position>) -> Self {
        Self {
            items,
            next: next.map(balcao_app::ports::Position::encode),
        }
    }
}

#[derive(Serialize)]
pub struct OfficeView {
    pub id: String,
    pub name: String,
    pub uf: &'static str,
    pub city: String,
    pub cns: String,
    pub officer: String,
    pub address: String,
    pub cep: String,
    pub phone: String,
    pub email: String,
    pub whatsapp: Option<String>,
    pub timezone: String,
    /// "horário de Brasília".
    #[serde(skip)]
    pub zone: String,
    /// "na Bahia".
    #[serde(skip)]
    pub uf_in: String,
}

impl From<&Office> for OfficeView {
    fn from(o: &Office) -> Self {
        Self::from(&o.listing())
    }
}

impl From<&OfficeListing> for OfficeView {
    fn from(o: &OfficeListing) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name.clone(),
            uf: o.uf.code(),
            city: o.city.clone(),
            cns: o.cns.clone(),
            officer: o.officer.clone(),
            address: o.address.clone(),
            cep: o.cep.clone(),
            phone: o.phone.clone(),
            email: o.email.to_string(),
            whatsapp: o.whatsapp.clone(),
            timezone: o.timezone.clone(),
            zone: balcao_core::office::zone_label(&o.timezone),
            uf_in: o.uf.in_name(),
        }
    }
}

#[derive(Serialize)]
pub struct ServiceView {
    pub id: String,
    pub kind: balcao_core::ServiceKind,
    pub name: String,
    pub description: String,
    pub fields: BTreeMap<&'static str, FieldRule>,
}

#[derive(Serialize)]
pub struct NamedView {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct HoursView {
    pub weekday: &'static str,
    pub periods: Vec<String>,
}

#[derive(Serialize)]
pub struct OfficeCardView {
    #[serde(flatten)]
    pub office: OfficeView,
    pub services: Vec<ServiceView>,
    pub sectors: Vec<NamedView>,
    pub attendants: Vec<NamedView>,
    pub hours: Vec<HoursView>,
    pub privacy_version: String,
    /// Comments staff approved for showing (SPEC S7).
    pub reviews: Vec<ReviewView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewView {
    pub verdict: &'static str,
    pub label: &'static str,
    pub comment: String,
    pub date: String,
}

impl ReviewView {
    pub fn new(r: &balcao_core::PublicReview, timezone: &str) -> Self {
        Self {
            verdict: match r.verdict {
                balcao_core::Verdict::Approved => "approved",
                balcao_core::Verdict::Rejected => "rejected",
            },
            label: r.verdict.label(),
            comment: r.comment.clone(),
            date: local_time(r.at, timezone)
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

pub fn hours(o: &Office) -> Vec<HoursView> {
    o.hours_by_day()
        .into_iter()
        .map(|(d, ps)| HoursView {
            weekday: weekday_label(d),
            periods: ps
                .iter()
                .map(|p| format!("{}–{}", p.open.strftime("%H:%M"), p.close.strftime("%H:%M")))
                .collect(),
        })
        .collect()
}

impl From<&Office> for OfficeCardView {
    fn from(o: &Office) -> Self {
        Self {
            office: OfficeView::from(o),
            services: o
                .services
                .iter()
                .map(|s| ServiceView {
                    id: s.id.to_string(),
                    kind: s.kind,
                    name: s.name.clone(),
                    description: s.description.clone(),
                    fields: s.fields.iter().map(|(f, r)| (f.key(), r)).collect(),
                })
                .collect(),
            sectors: o
                .sectors
                .iter()
                .map(|s| NamedView {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                })
                .collect(),
            // Attendants' emails stay private.
            attendants: o
                .attendants
                .iter()
                .map(|a| NamedView {
                    id: a.id.to_string(),
                    name: a.name.clone(),
                })
                .collect(),
            hours: hours(o),
            privacy_version: o.privacy.version.clone(),
            reviews: vec![],
        }
    }
}

#[derive(Serialize)]
pub struct TicketView {
    pub id: String,
    pub number: u64,
    pub status: &'static str,
    pub status_label: &'static str,
    pub service: serde_json::Value,
    pub office: serde_json::Value,
    pub citizen: serde_json::Value,
    pub details: serde_json::Value,
    pub appointment: Option<serde_json::Value>,
    pub consent: serde_json::Value,
    pub created_at: String,
    /// Office replies the citizen has not acted on yet.
    pub unread_replies: u32,
    /// The citizen's rating, with its moderation (SPEC C7, S7).
    pub rating: Option<serde_json::Value>,
    /// When the office must start, in business time, and why then.
    pub start_by: Option<serde_json::Value>,
    /// When the office must answer the citizen's oldest unanswered message.
    pub reply_by: Option<serde_json::Value>,
    /// The booked slot the request holds (`YYYY-MM-DDTHH:MM`, office time), until given back.
    pub slot: Option<String>,
    pub history: Vec<serde_json::Value>,
    /// Staff only: an email to the citizen could not be delivered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mail_undelivered: bool,
}

impl From<&Ticket> for TicketView {
    fn from(t: &Ticket) -> Self {
        use serde_json::json;
        let r: &Request = &t.request;
        let o = &r.office;
        Self {
            id: r.id.to_string(),
            number: r.number.0,
            status: r.status.key(),
            status_label: r.status.label(),
            service: json!({ "id": r.service_id, "kind": r.service_kind, "name": r.service_name }),
            office: json!({
                "id": o.id, "name": o.name, "uf": o.uf.code(), "city": o.city, "cns": o.cns,
                "address": o.address, "cep": o.cep, "phone": o.phone, "email": o.email,
                "whatsapp": o.whatsapp, "timezone": o.timezone,
            }),
            citizen: {
                let c = r.citizen.as_ref();
                let document = c.and_then(|c| c.document.as_ref());
                json!({
                    "name": r.citizen_name(),
                    "email": c.map(|c| &c.email),
                    "document": document.map(|d| d.masked()),
                    "document_type": document.map(|d| d.kind_label()),
                    "mobile": c.and_then(|c| c.mobile.as_ref()).map(ToString::to_string),
                    "erased": r.erased_at.is_some(),
                })
            },
            details: json!({
                "sector": r.details.sector, "protocol": r.details.protocol, "priority": r.details.priority,
                "attendant": r.details.attendant, "message": r.details.message,
            }),
            appointment: r.appointment.as_ref().map(|a| {
                json!({
                    "date": a.date.to_string(), "time": a.time.strftime("%H:%M").to_string(),
                    "mode": a.mode.key(), "timezone": o.timezone,
                })
            }),
            consent: json!({ "version": r.consent.version, "accepted_at": r.consent.accepted_at.to_string() }),
            created_at: r.created_at.to_string(),
            unread_replies: r.unread_replies,
            rating: r.rating.as_ref().map(|x| {
                json!({
                    "verdict": x.verdict, "comment": x.comment, "at": x.at.to_string(),
                    "moderation": x.moderation,
                })
            }),
            start_by: r
                .start_by
                .as_ref()
                .map(|d| json!({"at": d.at.to_string(), "explanation": d.explanation})),
            reply_by: r.reply_by.as_ref().map(
                |w| json!({"at": w.deadline.at.to_string(), "explanation": w.deadline.explanation}),
            ),
            slot: r.slot.map(|s| s.to_string()),
            // The citizen's view leaves out what concerns only the office.
            history: t
                .events
                .iter()
                .filter(|e| e.concerns_citizen())
                .map(|e| history_line(r, e))
                .collect(),
            mail_undelivered: false,
        }
    }
}

fn history_line(r: &Request, e: &balcao_core::Event) -> serde_json::Value {
    serde_json::json!({
        "at": e.at.to_string(), "kind": e.kind, "author": e.author.label(),
        "text": e.text, "status": e.status.map(|s| s.key()),
        "attachments": e.attachments.iter().map(|a| serde_json::json!({
            "id": a.id.to_string(), "name": a.name, "size": a.size,
            "type": a.file_type.content_type(),
            "path": format!("/tickets/{}/attachments/{}", r.id, a.id),
        })).collect::<Vec<_>>(),
    })
}

impl TicketView {
    /// What the office sees: the citizen's document in full (staff check it).
    pub fn for_staff(t: &Ticket) -> Self {
        let mut v = Self::from(t);
        v.citizen["document"] = serde_json::json!(
            t.request
                .citizen
                .as_ref()
                .and_then(|c| c.document.as_ref())
                .map(|d| match d {
                    balcao_core::Document::Cpf(c) => c.to_string(),
                    balcao_core::Document::Cnpj(c) => c.to_string(),
                })
        );
        v.citizen["awaiting_office"] = serde_json::json!(t.request.awaiting_office);
        v.history = t
            .events
            .iter()
            .map(|e| history_line(&t.request, e))
            .collect();
        v.mail_undelivered = t
            .events
            .iter()
            .any(|e| e.kind == balcao_core::EventKind::MailUndelivered);
        // Staff download through their own route, behind the authorizer.
        for line in &mut v.history {
            for a in line["attachments"].as_array_mut().into_iter().flatten() {
                let path = format!(
                    "/staff/requests/{}/attachments/{}",
                    t.request.id,
                    a["id"].as_str().unwrap_or_default()
                );
                a["path"] = serde_json::json!(path);
            }
        }
        v
    }
}

/// `22/11/2026 14:05` in the office's time zone.
pub fn local_time(at: jiff::Timestamp, timezone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(tz).strftime("%d/%m/%Y %H:%M").to_string()
}

/// The appointment as pages show it: date, time and time zone, mode, place, subject.
pub fn appointment_label(r: &Request) -> Option<String> {
    r.appointment.as_ref().map(|a| {
        let mut text = format!(
            "{} às {} ({}) – {}",
            a.date.strftime("%d/%m/%Y"),
            a.time.strftime("%H:%M"),
            balcao_core::office::zone_label(&r.office.timezone),
            a.mode.label()
        );
        if let Some(m) = &a.meeting {
            text.push_str(&format!(". {}", m.label()));
        }
        if let Some(s) = &a.subject {
            text.push_str(&format!(". Assunto: {s}"));
        }
        text
    })
}

/// The windows still running, in the office's time: until when the office must
/// start (while nothing was decided), and until when it must answer.
pub fn running_windows(r: &Request) -> (Option<String>, Option<String>) {
    let tz = &r.office.timezone;
    let start_by = r
        .start_by
        .as_ref()
        .filter(|_| r.status == balcao_core::Status::Received && r.decided_at.is_none())
        .map(|d| local_time(d.at, tz));
    let reply_by = r.reply_by.as_ref().map(|w| local_time(w.deadline.at, tz));
    (start_by, reply_by)
}

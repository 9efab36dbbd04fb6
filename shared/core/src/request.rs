//! A citizen's request (the ticket) and its append-only history.

use crate::attachment::Attachment;
use crate::booking::SlotKey;
use crate::contact::{Email, Mobile};
use crate::document::Document;
use crate::office::{Office, OfficeId, ServiceId, ServiceKind, Uf};
use crate::rating::Rating;
use crate::status::Status;
use crate::text::{FreeText, PersonName, ProtocolNumber};
use crate::workflow::{ChecklistAnswer, Meeting};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ulid::Ulid;

/// A request's id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Ulid);

impl RequestId {
    pub fn parse(input: &str) -> Option<Self> {
        Ulid::from_str(input.trim()).ok().map(Self)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The short number a person reads over the phone: sequential within an office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketNumber(pub u64);

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    pub name: PersonName,
    pub email: Email,
    pub document: Option<Document>,
    pub mobile: Option<Mobile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentMode {
    InPerson,
    Virtual,
}

impl AppointmentMode {
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim() {
            "in_person" => Some(Self::InPerson),
            "virtual" => Some(Self::Virtual),
            _ => None,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Virtual => "virtual",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::InPerson => "Presencial",
            Self::Virtual => "Virtual (videoconferência)",
        }
    }
}

/// Date and time in the office's own time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub date: Date,
    pub time: Time,
    pub mode: AppointmentMode,
    /// What it is about; set by staff when they confirm it (SPEC S5).
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub meeting: Option<Meeting>,
    /// Grows with each change staff make, as the `.ics` SEQUENCE: calendars
    /// update the event instead of adding another. 0 is the citizen's wish.
    #[serde(default)]
    pub sequence: u32,
}

impl Appointment {
    /// When it starts, in the office's zone `tz`; `None` for a zone or a local
    /// time that does not exist.
    pub fn starts_at(&self, tz: &str) -> Option<Timestamp> {
        let zone = jiff::tz::TimeZone::get(tz).ok()?;
        let zoned = self.date.to_datetime(self.time).to_zoned(zone).ok()?;
        Some(zoned.timestamp())
    }
}

/// Which privacy text the citizen accepted, and when (LGPD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub version: String,
    pub accepted_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RequestDetails {
    pub sector: Option<String>,
    pub protocol: Option<ProtocolNumber>,
    pub priority: bool,
    pub attendant: Option<String>,
    pub message: Option<FreeText>,
}

/// What the ticket shows of the office, copied at opening so a ticket page is
/// one read and shows the office as it was when the citizen wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeSnapshot {
    pub id: OfficeId,
    pub name: String,
    pub uf: Uf,
    pub city: String,
    pub cns: String,
    pub address: String,
    pub cep: String,
    pub phone: String,
    pub email: Email,
    pub whatsapp: Option<String>,
    pub timezone: String,
}

impl OfficeSnapshot {
    /// The office's zone; UTC only if the zone bundle lost its name.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl From<&Office> for OfficeSnapshot {
    fn from(o: &Office) -> Self {
        Self {
            id: o.id.clone(),
            name: o.name.clone(),
            uf: o.uf,
            city: o.city.clone(),
            cns: o.cns.clone(),
            address: o.address.clone(),
            cep: o.cep.clone(),
            phone: o.phone.clone(),
            email: o.email.clone(),
            whatsapp: o.whatsapp_link(),
            timezone: o.timezone.clone(),
        }
    }
}

/// How stores index a citizen's requests: a keyed hash of the email, never the
/// email itself (computed by the application, which holds the key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CitizenKey(pub String);

impl CitizenKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub number: TicketNumber,
    pub office: OfficeSnapshot,
    pub service_id: ServiceId,
    pub service_kind: ServiceKind,
    pub service_name: String,
    pub status: Status,
    /// Grows by one with every change; conditional writes compare it.
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Who asked; `None` once their personal data was erased (LGPD art. 18).
    #[serde(default)]
    pub citizen: Option<Citizen>,
    /// The index key of the citizen's email ("minhas solicitações", SPEC C10).
    #[serde(default)]
    pub citizen_key: CitizenKey,
    pub details: RequestDetails,
    pub appointment: Option<Appointment>,
    pub consent: Consent,
    /// SHA-256 of each ticket-link secret sent (newest last); secrets are never
    /// stored, so every email to the citizen carries a fresh one.
    pub token_hashes: Vec<String>,
    /// The citizen wrote last and the office has not answered yet.
    #[serde(default)]
    pub awaiting_office: bool,
    /// Office replies since the citizen last acted on the ticket.
    #[serde(default)]
    pub unread_replies: u32,
    /// The attendant approved to do the work (an id of the office's attendants).
    #[serde(default)]
    pub assignee: Option<String>,
    /// The latest answer to each checklist step.
    #[serde(default)]
    pub checklist: Vec<ChecklistAnswer>,
    /// When staff decided (approve, certificate decision or reject): the start
    /// window's clock stops here (seed 004).
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    /// The citizen's rating after conclusion, given once (SPEC C7).
    #[serde(default)]
    pub rating: Option<Rating>,
    /// When the office must start, in business time (SPEC S9, C12).
    #[serde(default)]
    pub start_by: Option<crate::calendar::Deadline>,
    /// The booked slot this request holds (SPEC C4), until it is given back.
    #[serde(default)]
    pub slot: Option<SlotKey>,
    /// When the office must answer the citizen's oldest unanswered message (SPEC S9).
    #[serde(default)]
    pub reply_by: Option<ReplyWindow>,
    /// The office's last email about the citizen's messages: notices are
    /// coalesced, at most one per ticket in a while, listing what arrived.
    #[serde(default)]
    pub office_notice: Option<NoticeMark>,
    /// The office's day on which this closed request's personal data is
    /// erased (its retention, counted from the final close); `None` while open.
    #[serde(default)]
    pub erase_on: Option<Date>,
    /// When the personal data was erased; what remains is the office's record.
    #[serde(default)]
    pub erased_at: Option<Timestamp>,
    /// How the office kept this request's windows, as its changes counted them.
    #[serde(default)]
    pub windows: crate::report::WindowsKept,
}

/// What staff see in place of an erased citizen.
pub const ERASED_CITIZEN: &str = "Titular removido";

/// When the office was last told of the citizen's messages, and up to which entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeMark {
    pub at: Timestamp,
    /// The `seq` of the last history entry the notice covered.
    pub through: u64,
}

/// The office's window to answer the citizen, and when it is warned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyWindow {
    pub deadline: crate::calendar::Deadline,
    pub warn_at: Option<Timestamp>,
}

impl Request {
    /// Most secrets kept valid at once: the oldest stop working after this many emails.
    pub const MAX_SECRETS: usize = 20;

    /// The citizen's address, while their data is kept.
    pub fn citizen_email(&self) -> Option<&Email> {
        self.citizen.as_ref().map(|c| &c.email)
    }

    /// The name staff read: the citizen's, or that they were erased.
    pub fn citizen_name(&self) -> &str {
        self.citizen
            .as_ref()
            .map_or(ERASED_CITIZEN, |c| c.name.as_str())
    }

    pub fn add_secret_hash(&mut self, hash: String) {
        self.token_hashes.push(hash);
        let excess = self.token_hashes.len().saturating_sub(Self::MAX_SECRETS);
        self.token_hashes.drain(..excess);
    }

    /// Keeps what every change must leave true: a request the office no longer
    /// works on gives its slot back (SPEC C4), and the reply clock runs only
    /// while the office owes the citizen an answer (SPEC S9). Returns the slot
    /// given back, for the store to count in the same write.
    pub fn settle(&mut self) -> Option<SlotKey> {
        if self.status.is_closed() {
            self.awaiting_office = false;
        } else {
            // Reopened (taken from the pool): retention counts from the next close.
            self.erase_on = None;
        }
        if !self.awaiting_office {
            self.reply_by = None;
        }
        if self.status.is_closed() {
            self.slot.take()
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Author {
    Citizen,
    Staff { name: String },
    System,
}

impl Author {
    pub fn label(&self) -> String {
        match self {
            Self::Citizen => "Cidadão".into(),
            Self::Staff { name } => name.clone(),
            Self::System => "Sistema".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Message,
    StatusChanged,
    /// The citizen read the office's replies.
    Read,
    /// Staff answered a checklist step.
    Checklist,
    /// Staff set or changed the appointment.
    Appointment,
    /// The citizen rated the service, or staff moderated the comment.
    Rating,
    /// The office was warned that a window is about to end (SPEC S10).
    Notice,
    /// An email to the citizen could not be delivered (for the office only).
    MailUndelivered,
    /// The citizen's personal data was erased (LGPD).
    Erased,
    /// A note staff leave for each other: never shown or sent to the citizen
    /// (it is still their personal data: an LGPD export carries it).
    Note,
    /// Staff gave the request to an attendant, or took it back (SPEC S2).
    Assigned,
}

impl Event {
    /// Whether the citizen's history shows it: not the office's internal
    /// steps (analysis started, checklist answers, warnings, failed mail) nor
    /// the record of their own reading.
    pub fn concerns_citizen(&self) -> bool {
        match self.kind {
            EventKind::Checklist
            | EventKind::Read
            | EventKind::Notice
            | EventKind::MailUndelivered
            | EventKind::Note
            | EventKind::Assigned => false,
            EventKind::StatusChanged => self.status != Some(Status::InAnalysis),
            EventKind::Opened
            | EventKind::Message
            | EventKind::Appointment
            | EventKind::Rating
            | EventKind::Erased => true,
        }
    }

    /// An entry that tells the citizen something new, as `unread_replies`
    /// counts them: the office's messages and decisions, an appointment set or
    /// moved, the request taken by another office, its expiry.
    pub fn is_reply(&self) -> bool {
        let by_staff = matches!(self.author, Author::Staff { .. });
        match self.kind {
            EventKind::Message | EventKind::Appointment => by_staff,
            EventKind::StatusChanged => {
                matches!(
                    self.status,
                    Some(Status::Rejected | Status::Concluded | Status::Expired)
                ) || (by_staff && self.status == Some(Status::Received))
            }
            _ => false,
        }
    }
}

/// One entry of the append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Ulid,
    /// The request's version this entry was written with: the history's order.
    pub seq: u64,
    pub at: Timestamp,
    pub kind: EventKind,
    pub author: Author,
    pub text: String,
    pub status: Option<Status>,
    /// Files sent with this entry, checked before anyone else could download them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A request with personal data in every place it can be, and its history.
#[cfg(test)]
pub(crate) fn test_request() -> (Request, Vec<Event>) {
    use crate::attachment::{FileName, FileType};
    use crate::rating::{Moderation, Verdict};
    let now = Timestamp::UNIX_EPOCH;
    let office = crate::office::test_office();
    let r = Request {
        id: RequestId(Ulid::nil()),
        number: TicketNumber(7),
        office: OfficeSnapshot::from(&office),
        service_id: office.services[0].id.clone(),
        service_kind: office.services[0].kind,
        service_name: "Contato".into(),
        status: Status::Concluded,
        version: 3,
        created_at: now,
        updated_at: now,
        citizen: Some(Citizen {
            name: PersonName::parse("Maria Souza").unwrap(),
            email: Email::parse("maria@example.com").unwrap(),
            document: Some(Document::parse("529.982.247-25").unwrap()),
            mobile: Some(Mobile::parse("(11) 98765-4321").unwrap()),
        }),
        citizen_key: CitizenKey("abc".into()),
        details: RequestDetails {
            message: Some(FreeText::parse("Maria precisa de certidão").unwrap()),
            protocol: Some(ProtocolNumber::parse("secret-123").unwrap()),
            ..Default::default()
        },
        appointment: Some(Appointment {
            date: jiff::civil::date(2026, 12, 1),
            time: jiff::civil::time(10, 0, 0, 0),
            mode: AppointmentMode::Virtual,
            subject: Some("Escritura de Maria".into()),
            meeting: None,
            sequence: 1,
        }),
        consent: Consent {
            version: "v1".into(),
            accepted_at: now,
        },
        token_hashes: vec!["secret-hash".into()],
        awaiting_office: false,
        unread_replies: 1,
        assignee: None,
        checklist: vec![],
        decided_at: None,
        rating: Some(Rating {
            verdict: Verdict::Approved,
            comment: Some(FreeText::parse("Maria gostou").unwrap()),
            at: now,
            moderation: Moderation::Pending,
            moderated_by: None,
        }),
        start_by: None,
        slot: None,
        reply_by: None,
        office_notice: None,
        erase_on: Some(jiff::civil::date(2027, 1, 1)),
        erased_at: None,
        windows: Default::default(),
    };
    let event = |seq, kind, author, text: &str, files: Vec<Attachment>| Event {
        id: Ulid::from_parts(seq, 0),
        seq,
        at: now,
        kind,
        author,
        text: text.into(),
        status: None,
        attachments: files,
    };
    let file = Attachment {
        id: Ulid::nil(),
        name: FileName::parse("doc.pdf").unwrap(),
        size: 10,
        file_type: FileType::Pdf,
    };
    let staff = Author::Staff {
        name: "Ana (cartório)".into(),
    };
    let history = vec![
        event(
            1,
            EventKind::Opened,
            Author::Citizen,
            "Maria Souza abriu",
            vec![],
        ),
        event(
            2,
            EventKind::Message,
            staff,
            "Olá Maria, 529.982.247-25",
            vec![file],
        ),
        event(
            3,
            EventKind::Message,
            Author::Citizen,
            "maria@example.com",
            vec![],
        ),
    ];
    (r, history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EventKind, author: Author, status: Option<Status>) -> Event {
        Event {
            id: Ulid::nil(),
            seq: 1,
            at: Timestamp::UNIX_EPOCH,
            kind,
            author,
            text: String::new(),
            status,
            attachments: vec![],
        }
    }

    #[test]
    fn the_citizen_sees_what_concerns_them_and_marks_follow_replies() {
        let staff = || Author::Staff {
            name: "Paula".into(),
        };
        let analysis = entry(EventKind::StatusChanged, staff(), Some(Status::InAnalysis));
        let tick = entry(EventKind::Checklist, staff(), None);
        let reply = entry(EventKind::Message, staff(), None);
        let read = entry(EventKind::Read, Author::Citizen, None);
        let expired = entry(
            EventKind::StatusChanged,
            Author::System,
            Some(Status::Expired),
        );
        let mine = entry(EventKind::Message, Author::Citizen, None);
        assert!(
            !analysis.concerns_citizen() && !tick.concerns_citizen() && !read.concerns_citizen()
        );
        assert!(reply.concerns_citizen() && expired.concerns_citizen() && mine.concerns_citizen());
        assert!(reply.is_reply() && expired.is_reply());
        assert!(!tick.is_reply() && !analysis.is_reply() && !mine.is_reply() && !read.is_reply());
    }
}

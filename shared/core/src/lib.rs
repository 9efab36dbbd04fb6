//! Balcão's domain: what an office offers, what a citizen may send, and how a
//! request moves between statuses. Pure data and rules: no I/O, no async.

pub mod attachment;
pub mod booking;
pub mod calendar;
pub mod contact;
pub mod document;
pub mod erasure;
pub mod export;
pub mod form;
pub mod ics;
pub mod office;
pub mod protocol;
pub mod rating;
pub mod report;
pub mod request;
pub mod search;
pub mod settings;
pub mod staff;
pub mod status;
pub mod text;
pub mod workflow;

pub use attachment::DEFAULT_MAX_BYTES;
pub use attachment::{Attachment, AttachmentError, FileName, FileType, UploadRef};
pub use booking::{Booking, OpenSlot, SlotError, SlotKey};
pub use contact::{Email, Mobile};
pub use document::{Cnpj, Cpf, Document};
pub use form::{FieldErrors, RawRequestForm, ValidRequestForm};
pub use office::{
    Attendant, Closure, FieldRule, FieldRules, FormField, Notifications, Office, OfficeId,
    OfficeListing, OpeningHours, PrivacyNotice, RetentionDays, SavedReply, Sector, Service,
    ServiceId, ServiceKind, Uf,
};
pub use protocol::{ProtocolError, ProtocolStep, ProtocolUpdate, protocol_key};
pub use rating::{Moderation, PublicReview, Rating, Verdict};
pub use request::{
    Appointment, AppointmentMode, Author, Citizen, CitizenKey, Consent, ERASED_CITIZEN, Event,
    EventKind, NoticeMark, OfficeSnapshot, ReplyWindow, Request, RequestDetails, RequestId,
    TicketNumber,
};
pub use settings::OfficeSettings;
pub use staff::{Role, StaffMember};
pub use status::{Action, Status, TransitionError};
pub use text::{FreeText, PersonName, ProtocolNumber, fold};
pub use workflow::{AppointmentPlan, ChecklistAnswer, Decision, Meeting, WorkflowError};

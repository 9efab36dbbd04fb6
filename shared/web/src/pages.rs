//! Page models for the compiled templates under `templates/`.

use crate::views::{HoursView, OfficeView, TicketView};
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ufs: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "offices.html")]
pub struct OfficesPage {
    pub ufs: Vec<(&'static str, &'static str)>,
    pub uf: &'static str,
    pub uf_name: &'static str,
    /// "na Bahia".
    pub uf_in: String,
    /// A city asked for that is not in this state.
    pub dropped_city: Option<String>,
    pub cities: Vec<String>,
    pub city: String,
    pub offices: Vec<OfficeView>,
    /// The next page's address, when there is one.
    pub next: Option<String>,
}

pub struct ServiceLink {
    pub name: String,
    pub kind_label: &'static str,
    pub description: String,
    pub href: String,
    pub external: bool,
}

#[derive(Template)]
#[template(path = "office.html")]
pub struct OfficePage {
    pub reviews: Vec<crate::views::ReviewView>,
    pub o: OfficeView,
    pub services: Vec<ServiceLink>,
    pub hours: Vec<HoursView>,
}

pub struct FieldInput {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub value: String,
    pub error: Option<String>,
    /// text, email, tel, date, time, select, checkbox, radio, textarea, or
    /// slot (one choice of day and time, grouped by day).
    pub input: &'static str,
    pub autocomplete: &'static str,
    pub hint: &'static str,
    pub options: Vec<(String, String)>,
    /// For `slot`: the days with open times.
    pub groups: Vec<SlotDay>,
}

/// One day of the slot picker: `(ISO date, label)` and `(value, label)` per open time.
pub type SlotDay = ((String, String), Vec<(String, String)>);

impl FieldInput {
    /// The ids of the hint and the error that describe the input, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("h-{}", self.key));
        }
        if self.error.is_some() {
            ids.push(format!("e-{}", self.key));
        }
        ids.join(" ")
    }
}

/// One line of a form's error summary: the field's id, its label, the problem.
pub struct SummaryLine {
    pub id: String,
    pub label: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "request_form.html")]
pub struct RequestFormPage {
    pub attach: Option<AttachWidget>,
    pub o: OfficeView,
    pub service_id: String,
    pub service_name: String,
    pub service_description: String,
    pub fields: Vec<FieldInput>,
    /// The problems in the form's order, each linking to its field.
    pub errors: Vec<SummaryLine>,
    pub consent_checked: bool,
    pub consent_error: Option<String>,
    pub privacy_version: String,
    pub privacy_text: String,
    pub idempotency_key: String,
}

/// The file picker of a form (`attach.html`): where to ask for upload slots,
/// and the files already uploaded when a form comes back with errors.
pub struct AttachWidget {
    /// Unique in its page: the file input is `f-<id>`.
    pub id: &'static str,
    pub slot_url: String,
    /// The conclusion takes one PDF only (seed 002).
    pub pdf_only: bool,
    pub required: bool,
    pub max_kb: u64,
    /// `(attachments value, file name)`.
    pub kept: Vec<(String, String)>,
    pub error: Option<String>,
    /// A ticket's page asks for slots bound to that ticket: `(id, link secret)`.
    pub ticket: Option<(String, String)>,
    /// Where the page's script has each posted file checked at once.
    pub check_url: String,
    /// The form that posts one file straight to storage without JavaScript.
    pub upload: Option<balcao_app::ports::UploadForm>,
}

impl AttachWidget {
    pub fn new(slot_url: String, max_bytes: u64) -> Self {
        Self {
            id: "attachments",
            slot_url,
            pdf_only: false,
            required: false,
            max_kb: max_bytes / 1024,
            kept: vec![],
            error: None,
            ticket: None,
            check_url: String::new(),
            upload: None,
        }
    }
}

/// What staff can do next on a request, with a fresh action key per form.
pub struct WorkPanel {
    pub can_start: bool,
    pub start_key: String,
    /// `(number, step, answer, action key)` while the request is being analysed.
    pub checklist: Vec<(usize, String, Option<bool>, String)>,
    /// Shown while a decision is possible.
    pub decide: Option<DecisionChoices>,
    pub decide_key: String,
    pub can_schedule: bool,
    pub schedule_key: String,
    pub appointment: AppointmentDraft,
    pub can_conclude: bool,
    pub conclude_key: String,
    pub conclude_attach: AttachWidget,
    /// Who has the request: `(attendant id, name, has it)`, and the form's key.
    pub attendants: Vec<(String, String, bool)>,
    pub assign_key: String,
    /// The caller is one of the attendants (may take the request).
    pub can_take: bool,
    pub note_key: String,
    pub note_attach: AttachWidget,
}

pub struct DecisionChoices {
    /// Certificates decide about the registry record (seed 004).
    pub certificate: bool,
    pub attendants: Vec<(String, String)>,
}

/// The appointment form's values: the current appointment, if any.
#[derive(Default)]
pub struct AppointmentDraft {
    pub date: String,
    pub time: String,
    pub virtual_mode: bool,
    pub subject: String,
    pub meeting_link: String,
    pub whatsapp: bool,
    pub timezone: String,
}

pub struct HistoryLine {
    pub at: String,
    pub author: String,
    pub text: String,
    /// An office reply the citizen has not acted on yet.
    pub unread: bool,
    /// A note staff left for each other (never shown to the citizen).
    pub internal: bool,
    pub files: Vec<FileLine>,
}

/// A downloadable attachment in the history.
pub struct FileLine {
    pub name: String,
    pub size: String,
    pub kind: &'static str,
    pub href: String,
}

impl HistoryLine {
    /// The history for display, marking the last `unread` office replies;
    /// `href` gives each file's download link for this reader.
    pub fn all(
        t: &balcao_app::ports::Ticket,
        staff: bool,
        href: impl Fn(&balcao_core::Attachment) -> String,
    ) -> Vec<Self> {
        let tz = &t.request.office.timezone;
        let mut left = t.request.unread_replies as usize;
        let mut lines: Vec<Self> = t
            .events
            .iter()
            .filter(|e| staff || e.concerns_citizen())
            .rev()
            .map(|e| {
                let unread = left > 0 && e.is_reply();
                left -= usize::from(unread);
                Self {
                    at: crate::views::local_time(e.at, tz),
                    author: e.author.label(),
                    text: e.text.clone(),
                    unread,
                    internal: e.kind == balcao_core::EventKind::Note,
                    files: e
                        .attachments
                        .iter()
                        .map(|a| FileLine {
                            name: a.name.to_string(),
                            size: a.size_label(),
                            kind: a.file_type.label(),
                            href: href(a),
                        })
                        .collect(),
                }
            })
            .collect();
        lines.reverse();
        lines
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub t: TicketView,
    /// The link's secret, carried by the action forms.
    pub token: String,
    /// Fresh ids per page view and form: a form submitted twice acts once.
    pub message_key: String,
    pub close_key: String,
    pub cancel_key: String,
    pub read_key: String,
    pub can_message: bool,
    pub attach: AttachWidget,
    /// "O cartório deve iniciar o atendimento até …" while it has not.
    pub start_by: Option<String>,
    /// "O cartório deve responder até …" while the citizen waits.
    pub reply_by: Option<String>,
    /// Expired: the citizen may release it to the UF's other offices.
    pub can_release: bool,
    pub release_key: String,
    /// Concluded and not rated yet.
    pub can_rate: bool,
    pub rate_key: String,
    /// The rating given, as the citizen reads it.
    pub rating: Option<String>,
    pub can_close: bool,
    pub can_cancel: bool,
    pub just_created: bool,
    pub appointment: Option<String>,
    pub created_at: String,
    pub history: Vec<HistoryLine>,
    /// What the last action did ("Mensagem enviada.").
    pub notice: Option<&'static str>,
    /// A refused action, with what was typed kept.
    pub form: TicketForm,
    /// A destructive action waiting for the citizen to confirm it.
    pub confirm: Option<Confirm>,
}

/// What the citizen typed, and why it was refused.
#[derive(Default)]
pub struct TicketForm {
    pub message: String,
    /// Files already uploaded for the refused message: `(reference, name)`.
    pub files: Vec<(String, String)>,
    pub message_error: Option<String>,
    pub files_error: Option<String>,
    pub comment: String,
    pub rating_error: Option<String>,
    /// A refusal that belongs to no one field (the request moved on).
    pub error: Option<String>,
}

/// "Cancelar a solicitação?": the form that does it, and the way back.
pub struct Confirm {
    /// `cancel` or `close`.
    pub action: &'static str,
    pub question: &'static str,
    pub detail: &'static str,
    pub button: &'static str,
    pub action_key: String,
    /// The closing note typed, carried through.
    pub message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    pub fields: Vec<(String, String)>,
    /// Where to go back to, with what that link says (the home page otherwise).
    pub back: Option<(String, &'static str)>,
}

pub struct QueueLine {
    pub id: String,
    pub number: u64,
    /// The attendant who has it (an id of the office's attendants).
    pub assignee: Option<String>,
    /// That attendant's name, for the page.
    pub assignee_name: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub service: String,
    pub sector: Option<String>,
    pub priority: bool,
    pub created_at: String,
    pub citizen: String,
    /// The citizen wrote last and the office has not answered.
    pub unread: bool,
    /// While the office has not started: the deadline, local time.
    pub start_by: Option<String>,
    /// Minutes until that deadline; negative when it has passed.
    pub minutes_left: Option<i64>,
    /// While the citizen waits for an answer: the reply deadline, local time.
    pub reply_by: Option<String>,
    pub reply_minutes_left: Option<i64>,
}

impl serde::Serialize for QueueLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({
            "id": self.id, "number": self.number, "assignee": self.assignee, "status": self.status, "status_label": self.status_label,
            "service": self.service, "sector": self.sector, "priority": self.priority,
            "created_at": self.created_at, "citizen": self.citizen, "unread": self.unread,
            "start_by": self.start_by, "minutes_left": self.minutes_left,
            "reply_by": self.reply_by, "reply_minutes_left": self.reply_minutes_left,
        })
        .serialize(s)
    }
}

#[derive(Template)]
#[template(path = "staff_queue.html")]
pub struct StaffQueuePage {
    /// "2 protocolo(s) publicado(s)." after publishing.
    pub notice: Option<String>,
    pub staff_name: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub status: &'static str,
    pub items: Vec<QueueLine>,
    pub next: Option<String>,
    /// A refused protocol form (`protocol` or `protocol-import`).
    pub refused: Refusal,
    /// The office's attendants for the "who has it" filter: `(id, name)`.
    pub attendants: Vec<(String, String)>,
    /// The filter as asked: `me`, `none`, an attendant's id or empty.
    pub assigned: String,
    /// What the search box found the page's requests by.
    pub searched: Option<String>,
}

#[derive(Template)]
#[template(path = "staff_request.html")]
pub struct StaffRequestPage {
    pub t: TicketView,
    pub staff_name: String,
    pub action_key: String,
    pub can_reply: bool,
    /// The reply may ask the citizen for something (awaiting citizen).
    pub can_ask: bool,
    pub attach: AttachWidget,
    pub work: WorkPanel,
    pub appointment: Option<String>,
    pub history: Vec<HistoryLine>,
    /// When it was opened, and the windows still running, in the office's time.
    pub created_at: String,
    pub start_by: Option<String>,
    pub reply_by: Option<String>,
    /// What the last action did ("Resposta enviada ao cidadão.").
    pub notice: Option<&'static str>,
    /// A refused action: why, on top, and inside its form with what was typed.
    pub refused: Refusal,
    /// The office's saved replies for this request: `(index, title, filled text)`.
    pub saved_replies: Vec<(usize, String, String)>,
    /// The reply's text as a chosen saved reply fills it (`?resposta=`).
    pub reply_draft: String,
}

#[derive(serde::Serialize)]
pub struct MyRequestLine {
    pub id: String,
    pub number: u64,
    pub office: String,
    pub service: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub created_at: String,
    /// Office replies the citizen has not acted on yet.
    pub unread: u32,
    pub link: String,
}

#[derive(Template)]
#[template(path = "my_requests.html")]
pub struct MyRequestsPage {
    pub sent: Option<&'static str>,
    pub items: Option<Vec<MyRequestLine>>,
}

#[derive(Clone, serde::Serialize)]
pub struct RatingLine {
    pub id: String,
    pub number: u64,
    pub verdict: &'static str,
    pub comment: Option<String>,
    /// pending, shown or hidden.
    pub moderation: &'static str,
    pub at: String,
    #[serde(skip)]
    pub show_key: String,
    #[serde(skip)]
    pub hide_key: String,
}

#[derive(Template)]
#[template(path = "staff_ratings.html")]
pub struct StaffRatingsPage {
    pub staff_name: String,
    pub items: Vec<RatingLine>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "protocol.html")]
pub struct ProtocolPage {
    pub office_id: String,
    pub number: String,
    /// The protocol found: its status and `(date, text)` steps, oldest first.
    pub found: Option<(String, Vec<(String, String)>)>,
    /// Why nothing is shown; the form comes back with what was typed.
    pub error: Option<String>,
    pub cpf: String,
}

pub struct ServiceSettings {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    pub rules: Vec<FieldRuleRow>,
    pub checklist: String,
    pub start_window_minutes: String,
    pub response_window_hours: String,
}

#[derive(Template)]
#[template(path = "staff_office.html")]
pub struct OfficeSettingsPage {
    /// "Configurações salvas." after a save.
    pub notice: Option<&'static str>,
    /// A refused form, why, and what it sent (shown again in it; the other
    /// forms keep what is saved).
    pub refused: Refusal,
    pub staff_name: String,
    pub office_id: String,
    pub privacy_version: String,
    pub privacy_text: String,
    pub retention_days: u32,
    /// Attendants see the settings; only a manager's page has the buttons.
    pub manager: bool,
    pub version: u64,
    pub new_request: bool,
    pub citizen_message: bool,
    pub slot_minutes: u32,
    pub slot_capacity: u32,
    pub booking_lead_minutes: u32,
    pub max_attachment_kb: u64,
    pub reminder_time: String,
    pub holidays: String,
    pub hours: String,
    pub hours_hint: String,
    /// (id, name)
    pub sectors: Vec<(String, String)>,
    /// (id, name, email)
    pub attendants: Vec<(String, String, String)>,
    /// (title, text)
    pub saved_replies: Vec<(String, String)>,
    /// Kinds of service a manager may add: (key, label).
    pub kinds: Vec<(&'static str, &'static str)>,
    pub services: Vec<ServiceSettings>,
}

/// A form of a page that was sent and refused.
pub struct RefusedForm {
    /// Which form: `hours`, `sector:<id>`, `schedule`, `reply`…
    pub form: String,
    /// The page's name for it, for the summary at the top.
    pub label: String,
    pub why: String,
    pub sent: crate::forms::Fields,
}

impl RefusedForm {
    /// The id of the refused form on the page.
    pub fn anchor(&self) -> String {
        format!("form-{}", self.form.replace(':', "-"))
    }
}

/// The refused form of a page with several, if any: each form shows its own
/// error and what was typed in it; the others show what is saved.
#[derive(Default)]
pub struct Refusal(pub Option<RefusedForm>);

impl Refusal {
    pub fn of(
        form: impl Into<String>,
        label: impl Into<String>,
        why: String,
        sent: crate::forms::Fields,
    ) -> Self {
        Self(Some(RefusedForm {
            form: form.into(),
            label: label.into(),
            why,
            sent,
        }))
    }

    fn here(&self, form: &str) -> Option<&RefusedForm> {
        self.0.as_ref().filter(|r| r.form == form)
    }

    /// The error to show inside `form`, if that is the refused one.
    pub fn error_in(&self, form: &str) -> Option<&str> {
        self.here(form).map(|r| r.why.as_str())
    }

    /// What `field` of `form` shows: what was just sent if that form was
    /// refused, else `saved`.
    pub fn value(
        &self,
        form: &str,
        field: &str,
        saved: &(impl std::fmt::Display + ?Sized),
    ) -> String {
        self.here(form)
            .and_then(|r| r.sent.get(field))
            .map_or_else(|| saved.to_string(), str::to_owned)
    }

    /// Whether `field` of the refused `form` was sent with `value` (a choice).
    pub fn chose(&self, form: &str, field: &str, value: &str) -> Option<bool> {
        self.here(form)
            .map(|r| r.sent.all(field).any(|v| v == value))
    }

    /// Whether a checkbox or radio of `form` is on: as sent if that form was
    /// refused, else `saved`.
    pub fn checked(&self, form: &str, field: &str, value: &str, saved: &bool) -> bool {
        self.chose(form, field, value).unwrap_or(*saved)
    }

    /// The files the refused `form` carried: `(reference, name)`.
    pub fn files(&self, form: &str) -> Vec<(String, String)> {
        self.here(form)
            .map(|r| {
                r.sent
                    .all("attachments")
                    .filter_map(|v| {
                        v.parse::<balcao_core::UploadRef>()
                            .ok()
                            .map(|u| (v.to_owned(), u.name.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl OfficeSettingsPage {
    pub fn error_in(&self, form: &str) -> Option<&str> {
        self.refused.error_in(form)
    }

    pub fn value(
        &self,
        form: &str,
        field: &str,
        saved: &(impl std::fmt::Display + ?Sized),
    ) -> String {
        self.refused.value(form, field, saved)
    }
}

/// One field of a service's form and the rule it has now.
pub struct FieldRuleRow {
    pub key: &'static str,
    pub label: &'static str,
    pub rule: &'static str,
}

impl FieldRuleRow {
    /// The choices, in the order a manager reads them: (key, label).
    pub fn choices(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        balcao_core::FieldRule::ALL
            .iter()
            .map(|r| (r.key(), r.label()))
    }
}

#[derive(Clone, serde::Serialize)]
pub struct PoolLine {
    pub id: String,
    pub service: String,
    pub from_office: String,
    pub city: String,
    pub opened_at: String,
    #[serde(skip)]
    pub take_key: String,
}

#[derive(Template)]
#[template(path = "staff_pool.html")]
pub struct StaffPoolPage {
    pub staff_name: String,
    pub items: Vec<PoolLine>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "privacy.html")]
pub struct PrivacyPage {
    pub office_id: String,
    pub office_name: String,
    pub version: String,
    pub text: String,
}

/// One request on the "meus dados" page: everything held, in summary.
pub struct MyDataRequest {
    pub number: u64,
    pub office: String,
    pub service: String,
    pub status_label: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub name: String,
    pub email: String,
    pub document: Option<String>,
    pub mobile: Option<String>,
    pub consent: String,
    pub messages: usize,
    pub files: Vec<String>,
    pub rating: Option<String>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "my_data.html")]
pub struct MyDataPage {
    /// The link's secret, for the download and the erasure.
    pub k: String,
    pub sent: Option<&'static str>,
    pub requests: Option<Vec<MyDataRequest>>,
    /// After an erasure: what it did.
    pub erased: Option<(usize, usize)>,
    pub error: Option<String>,
}

/// One bar of a chart drawn on the server: its label, value and length (0–100).
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub percent: i64,
}

impl Bar {
    /// Bars scaled to the largest value.
    pub fn scaled(items: impl Iterator<Item = (String, i64)>) -> Vec<Self> {
        let items: Vec<(String, i64)> = items.collect();
        let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        items
            .into_iter()
            .map(|(label, value)| Self {
                percent: value * 100 / max,
                label,
                value,
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "staff_reports.html")]
pub struct ReportPage {
    pub staff_name: String,
    pub from: String,
    pub to: String,
    /// "de 02/11/2026 a 01/12/2026", as people read dates.
    pub period: String,
    pub opened: i64,
    pub per_day: Vec<Bar>,
    pub per_service: Vec<Bar>,
    pub by_status: Vec<(String, i64)>,
    /// (met, missed)
    pub start: (i64, i64),
    pub reply: (i64, i64),
    pub first_reply: Option<String>,
    pub first_replies: usize,
    /// (approved, rejected)
    pub ratings: (i64, i64),
}

impl ReportPage {
    /// The per-day chart's width in SVG units (a bar of 10 and a gap of 2 each).
    pub fn day_chart_width(&self) -> usize {
        (self.per_day.len() * 12).max(12)
    }
}

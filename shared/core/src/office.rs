//! An office (cartório or public agency) and what it offers: services of five
//! kinds, sectors, attendants, opening hours and per-field form rules.

use crate::contact::{Email, Mobile};
use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OfficeError {
    #[error("UF desconhecida: {0}")]
    UnknownUf(String),
    #[error("identificador inválido: use letras minúsculas, dígitos e hífen (até 64)")]
    BadId,
    #[error("fuso horário desconhecido: {0}")]
    UnknownTimeZone(String),
    #[error("o campo {0} não pode ser oculto nem opcional: o atendimento depende dele")]
    EssentialField(&'static str),
    #[error("horário inválido: abertura deve ser antes do fechamento")]
    BadHours,
    #[error("CNS deve ter 6 dígitos")]
    BadCns,
    #[error("CEP deve ter 8 dígitos")]
    BadCep,
}

macro_rules! ufs {
    ($($code:ident => $name:literal),+ $(,)?) => {
        /// The 27 federative units.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Uf { $($code),+ }

        impl Uf {
            pub const ALL: &'static [Uf] = &[$(Uf::$code),+];

            pub fn code(self) -> &'static str {
                match self { $(Uf::$code => stringify!($code)),+ }
            }

            pub fn name(self) -> &'static str {
                match self { $(Uf::$code => $name),+ }
            }

            pub fn parse(input: &str) -> Result<Self, OfficeError> {
                match input.trim().to_ascii_uppercase().as_str() {
                    $(stringify!($code) => Ok(Uf::$code),)+
                    _ => Err(OfficeError::UnknownUf(input.trim().chars().take(8).collect())),
                }
            }
        }
    };
}

ufs! {
    AC => "Acre", AL => "Alagoas", AP => "Amapá", AM => "Amazonas", BA => "Bahia",
    CE => "Ceará", DF => "Distrito Federal", ES => "Espírito Santo", GO => "Goiás",
    MA => "Maranhão", MT => "Mato Grosso", MS => "Mato Grosso do Sul", MG => "Minas Gerais",
    PA => "Pará", PB => "Paraíba", PR => "Paraná", PE => "Pernambuco", PI => "Piauí",
    RJ => "Rio de Janeiro", RN => "Rio Grande do Norte", RS => "Rio Grande do Sul",
    RO => "Rondônia", RR => "Roraima", SC => "Santa Catarina", SP => "São Paulo",
    SE => "Sergipe", TO => "Tocantins",
}

impl Uf {
    /// The state's name with the preposition Portuguese gives it: "na Bahia",
    /// "no Acre", "em São Paulo".
    pub fn in_name(self) -> String {
        use Uf::*;
        let preposition = match self {
            BA | PB => "na",
            AC | AP | AM | CE | DF | ES | MA | PA | PR | PI | RJ | RN | RS | TO => "no",
            AL | GO | MT | MS | MG | PE | RO | RR | SC | SP | SE => "em",
        };
        format!("{preposition} {}", self.name())
    }
}

impl fmt::Display for Uf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A slug usable in URLs and keys: `[a-z0-9-]{1,64}`.
fn parse_slug(input: &str) -> Result<String, OfficeError> {
    let ok = !input.is_empty()
        && input.len() <= 64
        && input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(input.to_owned())
    } else {
        Err(OfficeError::BadId)
    }
}

macro_rules! slug_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, OfficeError> {
                parse_slug(input).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = OfficeError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}

slug_id!(OfficeId, "An office's id, as it appears in URLs.");
slug_id!(ServiceId, "A service's id within its office.");

impl ServiceId {
    /// An id made from what a manager named the thing ("Notas e Procurações"
    /// becomes `notas-e-procuracoes`), with `-2`, `-3`… when `taken` says the
    /// plain one is in use. Managers type names, not ids.
    pub fn from_label(label: &str, taken: impl Fn(&str) -> bool) -> Self {
        let mut base = String::new();
        for c in crate::text::fold(label).chars() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                base.push(c);
            } else if !base.is_empty() && !base.ends_with('-') {
                base.push('-');
            }
        }
        base.truncate(40);
        let base = match base.trim_end_matches('-') {
            "" => "item".to_owned(),
            b => b.to_owned(),
        };
        let id = (1..)
            .map(|n| match n {
                1 => base.clone(),
                n => format!("{base}-{n}"),
            })
            .find(|id| !taken(id))
            .unwrap_or(base);
        Self(id)
    }
}

/// The kinds of service of SPEC C2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Contact,
    Appointment,
    ProtocolLookup,
    Whatsapp,
    Certificate,
}

impl ServiceKind {
    pub const ALL: &'static [ServiceKind] = &[
        Self::Contact,
        Self::Appointment,
        Self::ProtocolLookup,
        Self::Whatsapp,
        Self::Certificate,
    ];

    /// The name in the public contract (`contact`, `protocol_lookup`…).
    pub fn key(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Appointment => "appointment",
            Self::ProtocolLookup => "protocol_lookup",
            Self::Whatsapp => "whatsapp",
            Self::Certificate => "certificate",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.key() == key)
    }

    /// The form fields a manager may set for this kind: the appointment's date,
    /// time and mode belong to appointments; a WhatsApp link has no form.
    pub fn configurable_fields(self) -> impl Iterator<Item = FormField> {
        FormField::ALL.iter().copied().filter(move |f| {
            !f.is_essential()
                && match self {
                    Self::Whatsapp => false,
                    Self::Appointment => true,
                    _ => !matches!(f, FormField::Date | FormField::Time | FormField::Mode),
                }
        })
    }

    /// A new service of this kind: its fields' usual rules, and the start window
    /// seed 004 sets for certificates.
    pub fn new_service(self, id: ServiceId, name: String) -> Service {
        Service {
            id,
            kind: self,
            name,
            description: String::new(),
            fields: FieldRules::for_kind(self, &[])
                .expect("a kind's own rules keep name and email required"),
            checklist: Vec::new(),
            start_window_minutes: (self == Self::Certificate).then_some(15),
            response_window_hours: None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Contact => "Contato",
            Self::Appointment => "Agendamento de Atendimento",
            Self::ProtocolLookup => "Acompanhamento Registral",
            Self::Whatsapp => "WhatsApp Business",
            Self::Certificate => "Certificado Digital Notarizado",
        }
    }

    /// WhatsApp is a deep link; every other kind opens a ticket.
    pub fn opens_ticket(self) -> bool {
        self != Self::Whatsapp
    }
}

/// The fields of the request form (SPEC C3), as named in the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormField {
    Sector,
    Name,
    Email,
    Document,
    Mobile,
    Protocol,
    Priority,
    Attendant,
    Date,
    Time,
    Mode,
    Message,
    Attachments,
}

impl FormField {
    pub const ALL: &'static [FormField] = &[
        Self::Sector,
        Self::Name,
        Self::Email,
        Self::Document,
        Self::Mobile,
        Self::Protocol,
        Self::Priority,
        Self::Attendant,
        Self::Date,
        Self::Time,
        Self::Mode,
        Self::Message,
        Self::Attachments,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Sector => "sector",
            Self::Name => "name",
            Self::Email => "email",
            Self::Document => "document",
            Self::Mobile => "mobile",
            Self::Protocol => "protocol",
            Self::Priority => "priority",
            Self::Attendant => "attendant",
            Self::Date => "date",
            Self::Time => "time",
            Self::Mode => "mode",
            Self::Message => "message",
            Self::Attachments => "attachments",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sector => "Setor",
            Self::Name => "Nome",
            Self::Email => "E-mail",
            Self::Document => "CPF ou CNPJ",
            Self::Mobile => "Celular",
            Self::Protocol => "Protocolo",
            Self::Priority => "Atendimento prioritário",
            Self::Attendant => "Atendente",
            Self::Date => "Data do agendamento",
            Self::Time => "Hora do agendamento",
            Self::Mode => "Forma de atendimento",
            Self::Message => "Mensagem",
            Self::Attachments => "Anexos",
        }
    }

    /// Name and email are how the office answers: no configuration may drop them.
    pub fn is_essential(self) -> bool {
        matches!(self, Self::Name | Self::Email)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRule {
    Required,
    Optional,
    Hidden,
}

/// Per-field rules of one service. Every field has a rule; name and email are
/// always required (the ticket link goes to that email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<FormField, FieldRule>",
    into = "BTreeMap<FormField, FieldRule>"
)]
pub struct FieldRules(BTreeMap<FormField, FieldRule>);

impl FieldRule {
    pub const ALL: &'static [FieldRule] = &[Self::Required, Self::Optional, Self::Hidden];

    pub fn key(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Optional => "optional",
            Self::Hidden => "hidden",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Required => "Obrigatório",
            Self::Optional => "Opcional",
            Self::Hidden => "Não pedir",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.key() == key)
    }
}

impl FieldRules {
    /// The same rules with `field` set to `rule` (name and email stay required).
    pub fn with(&self, field: FormField, rule: FieldRule) -> Result<Self, OfficeError> {
        let mut map = self.0.clone();
        map.insert(field, rule);
        Self::try_from(map)
    }

    /// Rules for a kind of service; `overrides` are the office's choices.
    pub fn for_kind(
        kind: ServiceKind,
        overrides: &[(FormField, FieldRule)],
    ) -> Result<Self, OfficeError> {
        use FieldRule::*;
        use FormField as F;
        let mut map: BTreeMap<FormField, FieldRule> =
            FormField::ALL.iter().map(|f| (*f, Optional)).collect();
        map.insert(F::Name, Required);
        map.insert(F::Email, Required);
        let hidden_unless: &[FormField] = match kind {
            ServiceKind::Appointment => &[],
            _ => &[F::Date, F::Time, F::Mode],
        };
        for f in hidden_unless {
            map.insert(*f, Hidden);
        }
        match kind {
            ServiceKind::Appointment => {
                map.insert(F::Date, Required);
                map.insert(F::Time, Required);
                map.insert(F::Mode, Required);
            }
            ServiceKind::ProtocolLookup => {
                map.insert(F::Protocol, Required);
                map.insert(F::Document, Required);
            }
            ServiceKind::Certificate => {
                map.insert(F::Document, Required);
                map.insert(F::Mobile, Required);
            }
            ServiceKind::Contact => {
                map.insert(F::Message, Required);
            }
            ServiceKind::Whatsapp => {
                for f in FormField::ALL {
                    if !f.is_essential() {
                        map.insert(*f, Hidden);
                    }
                }
            }
        }
        for (f, r) in overrides {
            map.insert(*f, *r);
        }
        Self::try_from(map)
    }

    pub fn rule(&self, field: FormField) -> FieldRule {
        self.0.get(&field).copied().unwrap_or(FieldRule::Hidden)
    }

    pub fn shows(&self, field: FormField) -> bool {
        self.rule(field) != FieldRule::Hidden
    }

    pub fn iter(&self) -> impl Iterator<Item = (FormField, FieldRule)> + '_ {
        self.0.iter().map(|(f, r)| (*f, *r))
    }
}

impl TryFrom<BTreeMap<FormField, FieldRule>> for FieldRules {
    type Error = OfficeError;
    fn try_from(mut map: BTreeMap<FormField, FieldRule>) -> Result<Self, Self::Error> {
        for f in FormField::ALL {
            map.entry(*f).or_insert(FieldRule::Hidden);
            if f.is_essential() && map[f] != FieldRule::Required {
                return Err(OfficeError::EssentialField(f.key()));
            }
        }
        Ok(Self(map))
    }
}
impl From<FieldRules> for BTreeMap<FormField, FieldRule> {
    fn from(v: FieldRules) -> Self {
        v.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub kind: ServiceKind,
    pub name: String,
    pub description: String,
    pub fields: FieldRules,
    /// Steps staff answer yes or no during analysis (SPEC S3).
    #[serde(default)]
    pub checklist: Vec<String>,
    /// Business minutes the office has to start (SPEC S9; 15 for certificates).
    #[serde(default)]
    pub start_window_minutes: Option<u32>,
    /// Business hours the office has to answer (SPEC S9; 24 for the virtual counter).
    #[serde(default)]
    pub response_window_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sector {
    pub id: ServiceId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendant {
    pub id: ServiceId,
    pub name: String,
    pub email: Email,
}

/// One opening period on one weekday; a day may have several (a lunch break).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    #[serde(with = "iso_weekday")]
    pub weekday: Weekday,
    pub open: Time,
    pub close: Time,
}

impl OpeningHours {
    pub fn new(weekday: Weekday, open: Time, close: Time) -> Result<Self, OfficeError> {
        if open >= close {
            return Err(OfficeError::BadHours);
        }
        Ok(Self {
            weekday,
            open,
            close,
        })
    }

    /// Monday to Friday 08:00–17:00, the default of SPEC S9.
    pub fn default_week() -> Vec<Self> {
        use Weekday::*;
        [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .map(|d| Self {
                weekday: d,
                open: Time::constant(8, 0, 0, 0),
                close: Time::constant(17, 0, 0, 0),
            })
            .collect()
    }
}

/// Weekdays as ISO numbers (1 = Monday … 7 = Sunday): jiff's Weekday has no serde form.
mod iso_weekday {
    use jiff::civil::Weekday;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i8(d.to_monday_one_offset())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let n = i8::deserialize(d)?;
        Weekday::from_monday_one_offset(n)
            .map_err(|_| D::Error::custom("weekday must be 1 (Monday) to 7 (Sunday)"))
    }
}

/// The privacy text (LGPD) a citizen accepts, by version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyNotice {
    pub version: String,
    pub text: String,
}

impl PrivacyNotice {
    /// The version a text changed on `today` gets: the date, then `.2`, `.3`…
    /// for further changes that day. Consents name it (LGPD art. 8).
    pub fn next_version(&self, today: jiff::civil::Date) -> String {
        let day = today.to_string();
        if self.version == day {
            return format!("{day}.2");
        }
        match self
            .version
            .strip_prefix(&format!("{day}."))
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n) => format!("{day}.{}", n + 1),
            None => day,
        }
    }
}

/// Validated IANA time zone name, checked against the bundled tz database.
pub fn parse_time_zone(name: &str) -> Result<String, OfficeError> {
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_owned())
        .map_err(|_| OfficeError::UnknownTimeZone(name.chars().take(64).collect()))
}

/// How people in Brazil name an office's time zone: "horário de Brasília",
/// "horário de Rondônia"; a zone outside Brazil keeps its IANA name.
pub fn zone_label(tz: &str) -> String {
    let name = match tz {
        "America/Sao_Paulo" | "America/Bahia" | "America/Fortaleza" | "America/Recife"
        | "America/Maceio" | "America/Belem" | "America/Araguaina" | "America/Santarem" => {
            "de Brasília"
        }
        "America/Noronha" => "de Fernando de Noronha",
        "America/Manaus" => "do Amazonas",
        "America/Boa_Vista" => "de Roraima",
        "America/Porto_Velho" => "de Rondônia",
        "America/Cuiaba" => "de Mato Grosso",
        "America/Campo_Grande" => "de Mato Grosso do Sul",
        "America/Rio_Branco" | "America/Eirunepe" => "do Acre",
        other => return other.to_owned(),
    };
    format!("horário {name}")
}

/// CNS (Código Nacional de Serventia): six digits.
pub fn parse_cns(input: &str) -> Result<String, OfficeError> {
    let d: String = input.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 6
        && input
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
    {
        Ok(d)
    } else {
        Err(OfficeError::BadCns)
    }
}

/// CEP: eight digits, shown as `01310-100`.
pub fn parse_cep(input: &str) -> Result<String, OfficeError> {
    let d: String = input.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 8
        && input
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
    {
        Ok(format!("{}-{}", &d[..5], &d[5..]))
    } else {
        Err(OfficeError::BadCep)
    }
}

/// What the office directory shows of an office (SPEC C1): a few hundred bytes,
/// without its services, staff or privacy text, so a city's list stays small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeListing {
    pub id: OfficeId,
    pub name: String,
    pub uf: Uf,
    pub city: String,
    pub cns: String,
    pub officer: String,
    pub address: String,
    pub cep: String,
    pub phone: String,
    pub email: Email,
    /// The `wa.me` link, when the office has WhatsApp.
    pub whatsapp: Option<String>,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub id: OfficeId,
    pub name: String,
    pub uf: Uf,
    pub city: String,
    pub cns: String,
    pub officer: String,
    pub address: String,
    pub cep: String,
    pub phone: String,
    pub email: Email,
    pub whatsapp: Option<Mobile>,
    pub timezone: String,
    pub hours: Vec<OpeningHours>,
    pub services: Vec<Service>,
    pub sectors: Vec<Sector>,
    pub attendants: Vec<Attendant>,
    pub privacy: PrivacyNotice,
    #[serde(default)]
    pub notifications: Notifications,
    /// Largest attachment accepted, in bytes (SPEC C8: 2 MB unless the office sets another).
    #[serde(default = "default_max_attachment_bytes")]
    pub max_attachment_bytes: u64,
    /// The office's own closures, besides the national holidays (SPEC S9).
    #[serde(default)]
    pub holidays: Vec<Closure>,
    /// Length of one appointment slot, in minutes (SPEC C4).
    #[serde(default = "default_slot_minutes")]
    pub slot_minutes: u32,
    /// Appointments one slot can take at once.
    #[serde(default = "default_slot_capacity")]
    pub slot_capacity: u32,
    /// How long before a slot starts a citizen may still book it, in minutes.
    #[serde(default = "default_booking_lead_minutes")]
    pub booking_lead_minutes: u32,
    /// Local time of the reminder sent the day before an appointment.
    #[serde(default = "default_reminder_time")]
    pub reminder_time: jiff::civil::Time,
    /// How long a closed request keeps its personal data (LGPD art. 15–16).
    #[serde(default)]
    pub retention: RetentionDays,
    /// Texts staff answer common questions with (issue 15).
    #[serde(default)]
    pub saved_replies: Vec<SavedReply>,
    /// Grows with each change of the configuration; a change is written only
    /// over the version it was made from.
    #[serde(default)]
    pub version: u64,
}

/// A reply the office keeps for common questions. `{nome}`, `{numero}`,
/// `{servico}` and `{cartorio}` in its text become the request's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedReply {
    pub title: String,
    pub text: String,
}

impl SavedReply {
    /// The text for one request, its placeholders filled.
    pub fn fill(&self, r: &crate::Request) -> String {
        self.text
            .replace("{nome}", r.citizen_name())
            .replace("{numero}", &r.number.0.to_string())
            .replace("{servico}", &r.service_name)
            .replace("{cartorio}", &r.office.name)
    }
}

/// A day the office is closed, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub date: jiff::civil::Date,
    pub name: String,
}

fn default_slot_minutes() -> u32 {
    30
}

fn default_slot_capacity() -> u32 {
    1
}

fn default_booking_lead_minutes() -> u32 {
    120
}

/// Days a closed request keeps its citizen's data before it is erased by
/// itself, counted from its final close (LGPD art. 15–16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RetentionDays(u32);

impl RetentionDays {
    pub const MIN: u32 = 30;
    /// Ten years: beyond that a request is the office's archive, not the desk's.
    pub const MAX: u32 = 3650;

    pub fn new(days: u32) -> Result<Self, String> {
        if (Self::MIN..=Self::MAX).contains(&days) {
            Ok(Self(days))
        } else {
            Err(format!(
                "o prazo de guarda vai de {} a {} dias",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn days(self) -> u32 {
        self.0
    }

    /// The day a request closed on `closed` (the office's date) is erased.
    pub fn erase_on(self, closed: jiff::civil::Date) -> jiff::civil::Date {
        closed
            .checked_add(jiff::Span::new().days(i64::from(self.0)))
            .unwrap_or(jiff::civil::Date::MAX)
    }
}

impl Default for RetentionDays {
    fn default() -> Self {
        Self(365)
    }
}

impl TryFrom<u32> for RetentionDays {
    type Error = String;
    fn try_from(days: u32) -> Result<Self, String> {
        Self::new(days)
    }
}

impl From<RetentionDays> for u32 {
    fn from(r: RetentionDays) -> u32 {
        r.0
    }
}

fn default_reminder_time() -> jiff::civil::Time {
    jiff::civil::Time::constant(9, 0, 0, 0)
}

fn default_max_attachment_bytes() -> u64 {
    crate::attachment::DEFAULT_MAX_BYTES
}

/// Which emails the office receives (SPEC S10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    pub new_request: bool,
    pub citizen_message: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            new_request: true,
            citizen_message: true,
        }
    }
}

impl Office {
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id.as_str() == id)
    }

    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        // The name was checked when the office was built; UTC only if the bundle changed.
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// What the directory lists of this office.
    pub fn listing(&self) -> OfficeListing {
        OfficeListing {
            id: self.id.clone(),
            name: self.name.clone(),
            uf: self.uf,
            city: self.city.clone(),
            cns: self.cns.clone(),
            officer: self.officer.clone(),
            address: self.address.clone(),
            cep: self.cep.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            whatsapp: self.whatsapp_link(),
            timezone: self.timezone.clone(),
        }
    }

    pub fn whatsapp_link(&self) -> Option<String> {
        self.whatsapp
            .as_ref()
            .map(|m| format!("https://wa.me/{}", m.international()))
    }

    /// Opening hours grouped per weekday, Monday first, for display.
    pub fn hours_by_day(&self) -> Vec<(Weekday, Vec<&OpeningHours>)> {
        let mut days: Vec<(Weekday, Vec<&OpeningHours>)> = Vec::new();
        for h in &self.hours {
            match days.iter_mut().find(|(d, _)| *d == h.weekday) {
                Some((_, v)) => v.push(h),
                None => days.push((h.weekday, vec![h])),
            }
        }
        days.sort_by_key(|(d, _)| d.to_monday_zero_offset());
        for (_, v) in &mut days {
            v.sort_by_key(|h| h.open);
        }
        days
    }
}

pub fn weekday_label(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Segunda",
        Weekday::Tuesday => "Terça",
        Weekday::Wednesday => "Quarta",
        Weekday::Thursday => "Quinta",
        Weekday::Friday => "Sexta",
        Weekday::Saturday => "Sábado",
        Weekday::Sunday => "Domingo",
    }
}

/// A small office for the domain's unit tests.
#[cfg(test)]
pub(crate) fn test_office() -> Office {
    let svc = |id: &str, kind| Service {
        id: ServiceId::parse(id).unwrap(),
        kind,
        name: id.into(),
        description: String::new(),
        fields: FieldRules::for_kind(kind, &[]).unwrap(),
        checklist: vec![],
        start_window_minutes: None,
        response_window_hours: None,
    };
    Office {
        id: OfficeId::parse("o").unwrap(),
        name: "Cartório".into(),
        uf: Uf::SP,
        city: "São Paulo".into(),
        cns: "123456".into(),
        officer: "Fulano".into(),
        address: "Rua A, 1".into(),
        cep: "01310-100".into(),
        phone: "(11) 3333-4444".into(),
        email: Email::parse("o@example.com").unwrap(),
        whatsapp: None,
        timezone: "America/Sao_Paulo".into(),
        hours: OpeningHours::default_week(),
        services: vec![
            svc("contato", ServiceKind::Contact),
            svc("agendamento", ServiceKind::Appointment),
            svc("whats", ServiceKind::Whatsapp),
        ],
        sectors: vec![Sector {
            id: ServiceId::parse("notas").unwrap(),
            name: "Notas".into(),
        }],
        attendants: vec![],
        privacy: PrivacyNotice {
            version: "v1".into(),
            text: "…".into(),
        },
        notifications: Notifications::default(),
        max_attachment_bytes: crate::attachment::DEFAULT_MAX_BYTES,
        holidays: vec![],
        slot_minutes: 30,
        slot_capacity: 1,
        booking_lead_minutes: 120,
        reminder_time: jiff::civil::Time::constant(9, 0, 0, 0),
        retention: RetentionDays::default(),
        saved_replies: vec![],
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufs_parse_case_insensitively_and_list_all_27() {
        assert_eq!(Uf::ALL.len(), 27);
        assert_eq!(Uf::parse("sp"), Ok(Uf::SP));
        assert_eq!(Uf::parse("RO").unwrap().name(), "Rondônia");
        assert!(Uf::parse("XX").is_err());
    }

    #[test]
    fn ids_come_from_names_and_stay_unique() {
        let id = ServiceId::from_label("Notas e Procurações", |_| false);
        assert_eq!(id.as_str(), "notas-e-procuracoes");
        let id = ServiceId::from_label("  Notas!! ", |t| t == "notas" || t == "notas-2");
        assert_eq!(id.as_str(), "notas-3");
        assert_eq!(ServiceId::from_label("???", |_| false).as_str(), "item");
        let long = ServiceId::from_label(&"ç".repeat(300), |_| false);
        assert!(ServiceId::parse(long.as_str()).is_ok(), "{long}");
    }

    #[test]
    fn ids_are_slugs() {
        assert!(OfficeId::parse("1-tabeliao-sp").is_ok());
        assert!(OfficeId::parse("Bad Id").is_err());
        assert!(OfficeId::parse("").is_err());
        assert!(OfficeId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn essential_fields_cannot_be_hidden() {
        assert_eq!(
            FieldRules::for_kind(
                ServiceKind::Contact,
                &[(FormField::Email, FieldRule::Hidden)]
            ),
            Err(OfficeError::EssentialField("email"))
        );
        let json = r#"{"name":"required","email":"optional"}"#;
        assert!(serde_json::from_str::<FieldRules>(json).is_err());
    }

    #[test]
    fn appointment_kind_requires_date_time_and_mode() {
        let r = FieldRules::for_kind(ServiceKind::Appointment, &[]).unwrap();
        assert_eq!(r.rule(FormField::Date), FieldRule::Required);
        assert_eq!(r.rule(FormField::Mode), FieldRule::Required);
        let c = FieldRules::for_kind(ServiceKind::Contact, &[]).unwrap();
        assert_eq!(c.rule(FormField::Date), FieldRule::Hidden);
        assert_eq!(c.rule(FormField::Message), FieldRule::Required);
    }

    #[test]
    fn time_zones_come_from_the_bundled_database() {
        assert!(parse_time_zone("America/Sao_Paulo").is_ok());
        assert!(parse_time_zone("America/Porto_Velho").is_ok());
        assert!(parse_time_zone("America/Narnia").is_err());
        assert_eq!(zone_label("America/Sao_Paulo"), "horário de Brasília");
        assert_eq!(zone_label("America/Porto_Velho"), "horário de Rondônia");
        assert_eq!(zone_label("Europe/Lisbon"), "Europe/Lisbon");
        assert_eq!(Uf::BA.in_name(), "na Bahia");
        assert_eq!(Uf::AC.in_name(), "no Acre");
        assert_eq!(Uf::SP.in_name(), "em São Paulo");
    }

    #[test]
    fn cns_and_cep() {
        assert_eq!(parse_cns("12.345-6"), Ok("123456".into()));
        assert!(parse_cns("1234").is_err());
        assert_eq!(parse_cep("01310100"), Ok("01310-100".into()));
        assert!(parse_cep("0131010").is_err());
    }

    #[test]
    fn a_changed_privacy_text_is_versioned_by_its_day() {
        let day = jiff::civil::date(2026, 11, 30);
        let notice = |v: &str| PrivacyNotice {
            version: v.into(),
            text: "t".into(),
        };
        assert_eq!(notice("2026-07").next_version(day), "2026-11-30");
        assert_eq!(notice("v1").next_version(day), "2026-11-30");
        assert_eq!(notice("2026-11-30").next_version(day), "2026-11-30.2");
        assert_eq!(notice("2026-11-30.2").next_version(day), "2026-11-30.3");
        assert_eq!(notice("2026-11-29.4").next_version(day), "2026-11-30");
    }
}

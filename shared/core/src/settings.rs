//! What a manager configures (SPEC S1): services with their field rules,
//! checklists and service-level windows, sectors, attendants, hours, closures,
//! slots, notification switches and the attachment limit. The office's identity
//! (name, CNS, address, time zone) is not part of it.

use crate::office::{
    Attendant, Closure, Notifications, Office, OpeningHours, PrivacyNotice, RetentionDays, Sector,
    Service,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeSettings {
    /// The configuration version this was read from (see `Office::version`).
    pub version: u64,
    pub services: Vec<Service>,
    pub sectors: Vec<Sector>,
    pub attendants: Vec<Attendant>,
    pub hours: Vec<OpeningHours>,
    pub holidays: Vec<Closure>,
    pub slot_minutes: u32,
    pub slot_capacity: u32,
    /// How long before a slot starts it may still be booked, in minutes.
    #[serde(default = "two_hours")]
    pub booking_lead_minutes: u32,
    /// Local time of the reminder the day before an appointment.
    #[serde(default = "nine")]
    pub reminder_time: jiff::civil::Time,
    pub notifications: Notifications,
    pub max_attachment_bytes: u64,
    /// The privacy notice citizens accept (LGPD); a changed text is a new version.
    /// Absent from a document, it stays as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_text: Option<String>,
    /// The notice's current version (read only: the text decides it).
    #[serde(default)]
    pub privacy_version: String,
    /// Days a closed request keeps its citizen's data (30 to 3650).
    #[serde(default = "default_retention")]
    pub retention_days: u32,
    /// Texts staff answer common questions with; absent from a document,
    /// they stay as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_replies: Option<Vec<crate::office::SavedReply>>,
}

fn default_retention() -> u32 {
    RetentionDays::default().days()
}

/// Longest privacy notice, in characters.
const MAX_PRIVACY: usize = 20_000;

const MAX_SERVICES: usize = 50;
const MAX_PEOPLE: usize = 200;
/// Names people read in lists and email subjects.
const MAX_LABEL: usize = 120;

/// Why `text` cannot be a label of at most `max` characters; `None` when it can.
fn label_problem(text: &str, max: usize, multiline: bool) -> Option<String> {
    if text.trim().is_empty() {
        return Some("não pode ficar vazio".into());
    }
    let n = text.chars().count();
    if n > max {
        return Some(format!("tem {n} caracteres; o máximo é {max}"));
    }
    let control = text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')));
    control.then(|| "não pode ter quebras de linha nem caracteres de controle".into())
}

/// Largest attachment limit an office may set: what S3 and the pages handle well.
pub const MAX_ATTACHMENT_LIMIT: u64 = 25 * 1024 * 1024;

impl OfficeSettings {
    pub fn of(o: &Office) -> Self {
        Self {
            version: o.version,
            services: o.services.clone(),
            sectors: o.sectors.clone(),
            attendants: o.attendants.clone(),
            hours: o.hours.clone(),
            holidays: o.holidays.clone(),
            slot_minutes: o.slot_minutes,
            slot_capacity: o.slot_capacity,
            booking_lead_minutes: o.booking_lead_minutes,
            reminder_time: o.reminder_time,
            notifications: o.notifications,
            max_attachment_bytes: o.max_attachment_bytes,
            privacy_text: Some(o.privacy.text.clone()),
            privacy_version: o.privacy.version.clone(),
            retention_days: o.retention.days(),
            saved_replies: Some(o.saved_replies.clone()),
        }
    }

    /// Every problem, as `(field, message)`, in Portuguese.
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        let mut err = |f: &'static str, m: String| errors.push((f, m));
        if self.services.is_empty() {
            err("services", "ofereça pelo menos um atendimento".into());
        }
        if !unique(self.services.iter().map(|s| s.id.as_str())) {
            err(
                "services",
                "dois atendimentos com o mesmo identificador".into(),
            );
        }
        for s in &self.services {
            if s.name.trim().is_empty() {
                err(
                    "services",
                    format!("o atendimento {} precisa de um nome", s.id),
                );
            }
            if s.start_window_minutes
                .is_some_and(|m| m == 0 || m > 60 * 24 * 30)
            {
                err(
                    "start_window_minutes",
                    format!("{}: de 1 minuto a 30 dias úteis", s.name),
                );
            }
            if s.response_window_hours
                .is_some_and(|h| h == 0 || h > 24 * 60)
            {
                err(
                    "response_window_hours",
                    format!("{}: de 1 a 1440 horas úteis", s.name),
                );
            }
        }
        if !unique(self.sectors.iter().map(|s| s.id.as_str())) {
            err("sectors", "dois setores com o mesmo identificador".into());
        }
        if !unique(self.attendants.iter().map(|a| a.id.as_str())) {
            err(
                "attendants",
                "dois atendentes com o mesmo identificador".into(),
            );
        }
        if self.sectors.iter().any(|s| s.name.trim().is_empty())
            || self.attendants.iter().any(|a| a.name.trim().is_empty())
        {
            err("sectors", "setores e atendentes precisam de um nome".into());
        }
        if self.hours.iter().any(|h| h.open >= h.close) {
            err("hours", "cada período abre antes de fechar".into());
        }
        let mut by_day: Vec<&OpeningHours> = self.hours.iter().collect();
        by_day.sort_by_key(|h| (h.weekday.to_monday_one_offset(), h.open));
        if by_day
            .windows(2)
            .any(|w| w[0].weekday == w[1].weekday && w[1].open < w[0].close)
        {
            err("hours", "dois períodos do mesmo dia se sobrepõem".into());
        }
        if !unique(self.holidays.iter().map(|h| h.date.to_string())) {
            err("holidays", "a mesma data aparece duas vezes".into());
        }
        if !(5..=480).contains(&self.slot_minutes) {
            err(
                "slot_minutes",
                "a duração do horário vai de 5 a 480 minutos".into(),
            );
        }
        if !(1..=100).contains(&self.slot_capacity) {
            err(
                "slot_capacity",
                "cada horário atende de 1 a 100 pessoas".into(),
            );
        }
        if self.booking_lead_minutes > 60 * 24 * 30 {
            err(
                "booking_lead_minutes",
                "a antecedência mínima vai até 30 dias".into(),
            );
        }
        if !(1024..=MAX_ATTACHMENT_LIMIT).contains(&self.max_attachment_bytes) {
            err(
                "max_attachment_bytes",
                "o limite de anexo vai de 1 KB a 25 MB".into(),
            );
        }
        if let Err(e) = RetentionDays::new(self.retention_days) {
            err("retention_days", e);
        }
        self.check_texts(&mut err);
        errors
    }

    /// Every text that reaches a page, an email subject or a calendar: one line
    /// (descriptions may have several), no control characters, bounded. The
    /// JSON document and the page's forms both end here.
    fn check_texts(&self, err: &mut impl FnMut(&'static str, String)) {
        let counts = [
            ("services", self.services.len(), MAX_SERVICES),
            ("sectors", self.sectors.len(), MAX_PEOPLE),
            ("attendants", self.attendants.len(), MAX_PEOPLE),
            ("hours", self.hours.len(), 50),
            ("holidays", self.holidays.len(), 400),
        ];
        for (field, n, max) in counts {
            if n > max {
                err(field, format!("no máximo {max} itens"));
            }
        }
        // (field, what it is, text, most characters, several lines allowed)
        let mut texts: Vec<(&'static str, &str, &str, usize, bool)> = Vec::new();
        for s in &self.services {
            texts.push(("services", "nome do atendimento", &s.name, MAX_LABEL, false));
            if !s.description.is_empty() {
                texts.push((
                    "services",
                    "descrição do atendimento",
                    &s.description,
                    1000,
                    true,
                ));
            }
            if s.checklist.len() > 50 {
                err("checklist", format!("{}: no máximo 50 etapas", s.name));
            }
            for step in &s.checklist {
                texts.push(("checklist", "etapa", step, 200, false));
            }
        }
        for x in &self.sectors {
            texts.push(("sectors", "nome do setor", &x.name, MAX_LABEL, false));
        }
        for a in &self.attendants {
            texts.push(("attendants", "nome do atendente", &a.name, MAX_LABEL, false));
        }
        for h in self.holidays.iter().filter(|h| !h.name.is_empty()) {
            texts.push(("holidays", "nome do feriado", &h.name, MAX_LABEL, false));
        }
        if let Some(p) = &self.privacy_text {
            texts.push(("privacy_text", "aviso de privacidade", p, MAX_PRIVACY, true));
        }
        let saved = self.saved_replies.as_deref().unwrap_or_default();
        if saved.len() > MAX_SERVICES {
            err(
                "saved_replies",
                format!("no máximo {MAX_SERVICES} respostas prontas"),
            );
        }
        for r in saved {
            if r.title.trim().is_empty() || r.text.trim().is_empty() {
                err(
                    "saved_replies",
                    "cada resposta pronta precisa de título e texto".into(),
                );
            }
            texts.push((
                "saved_replies",
                "título da resposta pronta",
                &r.title,
                MAX_LABEL,
                false,
            ));
            texts.push((
                "saved_replies",
                "texto da resposta pronta",
                &r.text,
                4000,
                true,
            ));
        }
        for (field, what, text, max, multiline) in texts {
            if let Some(problem) = label_problem(text, max, multiline) {
                err(field, format!("{what}: {problem}"));
            }
        }
    }

    /// The office with these settings, one version up; a privacy text that
    /// changed becomes a new notice version dated `today`.
    pub fn apply(self, o: &Office, today: jiff::civil::Date) -> Office {
        let privacy = match self.privacy_text {
            Some(text) if text.trim() != o.privacy.text.trim() => PrivacyNotice {
                version: o.privacy.next_version(today),
                text: text.trim().to_owned(),
            },
            _ => o.privacy.clone(),
        };
        Office {
            privacy,
            retention: RetentionDays::new(self.retention_days).unwrap_or(o.retention),
            services: self.services,
            sectors: self.sectors,
            attendants: self.attendants,
            hours: self.hours,
            holidays: self.holidays,
            slot_minutes: self.slot_minutes,
            slot_capacity: self.slot_capacity,
            booking_lead_minutes: self.booking_lead_minutes,
            reminder_time: self.reminder_time,
            notifications: self.notifications,
            max_attachment_bytes: self.max_attachment_bytes,
            saved_replies: self
                .saved_replies
                .unwrap_or_else(|| o.saved_replies.clone()),
            version: o.version + 1,
            ..o.clone()
        }
    }
}

fn two_hours() -> u32 {
    120
}

fn nine() -> jiff::civil::Time {
    jiff::civil::Time::constant(9, 0, 0, 0)
}

fn unique<T: Ord>(items: impl Iterator<Item = T>) -> bool {
    let mut seen = BTreeSet::new();
    items.into_iter().all(|i| seen.insert(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{Time, Weekday};

    #[test]
    fn settings_round_trip_and_are_checked() {
        let o = crate::office::test_office();
        let s = OfficeSettings::of(&o);
        assert!(s.check().is_empty(), "{:?}", s.check());
        let next = s.clone().apply(&o, jiff::civil::date(2026, 11, 30));
        assert_eq!(next.version, o.version + 1);
        assert_eq!(OfficeSettings::of(&next).services, s.services);

        let mut bad = s.clone();
        bad.slot_minutes = 0;
        bad.hours.push(OpeningHours {
            weekday: Weekday::Monday,
            open: Time::constant(12, 0, 0, 0),
            close: Time::constant(13, 0, 0, 0),
        });
        bad.services.push(bad.services[0].clone());
        bad.max_attachment_bytes = 100 * 1024 * 1024;
        let fields: Vec<&str> = bad.check().iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["services", "hours", "slot_minutes", "max_attachment_bytes"]
        );
    }

    #[test]
    fn texts_are_single_bounded_lines_whatever_the_path() {
        let o = crate::office::test_office();
        let mut s = OfficeSettings::of(&o);
        s.services[0].name = "Certidão\r\nBcc: alvo@example.com".into();
        s.services[0].checklist = vec!["x".repeat(201)];
        s.sectors.push(Sector {
            id: crate::ServiceId::parse("novo").unwrap(),
            name: "n".repeat(121),
        });
        let problems = s.check();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["services", "checklist", "sectors"], "{problems:?}");
        assert!(problems[0].1.contains("quebras de linha"));
        assert!(problems[2].1.contains("máximo é 120"));
    }
}

//! The request form (SPEC C3): raw strings in, a request that cannot hold bad
//! data out, or every field's error in Portuguese.

use crate::contact::{Email, Mobile};
use crate::document::Document;
use crate::office::{FieldRule, FormField, Office, Service, ServiceKind};
use crate::request::{Appointment, AppointmentMode, Citizen, RequestDetails};
use crate::text::{FreeText, PersonName, ProtocolNumber};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What arrived, as typed. Every field is optional here; rules decide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawRequestForm {
    pub service: Option<String>,
    pub sector: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    pub mobile: Option<String>,
    pub protocol: Option<String>,
    pub priority: Option<String>,
    pub attendant: Option<String>,
    pub date: Option<String>,
    pub time: Option<String>,
    pub mode: Option<String>,
    pub message: Option<String>,
    pub consent: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Field name → message, in the order of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A request ready to be opened: every value checked against the office's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidRequestForm {
    pub service: Service,
    pub citizen: Citizen,
    pub details: RequestDetails,
    pub appointment: Option<Appointment>,
}

fn truthy(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "1" | "yes" | "sim" => Some(true),
        "false" | "off" | "0" | "no" | "nao" | "não" | "" => Some(false),
        _ => None,
    }
}

impl ValidRequestForm {
    pub fn parse(
        raw: &RawRequestForm,
        office: &Office,
        now: Timestamp,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let service = match raw
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                errors.add("service", "escolha o tipo de atendimento");
                None
            }
            Some(id) => match office.service(id) {
                None => {
                    errors.add("service", "este cartório não oferece este atendimento");
                    None
                }
                Some(s) if !s.kind.opens_ticket() => {
                    errors.add(
                        "service",
                        "este atendimento é feito pelo WhatsApp do cartório",
                    );
                    None
                }
                Some(s) => Some(s),
            },
        };
        if raw.consent.as_deref().and_then(truthy) != Some(true) {
            errors.add(
                "consent",
                "é preciso aceitar a política de privacidade para enviar",
            );
        }
        let Some(service) = service else {
            return Err(errors);
        };

        let mut f = FieldReader {
            raw,
            service,
            errors,
        };
        let name = f.take(FormField::Name, |v| {
            PersonName::parse(v).map_err(|e| e.to_string())
        });
        let email = f.take(FormField::Email, |v| {
            Email::parse(v).map_err(|e| e.to_string())
        });
        let document = f.take(FormField::Document, |v| {
            Document::parse(v).map_err(|e| e.to_string())
        });
        let mobile = f.take(FormField::Mobile, |v| {
            Mobile::parse(v).map_err(|e| e.to_string())
        });
        let protocol = f.take(FormField::Protocol, |v| {
            ProtocolNumber::parse(v).map_err(|e| e.to_string())
        });
        let message = f.take(FormField::Message, |v| {
            FreeText::parse(v).map_err(|e| e.to_string())
        });
        let priority = f
            .take(FormField::Priority, |v| {
                truthy(v).ok_or_else(|| "responda sim ou não".to_owned())
            })
            .unwrap_or(false);
        let sector = f.take(FormField::Sector, |v| {
            office
                .sectors
                .iter()
                .find(|s| s.id.as_str() == v.trim())
                .map(|s| s.name.clone())
                .ok_or_else(|| "setor inexistente neste cartório".to_owned())
        });
        let attendant = f.take(FormField::Attendant, |v| {
            office
                .attendants
                .iter()
                .find(|a| a.id.as_str() == v.trim())
                .map(|a| a.name.clone())
                .ok_or_else(|| "atendente inexistente neste cartório".to_owned())
        });
        let date = f.take(FormField::Date, |v| {
            Date::strptime("%Y-%m-%d", v.trim())
                .map_err(|_| "data inválida: use AAAA-MM-DD".to_owned())
        });
        let time = f.take(FormField::Time, |v| {
            Time::strptime("%H:%M", v.trim()).map_err(|_| "hora inválida: use HH:MM".to_owned())
        });
        let mode = f.take(FormField::Mode, |v| {
            AppointmentMode::parse(v).ok_or_else(|| "escolha presencial ou virtual".to_owned())
        });
        let mut errors = f.errors;

        let appointment = match (date, time) {
            (Some(date), Some(time)) => {
                match crate::booking::Booking::for_office(office).check(date, time, now) {
                    Ok(_) => Some(Appointment {
                        date,
                        time,
                        mode: mode.unwrap_or(if service.kind == ServiceKind::Appointment {
                            AppointmentMode::InPerson
                        } else {
                            AppointmentMode::Virtual
                        }),
                        subject: None,
                        meeting: None,
                        sequence: 0,
                    }),
                    Err(e) => {
                        errors.add(e.field(), e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };

        match (name, email) {
            (Some(name), Some(email)) if errors.is_empty() => Ok(Self {
                service: service.clone(),
                citizen: Citizen {
                    name,
                    email,
                    document,
                    mobile,
                },
                details: RequestDetails {
                    sector,
                    protocol,
                    priority,
                    attendant,
                    message,
                },
                appointment,
            }),
            _ => Err(errors),
        }
    }
}

/// Reads one field under its rule: hidden fields are ignored, required ones must be there.
struct FieldReader<'a> {
    raw: &'a RawRequestForm,
    service: &'a Service,
    errors: FieldErrors,
}

impl FieldReader<'_> {
    fn value(&self, field: FormField) -> Option<&str> {
        let r = self.raw;
        let v = match field {
            FormField::Sector => &r.sector,
            FormField::Name => &r.name,
            FormField::Email => &r.email,
            FormField::Document => &r.document,
            FormField::Mobile => &r.mobile,
            FormField::Protocol => &r.protocol,
            FormField::Priority => &r.priority,
            FormField::Attendant => &r.attendant,
            FormField::Date => &r.date,
            FormField::Time => &r.time,
            FormField::Mode => &r.mode,
            FormField::Message => &r.message,
            FormField::Attachments => &None,
        };
        v.as_deref().filter(|s| !s.trim().is_empty())
    }

    fn take<T>(
        &mut self,
        field: FormField,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let rule = self.service.fields.rule(field);
        if rule == FieldRule::Hidden {
            return None;
        }
        match self.value(field) {
            None if rule == FieldRule::Required => {
                self.errors.add(field.key(), "campo obrigatório");
                None
            }
            None => None,
            Some(v) => match parse(v) {
                Ok(t) => Some(t),
                Err(msg) => {
                    self.errors.add(field.key(), msg);
                    None
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::*;

    fn office() -> Office {
        crate::office::test_office()
    }

    fn now() -> Timestamp {
        "2026-11-20T12:00:00Z".parse().unwrap()
    }

    fn contact() -> RawRequestForm {
        RawRequestForm {
            service: Some("contato".into()),
            name: Some("Maria da Silva".into()),
            email: Some("maria@example.com".into()),
            message: Some("Qual o prazo?".into()),
            consent: Some("on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_contact_request_parses() {
        let v = ValidRequestForm::parse(&contact(), &office(), now()).unwrap();
        assert_eq!(v.citizen.name.as_str(), "Maria da Silva");
        assert_eq!(v.details.message.unwrap().as_str(), "Qual o prazo?");
        assert!(v.appointment.is_none());
    }

    #[test]
    fn every_bad_field_is_named() {
        let raw = RawRequestForm {
            name: Some("1".into()),
            email: Some("x".into()),
            document: Some("123".into()),
            mobile: Some("123".into()),
            sector: Some("nope".into()),
            message: None,
            consent: None,
            ..contact()
        };
        let e = ValidRequestForm::parse(&raw, &office(), now()).unwrap_err();
        for f in [
            "name", "email", "document", "mobile", "sector", "message", "consent",
        ] {
            assert!(e.get(f).is_some(), "{f} should have an error: {e:?}");
        }
    }

    #[test]
    fn hidden_fields_are_ignored() {
        let raw = RawRequestForm {
            date: Some("bad".into()),
            ..contact()
        };
        assert!(ValidRequestForm::parse(&raw, &office(), now()).is_ok());
    }

    #[test]
    fn appointments_need_a_future_time() {
        let base = RawRequestForm {
            service: Some("agendamento".into()),
            date: Some("2026-11-19".into()),
            time: Some("10:00".into()),
            mode: Some("virtual".into()),
            ..contact()
        };
        let e = ValidRequestForm::parse(&base, &office(), now()).unwrap_err();
        assert!(e.get("date").is_some());
        let ok = RawRequestForm {
            date: Some("2026-11-23".into()),
            ..base
        };
        let v = ValidRequestForm::parse(&ok, &office(), now()).unwrap();
        assert_eq!(v.appointment.unwrap().mode, AppointmentMode::Virtual);
    }

    #[test]
    fn service_errors() {
        let e = ValidRequestForm::parse(
            &RawRequestForm {
                service: Some("whats".into()),
                ..contact()
            },
            &office(),
            now(),
        )
        .unwrap_err();
        assert!(e.get("service").unwrap().contains("WhatsApp"));
        let e = ValidRequestForm::parse(
            &RawRequestForm {
                service: None,
                ..contact()
            },
            &office(),
            now(),
        )
        .unwrap_err();
        assert!(e.get("service").is_some());
    }
}

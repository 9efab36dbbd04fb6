//! `GET /staff/office` and `POST /staff/office` (SPEC S1): the office's
//! configuration. JSON clients send the whole settings document; the page sends
//! one section at a time, written as lines a person can type.

use crate::Response;
use crate::forms::{Fields, body};
use crate::pages::{FieldRuleRow, OfficeSettingsPage, Refusal, ServiceSettings};
use crate::respond::{Failure, Format, finish, json, negotiate, see_other};
use crate::staff::staff;
use balcao_app::{App, AppError, office_settings};
use balcao_core::office::weekday_label;
use balcao_core::protocol::parse_date;
use balcao_core::{
    Attendant, Closure, Email, FieldRule, OfficeSettings, OpeningHours, Role, SavedReply, Sector,
    ServiceId, ServiceKind,
};
use http::StatusCode;
use jiff::civil::{Time, Weekday};
use lambda_http::Request;

pub async fn show(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let s = office_settings::get(app, &me).await?;
        let saved = crate::forms::query(&req).get("salvo") == Some("1");
        Ok::<_, Failure>(negotiate(
            format,
            StatusCode::OK,
            || s.clone(),
            || OfficeSettingsPage {
                notice: saved.then_some("Configurações salvas."),
                ..page(&s, &me)
            },
        ))
    }
    .await;
    finish(format, result)
}

pub async fn update(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let is_json = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        let saved = if is_json {
            // Read after the role check: an attendant learns nothing from a bad document.
            office_settings::update(app, &me, |_| {
                serde_json::from_slice::<OfficeSettings>(req.body().as_ref())
                    .map_err(|e| invalid("settings", format!("configuração inválida: {e}")))
            })
            .await?
        } else {
            let f = body(&req).await?;
            office_settings::update(app, &me, |current| section(current, &f)).await?
        };
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &saved),
            Format::Html => see_other("/staff/office?salvo=1"),
        })
    }
    .await;
    match result {
        // A refused form comes back on the settings page, inside that form,
        // with what was typed.
        Err(Failure::App(
            e @ (AppError::Invalid(_) | AppError::Conflict | AppError::NotFound(_)),
        )) if format == Format::Html => {
            let Ok(me) = staff(&req) else {
                return finish(format, Err(Failure::Unauthorized));
            };
            let sent = body(&req).await.unwrap_or_default();
            let status = match e {
                AppError::Conflict => StatusCode::CONFLICT,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let why = match e {
                AppError::Conflict => "outra pessoa salvou a configuração enquanto você editava; confira os valores atuais e salve de novo".to_owned(),
                _ => crate::respond::reason(&e),
            };
            match office_settings::get(app, &me).await {
                Ok(s) => crate::respond::html(
                    status,
                    &OfficeSettingsPage {
                        refused: Refusal::of(
                            form_key(&sent),
                            section_label(sent.get("section").unwrap_or("")),
                            why,
                            sent,
                        ),
                        ..page(&s, &me)
                    },
                ),
                Err(other) => finish(format, Err(other.into())),
            }
        }
        other => finish(format, other),
    }
}

/// Which of the page's forms sent `f` (the ids the template gives them).
fn form_key(f: &Fields) -> String {
    let section = f.get("section").unwrap_or("");
    match section {
        "sector" | "attendant" => match f.get("id").filter(|i| !i.is_empty()) {
            Some(id) => format!("{section}:{id}"),
            None => format!("{section}:new"),
        },
        "service" => format!("service:{}", f.get("service").unwrap_or("")),
        "saved_reply" => match f.get("index").filter(|i| !i.is_empty()) {
            Some(i) => format!("saved_reply:{i}"),
            None => "saved_reply:new".to_owned(),
        },
        other => other.to_owned(),
    }
}

/// A section of the page as its heading names it.
fn section_label(key: &str) -> String {
    match key {
        "privacy" => "Privacidade",
        "notifications" => "Avisos por e-mail",
        "limits" => "Agenda e anexos",
        "hours" => "Horário de atendimento",
        "holidays" => "Feriados",
        "sector" => "Setores",
        "attendant" => "Atendentes",
        "service" | "new_service" => "Atendimentos",
        "saved_reply" => "Respostas prontas",
        _ => "",
    }
    .to_owned()
}

/// The remove button of an item's form (behind a `<details>` that asks first).
fn removing(f: &Fields) -> bool {
    f.get("remove") == Some("1")
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::invalid(field, &message)
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, l))
}

fn number<T: std::str::FromStr>(f: &Fields, field: &str) -> Result<T, AppError> {
    f.get(field)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| invalid(field, "informe um número inteiro".into()))
}

fn optional_number(f: &Fields, field: &str) -> Result<Option<u32>, AppError> {
    match f.get(field).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| invalid(field, "informe um número inteiro".into())),
    }
}

const DAYS: [(&str, Weekday); 7] = [
    ("seg", Weekday::Monday),
    ("ter", Weekday::Tuesday),
    ("qua", Weekday::Wednesday),
    ("qui", Weekday::Thursday),
    ("sex", Weekday::Friday),
    ("sab", Weekday::Saturday),
    ("dom", Weekday::Sunday),
];

fn day_code(d: Weekday) -> &'static str {
    DAYS.iter().find(|(_, w)| *w == d).map_or("", |(c, _)| c)
}

/// Applies one section of the page's forms to the current settings.
fn section(mut s: OfficeSettings, f: &Fields) -> Result<OfficeSettings, AppError> {
    s.version = number(f, "version")?;
    match f.get("section").unwrap_or("") {
        "privacy" => {
            s.privacy_text = Some(f.get("privacy_text").unwrap_or("").to_owned());
            if f.get("retention_days").is_some() {
                s.retention_days = number(f, "retention_days")?;
            }
        }
        "notifications" => {
            let on = |k: &str| matches!(f.get(k), Some("true" | "on" | "1"));
            s.notifications.new_request = on("new_request");
            s.notifications.citizen_message = on("citizen_message");
        }
        "limits" => {
            s.slot_minutes = number(f, "slot_minutes")?;
            s.slot_capacity = number(f, "slot_capacity")?;
            if f.get("booking_lead_minutes").is_some() {
                s.booking_lead_minutes = number(f, "booking_lead_minutes")?;
            }
            s.max_attachment_bytes = number::<u64>(f, "max_attachment_kb")?.saturating_mul(1024);
            if let Some(t) = f.get("reminder_time").filter(|t| !t.trim().is_empty()) {
                s.reminder_time = t
                    .trim()
                    .parse()
                    .map_err(|_| invalid("reminder_time", "horário no formato HH:MM".into()))?;
            }
        }
        "holidays" => {
            let mut out = Vec::new();
            for (n, l) in lines(f.get("holidays").unwrap_or("")) {
                let (date, name) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                let date = parse_date(date).ok_or_else(|| {
                    invalid(
                        "holidays",
                        format!("linha {n}: comece com a data (DD/MM/AAAA)"),
                    )
                })?;
                out.push(Closure {
                    date,
                    name: name.trim().to_owned(),
                });
            }
            out.sort_by_key(|c| c.date);
            s.holidays = out;
        }
        "hours" => {
            let mut out = Vec::new();
            for (n, l) in lines(f.get("hours").unwrap_or("")) {
                let bad = || {
                    invalid(
                        "hours",
                        format!("linha {n}: escreva como \"seg 08:00-12:00\""),
                    )
                };
                let (day, span) = l.split_once(char::is_whitespace).ok_or_else(bad)?;
                let weekday = DAYS
                    .iter()
                    .find(|(c, _)| day.trim().to_lowercase().starts_with(c))
                    .map(|(_, w)| *w)
                    .ok_or_else(bad)?;
                let (open, close) = span.trim().split_once('-').ok_or_else(bad)?;
                let (open, close): (Time, Time) = (
                    open.trim().parse().map_err(|_| bad())?,
                    close.trim().parse().map_err(|_| bad())?,
                );
                out.push(
                    OpeningHours::new(weekday, open, close)
                        .map_err(|e| invalid("hours", format!("linha {n}: {e}")))?,
                );
            }
            s.hours = out;
        }
        "sector" => {
            let id = f.get("id").unwrap_or("").trim();
            let name = f.get("name").unwrap_or("").trim().to_owned();
            if id.is_empty() {
                let id =
                    ServiceId::from_label(&name, |t| s.sectors.iter().any(|x| x.id.as_str() == t));
                s.sectors.push(Sector { id, name });
            } else {
                let i = s
                    .sectors
                    .iter()
                    .position(|x| x.id.as_str() == id)
                    .ok_or(AppError::NotFound("setor"))?;
                if removing(f) {
                    s.sectors.remove(i);
                } else {
                    s.sectors[i].name = name;
                }
            }
        }
        "attendant" => {
            let id = f.get("id").unwrap_or("").trim();
            let name = f.get("name").unwrap_or("").trim().to_owned();
            let i = match id {
                "" => None,
                id => Some(
                    s.attendants
                        .iter()
                        .position(|x| x.id.as_str() == id)
                        .ok_or(AppError::NotFound("atendente"))?,
                ),
            };
            match i {
                Some(i) if removing(f) => {
                    s.attendants.remove(i);
                }
                _ => {
                    let email = Email::parse(f.get("email").unwrap_or("").trim())
                        .map_err(|e| invalid("email", e.to_string()))?;
                    match i {
                        Some(i) => {
                            s.attendants[i].name = name;
                            s.attendants[i].email = email;
                        }
                        None => {
                            let id = ServiceId::from_label(&name, |t| {
                                s.attendants.iter().any(|x| x.id.as_str() == t)
                            });
                            s.attendants.push(Attendant { id, name, email });
                        }
                    }
                }
            }
        }
        "saved_reply" => {
            let list = s.saved_replies.get_or_insert_with(Vec::new);
            let reply = SavedReply {
                title: f.get("title").unwrap_or("").trim().to_owned(),
                text: f.get("text").unwrap_or("").trim().to_owned(),
            };
            match f.get("index").map(str::trim).filter(|i| !i.is_empty()) {
                None => list.push(reply),
                Some(i) => {
                    let i: usize = i
                        .parse()
                        .ok()
                        .filter(|i| *i < list.len())
                        .ok_or(AppError::NotFound("resposta pronta"))?;
                    if removing(f) {
                        list.remove(i);
                    } else {
                        list[i] = reply;
                    }
                }
            }
        }
        "new_service" => {
            let kind = f
                .get("kind")
                .and_then(ServiceKind::parse)
                .ok_or_else(|| invalid("kind", "escolha o tipo de atendimento".into()))?;
            let name = f.get("name").unwrap_or("").trim().to_owned();
            if name.is_empty() {
                return Err(invalid("name", "dê um nome ao atendimento".into()));
            }
            let id =
                ServiceId::from_label(&name, |t| s.services.iter().any(|x| x.id.as_str() == t));
            s.services.push(kind.new_service(id, name));
        }
        "service" => {
            let id = f.get("service").unwrap_or("");
            let i = s
                .services
                .iter()
                .position(|x| x.id.as_str() == id)
                .ok_or(AppError::NotFound("atendimento"))?;
            if removing(f) {
                s.services.remove(i);
                return Ok(s);
            }
            let service = &mut s.services[i];
            // Each part is changed only when its form sent it.
            if let Some(name) = f.get("name") {
                service.name = name.trim().to_owned();
            }
            if let Some(d) = f.get("description") {
                service.description = d.trim().to_owned();
            }
            for field in service.kind.configurable_fields() {
                if let Some(rule) = f.get(&format!("rule_{}", field.key())) {
                    let rule = FieldRule::parse(rule).ok_or_else(|| {
                        invalid("fields", format!("{}: regra desconhecida", field.label()))
                    })?;
                    service.fields = service
                        .fields
                        .with(field, rule)
                        .map_err(|e| invalid("fields", e.to_string()))?;
                }
            }
            if f.get("checklist").is_some() {
                service.checklist = lines(f.get("checklist").unwrap_or(""))
                    .map(|(_, l)| l.to_owned())
                    .collect();
            }
            service.start_window_minutes = optional_number(f, "start_window_minutes")?;
            service.response_window_hours = optional_number(f, "response_window_hours")?;
        }
        _ => return Err(invalid("section", "seção desconhecida".into())),
    }
    Ok(s)
}

fn page(s: &OfficeSettings, me: &balcao_core::StaffMember) -> OfficeSettingsPage {
    OfficeSettingsPage {
        notice: None,
        refused: Refusal::default(),
        staff_name: me.name.clone(),
        office_id: me.office.to_string(),
        privacy_version: s.privacy_version.clone(),
        privacy_text: s.privacy_text.clone().unwrap_or_default(),
        retention_days: s.retention_days,
        manager: me.role == Role::Manager,
        version: s.version,
        new_request: s.notifications.new_request,
        citizen_message: s.notifications.citizen_message,
        slot_minutes: s.slot_minutes,
        slot_capacity: s.slot_capacity,
        booking_lead_minutes: s.booking_lead_minutes,
        max_attachment_kb: s.max_attachment_bytes / 1024,
        reminder_time: s.reminder_time.strftime("%H:%M").to_string(),
        holidays: s
            .holidays
            .iter()
            .map(|c| format!("{} {}", c.date.strftime("%d/%m/%Y"), c.name))
            .collect::<Vec<_>>()
            .join("\n"),
        hours: s
            .hours
            .iter()
            .map(|h| {
                format!(
                    "{} {}-{}",
                    day_code(h.weekday),
                    h.open.strftime("%H:%M"),
                    h.close.strftime("%H:%M")
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        hours_hint: DAYS
            .iter()
            .map(|(c, w)| format!("{c} = {}", weekday_label(*w)))
            .collect::<Vec<_>>()
            .join(", "),
        sectors: s
            .sectors
            .iter()
            .map(|x| (x.id.to_string(), x.name.clone()))
            .collect(),
        attendants: s
            .attendants
            .iter()
            .map(|a| (a.id.to_string(), a.name.clone(), a.email.to_string()))
            .collect(),
        saved_replies: s
            .saved_replies
            .iter()
            .flatten()
            .map(|r| (r.title.clone(), r.text.clone()))
            .collect(),
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.key(), k.label()))
            .collect(),
        services: s
            .services
            .iter()
            .map(|x| ServiceSettings {
                id: x.id.to_string(),
                name: x.name.clone(),
                // Said only when the name does not already say it.
                kind: if x.name == x.kind.label() {
                    ""
                } else {
                    x.kind.label()
                },
                description: x.description.clone(),
                rules: x
                    .kind
                    .configurable_fields()
                    .map(|f| FieldRuleRow {
                        key: f.key(),
                        label: f.label(),
                        rule: x.fields.rule(f).key(),
                    })
                    .collect(),
                checklist: x.checklist.join("\n"),
                start_window_minutes: x
                    .start_window_minutes
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                response_window_hours: x
                    .response_window_hours
                    .map(|h| h.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

//! `GET /staff/office` and `POST /staff/office` (SPEC S1): the office's
//! configuration. JSON clients send the whole settings document; the page sends
//! one section at a time, written as lines a person can type.

use crate::Response;
use crate::forms::{Fields, body};
use crate::pages::{OfficeSettingsPage, ServiceSettings};
use crate::respond::{Failure, Format, finish, json, negotiate, see_other};
use crate::staff::staff;
use balcao_app::{App, AppError, office_settings};
use balcao_core::office::weekday_label;
use balcao_core::protocol::parse_date;
use balcao_core::{
    Attendant, Closure, Email, OfficeSettings, OpeningHours, Role, Sector, ServiceId,
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
        // A refused section comes back on the settings page, saying which and why.
        Err(Failure::App(e @ (AppError::Invalid(_) | AppError::Conflict)))
            if format == Format::Html =>
        {
            let Ok(me) = staff(&req) else {
                return finish(format, Err(Failure::Unauthorized));
            };
            let why = crate::respond::reason(&e);
            let section = body(&req)
                .await
                .ok()
                .and_then(|f| f.get("section").map(section_label))
                .unwrap_or_default();
            match office_settings::get(app, &me).await {
                Ok(s) => crate::respond::html(
                    if matches!(e, AppError::Conflict) {
                        StatusCode::CONFLICT
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    },
                    &OfficeSettingsPage {
                        error: Some((section, why)),
                        ..page(&s, &me)
                    },
                ),
                Err(other) => finish(format, Err(other.into())),
            }
        }
        other => finish(format, other),
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
        "people" => "Setores e atendentes",
        "service" => "Atendimento",
        _ => "",
    }
    .to_owned()
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
        "people" => {
            let mut sectors = Vec::new();
            for (n, l) in lines(f.get("sectors").unwrap_or("")) {
                let (id, name) = l
                    .split_once(';')
                    .ok_or_else(|| invalid("sectors", format!("linha {n}: escreva id;Nome")))?;
                let id = ServiceId::parse(id)
                    .map_err(|e| invalid("sectors", format!("linha {n}: {e}")))?;
                sectors.push(Sector {
                    id,
                    name: name.trim().to_owned(),
                });
            }
            let mut attendants = Vec::new();
            for (n, l) in lines(f.get("attendants").unwrap_or("")) {
                let parts: Vec<&str> = l.split(';').map(str::trim).collect();
                let [id, name, email] = parts[..] else {
                    return Err(invalid(
                        "attendants",
                        format!("linha {n}: escreva id;Nome;e-mail"),
                    ));
                };
                attendants.push(Attendant {
                    id: ServiceId::parse(id)
                        .map_err(|e| invalid("attendants", format!("linha {n}: {e}")))?,
                    name: name.to_owned(),
                    email: Email::parse(email)
                        .map_err(|e| invalid("attendants", format!("linha {n}: {e}")))?,
                });
            }
            s.sectors = sectors;
            s.attendants = attendants;
        }
        "service" => {
            let id = f.get("service").unwrap_or("");
            let service = s
                .services
                .iter_mut()
                .find(|x| x.id.as_str() == id)
                .ok_or(AppError::NotFound("atendimento"))?;
            service.checklist = lines(f.get("checklist").unwrap_or(""))
                .map(|(_, l)| l.to_owned())
                .collect();
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
        error: None,
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
            .map(|x| format!("{};{}", x.id, x.name))
            .collect::<Vec<_>>()
            .join("\n"),
        attendants: s
            .attendants
            .iter()
            .map(|a| format!("{};{};{}", a.id, a.name, a.email))
            .collect::<Vec<_>>()
            .join("\n"),
        services: s
            .services
            .iter()
            .map(|x| ServiceSettings {
                id: x.id.to_string(),
                name: x.name.clone(),
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

//! `GET /offices/{office}/requests/new` (the form) and
//! `POST /offices/{office}/requests` (SPEC C3, C5).

use crate::Response;
use crate::forms::{body, path_param, query};
use crate::pages::{AttachWidget, FieldInput, RequestFormPage, SlotDay, SummaryLine};
use crate::respond::{Failure, Format, finish, html, json, see_other, ticket_location};
use crate::views::OfficeView;
use balcao_app::booking::{self, SlotList};
use balcao_app::{App, AppError, attachments, offices, open_request};
use balcao_core::office::weekday_label;
use balcao_core::{FieldErrors, FieldRule, FormField, Office, RawRequestForm, Service, UploadRef};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;

pub async fn form(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let office = offices::card(app, &path_param(&req, "office")?).await?;
        let service_id = query(&req).get("service").unwrap_or("").to_owned();
        let service = office
            .service(&service_id)
            .filter(|s| s.kind.opens_ticket())
            .ok_or(AppError::NotFound("atendimento"))?;
        if format == Format::Json {
            return Ok(json(
                StatusCode::OK,
                &crate::views::OfficeCardView::from(&office),
            ));
        }
        let raw = RawRequestForm {
            service: Some(service_id),
            ..Default::default()
        };
        let slots = form_slots(app, &office, service).await?;
        let mut page = form_page(
            &office,
            service,
            &raw,
            &[],
            &FieldErrors::default(),
            slots.as_ref(),
        );
        complete_picker(app, &mut page, &office, service, &query(&req)).await?;
        Ok(html(StatusCode::OK, &page))
    }
    .await;
    finish(format, result)
}

pub async fn submit(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let office_id = path_param(&req, "office")?;
        let fields = body(&req).await?;
        let files = attachments::parse_refs(fields.all("attachments"))?;
        let slot = fields.get("slot").map(ToOwned::to_owned);
        let mut raw: RawRequestForm = fields.into_form()?;
        // The form's one choice of day and time (`2026-11-23T09:00`) is the contract's date and time.
        if let Some((date, time)) = slot.as_deref().and_then(|s| s.split_once('T')) {
            raw.date.get_or_insert_with(|| date.to_owned());
            raw.time.get_or_insert_with(|| time.to_owned());
        }
        let header_key = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok());
        match open_request::open(app, &office_id, &raw, &files, header_key).await {
            Ok(opened) => Ok(match format {
                Format::Json => {
                    let mut r = json(
                        StatusCode::CREATED,
                        &json!({
                            "id": opened.id.to_string(),
                            "number": opened.number.0,
                            "status": opened.status.key(),
                            "ticket_url": opened.ticket_url,
                        }),
                    );
                    if opened.replayed {
                        r.headers_mut().insert(
                            "idempotent-replayed",
                            http::HeaderValue::from_static("true"),
                        );
                    }
                    r
                }
                Format::Html => see_other(&ticket_location(opened.id, &opened.token, "&novo=1")),
            }),
            // A person gets the form back with what they typed and each error beside its field.
            Err(e)
                if format == Format::Html
                    && e.field_errors().is_some_and(|f| f.get("service").is_none()) =>
            {
                let errors = e.field_errors().unwrap_or_default();
                let (status, retry_after) = match e {
                    AppError::SlotFull | AppError::AlreadyOpened { .. } => {
                        (StatusCode::CONFLICT, None)
                    }
                    AppError::TooMany { retry_after, .. } => {
                        (StatusCode::TOO_MANY_REQUESTS, Some(retry_after))
                    }
                    _ => (StatusCode::UNPROCESSABLE_ENTITY, None),
                };
                let office = offices::card(app, &office_id).await?;
                let service = raw
                    .service
                    .as_deref()
                    .and_then(|s| office.service(s))
                    .ok_or(AppError::NotFound("atendimento"))?;
                let slots = form_slots(app, &office, service).await?;
                let mut form = form_page(&office, service, &raw, &files, &errors, slots.as_ref());
                complete_picker(app, &mut form, &office, service, &Default::default()).await?;
                let mut page = html(status, &form);
                if let Some(secs) = retry_after {
                    page.headers_mut()
                        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
                }
                Ok(page)
            }
            Err(e) => Err(Failure::from(e)),
        }
    }
    .await;
    finish(format, result)
}

/// The form's file picker, completed for posts with and without JavaScript.
async fn complete_picker(
    app: &App,
    page: &mut RequestFormPage,
    office: &Office,
    service: &Service,
    page_query: &crate::forms::Fields,
) -> Result<(), AppError> {
    let Some(w) = page.attach.as_mut() else {
        return Ok(());
    };
    let sender = crate::ops::attachments::Sender::Citizen {
        office: office.id.as_str(),
        ticket: None,
    };
    let form = format!("/offices/{}/requests/new?service={}", office.id, service.id);
    crate::ops::attachments::complete(app, w, sender, &form, page_query).await
}

fn raw_value(raw: &RawRequestForm, field: FormField) -> Option<&String> {
    match field {
        FormField::Sector => raw.sector.as_ref(),
        FormField::Name => raw.name.as_ref(),
        FormField::Email => raw.email.as_ref(),
        FormField::Document => raw.document.as_ref(),
        FormField::Mobile => raw.mobile.as_ref(),
        FormField::Protocol => raw.protocol.as_ref(),
        FormField::Priority => raw.priority.as_ref(),
        FormField::Attendant => raw.attendant.as_ref(),
        FormField::Date => raw.date.as_ref(),
        FormField::Time => raw.time.as_ref(),
        FormField::Mode => raw.mode.as_ref(),
        FormField::Message => raw.message.as_ref(),
        FormField::Attachments => None,
    }
}

/// Days of open slots the form offers.
const FORM_DAYS: u16 = 21;

/// The open slots a booked service's form offers; `None` for other services.
async fn form_slots(
    app: &App,
    office: &Office,
    service: &Service,
) -> Result<Option<SlotList>, AppError> {
    if !booking::books(service) {
        return Ok(None);
    }
    booking::open_slots(app, office, service, None, Some(FORM_DAYS))
        .await
        .map(Some)
}

/// One choice of day and time, grouped by day, for a phone's native picker.
fn slot_input(
    service: &Service,
    raw: &RawRequestForm,
    errors: &FieldErrors,
    slots: &SlotList,
) -> FieldInput {
    let mut groups: Vec<SlotDay> = Vec::new();
    for s in &slots.slots {
        let day = (
            s.key.date.to_string(),
            format!(
                "{} {}",
                weekday_label(s.key.date.weekday()),
                s.key.date.strftime("%d/%m/%Y")
            ),
        );
        let time = s.key.time.strftime("%H:%M").to_string();
        let label = match (slots.capacity, s.left) {
            (1, _) => time,
            (_, 1) => format!("{time} (1 vaga)"),
            (_, n) => format!("{time} ({n} vagas)"),
        };
        match groups.last_mut() {
            Some((d, times)) if *d == day => times.push((s.key.to_string(), label)),
            _ => groups.push((day, vec![(s.key.to_string(), label)])),
        }
    }
    let chosen = match (&raw.date, &raw.time) {
        (Some(d), Some(t)) => format!("{}T{}", d.trim(), t.trim()),
        _ => String::new(),
    };
    FieldInput {
        key: "date",
        label: "Data e hora do agendamento",
        required: service.fields.rule(FormField::Date) == FieldRule::Required,
        value: chosen,
        error: errors
            .get("date")
            .or(errors.get("time"))
            .map(ToOwned::to_owned),
        input: "slot",
        autocomplete: "",
        hint: if groups.is_empty() {
            "Não há horários livres nas próximas três semanas. Tente novamente mais tarde ou fale com o cartório."
        } else {
            "Horário local do cartório. Só aparecem os horários com vaga."
        },
        options: vec![],
        groups,
    }
}

/// The error summary: each problem under its field's Portuguese label, in the
/// form's order, linking to the field; what belongs to no field comes last.
fn summary(fields: &[FieldInput], errors: &FieldErrors) -> Vec<SummaryLine> {
    let mut lines: Vec<SummaryLine> = fields
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|m| SummaryLine {
                id: format!("f-{}", f.key),
                label: f.label.to_owned(),
                message: m.clone(),
            })
        })
        .collect();
    let shown: Vec<&str> = fields.iter().map(|f| f.key).collect();
    // Day and time are one choice when the service books slots.
    let folded = |k: &str| k == "time" && shown.contains(&"date");
    for (key, message) in errors.iter() {
        if shown.contains(&key) || folded(key) {
            continue;
        }
        let (id, label) = match key {
            "attachments" => ("f-attachments".to_owned(), "Anexos".to_owned()),
            "consent" => ("f-consent".to_owned(), "Política de privacidade".to_owned()),
            _ => (String::new(), "Formulário".to_owned()),
        };
        lines.push(SummaryLine {
            id,
            label,
            message: message.to_owned(),
        });
    }
    lines
}

fn form_page(
    office: &Office,
    service: &Service,
    raw: &RawRequestForm,
    files: &[UploadRef],
    errors: &FieldErrors,
    slots: Option<&SlotList>,
) -> RequestFormPage {
    let fields: Vec<FieldInput> = FormField::ALL
        .iter()
        // Files have their own widget below the fields; a booked service picks day and time in one list.
        .filter(|f| service.fields.shows(**f) && **f != FormField::Attachments)
        .filter(|f| slots.is_none() || !matches!(f, FormField::Time))
        .map(|f| {
            if let (FormField::Date, Some(slots)) = (f, slots) {
                return slot_input(service, raw, errors, slots);
            }
            let (input, autocomplete, hint, options): (&str, &str, &str, Vec<(String, String)>) = match f {
                FormField::Sector => (
                    "select",
                    "",
                    "",
                    office.sectors.iter().map(|s| (s.id.to_string(), s.name.clone())).collect(),
                ),
                FormField::Attendant => (
                    "select",
                    "",
                    "",
                    office.attendants.iter().map(|a| (a.id.to_string(), a.name.clone())).collect(),
                ),
                FormField::Name => ("text", "name", "", vec![]),
                FormField::Email => ("email", "email", "O link para acompanhar a solicitação será enviado para este e-mail.", vec![]),
                FormField::Document => ("text", "off", "CPF (11 dígitos) ou CNPJ, inclusive o alfanumérico.", vec![]),
                FormField::Mobile => ("tel", "tel-national", "Com DDD, por exemplo (11) 98765-4321.", vec![]),
                FormField::Protocol => ("text", "off", "", vec![]),
                FormField::Priority => (
                    "checkbox",
                    "",
                    "Idosos, gestantes, pessoas com deficiência e demais casos previstos em lei.",
                    vec![],
                ),
                FormField::Date => ("date", "", "", vec![]),
                FormField::Time => ("time", "", "Horário local do cartório.", vec![]),
                FormField::Mode => (
                    "radio",
                    "",
                    "",
                    vec![
                        ("in_person".into(), "Presencial".into()),
                        ("virtual".into(), "Virtual (videoconferência)".into()),
                    ],
                ),
                FormField::Message | FormField::Attachments => ("textarea", "", "", vec![]),
            };
            FieldInput {
                key: f.key(),
                label: f.label(),
                required: service.fields.rule(*f) == FieldRule::Required,
                value: raw_value(raw, *f).cloned().unwrap_or_default(),
                error: errors.get(f.key()).map(ToOwned::to_owned),
                input,
                autocomplete,
                hint,
                options,
                groups: vec![],
            }
        })
        .collect();
    let rule = service.fields.rule(FormField::Attachments);
    let summary = summary(&fields, errors);
    RequestFormPage {
        attach: (rule != FieldRule::Hidden).then(|| AttachWidget {
            required: rule == FieldRule::Required,
            kept: files
                .iter()
                .map(|f| (f.encode(), f.name.to_string()))
                .collect(),
            error: errors
                .get(FormField::Attachments.key())
                .map(ToOwned::to_owned),
            ..AttachWidget::new(
                format!("/offices/{}/attachments", office.id),
                office.max_attachment_bytes,
            )
        }),
        o: OfficeView::from(office),
        service_id: service.id.to_string(),
        service_name: service.name.clone(),
        service_description: service.description.clone(),
        fields,
        errors: summary,
        consent_checked: raw
            .consent
            .as_deref()
            .is_some_and(|c| matches!(c, "true" | "on" | "1")),
        consent_error: errors.get("consent").map(ToOwned::to_owned),
        privacy_version: office.privacy.version.clone(),
        privacy_text: office.privacy.text.clone(),
        // Keeps a resubmitted form (double click, refresh) on the same ticket.
        idempotency_key: raw
            .idempotency_key
            .clone()
            .unwrap_or_else(|| ulid::Ulid::generate().to_string()),
    }
}

//! `GET /offices/{office}/requests/new` (the form) and
//! `POST /offices/{office}/requests` (SPEC C3, C5).

use crate::Response;
use crate::forms::{body, path_param, query};
use crate::pages::{AttachWidget, FieldInput, RequestFormPage};
use crate::respond::{Failure, Format, finish, html, json, see_other};
use crate::views::OfficeView;
use balcao_app::{App, AppError, attachments, offices, open_request};
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
        Ok(html(
            StatusCode::OK,
            &form_page(&office, service, &raw, &[], &FieldErrors::default()),
        ))
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
        let raw: RawRequestForm = fields.into_form()?;
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
                Format::Html => {
                    see_other(&format!("/tickets/{}?k={}&novo=1", opened.id, opened.token))
                }
            }),
            // A person gets the form back with what they typed and each error beside its field.
            Err(AppError::Invalid(errors))
                if format == Format::Html && errors.get("service").is_none() =>
            {
                let office = offices::card(app, &office_id).await?;
                let service = raw
                    .service
                    .as_deref()
                    .and_then(|s| office.service(s))
                    .ok_or(AppError::NotFound("atendimento"))?;
                Ok(html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &form_page(&office, service, &raw, &files, &errors),
                ))
            }
            Err(e) => Err(Failure::from(e)),
        }
    }
    .await;
    finish(format, result)
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

fn form_page(
    office: &Office,
    service: &Service,
    raw: &RawRequestForm,
    files: &[UploadRef],
    errors: &FieldErrors,
) -> RequestFormPage {
    let fields = FormField::ALL
        .iter()
        // Files have their own widget below the fields.
        .filter(|f| service.fields.shows(**f) && **f != FormField::Attachments)
        .map(|f| {
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
            }
        })
        .collect();
    let rule = service.fields.rule(FormField::Attachments);
    RequestFormPage {
        attach: (rule != FieldRule::Hidden).then(|| AttachWidget {
            id: "attachments",
            pdf_only: false,
            slot_url: format!("/offices/{}/attachments", office.id),
            required: rule == FieldRule::Required,
            max_kb: office.max_attachment_bytes / 1024,
            kept: files
                .iter()
                .map(|f| (f.encode(), f.name.to_string()))
                .collect(),
            error: errors
                .get(FormField::Attachments.key())
                .map(ToOwned::to_owned),
        }),
        o: OfficeView::from(office),
        service_id: service.id.to_string(),
        service_name: service.name.clone(),
        service_description: service.description.clone(),
        fields,
        errors: errors
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
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

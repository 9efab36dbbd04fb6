//! `POST /offices/{office}/protocols/{number}` with `cpf` in the body (SPEC C11; the
//! CPF stays out of URLs, logs and history) and the office's
//! publishing: `POST /staff/protocols` (one) and `POST /staff/protocols/import` (CSV).

use crate::Response;
use crate::forms::{body, path_param};
use crate::pages::ProtocolPage;
use crate::respond::{Failure, Format, finish, html, json, negotiate, see_other};
use crate::staff::staff;
use balcao_app::ports::PublishedProtocol;
use balcao_app::{App, AppError, protocols};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;

/// A plain HTML form cannot fill a path: `{number}` = `busca` takes `?numero=`.
const FORM_SEGMENT: &str = "busca";

fn view(p: &PublishedProtocol) -> serde_json::Value {
    json!({
        "number": p.number,
        "status": p.status,
        "history": p.history.iter().map(|s| json!({"date": s.date.to_string(), "text": s.text})).collect::<Vec<_>>(),
        "updated_at": p.updated_at.to_string(),
    })
}

pub async fn lookup(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let office = path_param(&req, "office")?;
        let fields = body(&req).await?;
        let path_number = path_param(&req, "number")?;
        let number = if path_number == FORM_SEGMENT {
            fields.get("numero").unwrap_or("").to_owned()
        } else {
            path_number
        };
        let cpf = fields.get("cpf").unwrap_or("");
        match protocols::lookup(app, &office, &number, cpf).await {
            Ok(p) => Ok::<_, Failure>(negotiate(
                format,
                StatusCode::OK,
                || view(&p),
                || ProtocolPage {
                    office_id: office.clone(),
                    number: p.number.clone(),
                    found: Some((
                        p.status.clone(),
                        p.history
                            .iter()
                            .map(|s| (s.date.strftime("%d/%m/%Y").to_string(), s.text.clone()))
                            .collect(),
                    )),
                    error: None,
                    cpf: String::new(),
                },
            )),
            // A person gets the form back with what they typed and why.
            Err(e) if format == Format::Html => {
                let page = ProtocolPage {
                    office_id: office.clone(),
                    number: number.clone(),
                    found: None,
                    error: Some(match &e {
                        AppError::Invalid(f) => f
                            .get("cpf")
                            .map(|m| format!("CPF: {m}"))
                            .unwrap_or_else(|| e.to_string()),
                        other => other.to_string(),
                    }),
                    cpf: cpf.to_owned(),
                };
                let (status, retry) = match &e {
                    AppError::TooMany { retry_after, .. } => {
                        (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after))
                    }
                    AppError::NotFound(_) => (StatusCode::NOT_FOUND, None),
                    AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, None),
                    _ => return Err(Failure::from(e)),
                };
                let mut r = html(status, &page);
                if let Some(secs) = retry {
                    r.headers_mut()
                        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
                }
                Ok(r)
            }
            Err(e) => Err(Failure::from(e)),
        }
    }
    .await;
    finish(format, result)
}

pub async fn publish(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let f = body(&req).await?;
        let get = |k: &str| f.get(k).unwrap_or("");
        let p = protocols::publish(
            app,
            &me,
            get("number"),
            get("cpf"),
            get("status"),
            get("history"),
        )
        .await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &view(&p)),
            Format::Html => see_other("/staff/requests?protocolos=1"),
        })
    }
    .await;
    match result {
        // A person gets the queue's page back, the reason inside the form.
        Err(Failure::App(e @ AppError::Invalid(_))) if format == Format::Html => {
            let Ok(me) = staff(&req) else {
                return finish(format, Err(Failure::Unauthorized));
            };
            let sent = body(&req).await.unwrap_or_default();
            let why = crate::respond::reason(&e);
            let refused = crate::pages::Refusal::of("protocol", "", why, sent);
            let page = crate::ops::staff_requests::queue_page(
                app,
                &req,
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused,
            )
            .await;
            finish(format, page)
        }
        other => finish(format, other),
    }
}

pub async fn import(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let f = body(&req).await?;
        // The file is the whole request: anything else sent with it is a mistake.
        if let Some(other) = f.names().find(|n| *n != "csv") {
            return Err(AppError::invalid("csv", &format!("campo inesperado: {other}")).into());
        }
        let count = protocols::import(app, &me, f.get("csv").unwrap_or("")).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &json!({ "imported": count })),
            Format::Html => see_other(&format!("/staff/requests?protocolos={count}")),
        })
    }
    .await;
    match result {
        // A person gets the queue's page back, the reason inside the form.
        Err(Failure::App(e @ AppError::Invalid(_))) if format == Format::Html => {
            let Ok(me) = staff(&req) else {
                return finish(format, Err(Failure::Unauthorized));
            };
            // A file input cannot be filled again: nothing to keep.
            let sent = Default::default();
            let why = crate::respond::reason(&e);
            let refused = crate::pages::Refusal::of("protocol-import", "", why, sent);
            let page = crate::ops::staff_requests::queue_page(
                app,
                &req,
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused,
            )
            .await;
            finish(format, page)
        }
        other => finish(format, other),
    }
}

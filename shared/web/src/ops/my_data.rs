//! "Meus dados" (LGPD art. 18): `POST /my-data` emails a link;
//! `GET /my-data?k=` shows what is held (JSON clients get the export inline);
//! `GET /my-data/export?k=` downloads all of it; `POST /my-data/erase` erases it.

use crate::Response;
use crate::forms::{body, query};
use crate::pages::{MyDataPage, MyDataRequest};
use crate::respond::{Failure, Format, finish, html, json};
use crate::views::local_time;
use balcao_app::ports::{StoreError, Ticket};
use balcao_app::{App, AppError, my_data};
use balcao_core::EventKind;
use http::StatusCode;
use http::header::CONTENT_DISPOSITION;
use lambda_http::Request;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The same answer whether or not the email is known.
const SENT: &str = "Se houver solicitações para este e-mail, enviamos para ele um link de acesso aos seus dados, válido por 24 horas.";

fn page() -> MyDataPage {
    MyDataPage {
        k: String::new(),
        sent: None,
        requests: None,
        erased: None,
        error: None,
    }
}

pub async fn ask(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let fields = body(&req).await?;
        my_data::request_link(app, fields.get("email").unwrap_or("")).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::ACCEPTED, &json!({ "message": SENT })),
            Format::Html => html(
                StatusCode::OK,
                &MyDataPage {
                    sent: Some(SENT),
                    ..page()
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

fn link_key(req: &Request) -> Option<String> {
    query(req)
        .get("k")
        .filter(|k| !k.is_empty())
        .map(ToOwned::to_owned)
}

pub async fn show(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let Some(k) = link_key(&req) else {
        // No link yet: the page where a person asks for one.
        return html(StatusCode::OK, &page());
    };
    let result = async {
        let tickets = my_data::holdings(app, &k).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &document(app, &tickets).await?),
            Format::Html => html(
                StatusCode::OK,
                &MyDataPage {
                    requests: Some(tickets.iter().map(|t| summary(t, &k)).collect()),
                    k,
                    ..page()
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

pub async fn export(app: &App, req: Request) -> Response {
    let result = async {
        let k = link_key(&req).ok_or(AppError::NotFound("link (peça um novo)"))?;
        let tickets = my_data::holdings(app, &k).await?;
        let mut res = json(StatusCode::OK, &document(app, &tickets).await?);
        let name = format!(
            "attachment; filename=\"meus-dados-balcao-{}.json\"",
            app.clock.now().strftime("%Y-%m-%d")
        );
        if let Ok(v) = name.parse() {
            res.headers_mut().insert(CONTENT_DISPOSITION, v);
        }
        Ok::<_, Failure>(res)
    }
    .await;
    finish(Format::Json, result)
}

pub async fn erase(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let fields = body(&req).await?;
        let k = fields.get("k").unwrap_or("").to_owned();
        if !matches!(fields.get("confirm"), Some("true" | "on" | "1")) {
            let problem = "marque a confirmação para apagar seus dados";
            // The page again, with the data and the error beside the box.
            if format == Format::Html {
                let tickets = my_data::holdings(app, &k).await?;
                return Ok(html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &MyDataPage {
                        requests: Some(tickets.iter().map(|t| summary(t, &k)).collect()),
                        k,
                        error: Some(problem.to_owned()),
                        ..page()
                    },
                ));
            }
            return Err(AppError::invalid("confirm", problem).into());
        }
        let report = my_data::erase(app, &k).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(
                StatusCode::OK,
                &json!({ "cancelled": report.cancelled, "erased": report.erased }),
            ),
            Format::Html => html(
                StatusCode::OK,
                &MyDataPage {
                    erased: Some((report.cancelled, report.erased)),
                    ..page()
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

fn summary(t: &Ticket, k: &str) -> MyDataRequest {
    let r = &t.request;
    let tz = &r.office.timezone;
    let c = r.citizen.as_ref();
    MyDataRequest {
        number: r.number.0,
        office: format!(
            "{}, {}/{}",
            r.office.name,
            r.office.city,
            r.office.uf.code()
        ),
        service: r.service_name.clone(),
        status_label: r.status.label(),
        created_at: local_time(r.created_at, tz),
        updated_at: local_time(r.updated_at, tz),
        name: r.citizen_name().to_owned(),
        email: c.map(|c| c.email.to_string()).unwrap_or_default(),
        document: c
            .and_then(|c| c.document.as_ref())
            .map(|d| format!("{}: {}", d.kind_label(), d.masked())),
        mobile: c.and_then(|c| c.mobile.as_ref()).map(ToString::to_string),
        consent: format!(
            "aviso de privacidade versão {}, aceito em {}",
            r.consent.version,
            local_time(r.consent.accepted_at, tz)
        ),
        messages: t
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Message)
            .count(),
        files: t
            .events
            .iter()
            .flat_map(|e| &e.attachments)
            .map(|a| format!("{} ({})", a.name, a.size_label()))
            .collect(),
        rating: r.rating.as_ref().map(|x| {
            let verdict = match x.verdict {
                balcao_core::Verdict::Approved => "aprovou",
                balcao_core::Verdict::Rejected => "reprovou",
            };
            match &x.comment {
                Some(c) => format!("{verdict}: {}", c.as_str()),
                None => verdict.to_owned(),
            }
        }),
        link: format!("/tickets/{}?k={k}", r.id),
    }
}

/// Everything held, as one document: each request as stored, without the
/// hashes that only serve to check links, its whole history, and a
/// five-minute link for each file.
async fn document(app: &App, tickets: &[Ticket]) -> Result<Value, AppError> {
    let links: HashMap<_, _> = my_data::file_links(app, tickets)
        .await?
        .into_iter()
        .map(|l| ((l.request, l.file), l.url))
        .collect();
    let mut requests = Vec::new();
    let mut consents = Vec::new();
    for t in tickets {
        let r = &t.request;
        let mut request = serde_json::to_value(r)
            .map_err(|e| AppError::Store(StoreError::Corrupt(e.to_string())))?;
        if let Some(o) = request.as_object_mut() {
            for internal in ["token_hashes", "citizen_key", "version", "office_notice"] {
                o.remove(internal);
            }
            o.insert("status_label".into(), json!(r.status.label()));
        }
        let history: Vec<Value> = t
            .events
            .iter()
            .map(|e| {
                let files: Vec<Value> = e
                    .attachments
                    .iter()
                    .map(|a| {
                        json!({
                            "id": a.id, "name": a.name, "size": a.size,
                            "type": a.file_type.content_type(),
                            "download_url": links.get(&(r.id, a.id)),
                        })
                    })
                    .collect();
                json!({
                    "at": e.at, "kind": e.kind, "author": e.author, "text": e.text,
                    "status": e.status, "files": files,
                })
            })
            .collect();
        request["history"] = json!(history);
        consents.push(json!({
            "office": r.office.name, "request": r.number, "version": r.consent.version,
            "accepted_at": r.consent.accepted_at,
        }));
        requests.push(request);
    }
    Ok(json!({
        "generated_at": app.clock.now(),
        "file_links_expire_at": app.clock.now() + balcao_app::attachments::DOWNLOAD_TTL,
        "requests": requests,
        "consents": consents,
    }))
}

//! `POST /my-requests` and `GET /my-requests?k=...` (SPEC C10).

use crate::Response;
use crate::forms::{body, query};
use crate::pages::{MyRequestLine, MyRequestsPage};
use crate::respond::{Failure, Format, finish, html, json};
use crate::views::{List, local_time};
use balcao_app::{App, my_requests};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;

/// The same answer whether or not the email is known.
const SENT: &str = "Se houver solicitações para este e-mail, enviamos para ele um link de acesso válido por 24 horas.";

pub async fn ask(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let fields = body(&req).await?;
        my_requests::request_link(app, fields.get("email").unwrap_or("")).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::ACCEPTED, &json!({ "message": SENT })),
            Format::Html => html(
                StatusCode::OK,
                &MyRequestsPage {
                    sent: Some(SENT),
                    items: None,
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

pub async fn list(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let q = query(&req);
    let Some(k) = q.get("k").filter(|k| !k.is_empty()).map(ToOwned::to_owned) else {
        // No link yet: the page where a person asks for one.
        return html(
            StatusCode::OK,
            &MyRequestsPage {
                sent: None,
                items: None,
            },
        );
    };
    let result = async {
        let items: Vec<MyRequestLine> = my_requests::list(app, Some(&k))
            .await?
            .iter()
            .map(|r| MyRequestLine {
                id: r.id.to_string(),
                number: r.number.0,
                office: r.office.name.clone(),
                service: r.service_name.clone(),
                status: r.status.key(),
                status_label: r.status.label(),
                created_at: local_time(r.created_at, &r.office.timezone),
                unread: r.unread_replies,
                link: format!("/tickets/{}?k={k}", r.id),
            })
            .collect();
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &List::of(items)),
            Format::Html => html(
                StatusCode::OK,
                &MyRequestsPage {
                    sent: None,
                    items: Some(items),
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

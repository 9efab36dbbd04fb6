//! Routes that exist only on the local runtime: the mailbox and the manual clock.

use crate::Local;
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use balcao_embedded::MailboxEntry;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;

pub fn routes(router: Router<Local>) -> Router<Local> {
    router
        .route("/_dev/mailbox", get(mailbox))
        .route("/_dev/clock", post(clock))
        .route(
            "/_dev/login",
            get(crate::auth::login_page).post(crate::auth::login),
        )
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    mails: Vec<MailboxEntry>,
}

fn dev_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

async fn mailbox(State(local): State<Local>, headers: HeaderMap) -> Response {
    let mails = match local.mailbox.list().await {
        Ok(m) => m,
        Err(e) => {
            return dev_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &e.to_string(),
            );
        }
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    if wants_json {
        return Json(mails).into_response();
    }
    match (MailboxPage { mails }).render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => dev_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &e.to_string(),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    advance_minutes: Option<i64>,
    set: Option<String>,
}

/// Moves the manual clock, then runs everything now due before answering.
async fn clock(
    State(local): State<Local>,
    body: Result<Json<ClockMove>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(manual) = &local.manual_clock else {
        return dev_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "o relógio manual está desligado: inicie com --manual-clock",
        );
    };
    let Ok(Json(m)) = body else {
        return dev_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "envie {\"advance_minutes\": N} ou {\"set\": \"<RFC 3339>\"}",
        );
    };
    match (m.advance_minutes, m.set) {
        (Some(n), None) if (0..=60 * 24 * 366).contains(&n) => {
            manual.advance(SignedDuration::from_mins(n));
        }
        (None, Some(s)) => match s.parse::<Timestamp>() {
            Ok(t) => manual.set(t),
            Err(_) => {
                return dev_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "set deve ser uma data RFC 3339",
                );
            }
        },
        _ => {
            return dev_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "informe só advance_minutes (0 a 527040) ou só set",
            );
        }
    }
    // Everything then due happens, in order: timers first, then their emails.
    let timers = crate::fire_due_timers(&local).await;
    let report = match local.courier.drain(500).await {
        Ok(r) => r,
        Err(e) => {
            return dev_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &e.to_string(),
            );
        }
    };
    let now = balcao_app::Clock::now(manual.as_ref());
    Json(json!({ "now": now.to_string(), "timers_fired": timers, "mail_sent": report.sent, "mail_failed": report.failed }))
        .into_response()
}

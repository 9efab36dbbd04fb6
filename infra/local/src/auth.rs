//! Staff sign-in on the local runtime, standing in for Cognito's managed login:
//! `/_dev/login` starts a demo session for a seeded user and keeps its token in
//! the same cookie the AWS callback sets; `balcao_web::staff::admit` checks it
//! through `app.staff_auth` exactly as it checks an ID token on AWS.

use crate::Local;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use balcao_core::StaffMember;
use balcao_web::staff::SESSION_COOKIE;
use serde::Deserialize;
use serde_json::json;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    users: Vec<StaffMember>,
}

pub async fn login_page() -> Response {
    match (LoginPage {
        users: crate::seed::demo_staff(),
    })
    .render()
    {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct Login {
    email: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

pub async fn login(
    State(local): State<Local>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let parsed: Option<Login> = if is_json {
        serde_json::from_slice(&body).ok()
    } else {
        serde_urlencoded::from_bytes(&body).ok()
    };
    let Some(login) = parsed else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": {"code": "bad_request", "message": "envie {\"email\": ...}"}}),
            ),
        )
            .into_response();
    };
    let wanted = login.email.trim().to_lowercase();
    let Some(who) = crate::seed::demo_staff()
        .into_iter()
        .find(|s| s.email.as_str().to_lowercase() == wanted)
    else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": "unauthorized", "message": "usuário de demonstração desconhecido"}})),
        )
            .into_response();
    };
    let token = local.sessions.start(who.clone());
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if wants_json(&headers) {
        let body =
            json!({"token": token, "office_id": who.office, "role": who.role, "name": who.name});
        ([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response()
    } else {
        (
            [(header::SET_COOKIE, cookie)],
            Redirect::to("/staff/requests"),
        )
            .into_response()
    }
}

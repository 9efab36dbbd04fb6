//! Staff sign-in on the local runtime, standing in for Cognito and the HTTP
//! API's JWT authorizer: `/_dev/login` gives a seeded demo user a session, and
//! staff routes get that user's claims in the request context, as on AWS.

use crate::Local;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use balcao_app::secrets::TicketSecret;
use balcao_core::StaffMember;
use balcao_web::staff::{CLAIM_OFFICE, CLAIM_ROLE};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const COOKIE: &str = "balcao_staff";

#[derive(Clone, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, StaffMember>>>);

impl Sessions {
    fn start(&self, who: StaffMember) -> String {
        let token = TicketSecret::generate().encode();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), who);
        token
    }

    /// The staff member behind a bearer token or the session cookie.
    pub fn caller(&self, headers: &HeaderMap) -> Option<StaffMember> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.split(';')
                    .map(str::trim)
                    .find_map(|kv| kv.strip_prefix(&format!("{COOKIE}=")))
            });
        let token = bearer.or(cookie)?;
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
    }
}

/// What API Gateway puts in the request for a valid Cognito ID token.
pub fn context_for(who: &StaffMember) -> RequestContext {
    let claims = HashMap::from([
        (CLAIM_OFFICE.to_owned(), who.office.to_string()),
        (CLAIM_ROLE.to_owned(), who.role.key().to_owned()),
        ("email".to_owned(), who.email.to_string()),
        ("name".to_owned(), who.name.clone()),
    ]);
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.authorizer = Some(authorizer);
    RequestContext::ApiGatewayV2(ctx)
}

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
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
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

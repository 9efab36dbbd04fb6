//! Who the staff caller is, decided in one place for both runtimes: [`admit`]
//! verifies the session token (the cookie browsers keep, or a bearer token from
//! API clients) with the app's [`StaffAuth`](balcao_app::StaffAuth), refuses
//! cross-site posts, and hands the operation the verified claims in the request
//! context, where [`staff`] reads them. Nothing about the caller comes from the body.

use crate::Response;
use crate::respond::{Failure, Format, failure, see_other};
use crate::routes::Op;
use balcao_app::App;
use balcao_core::{Email, OfficeId, Role, StaffMember};
use http::{HeaderMap, Method, header};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;

pub const CLAIM_OFFICE: &str = "custom:office_id";
pub const CLAIM_ROLE: &str = "custom:role";

/// The session cookie: the ID token on AWS, a demo session locally.
pub const SESSION_COOKIE: &str = "balcao_staff";
/// The sign-in in progress: state, PKCE verifier and where to return, until the callback.
pub const SIGN_IN_COOKIE: &str = "balcao_sign_in";

/// The staff member the request was admitted for (see [`admit`]).
pub fn staff(req: &Request) -> Result<StaffMember, Failure> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|j| &j.claims),
        _ => None,
    }
    .ok_or(Failure::Unauthorized)?;
    member(claims).ok_or(Failure::Unauthorized)
}

/// A staff member from ID-token claims; `None` without office, role and email.
pub fn member(claims: &HashMap<String, String>) -> Option<StaffMember> {
    let office = OfficeId::parse(claims.get(CLAIM_OFFICE)?).ok()?;
    let role = Role::parse(claims.get(CLAIM_ROLE)?)?;
    let email = Email::parse(claims.get("email")?).ok()?;
    let name = claims
        .get("name")
        .filter(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| email.to_string());
    Some(StaffMember {
        office,
        role,
        name,
        email,
    })
}

/// The claims of `who`, as an ID token carries them.
pub fn claims(who: &StaffMember) -> HashMap<String, String> {
    HashMap::from([
        (CLAIM_OFFICE.to_owned(), who.office.to_string()),
        (CLAIM_ROLE.to_owned(), who.role.key().to_owned()),
        ("email".to_owned(), who.email.to_string()),
        ("name".to_owned(), who.name.clone()),
    ])
}

/// The request with `who`'s verified claims where API Gateway's JWT authorizer
/// would put them (and where handler tests from real events find them).
pub fn with_staff(req: Request, who: &StaffMember) -> Request {
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims(who);
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut ctx = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.clone(),
        _ => ApiGatewayV2httpRequestContext::default(),
    };
    ctx.authorizer = Some(authorizer);
    req.with_request_context(RequestContext::ApiGatewayV2(ctx))
}

/// A cookie's value, from every `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
        .filter(|v| !v.is_empty())
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
}

/// The session token: a bearer token first (API clients), else the cookie.
pub fn session_token(headers: &HeaderMap) -> Option<(&str, Via)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match bearer {
        Some(t) => Some((t, Via::Bearer)),
        None => cookie(headers, SESSION_COOKIE).map(|t| (t, Via::Cookie)),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

/// A browser's state-changing request came from the site's own pages: its
/// `Origin` is the public address, or, where the browser withholds the origin
/// (`Origin: null` under the pages' `Referrer-Policy: no-referrer`, or none),
/// its `Sec-Fetch-Site` says same-origin. The cookie is SameSite=Lax as well;
/// this closes the rest.
pub fn same_origin(headers: &HeaderMap, public_base_url: &str) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if origin != "null" => {
            origin.trim_end_matches('/') == origin_of(public_base_url)
        }
        _ => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| s == "same-origin"),
    }
}

/// Where a signed-out browser asking for `req` is sent to sign in.
pub fn sign_in_location(req: &Request) -> String {
    let path = req.uri().path();
    let back = if req.method() == Method::GET && path.starts_with("/staff/") {
        let q = req
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        serde_urlencoded::to_string([("next", format!("{path}{q}"))])
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!("/staff/sign-in{back}")
}

/// Lets a staff operation run only for a verified staff member, with the claims
/// set from the token and never from the request. Other operations pass as they
/// came. Both runtimes call this before the operation's handler.
pub async fn admit(app: &App, op: Op, req: Request) -> Result<Request, Response> {
    if !op.needs_staff() {
        return Ok(req);
    }
    let format = Format::of(req.headers());
    let refused = |req: &Request, f: Failure| {
        // A person following a link is taken to sign in, then brought back.
        if format == Format::Html && req.method() == Method::GET {
            see_other(&sign_in_location(req))
        } else {
            failure(format, f)
        }
    };
    let Some((token, via)) = session_token(req.headers()) else {
        return Err(refused(&req, Failure::Unauthorized));
    };
    let who = match app.staff_auth.verify(token).await {
        Ok(who) => who,
        Err(e @ balcao_app::ports::AuthError::Unavailable(_)) => {
            return Err(failure(format, Failure::Auth(e)));
        }
        Err(e) => {
            tracing::info!(reason = %e, "staff session refused");
            return Err(refused(&req, Failure::Unauthorized));
        }
    };
    if via == Via::Cookie
        && req.method() != Method::GET
        && req.method() != Method::HEAD
        && !same_origin(req.headers(), &app.config.public_base_url)
    {
        return Err(failure(format, Failure::CrossSite));
    }
    Ok(with_staff(req, &who))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn the_token_is_the_bearer_else_the_cookie() {
        let both = headers(&[
            ("authorization", "Bearer abc"),
            ("cookie", "x=1; balcao_staff=def"),
        ]);
        assert_eq!(session_token(&both), Some(("abc", Via::Bearer)));
        let cookie = headers(&[("cookie", "x=1"), ("cookie", "balcao_staff=def; y=2")]);
        assert_eq!(session_token(&cookie), Some(("def", Via::Cookie)));
        assert_eq!(
            session_token(&headers(&[("cookie", "balcao_staff=")])),
            None
        );
        assert_eq!(session_token(&headers(&[])), None);
    }

    #[test]
    fn only_the_sites_own_origin_may_post_with_the_cookie() {
        let base = "https://balcao.example.gov.br";
        let ok = headers(&[("origin", "https://balcao.example.gov.br")]);
        assert!(same_origin(&ok, base));
        assert!(same_origin(&ok, "https://balcao.example.gov.br/"));
        let evil = headers(&[("origin", "https://balcao.example.gov.br.evil.com")]);
        assert!(!same_origin(&evil, base));
        let http = headers(&[("origin", "http://balcao.example.gov.br")]);
        assert!(!same_origin(&http, base));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            base
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            base
        ));
        assert!(!same_origin(&headers(&[]), base), "no evidence, no post");
        // Chrome under `Referrer-Policy: no-referrer` posts with `Origin: null`.
        let withheld = headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]);
        assert!(same_origin(&withheld, base));
        let withheld_cross = headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]);
        assert!(!same_origin(&withheld_cross, base));
        assert!(!same_origin(&headers(&[("origin", "null")]), base));
        let local = headers(&[("origin", "http://127.0.0.1:8080")]);
        assert!(same_origin(&local, "http://127.0.0.1:8080"));
    }

    #[test]
    fn claims_without_office_role_or_email_are_no_one() {
        let who = StaffMember {
            office: OfficeId::parse("1-tabeliao-notas-sao-paulo").expect("id"),
            role: Role::Manager,
            name: "Gestora".into(),
            email: Email::parse("gestora@example.com").expect("email"),
        };
        let c = claims(&who);
        assert_eq!(member(&c).map(|m| m.email), Some(who.email.clone()));
        for missing in [CLAIM_OFFICE, CLAIM_ROLE, "email"] {
            let mut c = c.clone();
            c.remove(missing);
            assert!(member(&c).is_none(), "{missing}");
        }
        let mut bad_role = c.clone();
        bad_role.insert(CLAIM_ROLE.into(), "admin".into());
        assert!(member(&bad_role).is_none());
    }
}

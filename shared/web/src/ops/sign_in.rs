//! `GET /staff/sign-in`, `GET /staff/callback` and `POST /staff/sign-out`: staff
//! sign in on the identity provider's own page (Cognito's managed login on AWS,
//! authorization code with PKCE) and keep the session in an HttpOnly cookie.

use crate::Response;
use crate::forms::query;
use crate::respond::{Failure, Format, failure, json, see_other};
use crate::staff::{SESSION_COOKIE, SIGN_IN_COOKIE, Via, cookie, same_origin, session_token};
use balcao_app::App;
use balcao_app::ports::AuthError;
use balcao_app::secrets::TicketSecret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use http::header::SET_COOKIE;
use lambda_http::Request;
use sha2::{Digest, Sha256};

/// Where staff land after signing in, unless a page sent them.
const HOME: &str = "/staff/requests";
/// How long a sign-in may take on the provider's page.
const SIGN_IN_SECONDS: i64 = 600;

/// A return address that stays on the staff pages (never an open redirect).
fn safe_next(next: &str) -> bool {
    next.starts_with("/staff/")
        && !next.starts_with("/staff/sign-")
        && !next.starts_with("/staff/callback")
        && !next.contains("//")
        && !next.contains('\\')
        && next.chars().all(|c| c.is_ascii_graphic())
}

fn set_cookie(app: &App, name: &str, value: &str, path: &str, max_age: i64) -> http::HeaderValue {
    let secure = if app.config.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    // Lax: the cookie comes along when a clerk follows a link from an email or
    // returns from the provider's page, never on another site's posts.
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
        .parse()
        .unwrap_or_else(|_| http::HeaderValue::from_static("balcao_invalid=; Max-Age=0"))
}

/// Sends the browser to the provider's login with a fresh PKCE pair and state,
/// kept in a short-lived cookie for the callback.
pub async fn start(app: &App, req: Request) -> Response {
    let next = query(&req)
        .get("next")
        .filter(|n| safe_next(n))
        .unwrap_or(HOME)
        .to_owned();
    let verifier = TicketSecret::generate().encode();
    let state = TicketSecret::generate().encode();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pending = format!("{state}.{verifier}.{}", URL_SAFE_NO_PAD.encode(&next));
    let mut r = see_other(&app.staff_auth.sign_in_url(&challenge, &state));
    r.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            app,
            SIGN_IN_COOKIE,
            &pending,
            "/staff/callback",
            SIGN_IN_SECONDS,
        ),
    );
    r
}

/// State, verifier and return address of the sign-in this browser started.
fn pending(req: &Request) -> Option<(String, String, String)> {
    let value = cookie(req.headers(), SIGN_IN_COOKIE)?;
    let mut parts = value.splitn(3, '.');
    let state = parts.next()?.to_owned();
    let verifier = parts.next()?.to_owned();
    let next = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
    Some((
        state,
        verifier,
        if safe_next(&next) { next } else { HOME.into() },
    ))
}

/// The provider sends the browser back here with a code: exchanged (with the
/// PKCE verifier) for an ID token, verified, and kept as the session cookie.
pub async fn callback(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let q = query(&req);
    let refused = |why: &str| failure(format, Failure::Auth(AuthError::Invalid(why.to_owned())));
    if let Some(error) = q.get("error") {
        tracing::info!(error, "sign-in refused by the provider");
        return refused("o login foi recusado");
    }
    let (Some(code), Some(state)) = (q.get("code"), q.get("state")) else {
        return refused("faltam code e state");
    };
    // The state proves this browser started this sign-in (no login CSRF).
    let Some((_, verifier, next)) = pending(&req).filter(|(s, _, _)| s == state) else {
        return refused("login iniciado em outra aba ou expirado");
    };
    let session = match app.staff_auth.exchange(code, &verifier).await {
        Ok(s) => s,
        Err(e) => return failure(format, Failure::Auth(e)),
    };
    if let Err(e) = app.staff_auth.verify(&session.token).await {
        return failure(format, Failure::Auth(e));
    }
    let max_age = (session.expires_at - app.clock.now())
        .get_seconds()
        .clamp(0, 24 * 3600);
    let mut r = see_other(&next);
    let h = r.headers_mut();
    h.append(
        SET_COOKIE,
        set_cookie(app, SESSION_COOKIE, &session.token, "/", max_age),
    );
    h.append(
        SET_COOKIE,
        set_cookie(app, SIGN_IN_COOKIE, "", "/staff/callback", 0),
    );
    r
}

/// Ends the session here and at the provider, and forgets the cookie.
pub async fn sign_out(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let token = session_token(req.headers());
    if matches!(token, Some((_, Via::Cookie)))
        && !same_origin(req.headers(), &app.config.public_base_url)
    {
        return failure(format, Failure::CrossSite);
    }
    // A bearer token is the client's to drop; the cookie's session ends here.
    let cookie_session = token.and_then(|(t, via)| (via == Via::Cookie).then_some(t));
    let next = app.staff_auth.sign_out(cookie_session).await;
    let mut r = match format {
        Format::Json => json(
            StatusCode::OK,
            &serde_json::json!({ "signed_out": true, "next": next }),
        ),
        Format::Html => see_other(&next),
    };
    r.headers_mut()
        .append(SET_COOKIE, set_cookie(app, SESSION_COOKIE, "", "/", 0));
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_staff_pages_are_places_to_return_to() {
        for ok in ["/staff/requests", "/staff/requests/01ABC?x=1"] {
            assert!(super::safe_next(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "//evil.example/staff/",
            "/staff//evil",
            "/tickets/1",
            "/staff/sign-in",
            "/staff/callback?code=x",
            "/staff/\\evil",
        ] {
            assert!(!super::safe_next(bad), "{bad}");
        }
    }
}

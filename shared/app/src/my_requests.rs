//! "Minhas solicitações" (SPEC C10): a citizen asks for a link by email and
//! sees their last 20 requests. The answer to the asking is the same whether
//! the email is known or not, and the link works for a day.

use crate::emails;
use crate::ports::{AccessLink, OutboxMail};
use crate::secrets::{TicketSecret, citizen_key};
use crate::{App, AppError};
use balcao_core::{Email, Request};
use jiff::SignedDuration;

pub const LIST_SIZE: usize = 20;
const LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(24);
/// At most one email per address in this window, so the form cannot flood a mailbox.
const THROTTLE: SignedDuration = SignedDuration::from_mins(2);

/// A kind of emailed link to a citizen's data: where it leads, how its secret
/// is stored (so one kind cannot open the other), its email, and the key its
/// throttle counts under.
pub(crate) struct LinkKind {
    pub(crate) path: &'static str,
    pub(crate) hash: fn(&TicketSecret) -> String,
    pub(crate) letter: fn(&str) -> emails::Letter,
    pub(crate) throttle: fn(&str) -> String,
}

/// "Minhas solicitações".
const REQUESTS: LinkKind = LinkKind {
    path: "/my-requests",
    hash: TicketSecret::hash,
    letter: emails::my_requests,
    throttle: str::to_owned,
};

/// Emails a link of `kind` if the address has requests; silent otherwise, and
/// the answer is the same either way.
pub(crate) async fn send_link(app: &App, email: &str, kind: &LinkKind) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::invalid("email", &e.to_string()))?;
    let citizen = citizen_key(app.keys.get().await?, &email).0;
    if app.tickets.citizen_requests(&citizen, 1).await?.is_empty() {
        return Ok(());
    }
    let now = app.clock.now();
    let secret = TicketSecret::generate();
    let link = AccessLink {
        token_hash: (kind.hash)(&secret),
        citizen,
        expires_at: now + LINK_LIFETIME,
    };
    let url = format!(
        "{}{}?k={}",
        app.config.public_base_url,
        kind.path,
        secret.encode()
    );
    let mail = OutboxMail::new(email, (kind.letter)(&url), None, now);
    // Throttled means a link went out moments ago: the same silent answer.
    app.links
        .put_access_link(
            &link,
            &mail,
            &(kind.throttle)(&link.citizen),
            now - THROTTLE,
        )
        .await?;
    Ok(())
}

/// The citizen key behind a live link of `kind` with this secret.
pub(crate) async fn link_citizen(
    app: &App,
    token: &str,
    kind: &LinkKind,
) -> Result<Option<String>, AppError> {
    // Looked up by the secret's hash, so there is nothing to compare in constant time.
    let Some(hash) = TicketSecret::decode(token).map(|s| (kind.hash)(&s)) else {
        return Ok(None);
    };
    let link = app.links.get_access_link(&hash).await?;
    Ok(link
        .filter(|l| l.expires_at > app.clock.now())
        .map(|l| l.citizen))
}

/// Emails a link if the address has requests; silent otherwise.
pub async fn request_link(app: &App, email: &str) -> Result<(), AppError> {
    send_link(app, email, &REQUESTS).await
}

/// The link's citizen key, if the secret is a live my-requests link.
pub async fn citizen_for(app: &App, token: &str) -> Result<Option<String>, AppError> {
    link_citizen(app, token, &REQUESTS).await
}

pub async fn list(app: &App, token: Option<&str>) -> Result<Vec<Request>, AppError> {
    const NOT_FOUND: AppError = AppError::NotFound("link (peça um novo)");
    let citizen = citizen_for(app, token.ok_or(NOT_FOUND)?)
        .await?
        .ok_or(NOT_FOUND)?;
    let found = app.tickets.citizen_requests(&citizen, LIST_SIZE).await?;
    // Links go only to addresses with requests: none left means they were erased.
    if found.is_empty() {
        return Err(NOT_FOUND);
    }
    Ok(found)
}

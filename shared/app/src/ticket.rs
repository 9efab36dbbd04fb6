//! Read the ticket page (SPEC C7) with the secret from the email link.

use crate::ports::Ticket;
use crate::secrets::token_matches;
use crate::{App, AppError};
use balcao_core::RequestId;

/// A wrong or missing secret answers exactly like an unknown id.
pub async fn read(app: &App, id: &str, token: Option<&str>) -> Result<Ticket, AppError> {
    const NOT_FOUND: AppError = AppError::NotFound("solicitação");
    let id = RequestId::parse(id).ok_or(NOT_FOUND)?;
    let token = token.ok_or(NOT_FOUND)?;
    let ticket = app.store.get_ticket(id).await?.ok_or(NOT_FOUND)?;
    if !token_matches(token, &ticket.request.token_hash) {
        return Err(NOT_FOUND);
    }
    Ok(ticket)
}

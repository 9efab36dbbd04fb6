//! Who the staff caller is: read from the JWT authorizer's claims in the request
//! context (API Gateway on AWS, the local runtime's sign-in locally), never from
//! the body.

use crate::respond::Failure;
use balcao_core::{Email, OfficeId, Role, StaffMember};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

pub const CLAIM_OFFICE: &str = "custom:office_id";
pub const CLAIM_ROLE: &str = "custom:role";

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
    let office = claims
        .get(CLAIM_OFFICE)
        .and_then(|o| OfficeId::parse(o).ok())
        .ok_or(Failure::Unauthorized)?;
    let role = claims
        .get(CLAIM_ROLE)
        .and_then(|r| Role::parse(r))
        .ok_or(Failure::Unauthorized)?;
    let email = claims
        .get("email")
        .and_then(|e| Email::parse(e).ok())
        .ok_or(Failure::Unauthorized)?;
    let name = claims
        .get("name")
        .cloned()
        .unwrap_or_else(|| email.to_string());
    Ok(StaffMember {
        office,
        role,
        name,
        email,
    })
}

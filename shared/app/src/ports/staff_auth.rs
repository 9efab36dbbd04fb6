//! Who a staff caller is. On AWS, Cognito's managed login signs staff in and the
//! functions verify its ID tokens; locally, seeded demo users get a session.
//! Either way the token travels in a cookie (browsers) or a bearer header (API
//! clients), and office and role come only from what the identity provider says.

use async_trait::async_trait;
use balcao_core::StaffMember;
use jiff::Timestamp;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AuthError {
    /// Forged, expired, for another client or missing what staff must have.
    #[error("sessão inválida: {0}")]
    Invalid(String),
    /// The identity provider could not be reached or answered nonsense.
    #[error("serviço de login indisponível: {0}")]
    Unavailable(String),
}

/// A signed-in session: the token the browser keeps, and until when.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait StaffAuth: Send + Sync {
    /// The staff member a session token belongs to, once verified.
    async fn verify(&self, token: &str) -> Result<StaffMember, AuthError>;

    /// Where a browser signs in: the provider's page, given the PKCE challenge
    /// (S256) and the state the callback must bring back.
    fn sign_in_url(&self, challenge: &str, state: &str) -> String;

    /// Exchanges the code the provider sent to the callback (with the PKCE
    /// verifier) for a session.
    async fn exchange(&self, code: &str, verifier: &str) -> Result<Session, AuthError>;

    /// Ends the session (`token`, when there is one) on the provider's side too;
    /// answers where the browser goes next.
    async fn sign_out(&self, token: Option<&str>) -> String;
}

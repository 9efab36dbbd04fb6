//! Staff sessions of the local runtime, standing in for Cognito: `/_dev/login`
//! starts one for a seeded demo user, and its token is then checked exactly
//! where an ID token is checked on AWS (`balcao_web::staff::admit`).

use async_trait::async_trait;
use balcao_app::ports::{AuthError, Session, StaffAuth};
use balcao_app::secrets::TicketSecret;
use balcao_core::StaffMember;
use std::collections::HashMap;
use std::sync::Mutex;

/// Where the local runtime signs staff in.
pub const LOGIN_PAGE: &str = "/_dev/login";

#[derive(Default)]
pub struct DemoSessions(Mutex<HashMap<String, StaffMember>>);

impl DemoSessions {
    /// A new session for `who`; answers its token.
    pub fn start(&self, who: StaffMember) -> String {
        let token = TicketSecret::generate().encode();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), who);
        token
    }
}

#[async_trait]
impl StaffAuth for DemoSessions {
    async fn verify(&self, token: &str) -> Result<StaffMember, AuthError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
            .ok_or_else(|| AuthError::Invalid("sessão desconhecida".into()))
    }

    fn sign_in_url(&self, _challenge: &str, _state: &str) -> String {
        LOGIN_PAGE.into()
    }

    async fn exchange(&self, _code: &str, _verifier: &str) -> Result<Session, AuthError> {
        Err(AuthError::Invalid(
            "o runtime local entra pela página de demonstração, sem código".into(),
        ))
    }

    async fn sign_out(&self, token: Option<&str>) -> String {
        if let Some(t) = token {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(t);
        }
        LOGIN_PAGE.into()
    }
}

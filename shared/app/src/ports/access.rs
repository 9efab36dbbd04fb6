//! Emailed links to a citizen's requests (SPEC C10).

use super::{OutboxMail, StoreError};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// An emailed link to a citizen's requests (SPEC C10); only the secret's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLink {
    pub token_hash: String,
    /// `secrets::citizen_key` of the email it was sent to.
    pub citizen: String,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait AccessLinks: Send + Sync {
    /// Stores the link and its email atomically, unless a link counted under
    /// `throttle` (the citizen, for one kind of link) went out after
    /// `not_since` (then `false`, nothing written).
    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        throttle: &str,
        not_since: Timestamp,
    ) -> Result<bool, StoreError>;

    async fn get_access_link(&self, token_hash: &str) -> Result<Option<AccessLink>, StoreError>;
}

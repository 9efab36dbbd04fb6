//! What an office publishes: comments on its card (SPEC S7) and registry
//! protocols for lookup (SPEC C11).

use super::StoreError;
use async_trait::async_trait;
use balcao_core::{OfficeId, PublicReview, RequestId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A protocol as published for lookup (SPEC C11). The CPF is kept only as a
/// hash, enough to check a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedProtocol {
    pub office: OfficeId,
    /// `balcao_core::protocol_key` of the number.
    pub key: String,
    pub number: String,
    pub cpf_hash: String,
    pub status: String,
    pub history: Vec<balcao_core::ProtocolStep>,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

#[async_trait]
pub trait Publications: Send + Sync {
    /// Shows `review` on the office card for this request, or withdraws it with
    /// `None` (SPEC S7). Keyed by the request: repeating it is harmless.
    async fn set_review(
        &self,
        office: &OfficeId,
        request: RequestId,
        review: Option<&PublicReview>,
    ) -> Result<(), StoreError>;

    /// The comments the office card shows, newest request first.
    async fn office_reviews(
        &self,
        office: &OfficeId,
        limit: usize,
    ) -> Result<Vec<PublicReview>, StoreError>;

    /// Publishes protocols, replacing earlier versions of the same numbers.
    async fn put_protocols(&self, protocols: &[PublishedProtocol]) -> Result<(), StoreError>;

    async fn get_protocol(
        &self,
        office: &OfficeId,
        key: &str,
    ) -> Result<Option<PublishedProtocol>, StoreError>;
}

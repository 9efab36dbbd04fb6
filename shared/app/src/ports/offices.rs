//! Offices: their profiles, and the directory citizens browse by UF and city.

use super::{Page, PageRequest, StoreError};
use async_trait::async_trait;
use balcao_core::{Office, OfficeId, OfficeListing, Uf};

#[async_trait]
pub trait Offices: Send + Sync {
    /// Writes the office whole (seeding, administration) and lists it.
    async fn put_office(&self, office: &Office) -> Result<(), StoreError>;
    async fn get_office(&self, id: &OfficeId) -> Result<Option<Office>, StoreError>;
    /// The office as stored now, never from a cache: what its manager edits
    /// (a stale version would refuse their next save).
    async fn get_office_now(&self, id: &OfficeId) -> Result<Option<Office>, StoreError> {
        self.get_office(id).await
    }
    /// Writes the office only if its stored `version` is still `expected`
    /// (a manager's change over what they read); `false` and nothing written otherwise.
    async fn replace_office(&self, office: &Office, expected: u64) -> Result<bool, StoreError>;
    /// The directory of one UF, by city then name; of one city when `city`
    /// is given (compared by [`super::order::city_key`]).
    async fn list_offices(
        &self,
        uf: Uf,
        city: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<OfficeListing>, StoreError>;
    /// The cities of the UF that have offices, in order: one small read.
    async fn office_cities(&self, uf: Uf) -> Result<Vec<String>, StoreError>;
}

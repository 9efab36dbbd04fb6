//! Office directory and office card (SPEC C1, C2).

use crate::{App, AppError};
use balcao_core::{Office, OfficeId, Uf};

/// Offices of a UF, optionally of one city (compared without case).
pub async fn list(app: &App, uf: Uf, city: Option<&str>) -> Result<Vec<Office>, AppError> {
    let mut offices = app.store.list_offices(uf).await?;
    if let Some(city) = city.map(str::trim).filter(|c| !c.is_empty()) {
        let wanted = city.to_lowercase();
        offices.retain(|o| o.city.to_lowercase() == wanted);
    }
    Ok(offices)
}

/// Distinct cities among the offices, in order.
pub fn cities(offices: &[Office]) -> Vec<String> {
    let mut c: Vec<String> = offices.iter().map(|o| o.city.clone()).collect();
    c.sort();
    c.dedup();
    c
}

pub async fn card(app: &App, id: &str) -> Result<Office, AppError> {
    let id = OfficeId::parse(id).map_err(|_| AppError::NotFound("cartório"))?;
    app.store
        .get_office(&id)
        .await?
        .ok_or(AppError::NotFound("cartório"))
}

//! Office directory and office card (SPEC C1, C2).

use crate::ports::{Page, PageRequest};
use crate::{App, AppError};
use balcao_core::{Office, OfficeId, OfficeListing, Uf};

/// One page of a UF's offices, of one city when given (case and accents ignored).
pub async fn list(
    app: &App,
    uf: Uf,
    city: Option<&str>,
    page: &PageRequest,
) -> Result<Page<OfficeListing>, AppError> {
    let city = city.map(str::trim).filter(|c| !c.is_empty());
    Ok(app.offices.list_offices(uf, city, page).await?)
}

/// The cities of the UF that have offices, in order.
pub async fn cities(app: &App, uf: Uf) -> Result<Vec<String>, AppError> {
    Ok(app.offices.office_cities(uf).await?)
}

pub async fn card(app: &App, id: &str) -> Result<Office, AppError> {
    let id = OfficeId::parse(id).map_err(|_| AppError::NotFound("cartório"))?;
    app.offices
        .get_office(&id)
        .await?
        .ok_or(AppError::NotFound("cartório"))
}

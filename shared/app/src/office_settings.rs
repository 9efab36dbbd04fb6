//! The office's configuration (SPEC S1): every staff member may read it; only a
//! manager changes it, and only over the version they read.

use crate::{App, AppError};
use balcao_core::{Office, OfficeSettings, Role, StaffMember};

async fn own_office(app: &App, staff: &StaffMember) -> Result<Office, AppError> {
    app.offices
        .get_office_now(&staff.office)
        .await?
        .ok_or(AppError::NotFound("serventia"))
}

pub async fn get(app: &App, staff: &StaffMember) -> Result<OfficeSettings, AppError> {
    Ok(OfficeSettings::of(&own_office(app, staff).await?))
}

/// Replaces the settings. `edit` turns the current settings into the new ones
/// (a whole JSON document, or one section of the page's forms).
pub async fn update(
    app: &App,
    staff: &StaffMember,
    edit: impl FnOnce(OfficeSettings) -> Result<OfficeSettings, AppError>,
) -> Result<OfficeSettings, AppError> {
    if staff.role != Role::Manager {
        return Err(AppError::Forbidden(
            "só o gestor da serventia altera a configuração",
        ));
    }
    let office = own_office(app, staff).await?;
    let current = OfficeSettings::of(&office);
    let next = edit(current)?;
    let problems = next.check();
    if !problems.is_empty() {
        let mut errors = balcao_core::FieldErrors::default();
        for (field, message) in problems {
            errors.add(field, message);
        }
        return Err(AppError::Invalid(errors));
    }
    let expected = next.version;
    let today = app.clock.now().to_zoned(office.time_zone()).date();
    if expected != office.version {
        // Sent again after its answer was lost: the office already is what
        // it asks, which is no conflict.
        if changes_nothing(&next, &office, today) {
            return Ok(OfficeSettings::of(&office));
        }
        return Err(AppError::Conflict);
    }
    let updated = next.clone().apply(&office, today);
    if !app.offices.replace_office(&updated, expected).await? {
        let now = own_office(app, staff).await?;
        if changes_nothing(&next, &now, today) {
            return Ok(OfficeSettings::of(&now));
        }
        return Err(AppError::Conflict);
    }
    tracing::info!(office = %office.id, version = updated.version, by = %staff.email.masked(), "office settings changed");
    Ok(OfficeSettings::of(&updated))
}

/// Whether applying `next` to `office` (whatever version it names) leaves it
/// as it is.
fn changes_nothing(
    next: &OfficeSettings,
    office: &balcao_core::Office,
    today: jiff::civil::Date,
) -> bool {
    let mut same = next.clone();
    same.version = office.version;
    let mut would = same.apply(office, today);
    would.version = office.version;
    would == *office
}

//! `GET /staff/reports` (issue 15): how the office is doing over a range of
//! days, from the counters its changes kept (at most 366 small reads).

use crate::{App, AppError};
use balcao_core::report::{MAX_DAYS, Report};
use balcao_core::{Role, StaffMember};
use jiff::civil::Date;

/// The office's report for `[from, to]` (managers only). Without dates, the
/// last 30 days up to today in the office's time zone.
pub async fn office(
    app: &App,
    staff: &StaffMember,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<(Report, balcao_core::Office), AppError> {
    if staff.role != Role::Manager {
        return Err(AppError::Forbidden(
            "só o gestor da serventia vê os relatórios",
        ));
    }
    let office = crate::staff_requests::staff_office(app, staff).await?;
    let today = app
        .clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get(&office.timezone).unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let to = to.unwrap_or(today);
    let from = match from {
        Some(d) => d,
        None => to
            .checked_sub(jiff::Span::new().days(29))
            .map_err(|_| AppError::invalid("from", "data inválida"))?,
    };
    if from > to {
        return Err(AppError::invalid(
            "from",
            "a data inicial vem antes da final",
        ));
    }
    let days = from
        .until(to)
        .map(|s| s.get_days() as i64 + 1)
        .unwrap_or(i64::MAX);
    if days > MAX_DAYS {
        return Err(AppError::invalid("to", "no máximo 366 dias por relatório"));
    }
    let counted = app.reports.office_days(&office.id, from, to).await?;
    Ok((Report::of(from, to, &counted), office))
}

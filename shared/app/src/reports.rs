//! `GET /staff/reports` (issue 15): how the office is doing over a range of
//! days, from the counters its changes kept (at most 366 small reads); and
//! `GET /staff/requests.csv`, its requests of a range as a spreadsheet.

use crate::ports::{PageRequest, PageSize};
use crate::{App, AppError};
use balcao_core::export::MAX_ROWS;
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
    let (from, to) = range(app, &office, from, to)?;
    let counted = app.reports.office_days(&office.id, from, to).await?;
    Ok((Report::of(from, to, &counted), office))
}

/// `GET /staff/requests.csv` (managers): the office's requests opened in
/// `[from, to]` as a spreadsheet, oldest first, read a page at a time from
/// the range asked and no further; more than [`MAX_ROWS`] is refused.
pub async fn export(
    app: &App,
    staff: &StaffMember,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Export, AppError> {
    if staff.role != Role::Manager {
        return Err(AppError::Forbidden(
            "só o gestor da serventia exporta as solicitações",
        ));
    }
    let office = crate::staff_requests::staff_office(app, staff).await?;
    let (from, to) = range(app, &office, from, to)?;
    let tz = office.time_zone();
    let instant = |d: Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| AppError::invalid("to", "data inválida"))
    };
    let end = to
        .tomorrow()
        .map_err(|_| AppError::invalid("to", "data inválida"))?;
    let (start, end) = (instant(from)?, instant(end)?);
    let mut rows = Vec::new();
    let mut page = PageRequest::first(PageSize::new(100).unwrap_or_default());
    loop {
        let got = app
            .reports
            .opened_between(&office.id, start, end, &page)
            .await?;
        rows.extend(got.items);
        if rows.len() > MAX_ROWS {
            return Err(AppError::invalid(
                "to",
                "mais de 20 000 solicitações no período: escolha um período menor",
            ));
        }
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    Ok(Export {
        csv: balcao_core::export::requests_csv(&rows, &office)?,
        rows: rows.len(),
        from,
        to,
    })
}

/// A spreadsheet of the office's requests.
#[derive(Debug)]
pub struct Export {
    pub csv: Vec<u8>,
    pub rows: usize,
    pub from: Date,
    pub to: Date,
}

/// The days asked, checked: without dates the last 30 up to the office's
/// today; at most [`MAX_DAYS`].
fn range(
    app: &App,
    office: &balcao_core::Office,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<(Date, Date), AppError> {
    let today = app.clock.now().to_zoned(office.time_zone()).date();
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
        return Err(AppError::invalid("to", "no máximo 366 dias por vez"));
    }
    Ok((from, to))
}

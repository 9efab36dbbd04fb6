//! `GET /staff/reports?from=&to=` (issue 15, managers): the office's report as
//! JSON, or a page whose charts are SVG drawn here (no outside scripts); and
//! `GET /staff/requests.csv`, the range's requests as a spreadsheet.

use crate::Response;
use crate::forms::query;
use crate::pages::{Bar, ReportPage};
use crate::respond::{Failure, Format, download, finish, html, json};
use crate::staff::staff;
use balcao_app::{App, AppError, reports};
use balcao_core::Status;
use http::StatusCode;
use jiff::civil::Date;
use lambda_http::Request;

pub async fn show(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let (from, to) = dates(&req)?;
        let (report, office) = reports::office(app, &me, from, to).await?;
        let service_name = |id: &str| {
            office
                .service(id)
                .map_or_else(|| id.to_owned(), |s| s.name.clone())
        };
        Ok::<_, Failure>(match format {
            Format::Json => json(
                StatusCode::OK,
                &ReportJson {
                    services: report
                        .opened_per_service
                        .keys()
                        .map(|id| (id.clone(), service_name(id)))
                        .collect(),
                    report: &report,
                },
            ),
            Format::Html => {
                let opened: i64 = report.opened_per_day.iter().map(|(_, n)| n).sum();
                let per_day = Bar::scaled(
                    report
                        .opened_per_day
                        .iter()
                        .map(|(d, n)| (d.strftime("%d/%m").to_string(), *n)),
                );
                let per_service = Bar::scaled(
                    report
                        .opened_per_service
                        .iter()
                        .map(|(id, n)| (service_name(id), *n)),
                );
                let by_status = report
                    .by_status
                    .iter()
                    .map(|(k, n)| {
                        let label =
                            Status::parse(k).map_or_else(|| k.clone(), |s| s.label().to_owned());
                        (label, *n)
                    })
                    .collect();
                html(
                    StatusCode::OK,
                    &ReportPage {
                        staff_name: me.name.clone(),
                        from: report.from.to_string(),
                        to: report.to.to_string(),
                        period: format!(
                            "de {} a {}",
                            report.from.strftime("%d/%m/%Y"),
                            report.to.strftime("%d/%m/%Y")
                        ),
                        opened,
                        per_day,
                        per_service,
                        by_status,
                        start: (report.start_met, report.start_missed),
                        reply: (report.reply_met, report.reply_missed),
                        first_reply: report.first_reply_median_minutes.map(business_time),
                        first_replies: report.first_replies,
                        ratings: (report.ratings_approved, report.ratings_rejected),
                    },
                )
            }
        })
    }
    .await;
    finish(format, result)
}

/// `GET /staff/requests.csv?from=&to=` (managers): the office's requests
/// opened in the range as a spreadsheet to save; a refusal is a page or JSON.
pub async fn export(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let (from, to) = dates(&req)?;
        let export = reports::export(app, &me, from, to).await?;
        let name = format!("solicitacoes-{}-a-{}.csv", export.from, export.to);
        Ok::<_, Failure>(download("text/csv; charset=utf-8", export.csv, &name))
    }
    .await;
    finish(format, result)
}

/// The range asked (`from`, `to` as AAAA-MM-DD; either may be absent).
fn dates(req: &Request) -> Result<(Option<Date>, Option<Date>), AppError> {
    let q = query(req);
    let date = |k: &'static str| -> Result<Option<Date>, AppError> {
        match q.get(k).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => Date::strptime("%Y-%m-%d", v)
                .map(Some)
                .map_err(|_| AppError::invalid(k, "data inválida: use AAAA-MM-DD")),
        }
    };
    Ok((date("from")?, date("to")?))
}

/// The report, with the names of the services it counts.
#[derive(serde::Serialize)]
struct ReportJson<'a> {
    #[serde(flatten)]
    report: &'a balcao_core::report::Report,
    services: std::collections::BTreeMap<String, String>,
}

/// "2 h 15 min úteis".
fn business_time(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min úteis"),
        (h, 0) => format!("{h} h úteis"),
        (h, m) => format!("{h} h {m} min úteis"),
    }
}

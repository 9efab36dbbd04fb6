//! `GET /staff/pool` and `POST /staff/pool/{id}/take` (SPEC S8): released
//! requests of the caller's UF, showing only what is needed to decide.

use crate::Response;
use crate::forms::{body, next_page_href, page_request, path_param};
use crate::pages::{PoolLine, StaffPoolPage};
use crate::respond::{Failure, Format, finish, json, negotiate, see_other};
use crate::staff::staff;
use crate::views::{List, TicketView, local_time};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, pool};
use http::StatusCode;
use lambda_http::Request;

pub async fn list(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let found = pool::list(app, &me, &page_request(&req)?).await?;
        let next = next_page_href(&req, found.next.as_ref());
        let lines: Vec<PoolLine> = found
            .items
            .iter()
            .map(|r| PoolLine {
                id: r.id.to_string(),
                service: r.service_name.clone(),
                from_office: r.office.name.clone(),
                city: r.office.city.clone(),
                opened_at: local_time(r.created_at, &r.office.timezone),
                take_key: ulid::Ulid::generate().to_string(),
            })
            .collect();
        Ok::<_, Failure>(negotiate(
            format,
            StatusCode::OK,
            || List::page(lines.clone(), found.next.as_ref()),
            || StaffPoolPage {
                staff_name: me.name.clone(),
                items: lines.clone(),
                next: next.clone(),
            },
        ))
    }
    .await;
    finish(format, result)
}

pub async fn take(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let key = parse_action_key(fields.get("action_key"))?;
        let t = pool::take(app, &me, &id, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::for_staff(&t)),
            Format::Html => see_other(&format!("/staff/requests/{}?feito=assumida", t.request.id)),
        })
    }
    .await;
    finish(format, result)
}

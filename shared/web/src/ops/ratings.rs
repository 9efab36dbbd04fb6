//! `POST /tickets/{id}/rating` (SPEC C7) and the office's moderation,
//! `GET /staff/ratings` and `POST /staff/ratings/{id}` (SPEC S7).

use crate::Response;
use crate::forms::{body, next_page_href, page_request, path_param, query};
use crate::pages::{RatingLine, StaffRatingsPage};
use crate::respond::{Failure, Format, finish, json, negotiate, see_other, ticket_location};
use crate::staff::staff;
use crate::views::{List, TicketView, local_time};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, ratings};
use balcao_core::Moderation;
use http::StatusCode;
use lambda_http::Request;

pub async fn rate(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let q = query(&req);
        let token = fields.get("k").or(q.get("k")).map(ToOwned::to_owned);
        let key = parse_action_key(fields.get("action_key"))?;
        let verdict = fields.get("verdict").unwrap_or("");
        let t = ratings::rate(
            app,
            &id,
            token.as_deref(),
            verdict,
            fields.get("comment"),
            key,
        )
        .await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::from(&t)),
            Format::Html => see_other(&ticket_location(
                t.request.id,
                token.as_deref().unwrap_or_default(),
                "&feito=avaliada",
            )),
        })
    }
    .await;
    finish(format, result)
}

pub async fn list(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let rated = ratings::office_ratings(app, &me, &page_request(&req)?).await?;
        let next = next_page_href(&req, rated.next.as_ref());
        let lines: Vec<RatingLine> = rated
            .items
            .iter()
            .filter_map(|r| {
                let x = r.rating.as_ref()?;
                Some(RatingLine {
                    id: r.id.to_string(),
                    number: r.number.0,
                    verdict: x.verdict.label(),
                    comment: x.comment.as_ref().map(|c| c.as_str().to_owned()),
                    moderation: match x.moderation {
                        Moderation::Pending => "pending",
                        Moderation::Shown => "shown",
                        Moderation::Hidden => "hidden",
                    },
                    at: local_time(x.at, &r.office.timezone),
                    show_key: ulid::Ulid::generate().to_string(),
                    hide_key: ulid::Ulid::generate().to_string(),
                })
            })
            .collect();
        Ok::<_, Failure>(negotiate(
            format,
            StatusCode::OK,
            || List::page(lines.clone(), rated.next.as_ref()),
            || StaffRatingsPage {
                staff_name: me.name.clone(),
                items: lines.clone(),
                next: next.clone(),
            },
        ))
    }
    .await;
    finish(format, result)
}

pub async fn moderate(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let key = parse_action_key(fields.get("action_key"))?;
        let decision = fields.get("decision").unwrap_or("");
        let t = ratings::moderate(app, &me, &id, decision, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::for_staff(&t)),
            Format::Html => see_other("/staff/ratings"),
        })
    }
    .await;
    finish(format, result)
}

//! `POST /tickets/{id}/messages`, `/cancel` and `/close` (SPEC C7): the
//! citizen's actions. The link's secret comes as the `k` field or query parameter.

use crate::Response;
use crate::forms::{Fields, body, message_text, path_param, query};
use crate::respond::{Failure, Format, finish, json, see_other, ticket_location};
use crate::views::TicketView;
use balcao_app::citizen_actions::{CitizenAction, act};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, AppError, attachments};
use balcao_core::FreeText;
use http::StatusCode;
use lambda_http::Request;

pub async fn message(app: &App, req: Request) -> Response {
    run(app, req, |f| {
        let files = attachments::parse_refs(f.all("attachments"))?;
        let text = message_text(f.get("message"), !files.is_empty())?;
        Ok(CitizenAction::Message { text, files })
    })
    .await
}

pub async fn read(app: &App, req: Request) -> Response {
    run(app, req, |_| Ok(CitizenAction::Read)).await
}

pub async fn release(app: &App, req: Request) -> Response {
    run(app, req, |_| Ok(CitizenAction::Release)).await
}

pub async fn cancel(app: &App, req: Request) -> Response {
    run(app, req, |_| Ok(CitizenAction::Cancel)).await
}

pub async fn close(app: &App, req: Request) -> Response {
    run(app, req, |f| {
        match f.get("message").filter(|m| !m.trim().is_empty()) {
            None => Ok(CitizenAction::Close(None)),
            Some(m) => FreeText::parse(m)
                .map(|t| CitizenAction::Close(Some(t)))
                .map_err(|e| AppError::invalid("message", &e.to_string())),
        }
    })
    .await
}

async fn run(
    app: &App,
    req: Request,
    what: impl FnOnce(&Fields) -> Result<CitizenAction, AppError>,
) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let q = query(&req);
        let token = fields.get("k").or(q.get("k")).map(ToOwned::to_owned);
        let key = parse_action_key(fields.get("action_key"))?;
        let action = what(&fields)?;
        let ticket = act(app, &id, token.as_deref(), action, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::from(&ticket)),
            Format::Html => see_other(&ticket_location(
                ticket.request.id,
                token.as_deref().unwrap_or_default(),
                "",
            )),
        })
    }
    .await;
    finish(format, result)
}

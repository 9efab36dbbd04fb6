//! `POST /staff/requests/{id}/notes` (issue 15): an internal note, with files
//! like a reply; staff only.

use crate::Response;
use crate::forms::message_text;
use crate::ops::staff_workflow::run;
use balcao_app::{App, attachments, notes};
use lambda_http::Request;

pub async fn add(app: &App, req: Request) -> Response {
    run(app, req, "nota", async |me, id, f, key| {
        let files = attachments::parse_refs(f.all("attachments"))?;
        let text = message_text(f.get("note"), !files.is_empty())
            .map_err(|e| balcao_app::AppError::invalid("note", &crate::respond::reason(&e)))?;
        notes::add(app, me, id, text, &files, key).await
    })
    .await
}

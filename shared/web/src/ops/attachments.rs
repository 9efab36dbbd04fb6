//! Files (SPEC C8): upload slots for citizens (`POST /offices/{office}/attachments`)
//! and staff (`POST /staff/attachments`), and downloads by short-lived links for
//! whoever can see the ticket. The slot is for the page's script and API clients,
//! so it always answers JSON.

use crate::Response;
use crate::forms::{Fields, body, path_param, query};
use crate::respond::{Failure, Format, finish, json, see_other};
use crate::staff::staff;
use balcao_app::{App, AppError, attachments, staff_requests, ticket};
use http::StatusCode;
use http::header::{CACHE_CONTROL, HeaderValue, REFERRER_POLICY};
use lambda_http::Request;

pub async fn citizen_slot(app: &App, req: Request) -> Response {
    let result = async {
        let office = path_param(&req, "office")?;
        let fields = body(&req).await?;
        let (name, size) = declared(&fields)?;
        // For a message on a ticket, the slot is bound to it (its link proves access).
        let ticket = fields
            .get("ticket")
            .filter(|t| !t.trim().is_empty())
            .map(|t| (t, fields.get("k")));
        let slot = attachments::citizen_slot(app, &office, ticket, name, size).await?;
        Ok::<_, Failure>(json(StatusCode::CREATED, &slot))
    }
    .await;
    finish(Format::Json, result)
}

pub async fn staff_slot(app: &App, req: Request) -> Response {
    let result = async {
        let me = staff(&req)?;
        let fields = body(&req).await?;
        let (name, size) = declared(&fields)?;
        let slot = staff_requests::upload_slot(app, &me, name, size).await?;
        Ok::<_, Failure>(json(StatusCode::CREATED, &slot))
    }
    .await;
    finish(Format::Json, result)
}

pub async fn citizen_download(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let q = query(&req);
        let t = ticket::read(app, &path_param(&req, "id")?, q.get("k")).await?;
        let url = attachments::download_url(app, &t, &path_param(&req, "file")?).await?;
        Ok::<_, Failure>(redirect(&url))
    }
    .await;
    finish(format, result)
}

pub async fn staff_download(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let t = staff_requests::view(app, &me, &path_param(&req, "id")?).await?;
        let url = attachments::download_url(app, &t, &path_param(&req, "file")?).await?;
        Ok::<_, Failure>(redirect(&url))
    }
    .await;
    finish(format, result)
}

/// The file's name and size as the sender declares them.
fn declared(fields: &Fields) -> Result<(&str, u64), AppError> {
    let name = fields.get("name").unwrap_or("");
    let size = fields
        .get("size")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| AppError::invalid("size", "informe o tamanho do arquivo em bytes"))?;
    Ok((name, size))
}

/// The signed link is a credential for a few minutes: not cached, not leaked as a referrer.
fn redirect(url: &str) -> Response {
    let mut r = see_other(url);
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

//! Files (SPEC C8): upload slots for citizens (`POST /offices/{office}/attachments`)
//! and staff (`POST /staff/attachments`), and downloads by short-lived links for
//! whoever can see the ticket. The slot is for the page's script and API clients,
//! so it always answers JSON. A posted file is checked at once
//! (`GET …/attachments/check`): the script asks in JSON; a form posted without
//! JavaScript lands there from storage and goes back to its page with the file.

use crate::Response;
use crate::forms::{Fields, body, path_param, query};
use crate::pages::{AttachWidget, ErrorPage};
use crate::respond::{Failure, Format, finish, json, see_other};
use crate::staff::staff;
use balcao_app::attachments::CheckedUpload;
use balcao_app::{App, AppError, attachments, staff_requests, ticket};
use balcao_core::{StaffMember, UploadRef};
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
        let mut t = ticket::read(app, &path_param(&req, "id")?, q.get("k")).await?;
        // Only the files of what the citizen's history shows (not internal notes').
        t.events.retain(|e| e.concerns_citizen());
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

pub async fn citizen_check(app: &App, req: Request) -> Response {
    let q = query(&req);
    let result = async {
        let office = path_param(&req, "office")?;
        let ticket = q
            .get("ticket")
            .filter(|t| !t.trim().is_empty())
            .map(|t| (t, q.get("k")));
        let token = q.get("a").unwrap_or("");
        Ok(attachments::citizen_check(app, &office, ticket, token, q.get("key")).await?)
    }
    .await;
    checked(Format::of(req.headers()), &q, result)
}

pub async fn staff_check(app: &App, req: Request) -> Response {
    let q = query(&req);
    let result = async {
        let me = staff(&req)?;
        let token = q.get("a").unwrap_or("");
        let pdf_only = q.get("pdf") == Some("1");
        Ok(staff_requests::check_upload(app, &me, token, q.get("key"), pdf_only).await?)
    }
    .await;
    checked(Format::of(req.headers()), &q, result)
}

/// The script gets JSON; a browser sent here by storage goes back to its page
/// with the file among the form's, or sees why it was refused.
fn checked(format: Format, q: &Fields, result: Result<CheckedUpload, Failure>) -> Response {
    let back = q.get("back").filter(|b| safe_back(b));
    let widget = q.get("w").filter(|w| {
        !w.is_empty() && w.len() <= 32 && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    });
    match (format, back, widget, result) {
        (Format::Html, Some(back), Some(w), Ok(c)) => see_other(&with_params(
            back,
            &[(&format!("anexo-{w}"), &c.attachment)],
        )),
        (Format::Html, Some(back), _, Err(Failure::App(e @ AppError::Invalid(_)))) => {
            crate::respond::html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ErrorPage {
                    title: "Arquivo recusado".into(),
                    message: crate::respond::reason(&e),
                    fields: vec![],
                    back: Some((back.to_owned(), "Voltar e escolher outro arquivo")),
                },
            )
        }
        (format, _, _, Ok(c)) => {
            let _ = format;
            json(StatusCode::OK, &c)
        }
        (format, _, _, Err(e)) => finish(format, Err(e)),
    }
}

/// Pages a file may be brought back to: this site's forms only.
fn safe_back(back: &str) -> bool {
    ["/offices/", "/tickets/", "/staff/requests/"]
        .iter()
        .any(|p| back.starts_with(p))
        && !back.contains("//")
        && !back.contains('\\')
        && back.chars().all(|c| c.is_ascii_graphic())
}

fn with_params(path: &str, params: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    if query.is_empty() {
        return path.to_owned();
    }
    let join = if path.contains('?') { '&' } else { '?' };
    format!("{path}{join}{query}")
}

/// Whose files a page's picker sends.
#[derive(Clone, Copy)]
pub enum Sender<'a> {
    /// A citizen at an office, on a new request or (id, link secret) a ticket.
    Citizen {
        office: &'a str,
        ticket: Option<(&'a str, &'a str)>,
    },
    Staff(&'a StaffMember),
}

/// Completes a page's file picker: the link its script checks each file at,
/// the files a post without JavaScript brought back (`anexo-<picker>` in the
/// page's query), and the form that posts one more that way. `page` is the
/// address the form's page is fetched at (without query for those files).
pub async fn complete(
    app: &App,
    w: &mut AttachWidget,
    sender: Sender<'_>,
    page: &str,
    page_query: &Fields,
) -> Result<(), AppError> {
    let mut check: Vec<(&str, String)> = vec![("w", w.id.to_owned())];
    let check_path = match sender {
        Sender::Citizen { office, ticket } => {
            if let Some((id, k)) = ticket {
                check.push(("ticket", id.to_owned()));
                check.push(("k", k.to_owned()));
            }
            format!("/offices/{office}/attachments/check")
        }
        Sender::Staff(_) => {
            if w.pdf_only {
                check.push(("pdf", "1".to_owned()));
            }
            "/staff/attachments/check".to_owned()
        }
    };
    let pairs: Vec<(&str, &str)> = check.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.check_url = with_params(&check_path, &pairs);
    // Files brought back by earlier posts: for this picker, kept in its list;
    // for every picker, carried on to the next page.
    let mut carried: Vec<(String, String)> = Vec::new();
    for name in page_query.names().filter(|n| n.starts_with("anexo-")) {
        for v in page_query.all(name) {
            carried.push((name.to_owned(), v.to_owned()));
        }
    }
    let mine = format!("anexo-{}", w.id);
    for (_, v) in carried.iter().filter(|(k, _)| *k == mine) {
        if let Ok(r) = v.parse::<UploadRef>()
            && !w.kept.iter().any(|(x, _)| x == v)
        {
            w.kept.push((v.clone(), r.name.to_string()));
        }
    }
    for (v, _) in &w.kept {
        if !carried.iter().any(|(k, x)| *k == mine && x == v) {
            carried.push((mine.clone(), v.clone()));
        }
    }
    let carried: Vec<(&str, &str)> = carried
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = with_params(page, &carried);
    let base = app.config.public_base_url.clone();
    let redirect = move |token: &str| {
        let mut params = pairs.clone();
        params.push(("a", token));
        params.push(("back", &back));
        format!("{base}{}", with_params(&check_path, &params))
    };
    w.upload = Some(match sender {
        Sender::Citizen { office, ticket } => {
            let ticket = ticket.map(|(id, k)| (id, Some(k)));
            attachments::citizen_form_slot(app, office, ticket, redirect).await?
        }
        Sender::Staff(me) => staff_requests::upload_form_slot(app, me, redirect).await?,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_go_back_only_to_this_sites_forms() {
        for ok in [
            "/offices/sp/requests/new?service=contato",
            "/tickets/01ABC?k=x",
            "/staff/requests/01ABC",
        ] {
            assert!(super::safe_back(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/offices//evil",
            "/staff/office",
            "/tickets/1\\x",
            "/tickets/ 1",
        ] {
            assert!(!super::safe_back(bad), "{bad}");
        }
    }
}

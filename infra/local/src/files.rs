//! The local stand-in for S3's browser endpoints: `POST /_local/uploads` takes a
//! form post signed by `LocalBlobs::upload_form`, `GET /_local/files/{key}` serves
//! a signed download link. Both check what S3 would, in `balcao_embedded`.

use crate::Local;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use balcao_embedded::LocalBlobError;
use std::collections::BTreeMap;

/// Largest post read, whatever the signed limit says (the signed limit is checked after).
const MAX_POST: usize = 64 * 1024 * 1024;

pub fn routes(router: Router<Local>) -> Router<Local> {
    router
        .route("/_local/uploads", post(upload))
        .route("/_local/files/{*key}", get(download))
}

fn refused(e: &LocalBlobError) -> Response {
    let status = match e {
        LocalBlobError::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
        LocalBlobError::NotFound => StatusCode::NOT_FOUND,
        LocalBlobError::Missing(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    (status, e.to_string()).into_response()
}

async fn upload(State(local): State<Local>, req: Request) -> Response {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        return (StatusCode::BAD_REQUEST, "envie multipart/form-data").into_response();
    };
    let stream = req.into_body().into_data_stream();
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_POST as u64));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields = BTreeMap::new();
    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
        // As on S3, the file is the last part; fields after it are ignored.
        if name == "file" {
            file = Some((bytes.to_vec(), file_name));
            break;
        }
        fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
    }
    let Some((file, file_name)) = file else {
        return refused(&LocalBlobError::Missing("file"));
    };
    match local
        .blobs
        .accept_upload(&fields, &file, file_name.as_deref(), local.app.clock.now())
    {
        // As S3: a form that named a place goes there, a script gets 204.
        Ok(accepted) => match accepted.redirect {
            Some(to) => match HeaderValue::from_str(&to) {
                Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
                Err(_) => StatusCode::NO_CONTENT.into_response(),
            },
            None => StatusCode::NO_CONTENT.into_response(),
        },
        Err(e) => refused(&e),
    }
}

async fn download(
    State(local): State<Local>,
    Path(key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let file = match local
        .blobs
        .open_download(&key, &query, local.app.clock.now())
    {
        Ok(f) => f,
        Err(e) => return refused(&e),
    };
    let mut res = Response::new(Body::from(file.bytes));
    let headers = res.headers_mut();
    let value = |s: &str| {
        HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    headers.insert(header::CONTENT_TYPE, value(&file.content_type));
    let ascii: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}

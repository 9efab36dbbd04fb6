//! Reading requests: path parameters, query strings and bodies in any of the
//! three encodings the contract allows, into one flat map of fields.

use crate::respond::Failure;
use balcao_app::AppError;
use balcao_app::ports::{PageRequest, PageSize, Position};
use lambda_http::{Request, RequestExt};
use std::collections::BTreeMap;

/// Text fields by name, every value of repeated names kept in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(BTreeMap<String, Vec<String>>);

impl Fields {
    fn push(&mut self, name: String, value: String) {
        self.0.entry(name).or_default().push(value);
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// The names of the fields sent.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every value of a repeated field (`attachments`, say).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.get(name).into_iter().flatten().map(String::as_str)
    }

    /// Into a typed raw form (every field `Option<String>`, first value), ignoring unknown names.
    pub fn into_form<T: serde::de::DeserializeOwned>(self) -> Result<T, Failure> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .into_iter()
            .filter_map(|(k, mut v)| {
                (!v.is_empty()).then(|| (k, serde_json::Value::String(v.swap_remove(0))))
            })
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| Failure::BadRequest(e.to_string()))
    }
}

pub fn path_param(req: &Request, name: &str) -> Result<String, Failure> {
    req.path_parameters()
        .first(name)
        .map(ToOwned::to_owned)
        .ok_or_else(|| Failure::BadRequest(format!("parâmetro de caminho ausente: {name}")))
}

/// The query string, parsed from the URI so it reads the same on every runtime.
pub fn query(req: &Request) -> Fields {
    let pairs: Vec<(String, String)> = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut fields = Fields::default();
    for (k, v) in pairs {
        fields.push(k, v);
    }
    fields
}

/// The page a list request asks for: `limit` (1 to 100, 50 when absent) and
/// the `cursor` a previous page gave as `next`.
pub fn page_request(req: &Request) -> Result<PageRequest, AppError> {
    let q = query(req);
    let given = |k: &str| q.get(k).map(str::trim).filter(|v| !v.is_empty());
    // An empty `limit` is a mistake, not a request for the default.
    let size = match q.get("limit") {
        None => PageSize::DEFAULT,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .and_then(PageSize::new)
            .ok_or_else(|| AppError::invalid("limit", "use um número de 1 a 100"))?,
    };
    let after = match given("cursor") {
        None => None,
        Some(c) => Some(Position::decode(c).ok_or_else(|| {
            AppError::invalid(
                "cursor",
                "cursor inválido: use o valor de next da página anterior",
            )
        })?),
    };
    Ok(PageRequest { size, after })
}

/// This request's address with `cursor` set to the next page; `None` on the last.
pub fn next_page_href(req: &Request, next: Option<&Position>) -> Option<String> {
    let next = next?;
    let mut pairs: Vec<(String, String)> = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".to_owned(), next.encode()));
    let query = serde_urlencoded::to_string(pairs).ok()?;
    Some(format!("{}?{query}", req.uri().path()))
}

/// The body's text fields. File parts of multipart bodies are not read here
/// (files go straight to storage), except a `csv` part: protocol imports are
/// data for the function itself. A `text/csv` body is the field `csv`.
pub async fn body(req: &Request) -> Result<Fields, Failure> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes: &[u8] = req.body().as_ref();
    // A bodyless POST (`/read`, `/cancel`, `/analysis`…) has no fields, whatever it says it is.
    if bytes.is_empty() {
        return Ok(Fields::default());
    }
    // Only the media type is case-insensitive; a multipart boundary is not.
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
                .map_err(|e| Failure::BadRequest(e.to_string()))?;
            let mut fields = Fields::default();
            for (k, v) in pairs {
                fields.push(k, v);
            }
            Ok(fields)
        }
        "application/json" => {
            let value: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| Failure::BadRequest(format!("JSON inválido: {e}")))?;
            let serde_json::Value::Object(obj) = value else {
                return Err(Failure::BadRequest(
                    "o corpo JSON deve ser um objeto".into(),
                ));
            };
            let mut fields = Fields::default();
            for (k, v) in obj {
                // A list is a repeated field; scalars become their text form so one
                // parser serves all encodings.
                let values = match v {
                    serde_json::Value::Array(items) => items,
                    other => vec![other],
                };
                for v in values {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Bool(b) => b.to_string(),
                        serde_json::Value::Number(n) => n.to_string(),
                        // No form field is an object: ignored like an unknown name, so
                        // a field that needs a value then says it is missing.
                        serde_json::Value::Null
                        | serde_json::Value::Object(_)
                        | serde_json::Value::Array(_) => continue,
                    };
                    fields.push(k.clone(), text);
                }
            }
            Ok(fields)
        }
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type)
                .map_err(|e| Failure::BadRequest(e.to_string()))?;
            let data = bytes::Bytes::copy_from_slice(bytes);
            let stream =
                futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(data) });
            let mut multipart = multer::Multipart::new(stream, boundary);
            let mut fields = Fields::default();
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| Failure::BadRequest(e.to_string()))?
            {
                if field.file_name().is_some() && field.name() != Some("csv") {
                    continue;
                }
                let Some(name) = field.name().map(ToOwned::to_owned) else {
                    continue;
                };
                let text = field
                    .text()
                    .await
                    .map_err(|e| Failure::BadRequest(e.to_string()))?;
                fields.push(name, text);
            }
            Ok(fields)
        }
        "text/csv" => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Failure::BadRequest("o CSV deve estar em UTF-8".into()))?;
            let mut fields = Fields::default();
            fields.push("csv".into(), text.to_owned());
            Ok(fields)
        }
        _ => Err(Failure::UnsupportedMediaType),
    }
}

/// The `message` of a conversation post: it may be left empty when files come with it.
pub fn message_text(
    value: Option<&str>,
    has_files: bool,
) -> Result<Option<balcao_core::FreeText>, balcao_app::AppError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None if has_files => Ok(None),
        v => balcao_core::FreeText::parse(v.unwrap_or(""))
            .map(Some)
            .map_err(|e| balcao_app::AppError::invalid("message", &e.to_string())),
    }
}

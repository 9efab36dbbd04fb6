//! Reading requests: path parameters, query strings and bodies in any of the
//! three encodings the contract allows, into one flat map of fields.

use crate::respond::Failure;
use lambda_http::{Request, RequestExt};
use std::collections::BTreeMap;

/// Text fields by name; for repeated names the first wins.
#[derive(Debug, Default, Clone)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Into a typed raw form (every field `Option<String>`), ignoring unknown names.
    pub fn into_form<T: serde::de::DeserializeOwned>(self) -> Result<T, Failure> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
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
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.entry(k).or_insert(v);
    }
    Fields(map)
}

/// The body's text fields. File parts of multipart bodies are not read here.
pub async fn body(req: &Request) -> Result<Fields, Failure> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes: &[u8] = req.body().as_ref();
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
            let mut map = BTreeMap::new();
            for (k, v) in pairs {
                map.entry(k).or_insert(v);
            }
            Ok(Fields(map))
        }
        "application/json" => {
            let value: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| Failure::BadRequest(format!("JSON inválido: {e}")))?;
            let serde_json::Value::Object(obj) = value else {
                return Err(Failure::BadRequest(
                    "o corpo JSON deve ser um objeto".into(),
                ));
            };
            let mut map = BTreeMap::new();
            for (k, v) in obj {
                // Scalars become their text form so one parser serves all encodings.
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => b.to_string(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Null => continue,
                    _ => {
                        return Err(Failure::BadRequest(format!(
                            "o campo {k} deve ser texto, número ou booleano"
                        )));
                    }
                };
                map.insert(k, text);
            }
            Ok(Fields(map))
        }
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type)
                .map_err(|e| Failure::BadRequest(e.to_string()))?;
            let data = bytes::Bytes::copy_from_slice(bytes);
            let stream =
                futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(data) });
            let mut multipart = multer::Multipart::new(stream, boundary);
            let mut map = BTreeMap::new();
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| Failure::BadRequest(e.to_string()))?
            {
                if field.file_name().is_some() {
                    continue;
                }
                let Some(name) = field.name().map(ToOwned::to_owned) else {
                    continue;
                };
                let text = field
                    .text()
                    .await
                    .map_err(|e| Failure::BadRequest(e.to_string()))?;
                map.entry(name).or_insert(text);
            }
            Ok(Fields(map))
        }
        _ => Err(Failure::UnsupportedMediaType),
    }
}

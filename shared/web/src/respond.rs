//! Content negotiation and the one place where failures become HTTP responses.

use crate::Response;
use crate::pages::ErrorPage;
use askama::Template;
use balcao_app::AppError;
use balcao_app::ports::StoreError;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};
use lambda_http::Body;
use serde::Serialize;
use serde_json::json;

/// What the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

impl Format {
    pub fn of(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains("application/json") && !accept.contains("text/html") {
            Format::Json
        } else {
            Format::Html
        }
    }
}

/// Everything that can go wrong in a request, app errors and HTTP-level ones alike.
#[derive(Debug)]
pub enum Failure {
    App(AppError),
    BadRequest(String),
    UnsupportedMediaType,
    /// No valid staff session (`staff::admit` answers this before the handler).
    Unauthorized,
    /// The identity provider could not say who the caller is.
    Auth(balcao_app::ports::AuthError),
    /// A state-changing request with the session cookie from another site (CSRF).
    CrossSite,
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

fn response(status: StatusCode, content_type: &str, body: Body) -> Response {
    let mut r = http::Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        content_type.parse().expect("static content type"),
    );
    // Pages hold personal data and ticket secrets: never cache them in shared caches.
    r.headers_mut()
        .insert(CACHE_CONTROL, "no-store".parse().expect("static header"));
    r
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(s) => response(status, "application/json", Body::Text(s)),
        Err(e) => internal(Format::Json, &e.to_string()),
    }
}

pub fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(s) => response(status, "text/html; charset=utf-8", Body::Text(s)),
        Err(e) => internal(Format::Html, &e.to_string()),
    }
}

/// Answers JSON or HTML; only the chosen one is built.
pub fn negotiate<J: Serialize, P: Template>(
    format: Format,
    status: StatusCode,
    json_view: impl FnOnce() -> J,
    page: impl FnOnce() -> P,
) -> Response {
    match format {
        Format::Json => json(status, &json_view()),
        Format::Html => html(status, &page()),
    }
}

/// The ticket page's address, built from the request's own id and the secret
/// encoded as a query value: nothing typed reaches a header unchecked.
pub fn ticket_location(id: balcao_core::RequestId, token: &str, extra: &str) -> String {
    let k = serde_urlencoded::to_string([("k", token)]).unwrap_or_default();
    format!("/tickets/{id}?{k}{extra}")
}

/// A file to save (`Content-Disposition: attachment`), named `filename`
/// (plain ASCII, chosen by the caller, never typed by a user).
pub fn download(content_type: &str, body: Vec<u8>, filename: &str) -> Response {
    let mut r = response(StatusCode::OK, content_type, Body::Binary(body));
    if let Ok(v) = format!("attachment; filename=\"{filename}\"").parse() {
        r.headers_mut().insert(http::header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Post/Redirect/Get.
pub fn see_other(location: &str) -> Response {
    let mut r = response(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        Body::Empty,
    );
    match location.parse() {
        Ok(v) => {
            r.headers_mut().insert(LOCATION, v);
            r
        }
        Err(_) => internal(Format::Html, "bad redirect location"),
    }
}

fn internal(format: Format, detail: &str) -> Response {
    tracing::error!(detail, "internal error");
    error(
        format,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Erro interno. Tente novamente.",
        None,
    )
}

/// The page title people read for a failure.
fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Pedido inválido",
        401 => "Entre para continuar",
        403 => "Acesso negado",
        404 => "Página não encontrada",
        405 => "Ação não permitida",
        409 => "Não foi possível concluir",
        415 => "Formato não aceito",
        422 => "Há campos com problemas",
        429 => "Muitas tentativas",
        503 => "Serviço indisponível",
        _ => "Erro",
    }
}

/// Why an action was refused, in one line for a page's alert: the fields'
/// messages, or the error itself.
pub fn reason(e: &AppError) -> String {
    match e.field_errors() {
        Some(f) => f
            .iter()
            .map(|(_, m)| m.to_owned())
            .collect::<Vec<_>>()
            .join("; "),
        None => e.to_string(),
    }
}

/// A field's name as the forms label it.
fn field_label(key: &str) -> &str {
    if let Some(f) = balcao_core::FormField::ALL.iter().find(|f| f.key() == key) {
        return f.label();
    }
    match key {
        "attachments" => "Anexos",
        "consent" => "Política de privacidade",
        "cpf" => "CPF do titular",
        "numero" | "number" => "Número do protocolo",
        "note" => "Observação",
        "confirm" => "Confirmação",
        "verdict" => "Avaliação",
        "comment" => "Comentário",
        "justification" => "Justificativa",
        other => other,
    }
}

/// What a request no route took gets: 405 when its path is a route's (a form
/// sent where a link goes), 404 otherwise. API Gateway's `$default` route on AWS.
pub fn unmatched(req: &lambda_http::Request) -> Response {
    let path = req.uri().path();
    let known = crate::ROUTES.iter().any(|r| same_path(r.path, path));
    if known {
        wrong_method(req.headers())
    } else {
        no_route(req.headers())
    }
}

/// `/tickets/{id}` matches `/tickets/01J…`: each `{…}` takes one segment.
fn same_path(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (
        pattern.trim_end_matches('/').split('/').collect(),
        path.trim_end_matches('/').split('/').collect(),
    );
    p.len() == q.len()
        && p.iter()
            .zip(&q)
            .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
}

/// An address no route answers, on both runtimes: a page, or JSON to JSON clients.
pub fn no_route(headers: &HeaderMap) -> Response {
    error(
        Format::of(headers),
        StatusCode::NOT_FOUND,
        "not_found",
        "Esta página não existe. Confira o endereço ou comece pela lista de cartórios.",
        None,
    )
}

/// A route asked with a method it does not take (a form sent where a link goes).
pub fn wrong_method(headers: &HeaderMap) -> Response {
    error(
        Format::of(headers),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Este endereço não aceita esta ação. Volte à página anterior e use os botões dela.",
        None,
    )
}

fn error(
    format: Format,
    status: StatusCode,
    code: &str,
    message: &str,
    fields: Option<&balcao_core::FieldErrors>,
) -> Response {
    match format {
        Format::Json => {
            let mut e = json!({ "code": code, "message": message });
            if let Some(f) = fields {
                e["fields"] = json!(f);
            }
            let body = json!({ "error": e }).to_string();
            response(status, "application/json", Body::Text(body))
        }
        Format::Html => {
            let page = ErrorPage {
                title: title(status).to_owned(),
                message: message.to_owned(),
                fields: fields
                    .map(|f| {
                        f.iter()
                            .map(|(k, v)| (field_label(k).to_owned(), v.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
                back: None,
            };
            match page.render() {
                Ok(s) => response(status, "text/html; charset=utf-8", Body::Text(s)),
                Err(_) => response(
                    status,
                    "text/plain; charset=utf-8",
                    Body::Text(message.to_owned()),
                ),
            }
        }
    }
}

/// The single mapping from failures to statuses, codes and messages.
pub fn failure(format: Format, f: Failure) -> Response {
    match f {
        Failure::App(AppError::Invalid(fields)) => error(
            format,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Há campos com problemas; corrija-os e envie de novo.",
            Some(&fields),
        ),
        Failure::App(e @ AppError::NotFound(_)) => error(
            format,
            StatusCode::NOT_FOUND,
            "not_found",
            &e.to_string(),
            None,
        ),
        Failure::App(e @ AppError::IdempotencyMismatch) => error(
            format,
            StatusCode::CONFLICT,
            "idempotency_conflict",
            &e.to_string(),
            None,
        ),
        Failure::App(e @ (AppError::NotAllowed(_) | AppError::Refused(_))) => error(
            format,
            StatusCode::CONFLICT,
            "not_allowed",
            &e.to_string(),
            None,
        ),
        Failure::App(e @ AppError::AlreadyOpened { .. }) => error(
            format,
            StatusCode::CONFLICT,
            "already_opened",
            &e.to_string(),
            e.field_errors().as_ref(),
        ),
        Failure::App(e @ AppError::SlotFull) => error(
            format,
            StatusCode::CONFLICT,
            "slot_full",
            &e.to_string(),
            e.field_errors().as_ref(),
        ),
        Failure::App(AppError::TooMany {
            message,
            field,
            retry_after,
        }) => {
            let mut fields = balcao_core::FieldErrors::default();
            fields.add(field, message.clone());
            let mut r = error(
                format,
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                &message,
                Some(&fields),
            );
            r.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from(retry_after),
            );
            r
        }
        Failure::App(e @ AppError::Forbidden(_)) => error(
            format,
            StatusCode::FORBIDDEN,
            "forbidden",
            &e.to_string(),
            None,
        ),
        Failure::App(e @ AppError::Conflict) => error(
            format,
            StatusCode::CONFLICT,
            "conflict",
            &e.to_string(),
            None,
        ),
        Failure::App(AppError::Store(StoreError::Contention)) => error(
            format,
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Muitos pedidos ao mesmo tempo; tente de novo em instantes.",
            None,
        ),
        Failure::App(e @ (AppError::Store(_) | AppError::Timers(_) | AppError::Keys(_))) => {
            tracing::error!(error = %e, "store or timer failure");
            error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Serviço temporariamente indisponível; nada foi gravado. Tente de novo.",
                None,
            )
        }
        Failure::App(AppError::Blobs(e)) => {
            tracing::error!(error = %e, "file storage failure");
            error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "O armazenamento de arquivos está indisponível; nada foi gravado. Tente de novo.",
                None,
            )
        }
        Failure::App(e @ AppError::Export(_)) => internal(format, &e.to_string()),
        Failure::App(e @ AppError::TimerPending(_)) => {
            tracing::error!(error = %e, "change written, timer pending");
            error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                "timer_pending",
                "Sua ação foi registrada, mas um aviso programado não pôde ser agendado agora. Envie de novo para completar: nada será repetido.",
                None,
            )
        }
        Failure::BadRequest(detail) => error(
            format,
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("Requisição malformada: {detail}"),
            None,
        ),
        Failure::Unauthorized => error(
            format,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Entre com sua conta da serventia para continuar.",
            None,
        ),
        Failure::Auth(balcao_app::ports::AuthError::Invalid(_)) => error(
            format,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sua sessão não é válida ou expirou. Entre de novo.",
            None,
        ),
        Failure::Auth(e @ balcao_app::ports::AuthError::Unavailable(_)) => {
            tracing::error!(error = %e, "sign-in service failure");
            error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "O serviço de login está indisponível; tente de novo em instantes.",
                None,
            )
        }
        Failure::CrossSite => error(
            format,
            StatusCode::FORBIDDEN,
            "cross_site",
            "Pedido recusado: ele não veio das páginas do Balcão. Volte à página e envie de novo.",
            None,
        ),
        Failure::UnsupportedMediaType => error(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Envie o formulário como application/x-www-form-urlencoded, multipart/form-data ou JSON.",
            None,
        ),
    }
}

/// Runs an operation body and maps its failure.
pub fn finish(format: Format, result: Result<Response, Failure>) -> Response {
    result.unwrap_or_else(|f| failure(format, f))
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_match_route_patterns_segment_by_segment() {
        assert!(super::same_path("/tickets/{id}", "/tickets/01J"));
        assert!(super::same_path("/my-data", "/my-data/"));
        assert!(!super::same_path("/tickets/{id}", "/tickets/01J/x"));
        assert!(!super::same_path("/tickets/{id}", "/tickets/"));
        assert!(!super::same_path("/offices", "/nada"));
    }
}

//! API Gateway HTTP API (payload 2.0) events, as the functions receive them,
//! built from the route table so every operation's path and method are its own.

use balcao_web::ROUTES;
use serde_json::{Value, json};

pub const OFFICE: &str = "1-tabeliao-notas-sao-paulo";
/// Another office of the same UF: it takes requests released from `OFFICE`.
pub const CAMPINAS: &str = "registro-imoveis-campinas";
pub const CPF: &str = "529.982.247-25";

/// The event for `function`'s route with `params` filled in.
pub fn apigw(
    function: &str,
    params: &[(&str, &str)],
    query: &str,
    body: Option<&str>,
    content_type: &str,
) -> Value {
    let route = ROUTES
        .iter()
        .filter(|r| r.op.function() == function)
        .max_by_key(|r| r.path.len())
        .map(|r| (r.method.as_str(), r.path))
        .unwrap_or(("GET", "/"));
    let (method, template) = route;
    let path = params.iter().fold(template.to_owned(), |p, (k, v)| {
        p.replace(&format!("{{{k}}}"), v)
    });
    let qsp: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    let route_key = format!("{method} {template}");
    let mut e = json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": query,
        "headers": { "accept": "application/json", "content-type": content_type, "host": "bench.example" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.example", "domainPrefix": "bench",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench" },
            "requestId": "bench", "routeKey": route_key, "stage": "$default",
            "time": "20/Nov/2026:19:55:00 +0000", "timeEpoch": 1795377300000u64
        },
        "isBase64Encoded": false
    });
    if !params.is_empty() {
        let p: serde_json::Map<String, Value> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        e["pathParameters"] = Value::Object(p);
    }
    if !qsp.is_empty() {
        e["queryStringParameters"] = Value::Object(qsp);
    }
    if let Some(b) = body {
        e["body"] = Value::String(b.to_owned());
    }
    e
}

/// What the JWT authorizer adds for the manager of `office`.
pub fn staff(event: &mut Value, office: &str) {
    event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": {
        "custom:office_id": office, "custom:role": "manager",
        "email": format!("gestor@{office}.example.com"), "name": "Gestora"
    }, "scopes": null } });
}

pub fn request(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("valid API Gateway event")
}

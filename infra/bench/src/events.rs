//! API Gateway HTTP API (payload 2.0) events, as the functions receive them.

use serde_json::{Value, json};

pub fn apigw(
    method: &str,
    path: &str,
    route: &str,
    params: Value,
    query: &str,
    body: Option<&str>,
) -> Value {
    let qsp: serde_json::Map<String, Value> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    let mut e = json!({
        "version": "2.0", "routeKey": format!("{method} {route}"), "rawPath": path, "rawQueryString": query,
        "headers": { "accept": "application/json", "content-type": "application/json", "host": "bench.example" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.example", "domainPrefix": "bench",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench" },
            "requestId": "bench", "routeKey": format!("{method} {route}"), "stage": "$default",
            "time": "20/Nov/2026:19:55:00 +0000", "timeEpoch": 1795377300000u64
        },
        "isBase64Encoded": false
    });
    if params.as_object().is_some_and(|m| !m.is_empty()) {
        e["pathParameters"] = params;
    }
    if !qsp.is_empty() {
        e["queryStringParameters"] = Value::Object(qsp);
    }
    if let Some(b) = body {
        e["body"] = Value::String(b.to_owned());
    }
    e
}

pub const OFFICE: &str = "1-tabeliao-notas-sao-paulo";

/// What the JWT authorizer adds for a signed-in attendant of `OFFICE`.
fn staff(mut event: Value) -> Value {
    event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": {
        "custom:office_id": OFFICE, "custom:role": "attendant",
        "email": "paula@1-tabeliao-notas-sao-paulo.example.com", "name": "Paula Souza"
    }, "scopes": null } });
    event
}

pub fn contact_body() -> String {
    json!({
        "service": "contato", "name": "Maria da Silva", "email": "bench@example.com",
        "document": "529.982.247-25", "mobile": "(11) 98765-4321",
        "message": "Qual o prazo para uma escritura?", "consent": true
    })
    .to_string()
}

/// The event each function answers on its first (cold) invocation.
pub fn for_function(name: &str, ticket_id: &str, token: &str) -> Value {
    match name {
        "list-offices" => apigw("GET", "/offices", "/offices", json!({}), "uf=SP", None),
        "get-office" => apigw(
            "GET",
            &format!("/offices/{OFFICE}"),
            "/offices/{office}",
            json!({"office": OFFICE}),
            "",
            None,
        ),
        "request-form" => apigw(
            "GET",
            &format!("/offices/{OFFICE}/requests/new"),
            "/offices/{office}/requests/new",
            json!({"office": OFFICE}),
            "service=contato",
            None,
        ),
        "open-request" => apigw(
            "POST",
            &format!("/offices/{OFFICE}/requests"),
            "/offices/{office}/requests",
            json!({"office": OFFICE}),
            "",
            Some(&contact_body()),
        ),
        "get-ticket" => apigw(
            "GET",
            &format!("/tickets/{ticket_id}"),
            "/tickets/{id}",
            json!({"id": ticket_id}),
            &format!("k={token}"),
            None,
        ),
        "post-message" | "cancel-ticket" | "close-ticket" | "mark-read" => {
            let action = match name {
                "post-message" => "messages",
                "cancel-ticket" => "cancel",
                "mark-read" => "read",
                _ => "close",
            };
            apigw(
                "POST",
                &format!("/tickets/{ticket_id}/{action}"),
                &format!("/tickets/{{id}}/{action}"),
                json!({"id": ticket_id}),
                "",
                Some(
                    &json!({"k": token, "message": "Posso levar o documento amanhã?"}).to_string(),
                ),
            )
        }
        "ask-my-requests" => apigw(
            "POST",
            "/my-requests",
            "/my-requests",
            json!({}),
            "",
            Some(&json!({"email": "bench@example.com"}).to_string()),
        ),
        "my-requests" => apigw(
            "GET",
            "/my-requests",
            "/my-requests",
            json!({}),
            &format!("k={token}"),
            None,
        ),
        "staff-queue" => staff(apigw(
            "GET",
            "/staff/requests",
            "/staff/requests",
            json!({}),
            "",
            None,
        )),
        "staff-request" => staff(apigw(
            "GET",
            &format!("/staff/requests/{ticket_id}"),
            "/staff/requests/{id}",
            json!({"id": ticket_id}),
            "",
            None,
        )),
        "staff-message" => staff(apigw(
            "POST",
            &format!("/staff/requests/{ticket_id}/messages"),
            "/staff/requests/{id}/messages",
            json!({"id": ticket_id}),
            "",
            Some(&json!({"message": "Traga o RG original."}).to_string()),
        )),
        // The scheduled sweep of the outbox.
        _ => json!({ "source": "aws.events", "detail-type": "Scheduled Event", "detail": {} }),
    }
}

//! Lists read a page at a time over the HTTP contract (issue 12): one office
//! with 120 requests, its queue, closed shelf, ratings, the UF's pool and a
//! city's directory, each walked page by page through the Lambda handlers
//! (API Gateway events) on SQLite and on DynamoDB Local. Every item is seen
//! once, in order, and the pages' links lead to the same pages.

use balcao_app::{App, Store, open_request};
use balcao_core::{Office, OfficeId, RawRequestForm, Status};
use balcao_tests::contract::tickets::move_to;
use balcao_web::{Op, Response};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

const OPENED: usize = 120;

/// An API Gateway HTTP API (payload 2.0) GET event, with the authorizer's
/// claims for a manager of `staff_of` when given.
fn get(path: &str, query: &str, staff_of: Option<&str>, accept: &str) -> lambda_http::Request {
    let mut e = json!({
        "version": "2.0", "routeKey": format!("GET {path}"), "rawPath": path, "rawQueryString": query,
        "headers": { "accept": accept, "host": "balcao.example.gov.br" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "balcao.example.gov.br",
            "domainPrefix": "balcao", "requestId": "r", "routeKey": format!("GET {path}"),
            "stage": "$default", "time": "30/Nov/2026:12:00:00 +0000", "timeEpoch": 1_796_040_000_000u64,
            "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t" }
        },
        "isBase64Encoded": false
    });
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    if !params.is_empty() {
        e["queryStringParameters"] = Value::Object(params);
    }
    if let Some(office) = staff_of {
        e["requestContext"]["authorizer"] = json!({ "jwt": { "claims": {
            "custom:office_id": office, "custom:role": "manager",
            "email": format!("gestor@{office}.example.com"), "name": "Gestora"
        }, "scopes": null } });
    }
    lambda_http::request::from_str(&e.to_string()).expect("API Gateway event")
}

fn json_of(r: &Response) -> Value {
    serde_json::from_slice(r.body().as_ref()).expect("JSON body")
}

/// Every page of `op` at `path`, `limit` at a time, following `next`; the
/// ids (or names) under `key` in the order the pages gave them.
async fn walk(
    app: &App,
    op: Op,
    path: &str,
    query: &str,
    staff_of: Option<&str>,
    limit: usize,
    key: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..=OPENED {
        let mut q = format!("{query}&limit={limit}");
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let r = op
            .handle(app, get(path, &q, staff_of, "application/json"))
            .await;
        assert_eq!(r.status(), 200, "{path}?{q}: {:?}", r.body());
        let page = json_of(&r);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit, "a page holds at most `limit`");
        seen.extend(items.iter().map(|i| i[key].as_str().expect(key).to_owned()));
        match page.get("next").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
    panic!("{path} never ended");
}

fn once(ids: &[String]) -> HashSet<String> {
    let set: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "no page repeats an item");
    set
}

async fn journey(store: Arc<dyn Store>) {
    let offices = balcao_local::seed::demo_offices();
    for o in &offices {
        store.put_office(o).await.expect("office");
    }
    let office = offices[0].clone();
    let other = offices
        .iter()
        .find(|o| o.uf == office.uf && o.id != office.id)
        .expect("a second office in the UF")
        .clone();
    // Thirty more offices in one city, for the directory.
    for i in 0..30 {
        let mut o: Office = office.clone();
        o.id = OfficeId::parse(&format!("cartorio-de-paginas-{i:02}")).expect("id");
        o.city = "Ribeirão Preto".into();
        o.name = format!("Cartório de Páginas {i:02}");
        store.put_office(&o).await.expect("office");
    }
    let app = balcao_tests::app_over(store.clone());

    let mut opened = Vec::new();
    for i in 0..OPENED {
        let raw = RawRequestForm {
            service: Some("contato".into()),
            name: Some("Maria das Páginas".into()),
            email: Some(format!("pagina{i}@example.com")),
            message: Some(format!("Pedido {i}")),
            consent: Some("true".into()),
            ..Default::default()
        };
        let t = open_request::open(&app, office.id.as_str(), &raw, &[], None)
            .await
            .expect("open");
        opened.push(t.id);
    }
    let mut requests = Vec::new();
    for id in &opened {
        let t = store.get_ticket(*id).await.expect("read").expect("ticket");
        requests.push(t.request);
    }
    // The queue's order: the opening's millisecond, then the id (two requests
    // opened in one millisecond are in id order, not by their nanoseconds).
    requests.sort_by_key(|r| (r.created_at.as_millisecond(), r.id));
    let sp = office.id.as_str();

    // The open queue, oldest first, in pages of 7 (the last one short).
    let queue = walk(
        &app,
        Op::StaffQueue,
        "/staff/requests",
        "",
        Some(sp),
        7,
        "id",
    )
    .await;
    let in_order: Vec<String> = requests.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(queue, in_order, "every request once, oldest first");
    once(&queue);

    // Twelve concluded and rated, ten released to the other offices of the UF.
    for r in &requests[..12] {
        move_to(&store, r, Status::Concluded, true).await;
    }
    for r in &requests[12..22] {
        move_to(&store, r, Status::Released, false).await;
    }
    let open = walk(
        &app,
        Op::StaffQueue,
        "/staff/requests",
        "",
        Some(sp),
        50,
        "id",
    )
    .await;
    assert_eq!(
        open,
        in_order[22..].to_vec(),
        "the open shelf keeps its order"
    );
    let closed = walk(
        &app,
        Op::StaffQueue,
        "/staff/requests",
        "status=closed",
        Some(sp),
        5,
        "id",
    )
    .await;
    assert_eq!(once(&closed), in_order[..22].iter().cloned().collect());
    let concluded = walk(
        &app,
        Op::StaffQueue,
        "/staff/requests",
        "status=concluded",
        Some(sp),
        4,
        "id",
    )
    .await;
    assert_eq!(once(&concluded), in_order[..12].iter().cloned().collect());

    let rated = walk(
        &app,
        Op::StaffRatings,
        "/staff/ratings",
        "",
        Some(sp),
        5,
        "id",
    )
    .await;
    assert_eq!(once(&rated), in_order[..12].iter().cloned().collect());

    // The pool as the other office sees it: the ten released, oldest first.
    let pool = walk(
        &app,
        Op::StaffPool,
        "/staff/pool",
        "",
        Some(other.id.as_str()),
        3,
        "id",
    )
    .await;
    assert_eq!(pool, in_order[12..22].to_vec());
    // The office that released them does not see its own.
    let own = walk(&app, Op::StaffPool, "/staff/pool", "", Some(sp), 3, "id").await;
    assert!(own.is_empty());

    // The directory of one city, by name, accents and case aside.
    let uf = office.uf.code();
    let names = walk(
        &app,
        Op::ListOffices,
        "/offices",
        &format!("uf={uf}&city=ribeirao%20preto"),
        None,
        4,
        "name",
    )
    .await;
    let expected: Vec<String> = (0..30)
        .map(|i| format!("Cartório de Páginas {i:02}"))
        .collect();
    assert_eq!(names, expected);

    // The page's "next" link is the JSON's `next`: the same second page.
    let first = Op::StaffQueue
        .handle(
            &app,
            get("/staff/requests", "limit=10", Some(sp), "text/html"),
        )
        .await;
    let html = String::from_utf8(first.body().to_vec()).expect("html");
    let href = html
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|h| h.split('"').next())
        .expect("a link to the next page")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(html.contains("Próximas solicitações"), "{html}");
    let (path, query) = href.split_once('?').expect("query");
    let second = Op::StaffQueue
        .handle(&app, get(path, query, Some(sp), "application/json"))
        .await;
    let second: Vec<String> = json_of(&second)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(second, in_order[32..42].to_vec());

    // Bad paging answers clearly and reads nothing.
    for q in [
        "limit=0",
        "limit=101",
        "limit=dez",
        "limit=",
        "cursor=%25%25",
    ] {
        let r = Op::StaffQueue
            .handle(
                &app,
                get("/staff/requests", q, Some(sp), "application/json"),
            )
            .await;
        assert_eq!(r.status(), 422, "{q}");
        let field = if q.starts_with("limit") {
            "limit"
        } else {
            "cursor"
        };
        assert!(json_of(&r)["error"]["fields"][field].is_string(), "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_over_http_on_sqlite() {
    journey(Arc::new(
        balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_over_http_on_dynamodb() {
    journey(Arc::new(balcao_tests::fresh_dynamo_store().await)).await;
}

//! "Minhas solicitações" (SPEC C10) over HTTP against the local runtime.

use balcao_tests::{RO_OFFICE, SP_OFFICE, TestApp, contact_request, first_link};
use serde_json::{Value, json};
use std::time::Duration;

async fn ask(app: &TestApp, email: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/my-requests"))
        .header("accept", "application/json")
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_gets_a_link_to_their_requests_across_offices() {
    let app = TestApp::spawn().await;
    let email = "varias@example.com";
    app.open_json(SP_OFFICE, &contact_request(email)).await;
    let mut ro = contact_request(email);
    ro["service"] = json!("contato");
    app.open_json(RO_OFFICE, &ro).await;
    app.open_json(SP_OFFICE, &contact_request("outra.pessoa@example.com"))
        .await;

    let (known_status, known) = ask(&app, email).await;
    let (unknown_status, unknown) = ask(&app, "ninguem@example.com").await;
    assert_eq!((known_status, unknown_status), (202, 202));
    assert_eq!(
        known, unknown,
        "the same answer whether or not the email is known"
    );

    let mail = app
        .wait_for_subject(email, "Suas solicitações no Balcão")
        .await;
    let path = app.local_path(&first_link(&mail.text).expect("link"));
    let (status, list) = app.get_json(&path).await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        2,
        "both of this citizen's requests, no one else's"
    );
    assert!(
        items
            .iter()
            .all(|i| i["status"] == "received" && i["unread"] == 0)
    );
    assert_eq!(
        items[0]["office"], "Tabelionato de Notas de Porto Velho",
        "newest first"
    );

    // The same secret opens each ticket.
    let ticket = items[1]["link"].as_str().expect("link");
    let (status, t) = app.get_json(ticket).await;
    assert_eq!(status, 200);
    assert_eq!(t["citizen"]["email"], email);
    // But not someone else's ticket.
    let k = path.split_once("k=").expect("secret").1;
    let (_, other) = app
        .open_json(SP_OFFICE, &contact_request("terceiro@example.com"))
        .await;
    let (status, _) = app
        .get_json(&format!(
            "/tickets/{}?k={k}",
            other["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 404);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        app.mailbox()
            .await
            .iter()
            .all(|m| m.to != "ninguem@example.com"),
        "no email to an unknown address"
    );
    let (_, page) = app.get_html(&path).await;
    assert!(page.contains("Minhas solicitações") && page.contains("Porto Velho"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_again_at_once_sends_no_second_email_and_bad_links_show_nothing() {
    let app = TestApp::spawn().await;
    let email = "insistente@example.com";
    app.open_json(SP_OFFICE, &contact_request(email)).await;
    for _ in 0..3 {
        assert_eq!(ask(&app, email).await.0, 202);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let links = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == email && m.subject == "Suas solicitações no Balcão")
        .count();
    assert_eq!(links, 1, "one email per address in the throttle window");
    let (status, err) = ask(&app, "não é email").await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["email"].is_string());
    let (status, _) = app
        .get_json("/my-requests?k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    assert_eq!(status, 404);
    let (status, form) = app.get_html("/my-requests").await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"email\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_no_longer_works() {
    let start: jiff::Timestamp = "2026-11-20T12:00:00Z".parse().expect("ts");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let email = "tarde@example.com";
    app.open_json(SP_OFFICE, &contact_request(email)).await;
    ask(&app, email).await;
    app.client
        .post(app.url("/_dev/clock"))
        .json(&json!({"advance_minutes": 0}))
        .send()
        .await
        .expect("clock");
    let mail = app
        .wait_for_subject(email, "Suas solicitações no Balcão")
        .await;
    let path = app.local_path(&first_link(&mail.text).expect("link"));
    assert_eq!(app.get_json(&path).await.0, 200);
    app.client
        .post(app.url("/_dev/clock"))
        .json(&json!({"advance_minutes": 24 * 60 + 1}))
        .send()
        .await
        .expect("clock");
    assert_eq!(app.get_json(&path).await.0, 404);
}

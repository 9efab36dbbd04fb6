//! Staff over HTTP against the local runtime: sign-in, the office-scoped queue,
//! one request, replies, and no leak across offices.

use balcao_tests::{CPF, RO_OFFICE, SP_OFFICE, TestApp, contact_request, first_link};
use balcao_web::ROUTES;
use serde_json::{Value, json};

const SP_ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const RO_ATTENDANT: &str = "paula@tabelionato-porto-velho.example.com";

async fn login(app: &TestApp, email: &str) -> String {
    app.staff_login(email).await
}

async fn staff_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .header("accept", "application/json")
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn staff_post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.post_json(path, Some(token), &body).await
}

async fn open(app: &TestApp, office: &str, email: &str, priority: bool) -> (String, String) {
    let mut body = contact_request(email);
    body["priority"] = json!(priority);
    let (status, opened) = app.open_json(office, &body).await;
    assert_eq!(status, 201, "{opened}");
    let url = opened["ticket_url"].as_str().expect("url").to_owned();
    (opened["id"].as_str().expect("id").to_owned(), url)
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id).replace("{office}", SP_OFFICE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_routes_need_a_sign_in() {
    let app = TestApp::spawn().await;
    for route in ROUTES.iter().filter(|r| r.is_staff()) {
        let url = app.url(&concrete(route.path, "01JD0000000000000000000000"));
        let r = app
            .client
            .request(route.method.clone(), url)
            .header("accept", "application/json")
            .send()
            .await
            .expect("call");
        assert_eq!(r.status().as_u16(), 401, "{} {}", route.method, route.path);
        let r = app
            .client
            .request(route.method.clone(), app.url(&concrete(route.path, "x")))
            .header("accept", "application/json")
            .bearer_auth("forged-token")
            .send()
            .await
            .expect("call");
        assert_eq!(r.status().as_u16(), 401, "a made-up token is refused");
    }
    let r = app
        .client
        .post(app.url("/_dev/login"))
        .header("accept", "application/json")
        .json(&json!({"email": "intruso@example.com"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_is_the_office_s_own_priority_first_with_unread_marks() {
    let app = TestApp::spawn().await;
    let (older, _) = open(&app, SP_OFFICE, "antigo@example.com", false).await;
    let (urgent, _) = open(&app, SP_OFFICE, "urgente@example.com", true).await;
    let (elsewhere, _) = open(&app, RO_OFFICE, "rondonia@example.com", false).await;
    let token = login(&app, SP_ATTENDANT).await;
    let (status, queue) = staff_get(&app, &token, "/staff/requests").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![urgent.as_str(), older.as_str()],
        "legal priority first, then oldest; only this office"
    );
    assert!(!ids.contains(&elsewhere.as_str()));
    assert!(
        queue["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["unread"] == true),
        "new requests await the office"
    );

    let (_, only_priority) = staff_get(&app, &token, "/staff/requests?priority=true").await;
    assert_eq!(only_priority["items"].as_array().expect("items").len(), 1);
    let (_, received) = staff_get(
        &app,
        &token,
        "/staff/requests?status=received&service=contato",
    )
    .await;
    assert_eq!(received["items"].as_array().expect("items").len(), 2);
    let (_, none) = staff_get(&app, &token, "/staff/requests?status=concluded").await;
    assert!(none["items"].as_array().expect("items").is_empty());
    let (status, bad) = staff_get(&app, &token, "/staff/requests?status=voando").await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["status"].is_string());

    let (status, one) = staff_get(&app, &token, &format!("/staff/requests/{older}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        one["citizen"]["document"], "529.982.247-25",
        "staff see the whole CPF the citizen sent: {CPF}"
    );
    assert_eq!(
        one["details"]["message"],
        "Qual o prazo para uma escritura?"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_office_sees_nothing_of_this_one_on_any_staff_route() {
    let app = TestApp::spawn().await;
    let file = app
        .upload(
            &format!("/offices/{SP_OFFICE}/attachments"),
            None,
            "sigilo.txt",
            b"segredo do cidadao",
        )
        .await
        .expect("upload");
    let file_id = file.split(':').next().expect("id").to_owned();
    let mut body = contact_request("sigilo.sp@example.com");
    body["attachments"] = json!([file]);
    let (status, opened) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_str().expect("id").to_owned();
    let foreign = login(&app, RO_ATTENDANT).await;
    for route in ROUTES.iter().filter(|r| r.is_staff()) {
        let path = concrete(route.path, &id).replace("{file}", &file_id);
        let r = app
            .client
            .request(route.method.clone(), app.url(&path))
            .header("accept", "application/json")
            .bearer_auth(&foreign)
            .json(&json!({
                "message": "tentando",
                "action_key": "01JD0000000000000000000009",
                "attachments": [file],
                "name": "x.txt",
                "size": 3,
            }))
            .send()
            .await
            .expect("call");
        let status = r.status().as_u16();
        let body = r.text().await.expect("body");
        assert!(
            !body.contains(&id)
                && !body.contains("sigilo.sp@example.com")
                && !body.contains(&file_id),
            "{} {} leaked: {body}",
            route.method,
            route.path
        );
        // Routes naming a request answer as if it did not exist. Routes that act
        // on the caller's own office (a slot, a protocol, the settings) may
        // accept (201), refuse the made-up body (422) or the attendant's role (403).
        let own_office = !route.path.contains("{id}");
        assert!(
            matches!(status, 200 | 404) || (own_office && matches!(status, 201 | 403 | 422)),
            "{} {}: {status}",
            route.method,
            route.path
        );
    }
    // And nothing was written: the ticket still has only its opening.
    let own = login(&app, SP_ATTENDANT).await;
    let (_, t) = staff_get(&app, &own, &format!("/staff/requests/{id}")).await;
    assert_eq!(t["history"].as_array().expect("history").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_and_staff_exchange_messages_with_marks_that_clear() {
    let app = TestApp::spawn().await;
    let citizen = "dialogo@example.com";
    let (id, first_link_url) = open(&app, SP_OFFICE, citizen, false).await;
    let token = login(&app, SP_ATTENDANT).await;
    let key = "01JD00000000000000000000A1";
    for _ in 0..2 {
        let (status, t) = staff_post(
            &app,
            &token,
            &format!("/staff/requests/{id}/messages"),
            json!({"message": "Traga o RG original.", "action_key": key}),
        )
        .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(
            t["history"].as_array().expect("history").len(),
            2,
            "one reply although sent twice"
        );
    }
    let (_, queue) = staff_get(&app, &token, "/staff/requests").await;
    assert_eq!(queue["items"][0]["unread"], false, "answered");

    // The citizen is emailed a fresh link; the first one still works too.
    let mails = app.wait_for_mail(citizen).await;
    let reply_mail = app.wait_for_subject(citizen, "Resposta do cartório").await;
    assert!(!mails.is_empty());
    assert!(
        reply_mail.text.contains("Traga o RG original.") && reply_mail.text.contains("Paula Souza")
    );
    let link = first_link(&reply_mail.text).expect("link");
    assert_ne!(link, first_link_url, "a fresh secret");
    let base = app.running.base_url();
    let (_, page) = app.get_html(link.strip_prefix(&base).expect("local")).await;
    assert!(
        page.contains("Nova resposta"),
        "the reply is marked until the citizen acts"
    );
    for url in [link.as_str(), first_link_url.as_str()] {
        let (status, t) = app.get_json(url.strip_prefix(&base).expect("local")).await;
        assert_eq!(status, 200);
        assert_eq!(t["unread_replies"], 1);
        let history = t["history"].as_array().expect("history");
        assert_eq!(history[1]["author"], "Paula Souza");
        assert_eq!(history[1]["text"], "Traga o RG original.");
    }

    // Reading the page changes nothing; the page's POST marks the replies read, once.
    let k0 = link.split_once("?k=").expect("secret").1;
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k0}")).await;
    assert!(
        page.contains(&format!("action=\"/tickets/{id}/read\""))
            && page.contains("Marcar como lidas")
    );
    let (_, still) = app.get_json(&format!("/tickets/{id}?k={k0}")).await;
    assert_eq!(still["unread_replies"], 1, "a GET never changes anything");
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url(&format!("/tickets/{id}/read")))
            .header("accept", "application/json")
            .json(&json!({ "k": k0 }))
            .send()
            .await
            .expect("read");
        assert_eq!(r.status().as_u16(), 200);
        let t: Value = r.json().await.expect("json");
        assert_eq!(t["unread_replies"], 0);
        // The citizen's own reading is the office's record, not theirs.
        assert!(
            t["history"]
                .as_array()
                .expect("history")
                .iter()
                .all(|e| e["kind"] != "read")
        );
        let (_, t) = staff_get(&app, &token, &format!("/staff/requests/{id}")).await;
        let kinds: Vec<&str> = t["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            vec!["opened", "message", "read"],
            "read once, recorded once"
        );
    }
    let (_, queue) = staff_get(&app, &token, "/staff/requests").await;
    assert_eq!(
        queue["items"][0]["unread"], false,
        "reading is not a message to the office"
    );

    // The citizen answers: the office sees the mark again.
    let k = link.split_once("?k=").expect("secret").1;
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/messages")))
        .header("accept", "application/json")
        .json(&json!({"k": k, "message": "Combinado."}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let (_, queue) = staff_get(&app, &token, "/staff/requests").await;
    assert_eq!(queue["items"][0]["unread"], true);
    let (_, seen) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(
        seen["unread_replies"], 0,
        "answering clears the citizen's mark"
    );

    let (status, page) = {
        let r = app
            .client
            .get(app.url(&format!("/staff/requests/{id}")))
            .header("accept", "text/html")
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        (r.status().as_u16(), r.text().await.expect("page"))
    };
    assert_eq!(status, 200);
    assert!(page.contains("Combinado.") && page.contains("Responder ao cidadão"));
}

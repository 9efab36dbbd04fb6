//! The citizen's actions on the ticket page, over HTTP against the local runtime.

use balcao_tests::{SP_OFFICE, TestApp, contact_request};
use serde_json::{Value, json};
use std::time::Duration;

/// Opens a ticket; answers its id and secret.
async fn open(app: &TestApp, email: &str) -> (String, String) {
    let (status, opened) = app.open_json(SP_OFFICE, &contact_request(email)).await;
    assert_eq!(status, 201);
    let url = opened["ticket_url"].as_str().expect("url");
    let (_, k) = url.split_once("?k=").expect("secret");
    (opened["id"].as_str().expect("id").to_owned(), k.to_owned())
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

const OFFICE_EMAIL: &str = "atendimento@1tabeliao-sp.example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_message_joins_the_history_and_notifies_the_office_once() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "conversa@example.com").await;
    let key = "01JD0000000000000000000001";
    let body = json!({"k": k, "message": "Posso levar o documento amanhã?", "action_key": key});
    for _ in 0..2 {
        let (status, ticket) = post(&app, &format!("/tickets/{id}/messages"), body.clone()).await;
        assert_eq!(status, 200, "{ticket}");
        let history = ticket["history"].as_array().expect("history");
        assert_eq!(
            history.len(),
            2,
            "a repeated submission records one message"
        );
        assert_eq!(history[1]["kind"], "message");
        assert_eq!(history[1]["text"], "Posso levar o documento amanhã?");
        assert_eq!(
            ticket["status"], "received",
            "a message does not change the status"
        );
    }
    let mails = app.wait_for_mail(OFFICE_EMAIL).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let office_mails: Vec<_> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == OFFICE_EMAIL && m.subject.starts_with("Nova mensagem"))
        .collect();
    assert_eq!(office_mails.len(), 1, "{mails:?}");
    assert!(
        office_mails[0]
            .subject
            .contains("Nova mensagem na solicitação nº 1")
    );
    assert!(
        office_mails[0]
            .text
            .contains("Posso levar o documento amanhã?")
    );

    let (status, err) = post(
        &app,
        &format!("/tickets/{id}/messages"),
        json!({"k": k, "message": "  "}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["message"].is_string());
    let (status, _) = post(
        &app,
        &format!("/tickets/{id}/messages"),
        json!({"k": "errado", "message": "oi"}),
    )
    .await;
    assert_eq!(
        status, 404,
        "a wrong secret reveals nothing and changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_is_final_and_safe_to_repeat() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "cancela@example.com").await;
    let body = json!({"k": k, "action_key": "01JD0000000000000000000002"});
    for _ in 0..2 {
        let (status, ticket) = post(&app, &format!("/tickets/{id}/cancel"), body.clone()).await;
        assert_eq!(status, 200, "{ticket}");
        assert_eq!(ticket["status"], "cancelled");
        assert_eq!(ticket["status_label"], "Cancelada");
    }
    let (status, err) = post(
        &app,
        &format!("/tickets/{id}/messages"),
        json!({"k": k, "message": "ainda aí?"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "not_allowed");
    let (status, err) = post(&app, &format!("/tickets/{id}/close"), json!({"k": k})).await;
    assert_eq!(status, 409, "{err}");
    let (_, ticket) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(ticket["history"].as_array().expect("history").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_as_solved_from_the_page_adds_the_message_and_redirects() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "resolvido@example.com").await;
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(
        page.contains("Concluir atendimento")
            && page.contains("Cancelar solicitação")
            && page.contains("Enviar mensagem")
    );
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/close")))
        .header("accept", "text/html")
        .form(&[
            ("k", k.as_str()),
            ("message", "Obrigada, resolvido."),
            ("action_key", "01JD0000000000000000000003"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (status, page) = app.get_html(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Encerrada pelo cidadão"));
    assert!(
        page.contains("Atendimento concluído pelo cidadão.")
            && page.contains("Obrigada, resolvido.")
    );
    assert!(
        !page.contains("Enviar mensagem ao cartório"),
        "no actions after closing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_page_never_changes_anything() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "leitor@example.com").await;
    let (_, before) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    for _ in 0..3 {
        app.get_html(&format!("/tickets/{id}?k={k}")).await;
    }
    let (_, after) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(before, after);
    let r = app
        .client
        .get(app.url(&format!("/tickets/{id}/cancel?k={k}")))
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status().as_u16(),
        405,
        "actions are POST only; a mail scanner's GET does nothing"
    );
    let (_, still) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(still["status"], "received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_can_switch_off_emails_for_new_requests_and_messages() {
    use balcao_app::Store;
    let app = TestApp::spawn().await;
    let mut office = balcao_local::seed::demo_offices().remove(0);
    office.notifications = balcao_core::Notifications {
        new_request: false,
        citizen_message: false,
    };
    app.running
        .store
        .put_office(&office)
        .await
        .expect("configure");
    let (id, k) = open(&app, "quieto@example.com").await;
    let (status, _) = post(
        &app,
        &format!("/tickets/{id}/messages"),
        json!({"k": k, "message": "Oi"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, &format!("/tickets/{id}/cancel"), json!({"k": k})).await;
    assert_eq!(status, 200);
    let office_mails = {
        app.wait_for_mail(OFFICE_EMAIL).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.mailbox()
            .await
            .into_iter()
            .filter(|m| m.to == OFFICE_EMAIL)
            .collect::<Vec<_>>()
    };
    let subjects: Vec<&str> = office_mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].contains("cancelada"),
        "a cancellation is always told: {subjects:?}"
    );
}

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
    // The page asks first: nothing is done until the citizen confirms.
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
    assert_eq!(r.status().as_u16(), 200);
    let asking = r.text().await.expect("page");
    assert!(asking.contains("Concluir o atendimento?"));
    assert!(asking.contains("name=\"confirm\" value=\"true\""));
    assert!(
        asking.contains("value=\"Obrigada, resolvido.\""),
        "the note is carried"
    );
    let (_, still) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(still["status"], "received");
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/close")))
        .header("accept", "text/html")
        .form(&[
            ("k", k.as_str()),
            ("message", "Obrigada, resolvido."),
            ("action_key", "01JD0000000000000000000003"),
            ("confirm", "true"),
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
        page.contains("Atendimento concluído. Obrigado!"),
        "says what happened"
    );
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
    use balcao_app::Offices;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_notices_about_messages_are_coalesced_and_list_what_arrived() {
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-23T13:00:00Z".parse().expect("instant"));
    })
    .await;
    let (id, k) = open(&app, "muitas@example.com").await;
    let notices = async || {
        app.mailbox()
            .await
            .into_iter()
            .filter(|m| m.to == OFFICE_EMAIL && m.text.contains("muitas mensagens"))
            .count()
    };
    for i in 0..50 {
        let text = format!("Mensagem {i} de muitas mensagens");
        let (status, t) = post(
            &app,
            &format!("/tickets/{id}/messages"),
            json!({ "k": k, "message": text }),
        )
        .await;
        assert_eq!(status, 200, "{t}");
    }
    // The first goes at once; the other 49 wait for the window to end.
    app.wait_for_subject(OFFICE_EMAIL, "Nova mensagem").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(notices().await, 1, "one notice, not 50");
    app.advance_minutes(10).await;
    let batch = app
        .wait_for_subject(OFFICE_EMAIL, "49 nova(s) mensagem(ns)")
        .await;
    assert!(
        batch.text.contains("Mensagem 1 de muitas") && batch.text.contains("Mensagem 49 de muitas"),
        "{}",
        batch.text
    );
    // Firing again (late or repeated) sends nothing more.
    app.advance_minutes(30).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(notices().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_five_new_requests_per_email_an_hour() {
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-23T13:00:00Z".parse().expect("instant"));
    })
    .await;
    let victim = "vitima.bomba@example.com";
    for i in 0..5 {
        let mut body = contact_request(victim);
        body["idempotency_key"] = json!(format!("pedido-numero-{i}"));
        // Different requests (the same text again would be the first one sent again).
        body["message"] = json!(format!("Pergunta número {i}"));
        let (status, answer) = app.open_json(SP_OFFICE, &body).await;
        assert_eq!(status, 201, "{answer}");
        // A retry of the same submission is not a new request.
        assert_eq!(app.open_json(SP_OFFICE, &body).await.0, 201);
    }
    // The sixth, at another office, is refused with a clear answer, and nothing is sent.
    let r = app
        .client
        .post(app.url(&format!("/offices/{}/requests", balcao_tests::RO_OFFICE)))
        .header("accept", "application/json")
        .json(&contact_request(victim))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert!(
        body["error"]["fields"]["email"]
            .as_str()
            .expect("beside the email")
            .contains("Tente de novo em"),
        "{body}"
    );
    // The HTML form comes back with what was typed.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&[
            ("service", "contato"),
            ("name", "Maria da Silva"),
            ("email", victim),
            ("message", "Texto que não se perde"),
            ("consent", "true"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 429);
    let page = r.text().await.expect("page");
    assert!(page.contains("Texto que não se perde"), "{page}");
    app.wait_for_mail(victim).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_victim = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == victim)
        .count();
    assert_eq!(to_victim, 5, "five confirmations, no more");
    // Other addresses are not affected, and an hour later the victim may write again.
    assert_eq!(
        app.open_json(SP_OFFICE, &contact_request("outra.pessoa@example.com"))
            .await
            .0,
        201
    );
    app.advance_minutes(61).await;
    assert_eq!(
        app.open_json(SP_OFFICE, &contact_request(victim)).await.0,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_or_secret_with_a_trailing_newline_is_no_server_error() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "quebra@example.com").await;
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}%0A/messages")))
        .header("accept", "text/html")
        .form(&[("k", format!("{k}\n")), ("message", "Olá".to_owned())])
        .send()
        .await
        .expect("post");
    assert!(r.status().as_u16() < 500, "{}", r.status());
    if r.status().as_u16() == 303 {
        let location = r.headers()["location"].to_str().expect("location");
        assert!(
            location.starts_with(&format!("/tickets/{id}?k=")),
            "{location}"
        );
        let (status, _) = app.get_html(location).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let (id, k) = open(&app, "cabecalhos@example.com").await;
    for path in [
        "/".to_owned(),
        format!("/offices/{SP_OFFICE}"),
        format!("/tickets/{id}?k={k}"),
        "/_dev/mailbox".to_owned(),
        "/nada-aqui".to_owned(),
    ] {
        let r = app.client.get(app.url(&path)).send().await.expect("get");
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {path}"))
            .to_str()
            .expect("csp");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
    // The page's inline scripts are exactly those the policy allows by hash.
    let r = app
        .client
        .get(app.url(&format!("/tickets/{id}?k={k}")))
        .send()
        .await
        .expect("get");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    let page = r.text().await.expect("page");
    for script in page.split("<script>").skip(1) {
        let body = script.split("</script>").next().expect("closed");
        let hash = base64_sha256(body);
        assert!(csp.contains(&hash), "script not allowed by the CSP: {hash}");
    }
}

fn base64_sha256(s: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_and_submit_again_leads_to_the_request_already_open() {
    let app = TestApp::spawn().await;
    let email = "repetida@example.com";
    let mut body = contact_request(email);
    body["idempotency_key"] = json!("01JD00000000000000000000R1");
    let (status, first) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{first}");
    // The form fetched again carries a new key; the request is the same.
    body["idempotency_key"] = json!("01JD00000000000000000000R2");
    let (status, again) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "already_opened");
    let said = again["error"]["fields"]["message"]
        .as_str()
        .expect("beside the message");
    assert!(said.contains(&format!("nº {}", first["number"])), "{said}");
    assert!(!said.contains(email), "the address is masked: {said}");
    // The page says it beside the message, keeping what was typed.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .form(&[
            ("service", "contato"),
            ("name", "Maria da Silva"),
            ("email", email),
            ("document", balcao_tests::CPF),
            ("mobile", "(11) 98765-4321"),
            ("message", "Qual o prazo para uma escritura?"),
            ("consent", "true"),
            ("idempotency_key", "01JD00000000000000000000R3"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("Você já enviou esta solicitação há pouco"),
        "{page}"
    );
    // The retry of the first submission still answers its ticket.
    body["idempotency_key"] = json!("01JD00000000000000000000R1");
    let (status, replay) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!((status, &replay["id"]), (201, &first["id"]));
    // Another question is another request.
    body["idempotency_key"] = json!("01JD00000000000000000000R4");
    body["message"] = json!("E o valor dos emolumentos?");
    assert_eq!(app.open_json(SP_OFFICE, &body).await.0, 201);
}

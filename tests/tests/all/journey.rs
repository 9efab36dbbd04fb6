//! Journeys over HTTP against the whole local runtime.

use balcao_tests::{CPF, RO_OFFICE, SP_OFFICE, TestApp, contact_request, days_ahead, first_link};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_chooses_an_office_opens_a_request_and_follows_the_email_link() {
    let app = TestApp::spawn().await;

    let (status, home) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("São Paulo (SP)") && home.contains("name=\"uf\""));

    let (status, list) = app.get_json("/offices?uf=SP").await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().expect("items");
    let ids: BTreeSet<&str> = items.iter().filter_map(|o| o["id"].as_str()).collect();
    assert!(ids.contains(SP_OFFICE));
    assert!(
        items
            .iter()
            .all(|o| o["uf"] == "SP" && o["cns"].is_string() && o["timezone"].is_string())
    );
    let (_, campinas) = app.get_json("/offices?uf=sp&city=campinas").await;
    assert_eq!(campinas["items"].as_array().expect("items").len(), 1);
    assert_eq!(campinas["items"][0]["city"], "Campinas");
    let (status, bad_uf) = app.get_json("/offices?uf=XX").await;
    assert_eq!(status, 422);
    assert!(bad_uf["error"]["fields"]["uf"].is_string());
    let (status, cities_page) = app.get_html("/offices?uf=SP").await;
    assert_eq!(status, 200);
    assert!(
        cities_page.contains("Campinas") && cities_page.contains(&format!("/offices/{SP_OFFICE}"))
    );

    let (status, card) = app.get_json(&format!("/offices/{SP_OFFICE}")).await;
    assert_eq!(status, 200);
    let kinds: BTreeSet<&str> = card["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "contact",
            "appointment",
            "protocol_lookup",
            "whatsapp",
            "certificate"
        ])
    );
    let appointment = card["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["kind"] == "appointment")
        .expect("appointment");
    assert_eq!(appointment["fields"]["date"], "required");
    assert_eq!(appointment["fields"]["name"], "required");
    let (_, card_html) = app.get_html(&format!("/offices/{SP_OFFICE}")).await;
    for needle in [
        "CNS",
        "123456",
        "Ana Beatriz Figueiredo",
        "01008-000",
        "https://wa.me/5511988881000",
        "Segunda",
    ] {
        assert!(card_html.contains(needle), "office card shows {needle}");
    }

    let (status, form) = app
        .get_html(&format!(
            "/offices/{SP_OFFICE}/requests/new?service=contato"
        ))
        .await;
    assert_eq!(status, 200);
    for needle in [
        "name=\"name\"",
        "name=\"email\"",
        "name=\"document\"",
        "name=\"idempotency_key\"",
        "name=\"consent\"",
    ] {
        assert!(form.contains(needle), "form has {needle}");
    }
    assert!(
        !form.contains("name=\"date\""),
        "hidden fields are not shown"
    );

    // A browser posts the form and is redirected to the ticket page.
    let email = "maria.journey@example.com";
    let posted = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&[
            ("service", "contato"),
            ("sector", "notas"),
            ("name", "Maria da Silva"),
            ("email", email),
            ("document", CPF),
            ("mobile", "(11) 98765-4321"),
            ("protocol", "123.456/2026"),
            ("priority", "true"),
            ("message", "Qual o prazo para uma escritura?"),
            ("consent", "true"),
            ("idempotency_key", "01JBROWSERFORMKEY0000000001"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status().as_u16(), 303);
    let location = posted.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with("/tickets/") && location.contains("k="));
    let (status, page) = app.get_html(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Solicitação enviada"));
    assert!(
        page.contains("***.982.247-**") && !page.contains("529.982.247-25"),
        "the CPF is masked"
    );
    assert!(
        page.contains("Notas")
            && page.contains("123.456/2026")
            && page.contains("Atendimento prioritário")
    );

    // The email has the ticket link at its top, in both bodies.
    let mails = app.wait_for_mail(email).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.subject.contains("nº 1"), "{}", mail.subject);
    let first_line = mail.text.lines().next().expect("text");
    assert!(first_line.contains("Acompanhe"), "link first: {first_line}");
    let link = first_link(&mail.text).expect("link in text");
    assert_eq!(first_link(&mail.html).expect("link in html"), link);
    assert!(
        mail.text.contains("1º Tabelião de Notas de São Paulo") && mail.text.contains("CNS 123456")
    );
    assert!(mail.text.contains("***.982.247-**") && !mail.text.contains("529.982.247-25"));

    let path = link
        .strip_prefix(&app.running.base_url())
        .expect("link to this site");
    let (status, ticket) = app.get_json(path).await;
    assert_eq!(status, 200);
    assert_eq!(ticket["number"], 1);
    assert_eq!(ticket["status"], "received");
    assert_eq!(ticket["status_label"], "Recebida");
    assert_eq!(ticket["office"]["id"], SP_OFFICE);
    assert_eq!(ticket["office"]["cns"], "123456");
    assert_eq!(ticket["citizen"]["name"], "Maria da Silva");
    assert_eq!(ticket["citizen"]["document"], "***.982.247-**");
    assert_eq!(ticket["appointment"], Value::Null);
    assert_eq!(ticket["details"]["priority"], true);
    assert_eq!(ticket["consent"]["version"], "2026-07");
    assert!(ticket["consent"]["accepted_at"].is_string());
    let history = ticket["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["kind"], "opened");
    assert!(
        history[0]["at"].is_string()
            && history[0]["author"].is_string()
            && history[0]["text"].is_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_keeps_the_office_time_zone() {
    let app = TestApp::spawn().await;
    // A date within the booking horizon whenever the test runs.
    let day = days_ahead(45);
    let body = json!({
        "service": "agendamento", "name": "Pedro Alves", "email": "pedro@example.com",
        "document": "12.ABC.345/01DE-35", "mobile": "69 99999-1234",
        "date": day, "time": "10:30", "mode": "virtual", "consent": "on",
    });
    let (status, opened) = app.open_json(RO_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["status"], "received");
    let url = opened["ticket_url"].as_str().expect("url");
    let path = url
        .strip_prefix(&app.running.base_url())
        .expect("local link");
    let (_, ticket) = app.get_json(path).await;
    assert_eq!(
        ticket["appointment"],
        json!({"date": day, "time": "10:30", "mode": "virtual", "timezone": "America/Porto_Velho"})
    );
    assert_eq!(
        ticket["citizen"]["document"], "12.ABC.345/01DE-35",
        "a company's CNPJ is not personal data"
    );
    let mail = &app.wait_for_mail("pedro@example.com").await[0];
    let shown: jiff::civil::Date = day.parse().expect("date");
    assert!(
        mail.text
            .contains(&format!("{} às 10:30", shown.strftime("%d/%m/%Y")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_field_reports_its_own_error_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let appointment = || {
        json!({
            "service": "agendamento", "name": "Ana Lima", "email": "ana@example.com", "document": CPF,
            "mobile": "(11) 98765-4321", "date": days_ahead(40), "time": "09:00", "mode": "in_person", "consent": true,
        })
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("name", json!("1"), "caracteres"),
        ("name", Value::Null, "obrigatório"),
        ("email", json!("ana@"), "e-mail inválido"),
        ("document", json!("111.111.111-11"), "verificadores"),
        ("document", json!("12.ABC.345/01DE-36"), "verificadores"),
        ("document", json!("123"), "CPF"),
        ("mobile", json!("(11) 3333-4444"), "celular"),
        ("protocol", json!("abc"), "caracteres"),
        ("sector", json!("nope"), "setor"),
        ("attendant", json!("nope"), "atendente"),
        ("date", json!("2020-01-01"), "futuras"),
        ("date", json!("15/01/2027"), "AAAA-MM-DD"),
        ("time", json!("25:00"), "HH:MM"),
        ("mode", json!("carro"), "presencial"),
        ("message", json!("x".repeat(4001)), "4000"),
        ("message", json!("olá\u{0007}"), "caracteres"),
        ("priority", json!("talvez"), "sim ou não"),
        ("consent", json!(false), "privacidade"),
        ("service", json!("nao-existe"), "não oferece"),
        ("service", json!("whatsapp"), "WhatsApp"),
        ("idempotency_key", json!("x"), "idempotência"),
    ];
    for (field, value, expected) in cases {
        let mut body = appointment();
        body[field] = value.clone();
        let (status, answer) = app.open_json(SP_OFFICE, &body).await;
        assert_eq!(status, 422, "{field}={value}: {answer}");
        assert_eq!(answer["error"]["code"], "validation_failed");
        let message = answer["error"]["fields"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} named in {answer}"));
        assert!(message.contains(expected), "{field}: {message}");
    }
    // Nothing was stored: the next good request is number 1 and only its email went out.
    let (status, opened) = app.open_json(SP_OFFICE, &appointment()).await;
    assert_eq!(status, 201);
    assert_eq!(opened["number"], 1);
    app.wait_for_mail("ana@example.com").await;
    let office = app
        .wait_for_mail("atendimento@1tabeliao-sp.example.com")
        .await;
    assert!(
        office[0].subject.starts_with("Nova solicitação nº 1"),
        "the office hears of it: {}",
        office[0].subject
    );
    assert_eq!(
        app.mailbox().await.len(),
        2,
        "one to the citizen, one to the office"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_form_shows_errors_beside_fields_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&[
            ("service", "contato"),
            ("name", "Maria <Teste>"),
            ("email", "maria@"),
            ("message", "Minha dúvida"),
            ("idempotency_key", "01JKEEPTHISKEY000000000001"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.expect("page");
    assert!(page.contains("value=\"maria@\""), "typed email kept");
    assert!(page.contains("Minha dúvida"), "typed message kept");
    assert!(
        page.contains("Maria &#60;Teste&#62;") || page.contains("Maria &lt;Teste&gt;"),
        "kept and escaped"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"h-email e-email\""));
    assert!(page.contains("id=\"e-email\"") && page.contains("e-mail inválido"));
    assert!(page.contains("id=\"e-consent\""), "consent error shown");
    assert!(
        page.contains("value=\"01JKEEPTHISKEY000000000001\""),
        "same key, so a fixed resubmission is still one ticket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_secret_reveals_nothing() {
    let app = TestApp::spawn().await;
    let (_, opened) = app
        .open_json(SP_OFFICE, &contact_request("sigilo@example.com"))
        .await;
    let id = opened["id"].as_str().expect("id");
    let (s1, wrong) = app
        .get_json(&format!(
            "/tickets/{id}?k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ))
        .await;
    let (s2, missing) = app.get_json(&format!("/tickets/{id}")).await;
    let (s3, unknown) = app
        .get_json("/tickets/01JZZZZZZZZZZZZZZZZZZZZZZZ?k=abc")
        .await;
    let (s4, garbage) = app.get_json("/tickets/not-an-id?k=abc").await;
    assert_eq!((s1, s2, s3, s4), (404, 404, 404, 404));
    assert_eq!(
        wrong, unknown,
        "a wrong secret looks exactly like an unknown ticket"
    );
    assert_eq!(missing, garbage);
    assert_eq!(wrong["error"]["code"], "not_found");
    let (status, html) = app.get_html(&format!("/tickets/{id}?k=nope")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("sigilo@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_submissions_with_one_key_open_one_ticket_and_send_one_email() {
    let app = TestApp::spawn().await;
    let mut body = contact_request("pressa@example.com");
    body["idempotency_key"] = json!("double-click-key-0001");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url(&format!("/offices/{SP_OFFICE}/requests"));
            let body = body.clone();
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header("accept", "application/json")
                    .json(&body)
                    .send()
                    .await
                    .expect("post");
                (r.status().as_u16(), r.json::<Value>().await.expect("json"))
            })
        })
        .collect();
    let mut answers = BTreeSet::new();
    for t in tasks {
        let (status, answer) = t.await.expect("task");
        assert_eq!(status, 201, "{answer}");
        answers.insert((
            answer["id"].to_string(),
            answer["number"].to_string(),
            answer["ticket_url"].to_string(),
        ));
    }
    assert_eq!(
        answers.len(),
        1,
        "every answer names the same ticket and link: {answers:?}"
    );
    app.wait_for_mail("pressa@example.com").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails: Vec<_> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == "pressa@example.com")
        .collect();
    assert_eq!(mails.len(), 1);
    // The replayed link works: it carries the same secret.
    let (_, _, url) = answers.into_iter().next().expect("answer");
    let url: String = serde_json::from_str::<String>(&url).expect("string");
    let (status, _) = app
        .get_json(url.strip_prefix(&app.running.base_url()).expect("local"))
        .await;
    assert_eq!(status, 200);
    let (_, next) = app
        .open_json(SP_OFFICE, &contact_request("outra@example.com"))
        .await;
    assert_eq!(next["number"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_other_data_is_a_conflict() {
    let app = TestApp::spawn().await;
    let mut body = contact_request("conflito@example.com");
    body["idempotency_key"] = json!("reused-key-000001");
    assert_eq!(app.open_json(SP_OFFICE, &body).await.0, 201);
    body["message"] = json!("Outra pergunta");
    let (status, answer) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 409);
    assert_eq!(answer["error"]["code"], "idempotency_conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_outage_delays_the_email_but_never_loses_or_doubles_it() {
    let app = TestApp::spawn().await;
    app.running.local.mailbox.fail_next(3);
    let (status, _) = app
        .open_json(SP_OFFICE, &contact_request("paciente@example.com"))
        .await;
    assert_eq!(status, 201, "the ticket opens even while mail is down");
    let mails = app.wait_for_mail("paciente@example.com").await;
    assert_eq!(mails.len(), 1);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let to_citizen = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == "paciente@example.com")
        .count();
    assert_eq!(to_citizen, 1, "delivered once after the outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_forms_and_the_idempotency_header_work() {
    let app = TestApp::spawn().await;
    let boundary = "----balcaoBoundary42";
    let fields = [
        ("service", "contato"),
        ("name", "Rita Moreira"),
        ("email", "rita@example.com"),
        ("message", "Enviado como multipart"),
        ("consent", "true"),
    ];
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let mut ids = BTreeSet::new();
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
            .header("accept", "application/json")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("idempotency-key", "header-key-0000001")
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 201);
        ids.insert(r.json::<Value>().await.expect("json")["id"].to_string());
    }
    assert_eq!(ids.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_clear_json_errors() {
    let app = TestApp::spawn().await;
    let url = app.url(&format!("/offices/{SP_OFFICE}/requests"));
    let r = app
        .client
        .post(&url)
        .header("accept", "application/json")
        .header("content-type", "text/plain")
        .body("oi")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 415);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "unsupported_media_type"
    );
    let r = app
        .client
        .post(&url)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"]["code"],
        "bad_request"
    );
    let (status, answer) = app
        .open_json("nao-existe", &contact_request("x@example.com"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(answer["error"]["code"], "not_found");
    let (status, _) = app
        .get_html(&format!(
            "/offices/{SP_OFFICE}/requests/new?service=whatsapp"
        ))
        .await;
    assert_eq!(status, 404, "WhatsApp has no form");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manual_clock_moves_only_when_told() {
    let start: jiff::Timestamp = "2026-11-20T19:55:00Z".parse().expect("ts");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let post = |body: Value| {
        let client = app.client.clone();
        let url = app.url("/_dev/clock");
        async move {
            let r = client.post(url).json(&body).send().await.expect("post");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (status, moved) = post(json!({"advance_minutes": 90})).await;
    assert_eq!(status, 200);
    assert_eq!(moved["now"], "2026-11-20T21:25:00Z");
    let (_, set) = post(json!({"set": "2026-12-01T11:00:00Z"})).await;
    assert_eq!(set["now"], "2026-12-01T11:00:00Z");
    assert_eq!(post(json!({"advance_minutes": -5})).await.0, 422);
    assert_eq!(post(json!({"set": "amanhã"})).await.0, 422);
    assert_eq!(
        post(json!({"advance_minutes": 1, "set": "2026-12-01T11:00:00Z"}))
            .await
            .0,
        422
    );

    // Tickets opened now carry the manual time.
    let (_, opened) = app
        .open_json(SP_OFFICE, &contact_request("relogio@example.com"))
        .await;
    let path = opened["ticket_url"]
        .as_str()
        .expect("url")
        .strip_prefix(&app.running.base_url())
        .expect("local")
        .to_owned();
    let (_, ticket) = app.get_json(&path).await;
    assert_eq!(ticket["created_at"], "2026-12-01T11:00:00Z");

    let normal = TestApp::spawn().await;
    let r = normal
        .client
        .post(normal.url("/_dev/clock"))
        .json(&json!({"advance_minutes": 1}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 404, "no manual clock unless asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_page_is_readable_by_a_person() {
    let app = TestApp::spawn().await;
    app.open_json(SP_OFFICE, &contact_request("leitora@example.com"))
        .await;
    app.wait_for_mail("leitora@example.com").await;
    let (status, page) = app.get_html("/_dev/mailbox").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Caixa de e-mails local")
            && page.contains("leitora@example.com")
            && page.contains("Solicitação nº 1")
    );
}

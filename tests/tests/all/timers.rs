//! Timers on the local runtime with the manual clock (SPEC P1, S9, C12): the
//! start window of a certificate request ends in business time, in the office's
//! own time zone; it fires once however often it is delivered, and a decision
//! stops it.

use balcao_app::ports::Timer;
use balcao_app::timers::{Fired, fire};
use balcao_tests::{CPF, RO_OFFICE, SP_OFFICE, TestApp};
use jiff::Timestamp;
use serde_json::{Value, json};

fn certificate(email: &str) -> Value {
    json!({
        "service": "certificado-digital", "name": "Maria da Silva", "email": email,
        "document": CPF, "mobile": "(11) 98765-4321", "consent": true,
    })
}

async fn clock(app: &TestApp, body: Value) -> Value {
    let r = app
        .client
        .post(app.url("/_dev/clock"))
        .json(&body)
        .send()
        .await
        .expect("clock");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

async fn status(app: &TestApp, id: &str, k: &str) -> String {
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    t["status"].as_str().expect("status").to_owned()
}

/// The first line of the staff queue, as JSON.
async fn first_in_queue(app: &TestApp, staff: &str) -> Value {
    let r = app
        .client
        .get(app.url("/staff/requests"))
        .header("accept", "application/json")
        .bearer_auth(staff)
        .send()
        .await
        .expect("queue");
    r.json::<Value>().await.expect("json")["items"][0].clone()
}

/// A timer that already acted, delivered again late: nothing more happens.
async fn delivered_again_three_times(app: &TestApp, timer: &Timer) {
    for _ in 0..3 {
        let outcome = fire(&app.running.local.app, timer).await.expect("fire");
        assert_eq!(outcome, Fired::Ignored);
    }
}

fn id_and_secret(opened: &Value) -> (String, String) {
    let url = opened["ticket_url"].as_str().expect("url");
    (
        opened["id"].as_str().expect("id").to_owned(),
        url.split("k=").nth(1).expect("k").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friday_at_16_55_expires_on_monday_at_08_10_once() {
    // Friday 27/11/2026 16:55 in São Paulo.
    let start: Timestamp = "2026-11-27T19:55:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let email = "prazo@example.com";
    let (code, opened) = app.open_json(SP_OFFICE, &certificate(email)).await;
    assert_eq!(code, 201, "{opened}");
    let (id, k) = id_and_secret(&opened);
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(t["start_by"]["at"], "2026-11-30T11:10:00Z");
    assert_eq!(
        t["start_by"]["explanation"],
        "15 minutos úteis a partir de sex 27/11 16:55 → seg 30/11 08:10; sábado, domingo fora do expediente"
    );
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(
        page.contains("deve iniciar o atendimento até 30/11/2026 08:10"),
        "{page}"
    );

    // The queue counts down.
    let staff = app
        .staff_login("paula@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let queue = async |app: &TestApp| first_in_queue(app, &staff).await;
    let line = queue(&app).await;
    assert_eq!(line["start_by"], "30/11/2026 08:10");
    assert_eq!(
        line["minutes_left"],
        3 * 24 * 60 - 8 * 60 - 45,
        "wall-clock minutes until then"
    );

    // Monday 08:09: still waiting, and the office was warned at 08:05, once.
    clock(&app, json!({"set": "2026-11-30T11:09:00Z"})).await;
    assert_eq!(status(&app, &id, &k).await, "received");
    let warning = app
        .wait_for_subject(
            "atendimento@1tabeliao-sp.example.com",
            "Solicitação nº 1: o prazo para iniciar termina em 30/11 08:10",
        )
        .await;
    assert!(
        warning.text.contains("liberar a solicitação"),
        "{}",
        warning.text
    );
    assert_eq!(queue(&app).await["minutes_left"], 1);
    // 08:10: expired, and the citizen is told once.
    let moved = clock(&app, json!({"advance_minutes": 1})).await;
    assert_eq!(moved["timers_fired"], 1);
    assert_eq!(status(&app, &id, &k).await, "expired");
    let mail = app
        .wait_for_subject(email, "Solicitação nº 1 expirou")
        .await;
    assert!(
        mail.text
            .contains("liberar sua solicitação para outro cartório de São Paulo"),
        "{}",
        mail.text
    );

    // Delivered again, late, three times: nothing more happens.
    let timer = Timer::start_window(
        balcao_core::RequestId::parse(&id).expect("id"),
        "2026-11-30T11:10:00Z".parse().expect("due"),
        "America/Sao_Paulo",
    );
    delivered_again_three_times(&app, &timer).await;
    clock(&app, json!({"advance_minutes": 60})).await;
    let expiry_mails = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == email && m.subject.contains("expirou"))
        .count();
    assert_eq!(expiry_mails, 1);
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    let expiries = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["status"] == "expired")
        .count();
    assert_eq!(expiries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn porto_velho_keeps_its_own_time_zone_and_a_decision_stops_the_clock() {
    // 16:55 in São Paulo is 15:55 in Porto Velho: the window ends there at 16:10.
    let start: Timestamp = "2026-11-27T19:55:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let (_, opened) = app
        .open_json(RO_OFFICE, &certificate("ro@example.com"))
        .await;
    let (id, k) = id_and_secret(&opened);
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(
        t["start_by"]["at"], "2026-11-27T20:10:00Z",
        "16:10 in Porto Velho"
    );

    // Another request, decided in time: its timer is cancelled and nothing expires.
    let (_, decided) = app
        .open_json(SP_OFFICE, &certificate("decidido@example.com"))
        .await;
    let (decided_id, decided_k) = id_and_secret(&decided);
    let token = app
        .staff_login("paula@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let r = app
        .client
        .post(app.url(&format!("/staff/requests/{decided_id}/analysis")))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("analysis");
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .client
        .post(app.url(&format!("/staff/requests/{decided_id}/decision")))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .json(&json!({"decision": "create_record"}))
        .send()
        .await
        .expect("decide");
    assert_eq!(r.status().as_u16(), 200);
    let pending = app
        .running
        .store
        .due_timers("2030-01-01T00:00:00Z".parse().expect("far"), 10)
        .await
        .expect("timers");
    assert!(
        pending
            .iter()
            .all(|t| t.id != format!("expire-{decided_id}") && t.id != format!("warn-{decided_id}")),
        "both cancelled"
    );

    clock(&app, json!({"advance_minutes": 15})).await;
    assert_eq!(status(&app, &id, &k).await, "expired");
    clock(&app, json!({"set": "2026-12-01T12:00:00Z"})).await;
    assert_eq!(status(&app, &decided_id, &decided_k).await, "in_progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_request_is_released_and_another_office_of_the_uf_takes_it() {
    let start: Timestamp = "2026-11-27T19:55:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let email = "liberar@example.com";
    let (_, opened) = app.open_json(SP_OFFICE, &certificate(email)).await;
    let (id, k) = id_and_secret(&opened);
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/release")))
        .header("accept", "application/json")
        .json(&json!({"k": k}))
        .send()
        .await
        .expect("release");
    assert_eq!(r.status().as_u16(), 409, "not before it expires");
    clock(&app, json!({"set": "2026-11-30T11:10:00Z"})).await;
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(page.contains("Liberar para outros cartórios"));
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/release")))
        .header("accept", "application/json")
        .json(&json!({"k": k}))
        .send()
        .await
        .expect("release");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(status(&app, &id, &k).await, "released");

    let pool = |who: &'static str| {
        let app = &app;
        async move {
            let token = app.staff_login(who).await;
            let r = app
                .client
                .get(app.url("/staff/pool"))
                .header("accept", "application/json")
                .bearer_auth(&token)
                .send()
                .await
                .expect("pool");
            (token, r.text().await.expect("body"))
        }
    };
    let (campinas, seen) = pool("gestor@registro-imoveis-campinas.example.com").await;
    assert!(seen.contains(&id), "same UF: {seen}");
    assert!(
        !seen.contains(email) && !seen.contains("Maria"),
        "only what is needed to decide"
    );
    assert!(
        !pool("gestor@tabelionato-porto-velho.example.com")
            .await
            .1
            .contains(&id),
        "another UF"
    );
    assert!(
        !pool("gestor@1-tabeliao-notas-sao-paulo.example.com")
            .await
            .1
            .contains(&id),
        "its own office"
    );

    let r = app
        .client
        .post(app.url(&format!("/staff/pool/{id}/take")))
        .header("accept", "application/json")
        .bearer_auth(&campinas)
        .json(&json!({}))
        .send()
        .await
        .expect("take");
    assert_eq!(r.status().as_u16(), 200);
    let t: Value = r.json().await.expect("json");
    assert_eq!(t["status"], "received");
    assert_eq!(t["office"]["id"], "registro-imoveis-campinas");
    assert_eq!(t["number"], 1, "the taking office's own numbering");
    let statuses: Vec<&str> = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["received", "expired", "released", "received"],
        "history kept"
    );
    let moved = app
        .wait_for_subject(email, "Sua solicitação está agora com")
        .await;
    assert!(moved.text.contains("Campinas"), "{}", moved.text);
    assert!(
        !pool("gestor@registro-imoveis-campinas.example.com")
            .await
            .1
            .contains(&id),
        "gone from the pool"
    );
    // The citizen's old link still opens it.
    assert_eq!(status(&app, &id, &k).await, "received");
}

async fn schedule(app: &TestApp, office: &str, email: &str, day: &str) -> String {
    let body = json!({
        "service": "agendamento", "name": "Maria da Silva", "email": email, "document": CPF,
        "mobile": "(11) 98765-4321", "date": "2026-12-10", "time": "10:00", "mode": "in_person",
        "consent": true,
    });
    let (code, opened) = app.open_json(office, &body).await;
    assert_eq!(code, 201, "{opened}");
    let id = opened["id"].as_str().expect("id").to_owned();
    let token = app
        .staff_login(&format!("paula@{office}.example.com"))
        .await;
    for (path, body) in [
        ("analysis", json!({})),
        (
            "decision",
            json!({"decision": "approve", "attendant": "atendente-1"}),
        ),
        (
            "appointment",
            json!({"date": day, "time": "10:30", "mode": "in_person", "subject": "Escritura"}),
        ),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/staff/requests/{id}/{path}")))
            .header("accept", "application/json")
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    id
}

async fn reminders_to(app: &TestApp, email: &str) -> usize {
    app.mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == email && m.subject.starts_with("Lembrete"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_arrives_once_the_day_before_at_each_office_s_local_time() {
    let start: Timestamp = "2026-11-23T12:00:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let (sp, ro) = ("lembrete.sp@example.com", "lembrete.ro@example.com");
    schedule(&app, SP_OFFICE, sp, "2026-12-02").await;
    schedule(&app, RO_OFFICE, ro, "2026-12-02").await;
    // Rescheduled: only the reminder of the new date counts.
    let moved = "lembrete.mudou@example.com";
    let id = schedule(&app, SP_OFFICE, moved, "2026-12-02").await;
    let token = app
        .staff_login("rafael@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let r = app
        .client
        .post(app.url(&format!("/staff/requests/{id}/appointment")))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .json(&json!({"date": "2026-12-04", "time": "15:00", "mode": "in_person", "subject": "Escritura"}))
        .send()
        .await
        .expect("reschedule");
    assert_eq!(r.status().as_u16(), 200);

    // 08:59 in São Paulo the day before: nothing yet.
    clock(&app, json!({"set": "2026-12-01T11:59:00Z"})).await;
    assert_eq!(
        (reminders_to(&app, sp).await, reminders_to(&app, ro).await),
        (0, 0)
    );
    // 09:00 in São Paulo is 08:00 in Porto Velho: only São Paulo's.
    clock(&app, json!({"advance_minutes": 1})).await;
    assert_eq!(
        (reminders_to(&app, sp).await, reminders_to(&app, ro).await),
        (1, 0)
    );
    assert_eq!(
        reminders_to(&app, moved).await,
        0,
        "the old date's reminder is gone"
    );
    // 09:00 in Porto Velho.
    clock(&app, json!({"set": "2026-12-01T13:00:00Z"})).await;
    assert_eq!(
        (reminders_to(&app, sp).await, reminders_to(&app, ro).await),
        (1, 1)
    );
    let mail = app
        .mailbox()
        .await
        .into_iter()
        .find(|m| m.to == ro && m.subject.starts_with("Lembrete"))
        .expect("reminder");
    assert!(
        mail.text
            .contains("02/12/2026 às 10:30 (horário de Rondônia)"),
        "{}",
        mail.text
    );
    // The moved appointment is reminded the day before its new date, once.
    clock(&app, json!({"set": "2026-12-03T12:00:00Z"})).await;
    clock(&app, json!({"advance_minutes": 600})).await;
    assert_eq!(reminders_to(&app, moved).await, 1);
    assert_eq!(
        (reminders_to(&app, sp).await, reminders_to(&app, ro).await),
        (1, 1),
        "once each"
    );
}

/// The virtual counter answers within 24 business hours (seed 001, SPEC S9):
/// the clock runs from the citizen's oldest unanswered message, stops when the
/// office answers, and the office is warned once before it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_is_warned_before_the_24_business_hours_to_answer_end() {
    // Monday 23/11/2026 10:00 in São Paulo (open 08:00 to 17:00).
    let start: Timestamp = "2026-11-23T13:00:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let office_mail = "atendimento@1tabeliao-sp.example.com";
    let (code, opened) = app
        .open_json(
            SP_OFFICE,
            &balcao_tests::contact_request("balcao@example.com"),
        )
        .await;
    assert_eq!(code, 201, "{opened}");
    let (id, k) = id_and_secret(&opened);
    // 7 h on Monday, 9 on Tuesday, 8 on Wednesday: Wednesday 16:00.
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(t["reply_by"]["at"], "2026-11-25T19:00:00Z", "{t}");
    assert!(
        t["reply_by"]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("1440 minutos úteis a partir de seg 23/11 10:00 → qua 25/11 16:00")
    );
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(
        page.contains("deve responder até 25/11/2026 16:00"),
        "{page}"
    );
    let staff = app
        .staff_login("paula@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let line = first_in_queue(&app, &staff).await;
    assert_eq!(line["reply_by"], "25/11/2026 16:00", "{line}");

    let warnings = async |app: &TestApp| {
        app.mailbox()
            .await
            .into_iter()
            .filter(|m| m.to == office_mail && m.subject.contains("responda ao cidadão"))
            .count()
    };
    // A third of the window is left at Tuesday 17:00 (16 business hours in).
    clock(&app, json!({"set": "2026-11-24T19:59:00Z"})).await;
    assert_eq!(warnings(&app).await, 0);
    let moved = clock(&app, json!({"advance_minutes": 1})).await;
    assert_eq!(moved["timers_fired"], 1, "{moved}");
    let warning = app
        .wait_for_subject(
            office_mail,
            "Solicitação nº 1: responda ao cidadão até 25/11 16:00",
        )
        .await;
    assert!(warning.text.contains("horas úteis"), "{}", warning.text);
    // Delivered again, late: nothing more.
    let timer = Timer::reply_warning(
        balcao_core::RequestId::parse(&id).expect("id"),
        "2026-11-24T20:00:00Z".parse().expect("due"),
        "America/Sao_Paulo",
    );
    delivered_again_three_times(&app, &timer).await;
    clock(&app, json!({"advance_minutes": 120})).await;
    assert_eq!(warnings(&app).await, 1);

    // The office answers: the clock stops, and the citizen's next message starts it again.
    let (status, t) = app
        .post_json(
            &format!("/staff/requests/{id}/messages"),
            Some(&staff),
            &json!({"message": "Segue a resposta."}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["reply_by"], Value::Null);
    // Wednesday 10:00.
    clock(&app, json!({"set": "2026-11-25T13:00:00Z"})).await;
    let (status, t) = app
        .post_json(
            &format!("/tickets/{id}/messages"),
            None,
            &json!({"k": k, "message": "Obrigado, mais uma dúvida."}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    // Wed 7 h, Thu 9 h, Fri 8 h: Friday 16:00 (27/11).
    assert_eq!(t["reply_by"]["at"], "2026-11-27T19:00:00Z", "{t}");
    // A second message does not move the deadline: the oldest unanswered one counts.
    clock(&app, json!({"advance_minutes": 30})).await;
    let (_, t) = app
        .post_json(
            &format!("/tickets/{id}/messages"),
            None,
            &json!({"k": k, "message": "E outra."}),
        )
        .await;
    assert_eq!(t["reply_by"]["at"], "2026-11-27T19:00:00Z");
    // Its warning comes at Thursday 17:00.
    clock(&app, json!({"set": "2026-11-26T20:00:00Z"})).await;
    app.wait_for_subject(
        office_mail,
        "Solicitação nº 1: responda ao cidadão até 27/11 16:00",
    )
    .await;
    // Answered, asked again, answered before the warning: no warning comes.
    app.post_json(
        &format!("/staff/requests/{id}/messages"),
        Some(&staff),
        &json!({"message": "Respondido."}),
    )
    .await;
    let (_, t) = app
        .post_json(
            &format!("/tickets/{id}/messages"),
            None,
            &json!({"k": k, "message": "Última dúvida."}),
        )
        .await;
    assert!(t["reply_by"]["at"].is_string(), "{t}");
    let (_, t) = app
        .post_json(
            &format!("/staff/requests/{id}/messages"),
            Some(&staff),
            &json!({"message": "Respondida também."}),
        )
        .await;
    assert_eq!(t["reply_by"], Value::Null);
    let moved = clock(&app, json!({"set": "2026-12-07T12:00:00Z"})).await;
    assert_eq!(
        moved["timers_fired"], 0,
        "the warning was cancelled: {moved}"
    );
    assert_eq!(warnings(&app).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_delivered_after_the_appointment_began_is_not_sent() {
    let start: Timestamp = "2026-11-23T12:00:00Z".parse().expect("instant");
    let app = TestApp::spawn_with(|o| o.manual_clock = Some(start)).await;
    let email = "lembrete.atrasado@example.com";
    schedule(&app, SP_OFFICE, email, "2026-12-02").await;
    // The runtime was down until 11:00 of the day (10:30 in São Paulo has passed):
    // the day-before reminder fires now, late, and says nothing.
    clock(&app, json!({"set": "2026-12-02T14:00:00Z"})).await;
    assert_eq!(reminders_to(&app, email).await, 0);
}

//! Booking over HTTP on the local runtime with the manual clock (SPEC C4): the
//! slots offered follow the office's hours, zone, holidays, slot length,
//! capacity and lead time; a full slot is refused with a clear answer; cancel,
//! reject and expiry give the place back.

use balcao_tests::{CPF, RO_OFFICE, SP_OFFICE, TestApp};
use jiff::Timestamp;
use serde_json::{Value, json};

/// Thursday 19/11/2026 16:00 in São Paulo: Friday 20/11 is a national holiday.
const THURSDAY_4PM: &str = "2026-11-19T19:00:00Z";
const MANAGER: &str = "gestor@1-tabeliao-notas-sao-paulo.example.com";
const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";

/// The manager changes one section of the office's settings, over the version they read.
async fn configure(app: &TestApp, form: &[(&str, &str)]) {
    let manager = app.staff_login(MANAGER).await;
    let r = app
        .client
        .get(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(&manager)
        .send()
        .await
        .expect("settings");
    let version = r.json::<Value>().await.expect("json")["version"].to_string();
    let mut form = form.to_vec();
    form.push(("version", &version));
    let r = app
        .client
        .post(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(&manager)
        .form(&form)
        .send()
        .await
        .expect("configure");
    assert_eq!(r.status().as_u16(), 200);
}

async fn app_at(instant: &str) -> TestApp {
    let start: Timestamp = instant.parse().expect("instant");
    TestApp::spawn_with(|o| o.manual_clock = Some(start)).await
}

fn booking(email: &str, date: &str, time: &str) -> Value {
    json!({
        "service": "agendamento", "name": "Maria da Silva", "email": email,
        "document": CPF, "mobile": "(11) 98765-4321",
        "date": date, "time": time, "mode": "in_person", "consent": true,
    })
}

async fn slots(app: &TestApp, office: &str, query: &str) -> Value {
    let (status, s) = app
        .get_json(&format!(
            "/offices/{office}/services/agendamento/slots{query}"
        ))
        .await;
    assert_eq!(status, 200, "{s}");
    s
}

/// `(date + "T" + time, left)` of each open slot.
fn listed(s: &Value) -> Vec<(String, u64)> {
    s["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|x| {
            (
                format!(
                    "{}T{}",
                    x["date"].as_str().unwrap(),
                    x["time"].as_str().unwrap()
                ),
                x["left"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn left(s: &Value, key: &str) -> Option<u64> {
    listed(s)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, n)| n)
}

fn id_and_secret(opened: &Value) -> (String, String) {
    let url = opened["ticket_url"].as_str().expect("url");
    (
        opened["id"].as_str().expect("id").to_owned(),
        url.split("k=").nth(1).expect("k").to_owned(),
    )
}

async fn book(app: &TestApp, email: &str, date: &str, time: &str) -> (String, String) {
    let (status, opened) = app.open_json(SP_OFFICE, &booking(email, date, time)).await;
    assert_eq!(status, 201, "{opened}");
    id_and_secret(&opened)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_follow_hours_holidays_lead_time_and_capacity() {
    let app = app_at(THURSDAY_4PM).await;
    let s = slots(&app, SP_OFFICE, "?days=7").await;
    assert_eq!(s["timezone"], "America/Sao_Paulo");
    assert_eq!(s["from"], "2026-11-19", "today in the office's zone");
    assert_eq!(s["capacity"], 2);
    let all = listed(&s);
    // Thursday is past 16:00 + 2 h of lead time; Friday is Consciência Negra; then the weekend.
    assert_eq!(all[0], ("2026-11-23T08:00".to_owned(), 2));
    assert!(all.iter().all(|(k, _)| k.as_str() >= "2026-11-23"));
    let monday: Vec<&str> = all
        .iter()
        .filter(|(k, _)| k.starts_with("2026-11-23"))
        .map(|(k, _)| &k[11..])
        .collect();
    assert_eq!(
        monday.len(),
        18,
        "08:00 to 16:30 every 30 minutes: {monday:?}"
    );
    assert_eq!(monday.last(), Some(&"16:30"));
    assert_eq!(
        s["slots"][0]["starts_at"], "2026-11-23T11:00:00Z",
        "local 08:00 in São Paulo"
    );
    // Porto Velho's 08:00 is an hour later in UTC.
    let ro = slots(&app, RO_OFFICE, "?from=2026-11-23&days=1").await;
    assert_eq!(ro["slots"][0]["starts_at"], "2026-11-23T12:00:00Z");
    assert_eq!(ro["timezone"], "America/Porto_Velho");

    // Two places per slot: the third citizen is told it is full, and nothing is stored.
    book(&app, "a@example.com", "2026-11-23", "08:00").await;
    let (first_id, first_k) = book(&app, "b@example.com", "2026-11-23", "08:00").await;
    let (status, e) = app
        .open_json(SP_OFFICE, &booking("c@example.com", "2026-11-23", "08:00"))
        .await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "slot_full");
    assert!(
        e["error"]["fields"]["date"]
            .as_str()
            .unwrap()
            .contains("acabou de ser preenchido")
    );
    let (status, next) = app
        .open_json(SP_OFFICE, &booking("d@example.com", "2026-11-23", "08:30"))
        .await;
    assert_eq!(status, 201);
    assert_eq!(next["number"], 3, "the refused booking took no number");

    let s = slots(&app, SP_OFFICE, "?from=2026-11-23&days=1").await;
    assert_eq!(
        left(&s, "2026-11-23T08:00"),
        None,
        "full slots are not offered"
    );
    assert_eq!(left(&s, "2026-11-23T08:30"), Some(1));

    // Cancelling gives the place back.
    let (status, t) = app
        .post_json(
            &format!("/tickets/{first_id}/cancel"),
            None,
            &json!({"k": first_k}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["slot"], Value::Null);
    let s = slots(&app, SP_OFFICE, "?from=2026-11-23&days=1").await;
    assert_eq!(left(&s, "2026-11-23T08:00"), Some(1));
    // A retried cancel gives nothing more back.
    app.post_json(
        &format!("/tickets/{first_id}/cancel"),
        None,
        &json!({"k": first_k}),
    )
    .await;
    let s = slots(&app, SP_OFFICE, "?from=2026-11-23&days=1").await;
    assert_eq!(left(&s, "2026-11-23T08:00"), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_outside_the_offer_is_refused_with_the_reason() {
    let app = app_at(THURSDAY_4PM).await;
    let cases = [
        ("2026-11-23", "08:15", "time", "a cada 30 minutos"),
        ("2026-11-23", "18:00", "time", "fora do horário"),
        ("2026-11-21", "09:00", "date", "sábado"),
        ("2026-11-20", "09:00", "date", "Consciência Negra"),
        ("2026-11-19", "16:30", "date", "pelo menos 2 horas"),
        ("2026-11-19", "10:00", "date", "futuras"),
        ("2028-01-10", "09:00", "date", "até um ano"),
    ];
    for (date, time, field, reason) in cases {
        let (status, e) = app
            .open_json(SP_OFFICE, &booking("x@example.com", date, time))
            .await;
        assert_eq!(status, 422, "{date} {time}: {e}");
        let message = e["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{date} {time}: {e}");
    }
    let (status, e) = app
        .get_json(&format!(
            "/offices/{SP_OFFICE}/services/agendamento/slots?from=amanha"
        ))
        .await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["from"].is_string());
    let (status, _) = app
        .get_json(&format!("/offices/{SP_OFFICE}/services/contato/slots"))
        .await;
    assert_eq!(status, 404, "a service without appointments has no slots");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_offers_open_slots_and_a_full_one_comes_back_with_its_error() {
    let app = app_at(THURSDAY_4PM).await;
    let form = format!("/offices/{SP_OFFICE}/requests/new?service=agendamento");
    let (status, page) = app.get_html(&form).await;
    assert_eq!(status, 200);
    // Day first (one disclosure per day, the first open), then its times: no
    // script needed, the day stays visible beside the chosen time.
    assert!(
        page.contains("<summary>Segunda 23/11/2026 <span class=\"muted\">"),
        "{page}"
    );
    assert!(page.contains(r#"type="radio" name="slot" value="2026-11-23T08:00""#));
    assert!(page.contains(r#"value="2026-11-23T08:00""#));
    assert!(page.contains("08:00 (2 vagas)"));
    assert!(
        !page.contains(r#"name="time""#),
        "one choice of day and time"
    );
    assert!(!page.contains("2026-11-20T"), "the holiday offers nothing");

    let submit = |email: &'static str, key: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
                .form(&[
                    ("service", "agendamento"),
                    ("name", "Maria da Silva"),
                    ("email", email),
                    ("document", CPF),
                    ("mobile", "(11) 98765-4321"),
                    ("slot", "2026-11-23T08:00"),
                    ("mode", "in_person"),
                    ("consent", "true"),
                    ("idempotency_key", key),
                ])
                .send()
                .await
                .expect("post");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    assert_eq!(submit("f1@example.com", "form-key-0001").await.0, 303);
    assert_eq!(submit("f2@example.com", "form-key-0002").await.0, 303);
    // A double click of a form that went through is still the same ticket.
    assert_eq!(submit("f2@example.com", "form-key-0002").await.0, 303);
    let (status, page) = submit("f3@example.com", "form-key-0003").await;
    assert_eq!(status, 409);
    assert!(page.contains("acabou de ser preenchido"), "{page}");
    assert!(
        page.contains(r#"value="f3@example.com""#),
        "what was typed is kept"
    );
    assert!(
        !page.contains(r#"value="2026-11-23T08:00""#),
        "the full slot is gone"
    );
    assert!(page.contains(r#"value="2026-11-23T08:30""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_and_expiry_give_the_place_back() {
    let app = app_at(THURSDAY_4PM).await;
    // The manager gives appointments a start window of 15 business minutes.
    configure(
        &app,
        &[
            ("section", "service"),
            ("service", "agendamento"),
            ("checklist", "Documentos conferidos"),
            ("start_window_minutes", "15"),
            ("response_window_hours", ""),
        ],
    )
    .await;

    let (rejected, _) = book(&app, "r@example.com", "2026-11-24", "09:00").await;
    let (expiring, k) = book(&app, "e@example.com", "2026-11-24", "09:00").await;
    let s = slots(&app, SP_OFFICE, "?from=2026-11-24&days=1").await;
    assert_eq!(left(&s, "2026-11-24T09:00"), None);

    let desk = app.staff_login(ATTENDANT).await;
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{rejected}/analysis"),
            Some(&desk),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, t) = app
        .post_json(
            &format!("/staff/requests/{rejected}/decision"),
            Some(&desk),
            &json!({"decision": "reject", "justification": "Documento ilegível."}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let s = slots(&app, SP_OFFICE, "?from=2026-11-24&days=1").await;
    assert_eq!(left(&s, "2026-11-24T09:00"), Some(1));

    // 16:00 + 15 business minutes: 16:15 the same day.
    let r = app
        .client
        .post(app.url("/_dev/clock"))
        .json(&json!({"advance_minutes": 16}))
        .send()
        .await
        .expect("clock");
    assert_eq!(r.status().as_u16(), 200);
    let (_, t) = app.get_json(&format!("/tickets/{expiring}?k={k}")).await;
    assert_eq!(t["status"], "expired");
    assert_eq!(t["slot"], Value::Null);
    let s = slots(&app, SP_OFFICE, "?from=2026-11-24&days=1").await;
    assert_eq!(
        left(&s, "2026-11-24T09:00"),
        Some(2),
        "both places are free again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_s_slot_length_capacity_and_lead_time_shape_the_offer() {
    // Thursday 19/11/2026 15:30 in São Paulo.
    let app = app_at("2026-11-19T18:30:00Z").await;
    configure(
        &app,
        &[
            ("section", "limits"),
            ("slot_minutes", "60"),
            ("slot_capacity", "3"),
            ("booking_lead_minutes", "0"),
            ("max_attachment_kb", "2048"),
            ("reminder_time", "09:00"),
        ],
    )
    .await;
    let s = slots(&app, SP_OFFICE, "?days=5").await;
    assert_eq!(s["slot_minutes"], 60);
    let all = listed(&s);
    // No lead time: today's 16:00 is still open; hourly slots after it.
    assert_eq!(
        &all[..3],
        [
            ("2026-11-19T16:00".to_owned(), 3),
            ("2026-11-23T08:00".to_owned(), 3),
            ("2026-11-23T09:00".to_owned(), 3)
        ]
    );
    book(&app, "l@example.com", "2026-11-19", "16:00").await;
    let s = slots(&app, SP_OFFICE, "?days=1").await;
    assert_eq!(left(&s, "2026-11-19T16:00"), Some(2));
    let (status, e) = app
        .open_json(SP_OFFICE, &booking("m@example.com", "2026-11-23", "08:30"))
        .await;
    assert_eq!(status, 422, "the old half-hour grid is gone: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_moving_a_booked_appointment_frees_its_slot() {
    let app = app_at(THURSDAY_4PM).await;
    let (id, _) = book(&app, "mv@example.com", "2026-11-25", "14:00").await;
    let s = slots(&app, SP_OFFICE, "?from=2026-11-25&days=1").await;
    assert_eq!(left(&s, "2026-11-25T14:00"), Some(1));
    let desk = app.staff_login(ATTENDANT).await;
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{id}/analysis"),
            Some(&desk),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, t) = app
        .post_json(
            &format!("/staff/requests/{id}/decision"),
            Some(&desk),
            &json!({"decision": "approve", "attendant": "atendente-1"}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let schedule = |time: &'static str| {
        let (app, desk, id) = (&app, desk.clone(), id.clone());
        async move {
            let (status, t) = app
                .post_json(
                    &format!("/staff/requests/{id}/appointment"),
                    Some(&desk),
                    &json!({"date": "2026-11-25", "time": time, "mode": "in_person", "subject": "Escritura"}),
                )
                .await;
            assert_eq!(status, 200, "{t}");
            t
        }
    };
    // Confirmed at the booked time: the place stays taken.
    let t = schedule("14:00").await;
    assert_eq!(t["slot"], "2026-11-25T14:00");
    let s = slots(&app, SP_OFFICE, "?from=2026-11-25&days=1").await;
    assert_eq!(left(&s, "2026-11-25T14:00"), Some(1));
    // Moved: the booked place is free again.
    let t = schedule("15:00").await;
    assert_eq!(t["slot"], Value::Null);
    let s = slots(&app, SP_OFFICE, "?from=2026-11-25&days=1").await;
    assert_eq!(left(&s, "2026-11-25T14:00"), Some(2));
}

/// The whole path, over HTTP: 200 citizens at once for a slot the manager
/// opened to 3 people (SPEC C4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_citizens_at_once_get_three_places() {
    let app = app_at(THURSDAY_4PM).await;
    configure(
        &app,
        &[
            ("section", "limits"),
            ("slot_minutes", "30"),
            ("slot_capacity", "3"),
            ("max_attachment_kb", "2048"),
        ],
    )
    .await;
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let body = booking(&format!("p{i}@example.com"), "2026-11-24", "10:00");
                app.open_json(SP_OFFICE, &body).await
            })
        })
        .collect();
    let (mut created, mut full) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.expect("task");
        match (status, body["error"]["code"].as_str()) {
            (201, _) => created += 1,
            (409, Some("slot_full")) => full += 1,
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }
    assert_eq!((created, full), (3, 197));
    let s = slots(&app, SP_OFFICE, "?from=2026-11-24&days=1").await;
    assert_eq!(left(&s, "2026-11-24T10:00"), None);
    assert_eq!(left(&s, "2026-11-24T10:30"), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_beyond_the_booking_horizon_are_refused_not_a_server_error() {
    let app = app_at(THURSDAY_4PM).await;
    configure(
        &app,
        &[
            ("section", "hours"),
            ("hours", "seg 08:00-19:00\nter 08:00-19:00\nqua 08:00-19:00\nqui 08:00-19:00\nsex 08:00-19:00\nsab 08:00-19:00\ndom 08:00-19:00"),
        ],
    )
    .await;
    for from in ["9999-12-30", "9999-12-31", "2099-01-01"] {
        let (status, body) = app
            .get_json(&format!(
                "/offices/{SP_OFFICE}/services/agendamento/slots?from={from}&days=62"
            ))
            .await;
        assert_eq!(status, 422, "{from}: {body}");
        assert!(body["error"]["fields"]["from"].is_string(), "{body}");
    }
    let (status, body) = app
        .open_json(
            SP_OFFICE,
            &booking("longe@example.com", "9999-12-30", "18:45"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
}

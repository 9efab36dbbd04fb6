//! The office's daily work over HTTP on the local runtime (SPEC S3, S5, S6):
//! analysis, checklist, decisions, appointments with `.ics`, conclusion with a
//! PDF, and the emails the citizen receives at each step.

use balcao_tests::{CPF, Mail, SP_OFFICE, TestApp, days_ahead, first_link, sao_paulo_utc};
use serde_json::{Value, json};

const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const PDF: &[u8] = balcao_tests::ONE_PAGE_PDF;
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

struct Desk<'a> {
    app: &'a TestApp,
    token: String,
}

impl Desk<'_> {
    async fn post(&self, id: &str, action: &str, body: Value) -> (u16, Value) {
        self.app
            .post_json(
                &format!("/staff/requests/{id}/{action}"),
                Some(&self.token),
                &body,
            )
            .await
    }

    async fn ok(&self, id: &str, action: &str, body: Value) -> Value {
        let (status, t) = self.post(id, action, body).await;
        assert_eq!(status, 200, "{action}: {t}");
        t
    }

    async fn page(&self, id: &str) -> String {
        let r = self
            .app
            .client
            .get(self.app.url(&format!("/staff/requests/{id}")))
            .header("accept", "text/html")
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("page");
        r.text().await.expect("html")
    }
}

async fn open(app: &TestApp, service: &str, email: &str) -> String {
    let mut body = json!({
        "service": service, "name": "Maria da Silva", "email": email, "document": CPF,
        "mobile": "(11) 98765-4321", "message": "Preciso de atendimento.", "consent": true,
    });
    if service == "agendamento" {
        body["date"] = json!(days_ahead(30));
        body["time"] = json!("10:00");
        body["mode"] = json!("virtual");
    }
    let (status, opened) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    opened["id"].as_str().expect("id").to_owned()
}

fn statuses(t: &Value) -> Vec<String> {
    t["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str().map(ToOwned::to_owned))
        .collect()
}

async fn mails_to(app: &TestApp, to: &str, subject: &str) -> Vec<Mail> {
    app.mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == to && m.subject.starts_with(subject))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_request_goes_from_analysis_to_a_conclusion_with_the_whole_record() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };
    let email = "fluxo.contato@example.com";
    let id = open(&app, "contato", email).await;

    let page = desk.page(&id).await;
    assert!(page.contains("Iniciar análise") && !page.contains("Formulário completo"));
    assert!(
        !page.contains(">Aprovar<"),
        "approving follows the analysis (seed 002)"
    );
    let (status, _) = desk
        .post(
            &id,
            "decision",
            json!({"decision": "approve", "attendant": "atendente-2"}),
        )
        .await;
    assert_eq!(status, 409, "not before the analysis starts");
    desk.ok(&id, "analysis", json!({})).await;
    assert!(
        desk.page(&id).await.contains("Formulário completo"),
        "the steps open with the analysis"
    );
    let t = desk
        .ok(&id, "checklist", json!({"step": 1, "answer": "sim"}))
        .await;
    assert_eq!(t["status"], "in_analysis");
    let (status, e) = desk
        .post(&id, "checklist", json!({"step": 9, "answer": "sim"}))
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = desk
        .post(&id, "decision", json!({"decision": "approve"}))
        .await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["attendant"].is_string(), "{e}");
    let (status, _) = desk
        .post(&id, "decision", json!({"decision": "create_record"}))
        .await;
    assert_eq!(
        status, 422,
        "only certificates decide about the registry record"
    );
    let t = desk
        .ok(
            &id,
            "decision",
            json!({"decision": "approve", "attendant": "atendente-2"}),
        )
        .await;
    assert_eq!(t["status"], "in_progress");
    let history = t["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|h| h["text"] == "Etapa 1 – Formulário completo: sim")
    );
    assert!(
        history
            .iter()
            .any(|h| h["text"] == "Solicitação aprovada. Atendimento com Rafael Costa.")
    );

    // Staff ask for something; the citizen's answer puts it back in progress.
    let t = desk
        .ok(
            &id,
            "messages",
            json!({"message": "Envie a matrícula atualizada.", "ask": true}),
        )
        .await;
    assert_eq!(t["status"], "awaiting_citizen");
    let asked = app.wait_for_subject(email, "Resposta do cartório").await;
    let link = first_link(&asked.text).expect("link");
    let k = link.split("k=").nth(1).expect("k").to_owned();
    let r = app
        .client
        .post(app.url(&format!("/tickets/{id}/messages")))
        .header("accept", "application/json")
        .json(&json!({"k": k, "message": "Segue a matrícula."}))
        .send()
        .await
        .expect("answer");
    let t: Value = r.json().await.expect("json");
    assert_eq!(t["status"], "in_progress");

    // Conclusion: only a PDF, checked by its content.
    let (status, e) = desk
        .post(&id, "conclusion", json!({"message": "Pronto."}))
        .await;
    assert_eq!(status, 422, "{e}");
    // Only a PDF that opens as one: by name, by content, then parsed whole (a PDF
    // header followed by anything else is no document).
    let hollow: &[u8] = b"%PDF-1.7\nisto nao e um documento\n";
    for (name, bytes, reason) in [
        ("nota.txt", &b"texto"[..], "somente arquivos PDF"),
        ("certidao.pdf", PNG, "mas o conteúdo é imagem PNG"),
        (
            "certidao.pdf",
            hollow,
            "certidao.pdf: o conteúdo não é um documento PDF legível",
        ),
    ] {
        let file = app
            .upload("/staff/attachments", Some(&desk.token), name, bytes)
            .await
            .expect("upload");
        let (status, e) = desk
            .post(
                &id,
                "conclusion",
                json!({"message": "Pronto.", "attachments": [file]}),
            )
            .await;
        assert_eq!(status, 422, "{name}: {e}");
        assert!(
            e["error"]["fields"]["attachments"]
                .as_str()
                .expect("reason")
                .contains(reason),
            "{e}"
        );
    }

    let pdf = app
        .upload("/staff/attachments", Some(&desk.token), "certidao.pdf", PDF)
        .await
        .expect("upload");
    let body = json!({"message": "Certidão emitida.", "attachments": [pdf], "action_key": "01JD0000000000000000000CNC"});
    let t = desk.ok(&id, "conclusion", body.clone()).await;
    assert_eq!(t["status"], "concluded");
    // The same form sent twice concludes once.
    let again = desk.ok(&id, "conclusion", body).await;
    assert_eq!(
        again["history"].as_array().map(Vec::len),
        t["history"].as_array().map(Vec::len)
    );
    assert_eq!(
        statuses(&t),
        [
            "received",
            "in_analysis",
            "in_progress",
            "awaiting_citizen",
            "in_progress",
            "concluded"
        ],
        "every transition in the history"
    );

    let done = app
        .wait_for_subject(email, "Solicitação nº 1 concluída")
        .await;
    assert!(done.text.contains("Certidão emitida."));
    for line in [
        "Histórico completo",
        "Solicitação aberta",
        "Análise iniciada.",
        "Formulário completo: sim",
        "Atendimento com Rafael Costa",
        "Arquivos anexados: certidao.pdf",
    ] {
        assert!(done.text.contains(line), "{line} in:\n{}", done.text);
    }
    // Its link opens the ticket, where the PDF can be downloaded.
    let link = app.local_path(&first_link(&done.text).expect("link"));
    let (_, ticket) = app.get_json(&link).await;
    let last = ticket["history"]
        .as_array()
        .and_then(|h| h.last().cloned())
        .expect("last");
    let path = last["attachments"][0]["path"].as_str().expect("path");
    let k = link.split("k=").nth(1).expect("k");
    let (status, _, bytes) = app.download(&format!("{path}?k={k}"), None).await;
    assert_eq!((status, bytes.as_slice()), (200, PDF));
    let (status, _) = desk.post(&id, "analysis", json!({})).await;
    assert_eq!(status, 409, "nothing moves a concluded request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_decide_about_the_registry_record_or_reject_with_a_reason() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };

    let created = open(&app, "certificado-digital", "cert1@example.com").await;
    desk.ok(&created, "analysis", json!({})).await;
    let t = desk
        .ok(&created, "decision", json!({"decision": "create_record"}))
        .await;
    assert_eq!(t["status"], "in_progress");
    let used = open(&app, "certificado-digital", "cert2@example.com").await;
    desk.ok(&used, "analysis", json!({})).await;
    let t = desk
        .ok(&used, "decision", json!({"decision": "use_record"}))
        .await;
    assert_eq!(statuses(&t), ["received", "in_analysis", "in_progress"]);
    let (status, _) = desk
        .post(
            &used,
            "decision",
            json!({"decision": "approve", "attendant": "atendente-1"}),
        )
        .await;
    assert_eq!(
        status, 422,
        "certificates are not approved with an attendant"
    );

    let rejected = open(&app, "certificado-digital", "cert3@example.com").await;
    desk.ok(&rejected, "analysis", json!({})).await;
    let (status, e) = desk
        .post(&rejected, "decision", json!({"decision": "reject"}))
        .await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["justification"].is_string());
    let page = desk.page(&rejected).await;
    assert!(page.contains("Criar registro no CCN") && page.contains("Usar registro no CCN"));
    let t = desk
        .ok(
            &rejected,
            "decision",
            json!({"decision": "reject", "justification": "CPF divergente da base da Receita."}),
        )
        .await;
    assert_eq!(t["status"], "rejected");
    let mail = app
        .wait_for_subject("cert3@example.com", "Solicitação nº 3 rejeitada")
        .await;
    let rejection = mails_to(&app, "cert3@example.com", "Solicitação nº 3 rejeitada").await;
    assert_eq!(rejection.len(), 1, "{:?}", mail.subject);
    assert!(
        rejection[0]
            .text
            .contains("Justificativa: CPF divergente da base da Receita.")
    );
    assert!(
        mails_to(&app, "cert1@example.com", "Solicitação nº 1 rejeitada")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_invitation_updates_instead_of_duplicating() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };
    let email = "agenda@example.com";
    let id = open(&app, "agendamento", email).await;
    desk.ok(&id, "analysis", json!({})).await;
    desk.ok(
        &id,
        "decision",
        json!({"decision": "approve", "attendant": "atendente-1"}),
    )
    .await;

    let (status, e) = desk
        .post(
            &id,
            "appointment",
            json!({"date": "2020-01-10", "time": "10:00", "mode": "in_person", "subject": "x"}),
        )
        .await;
    assert_eq!(status, 422, "in the past: {e}");
    // Far in the future is bounded by the booking horizon, not a server error.
    for date in ["9999-12-30", "2099-01-05"] {
        let (status, e) = desk
            .post(
                &id,
                "appointment",
                json!({"date": date, "time": "18:45", "mode": "in_person", "subject": "x"}),
            )
            .await;
        assert_eq!(status, 422, "{date}: {e}");
        assert!(e["error"]["fields"]["date"].is_string(), "{e}");
    }
    let (day1, day2) = (days_ahead(40), days_ahead(47));
    let (status, e) = desk
        .post(
            &id,
            "appointment",
            json!({"date": day1, "time": "10:00", "mode": "virtual", "subject": "x"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["meeting_link"].is_string(), "{e}");

    let t = desk
        .ok(&id, "appointment", json!({
            "date": day1, "time": "10:30", "mode": "virtual",
            "meeting_link": "https://meet.example.com/balcao-1", "subject": "Escritura de compra e venda",
        }))
        .await;
    assert_eq!(t["status"], "scheduled");
    let first = app.wait_for_subject(email, "Atendimento marcado").await;
    assert!(
        first
            .text
            .contains(&format!("{} às 10:30 (horário de Brasília)", br(&day1))),
        "{}",
        first.text
    );
    assert!(first.text.contains("https://meet.example.com/balcao-1"));
    let ics = &first.attachments.first().expect("an .ics").content;
    assert_eq!(first.attachments[0].name, "atendimento.ics");
    assert!(
        first.attachments[0]
            .content_type
            .starts_with("text/calendar")
    );
    assert!(ics.contains(&format!("UID:{id}@balcao\r\n")));
    assert!(ics.contains("SEQUENCE:1\r\n"));
    // 10:30 in São Paulo, in UTC (13:30 while Brazil keeps no daylight saving).
    let start = sao_paulo_utc(&day1, "10:30");
    assert!(ics.contains(&format!("DTSTART:{start}\r\n")), "{ics}");
    assert!(ics.contains(&format!("DTEND:{}\r\n", sao_paulo_utc(&day1, "11:00"))));
    assert!(ics.contains("LOCATION:https://meet.example.com/balcao-1"));
    assert!(ics.contains("ATTENDEE;CN=\"Maria da Silva\""));

    // Changed: same UID, higher SEQUENCE, new time; in person at the office's address.
    desk.ok(&id, "appointment", json!({
        "date": day2, "time": "09:00", "mode": "in_person", "subject": "Escritura de compra e venda",
    }))
    .await;
    let second = app.wait_for_subject(email, "Atendimento alterado").await;
    let ics2 = &second.attachments[0].content;
    assert!(ics2.contains(&format!("UID:{id}@balcao\r\n")));
    assert!(ics2.contains("SEQUENCE:2\r\n"));
    let start2 = sao_paulo_utc(&day2, "09:00");
    assert!(ics2.contains(&format!("DTSTART:{start2}\r\n")), "{ics2}");
    assert!(second.text.contains("Presencial:"));

    // The citizen's page shows it; staff conclude after the meeting.
    let link = app.local_path(&first_link(&second.text).expect("link"));
    let (_, page) = app.get_html(&link).await;
    assert!(page.contains(&format!("{} às 09:00", br(&day2))), "{page}");
    let pdf = app
        .upload("/staff/attachments", Some(&desk.token), "ata.pdf", PDF)
        .await
        .expect("upload");
    let t = desk
        .ok(
            &id,
            "conclusion",
            json!({"message": "Escritura lavrada.", "attachments": [pdf]}),
        )
        .await;
    assert_eq!(
        statuses(&t),
        [
            "received",
            "in_analysis",
            "in_progress",
            "scheduled",
            "concluded"
        ]
    );
}

/// `2030-03-12` as people read it: `12/03/2030`.
fn br(iso: &str) -> String {
    let d: jiff::civil::Date = iso.parse().expect("date");
    d.strftime("%d/%m/%Y").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rating_is_given_once_and_its_comment_shows_only_after_moderation() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };
    let (status, opened) = app
        .open_json(
            SP_OFFICE,
            &balcao_tests::contact_request("avalia@example.com"),
        )
        .await;
    assert_eq!(status, 201);
    let id = opened["id"].as_str().expect("id").to_owned();
    let k = opened["ticket_url"]
        .as_str()
        .and_then(|u| u.split("k=").nth(1))
        .expect("k")
        .to_owned();
    let rate = |body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app
                .client
                .post(app.url(&format!("/tickets/{id}/rating")))
                .header("accept", "application/json")
                .json(&body)
                .send()
                .await
                .expect("rate");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let comment = "Atendimento rápido e cordial.";
    let (status, _) = rate(json!({"k": k, "verdict": "approve", "comment": comment})).await;
    assert_eq!(status, 409, "not before the conclusion");

    desk.ok(&id, "analysis", json!({})).await;
    desk.ok(
        &id,
        "decision",
        json!({"decision": "approve", "attendant": "atendente-1"}),
    )
    .await;
    let pdf = app
        .upload("/staff/attachments", Some(&desk.token), "resposta.pdf", PDF)
        .await
        .expect("upload");
    desk.ok(
        &id,
        "conclusion",
        json!({"message": "Respondido.", "attachments": [pdf]}),
    )
    .await;
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(page.contains("Avalie o atendimento"));

    let (status, e) = rate(json!({"k": k, "verdict": "talvez"})).await;
    assert_eq!(status, 422, "{e}");
    let (status, t) = rate(json!({"k": k, "verdict": "approve", "comment": comment})).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["rating"]["moderation"], "pending");
    let (status, _) = rate(json!({"k": k, "verdict": "reject", "comment": "mudei de ideia"})).await;
    assert_eq!(status, 409, "once");
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(!page.contains("Avalie o atendimento") && page.contains("aguardando moderação"));

    // Not on the card until staff approve it; gone again when they hide it.
    let card = || async { app.get_json(&format!("/offices/{SP_OFFICE}")).await.1 };
    assert_eq!(card().await["reviews"], json!([]));
    let r = app
        .client
        .get(app.url("/staff/ratings"))
        .header("accept", "application/json")
        .bearer_auth(&desk.token)
        .send()
        .await
        .expect("ratings");
    let list: Value = r.json().await.expect("json");
    assert_eq!(list["items"][0]["comment"], comment);
    assert_eq!(list["items"][0]["moderation"], "pending");

    let moderate = |decision: &'static str| {
        let (app, token, id) = (&app, desk.token.clone(), id.clone());
        async move {
            let r = app
                .client
                .post(app.url(&format!("/staff/ratings/{id}")))
                .header("accept", "application/json")
                .bearer_auth(token)
                .json(&json!({ "decision": decision }))
                .send()
                .await
                .expect("moderate");
            r.status().as_u16()
        }
    };
    assert_eq!(moderate("show").await, 200);
    let shown = card().await;
    assert_eq!(shown["reviews"][0]["comment"], comment);
    assert_eq!(shown["reviews"][0]["verdict"], "approved");
    let (_, office_page) = app.get_html(&format!("/offices/{SP_OFFICE}")).await;
    assert!(office_page.contains(comment));
    assert!(
        !office_page.contains("avalia@example.com"),
        "no personal data on the card"
    );
    assert_eq!(moderate("hide").await, 200);
    assert_eq!(card().await["reviews"], json!([]));
    assert_eq!(moderate("publicar").await, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_scheduled_request_takes_the_event_out_of_the_calendar() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };
    let schedule = async |email: &str| {
        let id = open(&app, "agendamento", email).await;
        desk.ok(&id, "analysis", json!({})).await;
        desk.ok(
            &id,
            "decision",
            json!({"decision": "approve", "attendant": "atendente-1"}),
        )
        .await;
        desk.ok(&id, "appointment", json!({
            "date": days_ahead(40), "time": "10:30", "mode": "in_person", "subject": "Escritura",
        }))
        .await;
        let invite = app.wait_for_subject(email, "Atendimento marcado").await;
        (id, invite)
    };

    // The citizen cancels: the office is told, and the citizen gets a CANCEL.
    let email = "cancela.agenda@example.com";
    let (id, invite) = schedule(email).await;
    let link = app.local_path(&first_link(&invite.text).expect("link"));
    let k = link.split("k=").nth(1).expect("secret").to_owned();
    let (status, t) = app
        .post_json(&format!("/tickets/{id}/cancel"), None, &json!({ "k": k }))
        .await;
    assert_eq!(status, 200, "{t}");
    let cancelled = app.wait_for_subject(email, "Atendimento cancelado").await;
    let file = cancelled.attachments.first().expect("an .ics");
    assert!(
        file.content_type.contains("method=CANCEL"),
        "{}",
        file.content_type
    );
    assert!(file.content.contains("METHOD:CANCEL\r\n"));
    assert!(file.content.contains(&format!("UID:{id}@balcao\r\n")));
    assert!(file.content.contains("SEQUENCE:2\r\n"), "{}", file.content);
    assert!(file.content.contains("STATUS:CANCELLED\r\n"));

    // Closed as solved before the day: the same. (Rejection and expiry happen only
    // before staff confirm an appointment, so no invitation exists to withdraw then.)
    let email = "fecha.agenda@example.com";
    let (id, invite) = schedule(email).await;
    let link = app.local_path(&first_link(&invite.text).expect("link"));
    let k = link.split("k=").nth(1).expect("secret").to_owned();
    let (status, t) = app
        .post_json(&format!("/tickets/{id}/close"), None, &json!({ "k": k }))
        .await;
    assert_eq!(status, 200, "{t}");
    let mail = app.wait_for_subject(email, "Atendimento cancelado").await;
    let ics = &mail.attachments.first().expect("ics").content;
    assert!(ics.contains("METHOD:CANCEL"), "{ics}");
    assert!(ics.contains(&format!("UID:{id}@balcao")));
}

/// The part of a page inside the form with this id.
fn form_in<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no form {id}: {page}"));
    &page[start..start + page[start..].find("</form>").expect("form end")]
}

impl Desk<'_> {
    /// Posts a page's form as a browser does; answers the status and the page.
    async fn form(&self, id: &str, action: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .app
            .client
            .post(self.app.url(&format!("/staff/requests/{id}/{action}")))
            .header("accept", "text/html")
            .bearer_auth(&self.token)
            .form(form)
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), r.text().await.expect("page"))
    }
}

/// A refused staff form comes back on the request's page with the reason
/// inside that form and what was typed in it; the protocol form on the queue
/// page too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_staff_forms_come_back_with_their_reason_and_what_was_typed() {
    let app = TestApp::spawn().await;
    let desk = Desk {
        app: &app,
        token: app.staff_login(ATTENDANT).await,
    };
    let id = open(&app, "agendamento", "formularios@example.com").await;
    desk.ok(&id, "analysis", json!({})).await;
    let page = desk.page(&id).await;
    let key = |form: &str| -> String {
        let f = form_in(&page, form);
        let start = f.find("name=\"action_key\" value=\"").expect("key") + 25;
        f[start..start + 26].to_owned()
    };
    // A rejection without its justification.
    let (status, page) = desk
        .form(
            &id,
            "decision",
            &[
                ("action_key", &key("form-decision-reject")),
                ("decision", "reject"),
                ("justification", "   "),
            ],
        )
        .await;
    assert!(status == 422 || status == 409, "{status}: {page}");
    let form = form_in(&page, "form-decision-reject");
    assert!(
        form.contains("role=\"alert\""),
        "the reason is inside the form: {form}"
    );
    // An appointment on a day that does not exist: everything typed stays.
    let (status, page) = desk
        .form(
            &id,
            "appointment",
            &[
                ("action_key", &key("form-schedule")),
                ("date", "2026-02-30"),
                ("time", "10:00"),
                ("mode", "virtual"),
                ("meeting_link", "https://meet.example.com/abc"),
                ("subject", "Assinatura da escritura"),
            ],
        )
        .await;
    assert!(status == 422 || status == 409, "{status}: {page}");
    let form = form_in(&page, "form-schedule");
    assert!(form.contains("role=\"alert\""), "{form}");
    assert!(form.contains("value=\"2026-02-30\""), "{form}");
    assert!(form.contains("Assinatura da escritura"), "{form}");
    assert!(form.contains("https://meet.example.com/abc"), "{form}");
    assert!(form.contains("value=\"virtual\" checked"), "{form}");
    // The reply form keeps its text and is not the one that says why.
    assert!(!form_in(&page, "form-reply").contains("role=\"alert\""));

    // A protocol with a bad CPF: the queue page again, the fields kept.
    let r = app
        .client
        .post(app.url("/staff/protocols"))
        .header("accept", "text/html")
        .bearer_auth(&desk.token)
        .form(&[
            ("number", "2026-000123"),
            ("cpf", "111.111.111-11"),
            ("status", "Em qualificação"),
            ("history", "01/11/2026 Protocolado"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.expect("page");
    let form = form_in(&page, "form-protocol");
    assert!(form.contains("role=\"alert\""), "{form}");
    assert!(form.contains("value=\"2026-000123\""), "{form}");
    assert!(form.contains("value=\"Em qualificação\""), "{form}");
    assert!(form.contains("01/11/2026 Protocolado"), "{form}");
    assert!(page.contains("<h1"), "the queue's page: {page}");
}

//! The desk clerks expect (issue 15) over HTTP on the local runtime: internal
//! notes never reach the citizen; requests are assigned, taken and released,
//! and the queue filters by who has them.

use balcao_tests::{SP_OFFICE, TestApp, contact_request};
use serde_json::{Value, json};

const PAULA: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const MANAGER: &str = "gestor@1-tabeliao-notas-sao-paulo.example.com";
const PDF: &[u8] = balcao_tests::ONE_PAGE_PDF;

async fn staff_get(app: &TestApp, token: &str, path: &str, accept: &str) -> (u16, String) {
    let r = app
        .client
        .get(app.url(path))
        .header("accept", accept)
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn queue_ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, body) = staff_get(
        app,
        token,
        &format!("/staff/requests?{query}"),
        "application/json",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_stays_with_staff_and_never_reaches_the_citizen() {
    let app = TestApp::spawn().await;
    let email = "nota@example.com";
    let (status, opened) = app.open_json(SP_OFFICE, &contact_request(email)).await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_str().expect("id");
    let ticket = app.local_path(opened["ticket_url"].as_str().expect("url"));
    let paula = app.staff_login(PAULA).await;
    let secret = "Cidadã ligou: desconfia do cunhado; conferir a procuração com cuidado.";
    let file = app
        .upload(
            "/staff/attachments",
            Some(&paula),
            "conferencia-interna.pdf",
            PDF,
        )
        .await
        .expect("upload");
    let path = format!("/staff/requests/{id}/notes");
    let (status, empty) = app
        .post_json(&path, Some(&paula), &json!({"note": " "}))
        .await;
    assert_eq!(status, 422, "an empty note: {empty}");
    assert!(empty["error"]["fields"]["note"].is_string(), "{empty}");
    let (status, t) = app
        .post_json(
            &path,
            Some(&paula),
            &json!({"note": secret, "attachments": [file]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let note = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["text"] == secret)
        .expect("staff see the note");
    let file_path = note["attachments"][0]["path"]
        .as_str()
        .expect("file")
        .to_owned();
    let file_id = file_path.rsplit('/').next().expect("file id").to_owned();

    // A reply after it: the citizen's email carries the reply, not the note.
    app.post_json(
        &format!("/staff/requests/{id}/messages"),
        Some(&paula),
        &json!({"message": "Recebemos seus documentos."}),
    )
    .await;
    app.wait_for_subject(email, "Resposta").await;

    // Nowhere the citizen looks: the ticket's JSON and page, its files, every email.
    let (_, json_view) = app.get_json(&ticket).await;
    let (_, page) = app.get_html(&ticket).await;
    for (what, text) in [("JSON", json_view.to_string()), ("page", page)] {
        assert!(
            !text.contains("cunhado"),
            "the note in the citizen's {what}"
        );
        assert!(
            !text.contains("conferencia-interna"),
            "the note's file in the citizen's {what}"
        );
    }
    let k = ticket.split("k=").nth(1).expect("k");
    let (status, _) = app
        .get_json(&format!("/tickets/{id}/attachments/{file_id}?k={k}"))
        .await;
    assert_eq!(
        status, 404,
        "the note's file is not the citizen's to download"
    );
    for m in app.mailbox().await.iter().filter(|m| m.to == email) {
        assert!(
            !m.text.contains("cunhado") && !m.html.contains("cunhado"),
            "{}",
            m.subject
        );
    }
    // Staff see it on the page, marked as internal, with the LGPD sentence on the form.
    let (_, staff_page) =
        staff_get(&app, &paula, &format!("/staff/requests/{id}"), "text/html").await;
    assert!(staff_page.contains("cunhado"), "{staff_page}");
    assert!(staff_page.contains("nota interna"), "{staff_page}");
    assert!(
        staff_page.contains("pode obter uma cópia pela LGPD"),
        "{staff_page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_assigned_taken_and_released_and_the_queue_filters_by_who_has_them() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    let mut tickets = Vec::new();
    for i in 0..3 {
        let (status, opened) = app
            .open_json(SP_OFFICE, &contact_request(&format!("fila{i}@example.com")))
            .await;
        assert_eq!(status, 201, "{opened}");
        ids.push(opened["id"].as_str().expect("id").to_owned());
        tickets.push(app.local_path(opened["ticket_url"].as_str().expect("url")));
    }
    let manager = app.staff_login(MANAGER).await;
    let paula = app.staff_login(PAULA).await;
    let assign = |id: &str, to: &str, token: &str| {
        let (app, id, to, token) = (&app, id.to_owned(), to.to_owned(), token.to_owned());
        async move {
            app.post_json(
                &format!("/staff/requests/{id}/assign"),
                Some(&token),
                &json!({"attendant": to}),
            )
            .await
        }
    };
    // The manager gives one to Rafael; Paula takes another herself.
    let (status, t) = assign(&ids[0], "atendente-2", &manager).await;
    assert_eq!(status, 200, "{t}");
    let (status, t) = assign(&ids[1], "me", &paula).await;
    assert_eq!(status, 200, "{t}");
    let texts: Vec<String> = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        texts.iter().any(|x| x.contains("assumiu a solicitação")),
        "{texts:?}"
    );
    // The manager is no attendant: "me" says so; an unknown id too.
    let (status, e) = assign(&ids[2], "me", &manager).await;
    assert_eq!(status, 422, "{e}");
    let (status, _) = assign(&ids[2], "ninguem", &manager).await;
    assert_eq!(status, 422);

    assert_eq!(
        queue_ids(&app, &paula, "assigned=me").await,
        vec![ids[1].clone()]
    );
    assert_eq!(
        queue_ids(&app, &manager, "assigned=atendente-2").await,
        vec![ids[0].clone()]
    );
    assert_eq!(
        queue_ids(&app, &manager, "assigned=none").await,
        vec![ids[2].clone()]
    );
    let (_, page) = staff_get(&app, &manager, "/staff/requests", "text/html").await;
    assert!(
        page.contains("com Rafael Costa") && page.contains("com Paula Souza"),
        "{page}"
    );

    // Released: back to nobody's; the history says who did what.
    let (status, t) = assign(&ids[0], "", &manager).await;
    assert_eq!(status, 200, "{t}");
    let mut none = queue_ids(&app, &manager, "assigned=none").await;
    none.sort();
    let mut expected = vec![ids[0].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(none, expected);
    let texts: Vec<String> = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|x| x.contains("atribuiu a solicitação a Rafael Costa")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|x| x.contains("deixou a solicitação sem responsável")),
        "{texts:?}"
    );
    // Internal: the citizen's history does not show it.
    let (_, view) = app.get_json(&tickets[0]).await;
    assert!(!view.to_string().contains("Rafael"), "{view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_find_a_request_by_what_the_citizen_says_on_the_phone() {
    let app = TestApp::spawn().await;
    let paula = app.staff_login(PAULA).await;
    let mut body = contact_request("joao.pereira@example.com");
    body["name"] = json!("João Pereira");
    body["document"] = json!("529.982.247-25");
    body["protocol"] = json!("2026/000123");
    let (status, joao) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{joao}");
    let mut body = contact_request("ana@example.com");
    body["name"] = json!("Ana Conceição");
    body.as_object_mut().expect("object").remove("document");
    let (status, ana) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{ana}");
    let joao_id = joao["id"].as_str().expect("id").to_owned();
    let ana_id = ana["id"].as_str().expect("id").to_owned();
    let n = joao["number"].as_u64().expect("number");
    let find = |q: &str| {
        let q = serde_urlencoded::to_string([("q", q)]).expect("query");
        let (app, paula) = (&app, paula.clone());
        async move { queue_ids(app, &paula, &q).await }
    };
    for q in [
        n.to_string(),
        format!("nº {n}"),
        "joao".into(),
        "JOÃO pereira".into(),
        "joao.pereira@example.com".into(),
        "52998224725".into(),
        "529.982.247-25".into(),
        "2026-000123".into(),
    ] {
        assert_eq!(find(&q).await, vec![joao_id.clone()], "{q}");
    }
    assert_eq!(find("conceicao").await, vec![ana_id.clone()]);
    assert!(
        find("joao conceicao").await.is_empty(),
        "every word must be there"
    );
    // In every status: a cancelled request is still found.
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{ana_id}/decision"),
            Some(&paula),
            &json!({"decision": "reject", "justification": "Fora do escopo."}),
        )
        .await;
    assert!(status == 200 || status == 409, "{status}");
    assert_eq!(find("ana@example.com").await, vec![ana_id.clone()]);
    // A page at a time, newest first: a second Pereira.
    let mut body = contact_request("joana@example.com");
    body["name"] = json!("Joana Pereira");
    let (_, joana) = app.open_json(SP_OFFICE, &body).await;
    let joana_id = joana["id"].as_str().expect("id").to_owned();
    let (_, first) = staff_get(
        &app,
        &paula,
        "/staff/requests?q=pereira&limit=1",
        "application/json",
    )
    .await;
    let first: Value = serde_json::from_str(&first).expect("json");
    assert_eq!(first["items"][0]["id"], joana_id.as_str(), "newest first");
    let cursor = first["next"].as_str().expect("a next page");
    let (_, second) = staff_get(
        &app,
        &paula,
        &format!("/staff/requests?q=pereira&limit=1&cursor={cursor}"),
        "application/json",
    )
    .await;
    let second: Value = serde_json::from_str(&second).expect("json");
    assert_eq!(second["items"][0]["id"], joao_id.as_str());
    let (status, e) = staff_get(&app, &paula, "/staff/requests?q=%3F%3F", "application/json").await;
    assert_eq!(status, 422, "nothing to find: {e}");
    let (_, html) = staff_get(&app, &paula, "/staff/requests?q=joao", "text/html").await;
    assert!(
        html.contains("Resultados para <strong>joao</strong>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/staff/requests/{joao_id}")),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_replies_are_kept_by_the_manager_and_fill_the_reply_with_the_request() {
    let app = TestApp::spawn().await;
    let manager = app.staff_login(MANAGER).await;
    let paula = app.staff_login(PAULA).await;
    let (_, settings) = staff_get(&app, &manager, "/staff/office", "application/json").await;
    let settings: Value = serde_json::from_str(&settings).expect("json");
    let version = settings["version"].as_u64().expect("version").to_string();
    let r = app
        .client
        .post(app.url("/staff/office"))
        .bearer_auth(&manager)
        .form(&[
            ("section", "saved_reply"),
            ("version", version.as_str()),
            ("title", "Certidão pronta"),
            ("text", "Olá, {nome}. A certidão da solicitação nº {numero} ({servico}) está pronta. {cartorio}"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let (_, settings) = staff_get(&app, &manager, "/staff/office", "application/json").await;
    let settings: Value = serde_json::from_str(&settings).expect("json");
    let saved = settings["saved_replies"].as_array().expect("saved replies");
    let index = saved
        .iter()
        .position(|s| s["title"] == "Certidão pronta")
        .expect("added");
    // An empty one is refused inside its form.
    let version = settings["version"].as_u64().expect("version").to_string();
    let r = app
        .client
        .post(app.url("/staff/office"))
        .bearer_auth(&manager)
        .form(&[
            ("section", "saved_reply"),
            ("version", version.as_str()),
            ("title", "Vazia"),
            ("text", " "),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("id=\"form-saved_reply-new\"")
    );

    let mut body = contact_request("pronta@example.com");
    body["name"] = json!("Beatriz Lima");
    let (_, opened) = app.open_json(SP_OFFICE, &body).await;
    let id = opened["id"].as_str().expect("id");
    let n = opened["number"].as_u64().expect("number");
    let filled = format!(
        "Olá, Beatriz Lima. A certidão da solicitação nº {n} (Contato) está pronta. 1º Tabelião de Notas de São Paulo"
    );
    let (_, page) = staff_get(&app, &paula, &format!("/staff/requests/{id}"), "text/html").await;
    assert!(page.contains("Certidão pronta"), "offered: {page}");
    assert!(
        page.contains(&format!("data-text=\"{filled}\"")),
        "filled for the script: {page}"
    );
    // Without JavaScript the page comes back with the text in the reply.
    let (_, page) = staff_get(
        &app,
        &paula,
        &format!("/staff/requests/{id}?resposta={index}"),
        "text/html",
    )
    .await;
    let reply = page.split("id=\"f-message\"").nth(1).expect("reply form");
    let reply = &reply[..reply.find("</textarea>").expect("end")];
    assert!(reply.ends_with(&filled), "{reply}");
}

/// The report's figures are what the journey did: two requests opened, one
/// answered 45 business minutes later, one analysed; managers only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_what_the_office_did() {
    // Monday 30 November 2026, 10:00 in São Paulo: office hours.
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-30T13:00:00Z".parse().expect("instant"))
    })
    .await;
    let manager = app.staff_login(MANAGER).await;
    let paula = app.staff_login(PAULA).await;
    let (_, a) = app
        .open_json(SP_OFFICE, &contact_request("rel1@example.com"))
        .await;
    let (_, b) = app
        .open_json(SP_OFFICE, &contact_request("rel2@example.com"))
        .await;
    let (a, b) = (a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
    app.advance_minutes(45).await;
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{a}/messages"),
            Some(&paula),
            &json!({"message": "Já vamos analisar."}),
        )
        .await;
    assert_eq!(status, 200);
    // A second reply is not a first reply.
    app.post_json(
        &format!("/staff/requests/{a}/messages"),
        Some(&paula),
        &json!({"message": "Mais um detalhe."}),
    )
    .await;
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{b}/analysis"),
            Some(&paula),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = staff_get(
        &app,
        &manager,
        "/staff/reports?from=2026-11-01&to=2026-11-30",
        "application/json",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r: Value = serde_json::from_str(&body).expect("json");
    let per_day = r["opened_per_day"].as_array().expect("days");
    assert_eq!(per_day.len(), 30, "every day of the range");
    assert_eq!(per_day[29], json!(["2026-11-30", 2]), "{r}");
    assert_eq!(r["opened_per_service"]["contato"], 2, "{r}");
    assert_eq!(r["services"]["contato"], "Contato");
    assert_eq!(r["by_status"]["received"], 2, "{r}");
    assert_eq!(r["by_status"]["in_analysis"], 1, "{r}");
    assert_eq!(r["first_replies"], 1, "{r}");
    assert_eq!(r["first_reply_median_minutes"], 45, "{r}");
    assert_eq!(
        (
            r["ratings_approved"].as_i64(),
            r["ratings_rejected"].as_i64()
        ),
        (Some(0), Some(0))
    );

    // The page draws it; attendants and ranges past a year are refused.
    let (status, page) = staff_get(
        &app,
        &manager,
        "/staff/reports?from=2026-11-01&to=2026-11-30",
        "text/html",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<svg") && page.contains("Solicitações abertas: 2"),
        "{page}"
    );
    assert!(page.contains("45 min úteis"), "{page}");
    let (status, _) = staff_get(&app, &paula, "/staff/reports", "application/json").await;
    assert_eq!(status, 403);
    let (status, _) = staff_get(
        &app,
        &manager,
        "/staff/reports?from=2025-01-01&to=2026-11-30",
        "application/json",
    )
    .await;
    assert_eq!(status, 422);
}

/// The export is the range's requests, oldest first, one line each, as Excel
/// opens it in Brazil; never a request opened outside the range; managers only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_is_the_range_s_requests_as_a_spreadsheet() {
    // Monday 30 November 2026, 10:00 in São Paulo.
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-30T13:00:00Z".parse().expect("instant"))
    })
    .await;
    let manager = app.staff_login(MANAGER).await;
    let paula = app.staff_login(PAULA).await;
    let (_, a) = app
        .open_json(SP_OFFICE, &contact_request("csv1@example.com"))
        .await;
    let a = a["id"].as_str().expect("id").to_owned();
    app.advance_minutes(30).await;
    app.post_json(
        &format!("/staff/requests/{a}/messages"),
        Some(&paula),
        &json!({"message": "Recebemos."}),
    )
    .await;
    // The next day: another request, assigned and started.
    app.advance_minutes(24 * 60).await;
    let (_, b) = app
        .open_json(SP_OFFICE, &contact_request("csv2@example.com"))
        .await;
    let b = b["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{b}/assign"),
            Some(&paula),
            &json!({"attendant": "me"}),
        )
        .await;
    assert_eq!(status, 200);
    app.post_json(
        &format!("/staff/requests/{b}/analysis"),
        Some(&paula),
        &json!({}),
    )
    .await;
    let number = |id: &str| {
        let app = &app;
        let paula = paula.clone();
        let id = id.to_owned();
        async move {
            let (_, body) = staff_get(
                app,
                &paula,
                &format!("/staff/requests/{id}"),
                "application/json",
            )
            .await;
            let v: Value = serde_json::from_str(&body).expect("json");
            v["number"].as_u64().expect("number").to_string()
        }
    };
    let (na, nb) = (number(&a).await, number(&b).await);

    let export = |range: &'static str| {
        let app = &app;
        let manager = manager.clone();
        async move {
            let r = app
                .client
                .get(app.url(&format!("/staff/requests.csv?{range}")))
                .bearer_auth(&manager)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200);
            assert_eq!(
                r.headers()["content-type"],
                "text/csv; charset=utf-8",
                "{range}"
            );
            let disposition = r.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .to_owned();
            let bytes = r.bytes().await.expect("body");
            assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM");
            let mut read = csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(&bytes[3..]);
            let head = read.headers().expect("header").clone();
            let rows: Vec<Vec<String>> = read
                .records()
                .map(|r| r.expect("row").iter().map(str::to_owned).collect())
                .collect();
            (disposition, head, rows)
        }
    };
    let (disposition, head, rows) = export("from=2026-11-30&to=2026-11-30").await;
    assert_eq!(
        disposition,
        "attachment; filename=\"solicitacoes-2026-11-30-a-2026-11-30.csv\""
    );
    assert_eq!(&head[0], "Número");
    assert_eq!(&head[5], "Responsável");
    assert_eq!(rows.len(), 1, "only the first day's request: {rows:?}");
    let row = &rows[0];
    assert_eq!(row[0], na);
    assert_eq!(row[1], "30/11/2026 10:00", "office time");
    assert_eq!(row[2], "30/11/2026 10:30");
    assert_eq!(row[3], "Contato");
    assert_eq!(row[4], "Recebida");
    assert_eq!((row[8].as_str(), row[9].as_str()), ("1", "0"), "{row:?}");
    assert!(
        !rows.concat().iter().any(|c| c.contains("csv1@")),
        "no personal data"
    );

    let (_, _, rows) = export("from=2026-11-30&to=2026-12-01").await;
    let numbers: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, vec![na.as_str(), nb.as_str()], "oldest first");
    let row = &rows[1];
    assert_eq!(row[1], "01/12/2026 10:30");
    assert_eq!(row[4], "Em análise");
    assert_eq!(row[5], "Paula Souza", "{row:?}");
    assert_eq!(row[7], "", "a contact has no start window: {row:?}");
    assert_eq!((row[8].as_str(), row[9].as_str()), ("0", "0"));
    let (_, _, rows) = export("from=2026-12-02&to=2026-12-31").await;
    assert!(rows.is_empty());

    // Attendants, ranges past a year and bad dates are refused, changing nothing.
    let (status, _) = staff_get(&app, &paula, "/staff/requests.csv", "application/json").await;
    assert_eq!(status, 403);
    let (status, body) = staff_get(
        &app,
        &manager,
        "/staff/requests.csv?from=2025-01-01&to=2026-11-30",
        "application/json",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, page) = staff_get(
        &app,
        &manager,
        "/staff/requests.csv?from=30/11/2026",
        "text/html",
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("AAAA-MM-DD"), "{page}");
    // The report page links to the export of its range.
    let (_, page) = staff_get(
        &app,
        &manager,
        "/staff/reports?from=2026-11-01&to=2026-11-30",
        "text/html",
    )
    .await;
    assert!(
        page.contains("/staff/requests.csv?from=2026-11-01&amp;to=2026-11-30"),
        "{page}"
    );
}

//! "Meus dados" and retention (LGPD, issue 14) over HTTP against the local
//! runtime, reading its SQLite file and its file storage directly to prove
//! that nothing personal remains.

use balcao_tests::{CPF, ONE_PAGE_PDF, RO_OFFICE, SP_OFFICE, TestApp, contact_request, first_link};
use serde_json::{Value, json};
use std::time::Duration;

const MANAGER: &str = "gestor@1-tabeliao-notas-sao-paulo.example.com";
const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
/// What identifies the citizen of `contact_request`, in every form it is kept.
const PERSONAL: &[&str] = &[
    "Maria da Silva",
    "titular@example.com",
    "52998224725",
    CPF,
    "98765-4321",
    "11987654321",
    "Qual o prazo para uma escritura?",
    "Segue o comprovante",
    "Traga o original",
    "comprovante.pdf",
    "guia.png",
];

fn data_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("balcao-lgpd-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).expect("data dir");
    dir
}

/// Every row the database keeps about `ids`: the requests and their history.
fn stored_rows(dir: &std::path::Path, ids: &[String]) -> String {
    let c = rusqlite::Connection::open(dir.join("balcao.db")).expect("open the database");
    let mut out = String::new();
    for id in ids {
        for sql in [
            "SELECT body || citizen FROM requests WHERE id = ?1",
            "SELECT body FROM events WHERE request_id = ?1",
        ] {
            let mut st = c.prepare(sql).expect("query");
            let rows = st.query_map([id], |r| r.get::<_, String>(0)).expect("rows");
            for r in rows {
                out.push_str(&r.expect("row"));
                out.push('\n');
            }
        }
    }
    out
}

/// The document without its signed file links.
fn unsigned(mut v: Value) -> Value {
    match &mut v {
        Value::Object(o) => {
            o.remove("download_url");
            for x in o.values_mut() {
                *x = unsigned(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = unsigned(x.take());
            }
        }
        _ => {}
    }
    v
}

fn secret(url: &str) -> String {
    url.split("k=").nth(1).expect("secret").to_owned()
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.post_json(path, None, &body).await
}

/// Opens a contact request for `email` (with a file when `file` is given).
async fn open(app: &TestApp, office: &str, email: &str, file: Option<&str>) -> (String, String) {
    let mut body = contact_request(email);
    body["service"] = json!("contato");
    if let Some(name) = file {
        let slot = format!("/offices/{office}/attachments");
        let reference = app
            .upload(&slot, None, name, ONE_PAGE_PDF)
            .await
            .expect("upload");
        body["attachments"] = json!([reference]);
        body["message"] = json!("Segue o comprovante. Qual o prazo para uma escritura?");
    }
    let (status, opened) = app.open_json(office, &body).await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_str().expect("id").to_owned();
    (id, secret(opened["ticket_url"].as_str().expect("link")))
}

async fn staff_view(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .client
        .get(app.url(&format!("/staff/requests/{id}")))
        .header("accept", "application/json")
        .bearer_auth(token)
        .send()
        .await
        .expect("staff view");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_sees_downloads_and_erases_their_data_in_every_office() {
    let dir = data_dir();
    let app = TestApp::spawn_with(|o| o.data_dir = Some(dir.clone())).await;
    let email = "titular@example.com";
    let (sp, sp_k) = open(&app, SP_OFFICE, email, Some("comprovante.pdf")).await;
    let (ro, ro_k) = open(&app, RO_OFFICE, email, None).await;
    // Someone else at the same office keeps everything.
    let mut other = contact_request("outra.pessoa@example.com");
    other["name"] = json!("Joana Prado");
    other["document"] = json!("111.444.777-35");
    let (status, other) = app.open_json(SP_OFFICE, &other).await;
    assert_eq!(status, 201);
    let other_id = other["id"].as_str().expect("id").to_owned();

    // The office answers with a file of its own.
    let staff = app.staff_login(ATTENDANT).await;
    let png = app
        .upload("/staff/attachments", Some(&staff), "guia.png", PNG)
        .await
        .expect("staff upload");
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{sp}/messages"),
            Some(&staff),
            &json!({ "message": "Traga o original do RG.", "attachments": [png] }),
        )
        .await;
    assert_eq!(status, 200);
    // A "minhas solicitações" link, to see it stop working after the erasure.
    let (status, _) = post(&app, "/my-requests", json!({ "email": email })).await;
    assert_eq!(status, 202);
    let requests_mail = app
        .wait_for_subject(email, "Suas solicitações no Balcão")
        .await;
    let requests_link = app.local_path(&first_link(&requests_mail.text).expect("link"));

    // Asking answers the same whether or not the address is known.
    let (s1, known) = post(&app, "/my-data", json!({ "email": email })).await;
    let (s2, unknown) = post(&app, "/my-data", json!({ "email": "ninguem@example.com" })).await;
    assert_eq!((s1, s2, &known), (202, 202, &unknown));
    let (_, throttled) = post(&app, "/my-data", json!({ "email": email })).await;
    assert_eq!(
        throttled, known,
        "limited like my-requests, the same answer"
    );
    let mail = app.wait_for_subject(email, "Seus dados no Balcão").await;
    let k = secret(&first_link(&mail.text).expect("link"));
    // A "minhas solicitações" link cannot open "meus dados".
    let (status, _) = app
        .get_json(&format!("/my-data?k={}", secret(&requests_link)))
        .await;
    assert_eq!(status, 404);

    // The page says what is held, in both offices.
    let (status, page) = app.get_html(&format!("/my-data?k={k}")).await;
    assert_eq!(status, 200);
    for held in [
        "Maria da Silva",
        email,
        "98765-4321",
        "comprovante.pdf",
        "guia.png",
        "Porto Velho",
        "versão",
        "Apagar meus dados",
        "/my-data/export?k=",
    ] {
        assert!(page.contains(held), "the page shows {held}");
    }

    // The download is complete: every request, its whole history and files.
    let r = app
        .client
        .get(app.url(&format!("/my-data/export?k={k}")))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .starts_with("attachment; filename=\"meus-dados-balcao-")
    );
    let export: Value = r.json().await.expect("json");
    let (_, inline) = app.get_json(&format!("/my-data?k={k}")).await;
    // The same document, but for the file links, signed anew each time.
    assert_eq!(
        unsigned(inline["requests"].clone()),
        unsigned(export["requests"].clone()),
        "JSON clients get it inline"
    );
    let requests = export["requests"].as_array().expect("requests");
    assert_eq!(
        requests.len(),
        2,
        "both of this address's requests, no one else's"
    );
    let all = export.to_string();
    for held in [
        "Maria da Silva",
        email,
        "52998224725",
        "11987654321",
        "Qual o prazo para uma escritura?",
        "Traga o original do RG.",
        "comprovante.pdf",
        "guia.png",
    ] {
        assert!(all.contains(held), "the export holds {held}");
    }
    assert!(!all.contains("token_hashes") && !all.contains("citizen_key"));
    assert_eq!(export["consents"].as_array().map(Vec::len), Some(2));
    let sp_export = requests
        .iter()
        .find(|r| r["id"] == json!(sp))
        .expect("the SP request");
    let files: Vec<&Value> = sp_export["history"]
        .as_array()
        .expect("history")
        .iter()
        .flat_map(|h| h["files"].as_array().expect("files"))
        .collect();
    assert_eq!(files.len(), 2);
    let link = files[0]["download_url"].as_str().expect("link");
    let bytes = app
        .client
        .get(link)
        .send()
        .await
        .expect("file")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.as_ref(), ONE_PAGE_PDF, "each file downloads");

    // Erasing needs the confirmation.
    let (status, e) = post(&app, "/my-data/erase", json!({ "k": k })).await;
    assert_eq!(status, 422, "{e}");
    assert!(app.get_json(&format!("/tickets/{sp}?k={sp_k}")).await.0 == 200);

    let (status, done) = post(&app, "/my-data/erase", json!({ "k": k, "confirm": true })).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done, json!({ "cancelled": 2, "erased": 2 }));
    app.wait_for_subject(
        "atendimento@1tabeliao-sp.example.com",
        "Solicitação nº 1 cancelada pelo cidadão",
    )
    .await;
    app.wait_for_subject(
        "atendimento@tabelionato-pvh.example.com",
        "Solicitação nº 1 cancelada pelo cidadão",
    )
    .await;
    let confirmation = app
        .wait_for_subject(email, "Seus dados foram apagados")
        .await;
    assert!(confirmation.text.contains("2 solicitação(ões)"));

    // Again: nothing changes, no second email.
    let (status, again) = post(&app, "/my-data/erase", json!({ "k": k, "confirm": true })).await;
    assert_eq!(
        (status, again),
        (200, json!({ "cancelled": 0, "erased": 0 }))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let confirmations = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m.to == email && m.subject.contains("apagados"))
        .count();
    assert_eq!(confirmations, 1);

    // Every link of the address is gone.
    for path in [
        format!("/my-data?k={k}"),
        format!("/my-data/export?k={k}"),
        format!("/tickets/{sp}?k={sp_k}"),
        format!("/tickets/{ro}?k={ro_k}"),
        format!("/tickets/{sp}?k={}", secret(&requests_link)),
        requests_link.clone(),
    ] {
        assert_eq!(app.get_json(&path).await.0, 404, "{path}");
    }

    // Staff keep the record, without the person.
    let t = staff_view(&app, &staff, &sp).await;
    assert_eq!(t["citizen"]["name"], "Titular removido");
    assert_eq!(t["status"], "cancelled");
    let history = t["history"].to_string();
    assert!(history.contains("Dados pessoais apagados a pedido do titular"));
    assert!(
        history.contains("Paula"),
        "who acted as staff stays: {history}"
    );
    let (_, page) = app
        .client
        .get(app.url(&format!("/staff/requests/{sp}")))
        .bearer_auth(&staff)
        .send()
        .await
        .map(|r| (0, r))
        .expect("page");
    let page = page.text().await.expect("html");
    assert!(page.contains("Titular removido"));

    // Nothing personal remains in the database or in file storage.
    let rows = stored_rows(&dir, &[sp.clone(), ro.clone()]);
    for personal in PERSONAL {
        assert!(!rows.contains(personal), "{personal} remains:\n{rows}");
    }
    let files = app.running.local.blobs.stored_keys().expect("keys");
    assert!(
        !files.iter().any(|f| f.contains(&sp) || f.contains(&ro)),
        "{files:?}"
    );
    let others = stored_rows(&dir, &[other_id]);
    assert!(others.contains("Joana Prado"), "other people's data stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_requests_are_erased_once_on_the_day_their_retention_ends() {
    let dir = data_dir();
    let start: jiff::Timestamp = "2026-12-01T15:00:00Z".parse().expect("time");
    let app = TestApp::spawn_with(|o| {
        o.data_dir = Some(dir.clone());
        o.manual_clock = Some(start);
    })
    .await;
    let manager = app.staff_login(MANAGER).await;

    // The office keeps closed requests for 30 days; less is refused.
    let r = app
        .client
        .get(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(&manager)
        .send()
        .await
        .expect("settings");
    let mut doc: Value = r.json().await.expect("json");
    assert_eq!(
        doc["retention_days"], 365,
        "a year unless the office says otherwise"
    );
    doc["retention_days"] = json!(29);
    let (status, e) = app.post_json("/staff/office", Some(&manager), &doc).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("retention_days"));
    doc["retention_days"] = json!(30);
    let (status, saved) = app.post_json("/staff/office", Some(&manager), &doc).await;
    assert_eq!((status, &saved["retention_days"]), (200, &json!(30)));

    let email = "titular@example.com";
    let (id, k) = open(&app, SP_OFFICE, email, Some("comprovante.pdf")).await;
    let (kept, _) = open(&app, SP_OFFICE, "aberta@example.com", None).await;
    let (status, _) = post(&app, &format!("/tickets/{id}/close"), json!({ "k": k })).await;
    assert_eq!(status, 200);

    // Day 29 after the close: still kept.
    app.advance_minutes(29 * 24 * 60).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let t = staff_view(&app, &manager, &id).await;
    assert_eq!(t["citizen"]["name"], "Maria da Silva");

    // Day 30: erased, files included; the open request is untouched.
    app.advance_minutes(24 * 60).await;
    let mut erased = Value::Null;
    for _ in 0..100 {
        erased = staff_view(&app, &manager, &id).await;
        if erased["citizen"]["name"] == "Titular removido" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(erased["citizen"]["name"], "Titular removido");
    assert!(
        erased["history"]
            .to_string()
            .contains("prazo de guarda (30 dias")
    );
    assert_eq!(
        staff_view(&app, &manager, &kept).await["citizen"]["name"],
        "Maria da Silva"
    );

    // Days later: erased once, and nothing personal anywhere.
    app.advance_minutes(3 * 24 * 60).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let t = staff_view(&app, &manager, &id).await;
    let erasures = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["text"].as_str().is_some_and(|s| s.contains("apagados")))
        .count();
    assert_eq!(erasures, 1);
    let rows = stored_rows(&dir, std::slice::from_ref(&id));
    for personal in PERSONAL {
        assert!(!rows.contains(personal), "{personal} remains:\n{rows}");
    }
    let files = app.running.local.blobs.stored_keys().expect("keys");
    assert!(!files.iter().any(|f| f.contains(&id)), "{files:?}");
    assert_eq!(app.get_json(&format!("/tickets/{id}?k={k}")).await.0, 404);
}

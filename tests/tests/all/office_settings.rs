//! The office's configuration over HTTP (SPEC S1): managers change it, one
//! section or the whole document, over the version they read; attendants only
//! read it; what changes shows where it is used.

use balcao_tests::{SP_OFFICE, TestApp};
use serde_json::{Value, json};

const MANAGER: &str = "gestor@1-tabeliao-notas-sao-paulo.example.com";
const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";

async fn settings(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .get(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

async fn post_form(app: &TestApp, token: &str, form: &[(&str, String)]) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_changes_the_settings_and_attendants_cannot() {
    let app = TestApp::spawn().await;
    let manager = app.staff_login(MANAGER).await;
    let attendant = app.staff_login(ATTENDANT).await;
    let s = settings(&app, &attendant).await;
    let v = s["version"].as_u64().expect("version");
    let certificate = s["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|x| x["kind"] == "certificate")
        .expect("certificate service");
    assert_eq!(certificate["start_window_minutes"], 15, "seed 004's window");

    let change = |v: u64| {
        vec![
            ("section", "service".to_owned()),
            ("service", "contato".to_owned()),
            ("version", v.to_string()),
            (
                "checklist",
                "Assunto identificado\nResposta revisada".to_owned(),
            ),
            ("response_window_hours", "24".to_owned()),
        ]
    };
    let (status, e) = post_form(&app, &attendant, &change(v)).await;
    assert_eq!(status, 403, "{e}");
    let (status, saved) = post_form(&app, &manager, &change(v)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], v + 1);
    // Another change over the old version loses (the same one sent again is
    // its own retry: `the_same_document_sent_again_is_no_conflict`).
    let mut other = change(v);
    other[4].1 = "48".to_owned();
    let (status, _) = post_form(&app, &manager, &other).await;
    assert_eq!(status, 409, "a change over an old version loses");

    // The new checklist is what staff answer on the next request.
    let (_, opened) = app
        .open_json(
            SP_OFFICE,
            &balcao_tests::contact_request("config@example.com"),
        )
        .await;
    let id = opened["id"].as_str().expect("id");
    // The steps are answered once the analysis starts.
    let (status, _) = app
        .post_json(
            &format!("/staff/requests/{id}/analysis"),
            Some(&attendant),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let page = app
        .client
        .get(app.url(&format!("/staff/requests/{id}")))
        .header("accept", "text/html")
        .bearer_auth(&attendant)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Resposta revisada"),
        "the new step is offered"
    );

    // Sections written as lines; bad lines say where.
    let v = v + 1;
    let (status, e) = post_form(
        &app,
        &manager,
        &[
            ("section", "hours".into()),
            ("version", v.to_string()),
            ("hours", "seg 08:00-12:00\nter 18:00-08:00".into()),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        e["error"]["fields"]["hours"]
            .as_str()
            .expect("reason")
            .starts_with("linha 2"),
        "{e}"
    );
    let (status, saved) = post_form(
        &app,
        &manager,
        &[
            ("section", "holidays".into()),
            ("version", v.to_string()),
            (
                "holidays",
                "20/11/2026 Consciência Negra (municipal)\n2026-12-24 Véspera de Natal".into(),
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["holidays"][0]["date"], "2026-11-20");
    let (status, saved) = post_form(
        &app,
        &manager,
        &[
            ("section", "notifications".into()),
            ("version", (v + 1).to_string()),
            ("new_request", "true".into()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        saved["notifications"],
        json!({"new_request": true, "citizen_message": false})
    );

    // The whole document as JSON, checked as a whole.
    let mut doc = settings(&app, &manager).await;
    doc["slot_minutes"] = json!(0);
    doc["attendants"] = json!([]);
    let r = app
        .client
        .post(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(&manager)
        .json(&doc)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"]["fields"]["slot_minutes"].is_string());
    doc["slot_minutes"] = json!(40);
    let r = app
        .client
        .post(app.url("/staff/office"))
        .header("accept", "application/json")
        .bearer_auth(&manager)
        .json(&doc)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let after = settings(&app, &attendant).await;
    assert_eq!(after["slot_minutes"], 40);
    assert_eq!(after["attendants"], json!([]));
    let (_, card) = app.get_json(&format!("/offices/{SP_OFFICE}")).await;
    assert_eq!(card["attendants"], json!([]), "the office card follows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_document_and_the_forms_share_one_validation_of_texts() {
    let app = TestApp::spawn().await;
    let manager = app.staff_login(MANAGER).await;
    let s = settings(&app, &manager).await;
    let version = s["version"].as_u64().expect("version");

    // A line break in a service name would reach email subjects: refused as JSON...
    let mut doc = s.clone();
    doc["services"][0]["name"] = json!("Contato\r\nBcc: alvo@example.com");
    let (status, e) = app.post_json("/staff/office", Some(&manager), &doc).await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["fields"]["services"]
            .as_str()
            .expect("reason")
            .contains("quebras de linha"),
        "{e}"
    );
    // ... and so are lengths without bound.
    let mut doc = s.clone();
    doc["sectors"][0]["name"] = json!("s".repeat(500));
    let (status, e) = app.post_json("/staff/office", Some(&manager), &doc).await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"]["fields"]["sectors"].is_string(), "{e}");
    // The form path meets the same rules.
    let (status, e) = post_form(
        &app,
        &manager,
        &[
            ("section", "sector".to_owned()),
            ("version", version.to_string()),
            ("name", "n".repeat(200)),
        ],
    )
    .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(
        settings(&app, &manager).await["version"],
        version,
        "nothing was saved"
    );
}

/// A document sent again after its answer was lost (issue 17) answers the
/// saved settings, not a conflict; a stale document that would change
/// something is still one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_document_sent_again_is_no_conflict() {
    let app = TestApp::spawn().await;
    let manager = app.staff_login(MANAGER).await;
    let mut doc = settings(&app, &manager).await;
    let version = doc["version"].as_u64().expect("version");
    doc["slot_minutes"] = json!(45);
    for _ in 0..2 {
        let (status, saved) = app.post_json("/staff/office", Some(&manager), &doc).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["version"], version + 1, "saved once");
        assert_eq!(saved["slot_minutes"], 45);
    }
    doc["slot_minutes"] = json!(60);
    let (status, e) = app.post_json("/staff/office", Some(&manager), &doc).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(settings(&app, &manager).await["slot_minutes"], 45);
}

/// The privacy notice (LGPD): public with its version, a changed text is a new
/// version dated the day it changed, the same text is not, and a request's
/// consent names the version the citizen accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_privacy_notice_is_a_new_version_that_consents_name() {
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-30T13:00:00Z".parse().expect("instant"))
    })
    .await;
    let (status, notice) = app.get_json(&format!("/offices/{SP_OFFICE}/privacy")).await;
    assert_eq!(status, 200);
    assert_eq!(notice["version"], "2026-07");
    assert!(
        notice["text"].as_str().expect("text").contains("LGPD"),
        "{notice}"
    );
    let (status, page) = app.get_html(&format!("/offices/{SP_OFFICE}/privacy")).await;
    assert_eq!(status, 200);
    assert!(page.contains("versão 2026-07"), "{page}");
    let (_, form) = app
        .get_html(&format!(
            "/offices/{SP_OFFICE}/requests/new?service=contato"
        ))
        .await;
    assert!(
        form.contains(&format!("/offices/{SP_OFFICE}/privacy")),
        "the form links to it"
    );
    let (status, _) = app.get_json("/offices/nao-existe/privacy").await;
    assert_eq!(status, 404);

    let manager = app.staff_login(MANAGER).await;
    let attendant = app.staff_login(ATTENDANT).await;
    let s = settings(&app, &manager).await;
    assert_eq!(s["privacy_version"], "2026-07");
    let text = "Tratamos seus dados (LGPD) só para atender sua solicitação.\nFale com o encarregado: dpo@cartorio.example.";
    let post = |v: u64, text: &str| {
        vec![
            ("section", "privacy".to_owned()),
            ("version", v.to_string()),
            ("privacy_text", text.to_owned()),
        ]
    };
    let v = s["version"].as_u64().expect("version");
    let (status, _) = post_form(&app, &attendant, &post(v, text)).await;
    assert_eq!(status, 403, "only the manager");
    let (status, saved) = post_form(&app, &manager, &post(v, text)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["privacy_version"], "2026-11-30");
    // The same text again is no new version; another change that day is `.2`.
    let (_, same) = post_form(&app, &manager, &post(v + 1, text)).await;
    assert_eq!(same["privacy_version"], "2026-11-30");
    let (status, bad) = post_form(&app, &manager, &post(v + 2, "   ")).await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["error"]["fields"]["privacy_text"].is_string(), "{bad}");
    let (_, notice) = app.get_json(&format!("/offices/{SP_OFFICE}/privacy")).await;
    assert_eq!(notice["version"], "2026-11-30");
    assert!(
        notice["text"]
            .as_str()
            .expect("text")
            .contains("encarregado")
    );

    let (status, opened) = app
        .open_json(
            SP_OFFICE,
            &balcao_tests::contact_request("lgpd.versao@example.com"),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let url = opened["ticket_url"].as_str().expect("url");
    let (_, ticket) = app.get_json(&app.local_path(url)).await;
    assert_eq!(ticket["consent"]["version"], "2026-11-30", "{ticket}");
}

async fn post_page(app: &TestApp, token: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .post(app.url("/staff/office"))
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.text().await.expect("page"))
}

async fn staff_page(app: &TestApp, token: &str) -> String {
    let r = app
        .client
        .get(app.url("/staff/office"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    r.text().await.expect("page")
}

/// Sectors, attendants, services and their field rules are kept with forms a
/// manager fills in (names, not ids or `id;Nome` lines); a refused form comes
/// back with its error inside it and what was typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_keep_sectors_attendants_services_and_field_rules_with_forms() {
    let app = TestApp::spawn().await;
    let manager = app.staff_login(MANAGER).await;
    let version = |s: &Value| s["version"].as_u64().expect("version").to_string();

    // A sector by its name: the id is made from it.
    let s = settings(&app, &manager).await;
    let (status, _) = post_page(
        &app,
        &manager,
        &[
            ("section", "sector"),
            ("version", &version(&s)),
            ("name", "Notas e Procurações"),
        ],
    )
    .await;
    assert_eq!(status, 303, "saved, back to the page");
    let s = settings(&app, &manager).await;
    let sector = s["sectors"]
        .as_array()
        .expect("sectors")
        .iter()
        .find(|x| x["name"] == "Notas e Procurações")
        .expect("added");
    assert_eq!(sector["id"], "notas-e-procuracoes");
    // Renamed, then removed.
    post_page(
        &app,
        &manager,
        &[
            ("section", "sector"),
            ("version", &version(&s)),
            ("id", "notas-e-procuracoes"),
            ("name", "Procurações"),
        ],
    )
    .await;
    let s = settings(&app, &manager).await;
    assert!(
        s["sectors"]
            .as_array()
            .expect("sectors")
            .iter()
            .any(|x| x["id"] == "notas-e-procuracoes" && x["name"] == "Procurações"),
        "{s}"
    );
    post_page(
        &app,
        &manager,
        &[
            ("section", "sector"),
            ("version", &version(&s)),
            ("id", "notas-e-procuracoes"),
            ("name", ""),
            ("remove", "1"),
        ],
    )
    .await;
    let s = settings(&app, &manager).await;
    assert!(
        !s["sectors"]
            .as_array()
            .expect("sectors")
            .iter()
            .any(|x| x["id"] == "notas-e-procuracoes"),
        "{s}"
    );

    // An attendant with a bad email: refused inside its own form, typed values kept.
    let (status, page) = post_page(
        &app,
        &manager,
        &[
            ("section", "attendant"),
            ("version", &version(&s)),
            ("name", "Márcia Lima"),
            ("email", "marcia@"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let form = page
        .split("id=\"form-attendant-new\"")
        .nth(1)
        .and_then(|rest| rest.split("</form>").next())
        .expect("the new-attendant form");
    assert!(form.contains("role=\"alert\""), "{form}");
    assert!(form.contains("value=\"Márcia Lima\""), "{form}");
    assert!(form.contains("value=\"marcia@\""), "{form}");
    assert_eq!(
        settings(&app, &manager).await["version"].to_string(),
        version(&s),
        "nothing saved"
    );
    post_page(
        &app,
        &manager,
        &[
            ("section", "attendant"),
            ("version", &version(&s)),
            ("name", "Márcia Lima"),
            ("email", "marcia@example.com"),
        ],
    )
    .await;
    let s = settings(&app, &manager).await;
    assert!(
        s["attendants"]
            .as_array()
            .expect("attendants")
            .iter()
            .any(|a| a["id"] == "marcia-lima" && a["email"] == "marcia@example.com"),
        "{s}"
    );

    // A new service of a kind, then its field rules: the public form follows.
    post_page(
        &app,
        &manager,
        &[
            ("section", "new_service"),
            ("version", &version(&s)),
            ("kind", "contact"),
            ("name", "Dúvidas sobre escrituras"),
        ],
    )
    .await;
    let s = settings(&app, &manager).await;
    let added = s["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|x| x["id"] == "duvidas-sobre-escrituras")
        .expect("added service");
    assert_eq!(added["kind"], "contact");
    assert_eq!(added["fields"]["message"], "required");
    let (status, _) = post_page(
        &app,
        &manager,
        &[
            ("section", "service"),
            ("service", "duvidas-sobre-escrituras"),
            ("version", &version(&s)),
            ("name", "Dúvidas sobre escrituras"),
            ("description", "Tire dúvidas antes de vir ao cartório."),
            ("rule_document", "required"),
            ("rule_mobile", "hidden"),
            ("checklist", ""),
            ("start_window_minutes", ""),
            ("response_window_hours", "24"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, form) = app
        .get_html(&format!(
            "/offices/{SP_OFFICE}/requests/new?service=duvidas-sobre-escrituras"
        ))
        .await;
    assert!(
        form.contains("Tire dúvidas antes de vir ao cartório."),
        "{form}"
    );
    assert!(form.contains("name=\"document\""), "{form}");
    assert!(!form.contains("name=\"mobile\""), "{form}");
    let mut open = balcao_tests::contact_request("regras@example.com");
    open["service"] = json!("duvidas-sobre-escrituras");
    open.as_object_mut().expect("object").remove("document");
    let (status, e) = app.open_json(SP_OFFICE, &open).await;
    assert_eq!(status, 422, "the document is now required: {e}");
    assert!(e["error"]["fields"]["document"].is_string(), "{e}");
    // Name and email cannot be made optional, from the page or otherwise.
    let s = settings(&app, &manager).await;
    let (status, _) = post_page(
        &app,
        &manager,
        &[
            ("section", "service"),
            ("service", "duvidas-sobre-escrituras"),
            ("version", &version(&s)),
            ("rule_email", "hidden"),
        ],
    )
    .await;
    assert_eq!(status, 303, "not a field the page offers: ignored");
    assert_eq!(
        settings(&app, &manager).await["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|x| x["id"] == "duvidas-sobre-escrituras")
            .expect("service")["fields"]["email"],
        "required"
    );
    // The page shows the forms, not `id;Nome` lines.
    let page = staff_page(&app, &manager).await;
    assert!(
        page.contains("Adicionar setor")
            && page.contains("Adicionar atendente")
            && page.contains("Adicionar atendimento"),
        "{page}"
    );
    assert!(
        page.contains("id=\"fr-duvidas-sobre-escrituras-document\""),
        "{page}"
    );
    assert!(!page.contains("id;Nome"), "{page}");
    // Removing the service takes it off the office's page.
    let s = settings(&app, &manager).await;
    post_page(
        &app,
        &manager,
        &[
            ("section", "service"),
            ("service", "duvidas-sobre-escrituras"),
            ("version", &version(&s)),
            ("remove", "1"),
        ],
    )
    .await;
    let (_, office) = app.get_html(&format!("/offices/{SP_OFFICE}")).await;
    assert!(!office.contains("Dúvidas sobre escrituras"), "{office}");
}

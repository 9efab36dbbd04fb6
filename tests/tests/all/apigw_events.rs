//! The Lambda handlers fed with API Gateway HTTP API (payload 2.0) events, as
//! `lambda_http` decodes them on AWS, over a seeded SQLite store.

use balcao_app::{App, Offices, Outbox};
use balcao_embedded::SqliteStore;
use balcao_web::Op;
use std::sync::Arc;

async fn app() -> (App, SqliteStore) {
    let store = SqliteStore::in_memory().expect("sqlite");
    for o in balcao_local::seed::demo_offices() {
        store.put_office(&o).await.expect("seed");
    }
    let app = balcao_tests::app_over(Arc::new(store.clone()));
    (app, store)
}

fn event(name: &str) -> lambda_http::Request {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn body_json(r: &balcao_web::Response) -> serde_json::Value {
    serde_json::from_slice(r.body().as_ref()).expect("JSON body")
}

#[tokio::test]
async fn get_office_reads_the_path_parameter() {
    let (app, _) = app().await;
    let r = Op::GetOffice.handle(&app, event("get-office.json")).await;
    assert_eq!(r.status(), 200);
    let card = body_json(&r);
    assert_eq!(card["id"], "1-tabeliao-notas-sao-paulo");
    assert_eq!(card["services"].as_array().expect("services").len(), 5);
}

#[tokio::test]
async fn list_slots_reads_both_path_parameters_and_the_query() {
    let (app, _) = app().await;
    let r = Op::ListSlots.handle(&app, event("list-slots.json")).await;
    assert_eq!(r.status(), 200);
    let s = body_json(&r);
    assert_eq!(s["office"], "1-tabeliao-notas-sao-paulo");
    assert_eq!(s["service"], "agendamento");
    assert_eq!(s["days"], 7);
    assert_eq!(s["timezone"], "America/Sao_Paulo");
    assert!(!s["slots"].as_array().expect("slots").is_empty());
}

#[tokio::test]
async fn list_offices_reads_the_query_string() {
    let (app, _) = app().await;
    let r = Op::ListOffices
        .handle(&app, event("list-offices.json"))
        .await;
    assert_eq!(r.status(), 200);
    let list = body_json(&r);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["timezone"], "America/Porto_Velho");
}

#[tokio::test]
async fn open_request_decodes_a_base64_form_and_redirects_to_the_ticket() {
    let (app, store) = app().await;
    let r = Op::OpenRequest
        .handle(&app, event("open-request-form.json"))
        .await;
    assert_eq!(
        r.status(),
        303,
        "{:?}",
        String::from_utf8_lossy(r.body().as_ref())
    );
    let location = r.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/tickets/"));
    // Called twice, as a retried invocation would be: still one ticket and one mail.
    let again = Op::OpenRequest
        .handle(&app, event("open-request-form.json"))
        .await;
    assert_eq!(
        again.headers()["location"].to_str().expect("location"),
        location,
        "same ticket, same link"
    );
    let due = store
        .due_mail(
            jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1),
            10,
        )
        .await
        .expect("due");
    assert_eq!(
        due.len(),
        2,
        "the citizen's confirmation and the office's notice, once"
    );
    let mut to_citizen = Vec::new();
    for id in &due {
        let mail = store.get_mail(*id).await.expect("get").expect("mail");
        if mail.to.as_str() == "jose@example.com" {
            to_citizen.push(mail);
        }
    }
    assert_eq!(to_citizen.len(), 1);
    let mail = to_citizen[0].render();
    assert!(
        mail.text
            .starts_with("Acompanhe sua solicitação nº 1:\nhttps://balcao.example.gov.br/tickets/")
    );
    assert!(mail.text.contains("José Pereira"));
}

#[tokio::test]
async fn an_unknown_ticket_is_a_json_404() {
    let (app, _) = app().await;
    let r = Op::GetTicket
        .handle(&app, event("get-ticket-unknown.json"))
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(body_json(&r)["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_upload_slot_reads_the_office_and_the_json_body() {
    let (app, _) = app().await;
    let r = Op::NewUpload.handle(&app, event("new-upload.json")).await;
    assert_eq!(
        r.status(),
        201,
        "{}",
        String::from_utf8_lossy(r.body().as_ref())
    );
    let slot = body_json(&r);
    assert_eq!(slot["content_type"], "application/pdf");
    assert!(
        slot["attachment"]
            .as_str()
            .expect("attachment")
            .ends_with(":comprovante de residência.pdf")
    );
    let key = slot["upload"]["fields"]["key"].as_str().expect("key");
    assert!(key.starts_with("uploads/"), "{key}");
}

#[tokio::test]
async fn a_staff_download_reads_the_authorizer_claims_and_path() {
    let (app, _) = app().await;
    let r = Op::StaffAttachment
        .handle(&app, event("staff-attachment-unknown.json"))
        .await;
    // Signed in (not 401), and the request does not exist.
    assert_eq!(r.status(), 404);
    assert_eq!(body_json(&r)["error"]["code"], "not_found");
}

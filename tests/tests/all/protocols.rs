//! Protocol lookup over HTTP (SPEC C11): staff publish one protocol or a CSV;
//! citizens find it by number and CPF; a wrong CPF reveals nothing.

use balcao_tests::{CPF, RO_OFFICE, SP_OFFICE, TestApp};
use serde_json::{Value, json};

const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const OTHER_CPF: &str = "111.444.777-35";

async fn lookup(app: &TestApp, office: &str, number: &str, cpf: &str) -> (u16, Value) {
    app.post_json(
        &format!("/offices/{office}/protocols/{number}"),
        None,
        &json!({ "cpf": cpf }),
    )
    .await
}

async fn publish(app: &TestApp, token: &str, number: &str) {
    let (status, body) = app
        .post_json(
            "/staff/protocols",
            Some(token),
            &json!({ "number": number, "cpf": CPF, "status": "Registrado", "history": "" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_protocol_is_found_by_number_and_cpf_only() {
    let app = TestApp::spawn().await;
    let token = app.staff_login(ATTENDANT).await;
    let r = app
        .client
        .post(app.url("/staff/protocols"))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .json(&json!({
            "number": "123.456/2026", "cpf": CPF, "status": "Em exigência",
            "history": "10/11/2026 Título recebido\n20/11/2026 Exigência: certidão de casamento",
        }))
        .send()
        .await
        .expect("publish");
    assert_eq!(r.status().as_u16(), 200);

    let (status, p) = lookup(&app, SP_OFFICE, "123456-2026", "52998224725").await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "Em exigência");
    assert_eq!(p["history"][1]["text"], "Exigência: certidão de casamento");
    assert!(
        !p.to_string().contains("52998224725"),
        "the CPF is not shown back"
    );

    // A wrong CPF, an unknown number and another office answer the same.
    let wrong = lookup(&app, SP_OFFICE, "123456-2026", OTHER_CPF).await;
    let unknown = lookup(&app, SP_OFFICE, "999999", CPF).await;
    let elsewhere = lookup(&app, RO_OFFICE, "123456-2026", CPF).await;
    assert_eq!(wrong.0, 404);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, elsewhere);
    assert_eq!(
        lookup(&app, SP_OFFICE, "123456-2026", "123").await.0,
        422,
        "not a CPF"
    );

    // The office card's plain form posts: the CPF never goes in a URL.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/protocols/busca")))
        .header("accept", "text/html")
        .form(&[("numero", "123.456/2026"), ("cpf", CPF)])
        .send()
        .await
        .expect("form");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("page");
    assert!(page.contains("Em exigência") && page.contains("20/11/2026"));
    let (_, card) = app.get_html(&format!("/offices/{SP_OFFICE}")).await;
    assert!(card.contains("Consultar protocolo"));
    assert!(card.contains(&format!(
        "<form method=\"post\" action=\"/offices/{SP_OFFICE}/protocols/busca\">"
    )));
    let old_way = app
        .get_json(&format!(
            "/offices/{SP_OFFICE}/protocols/123456-2026?cpf={CPF}"
        ))
        .await;
    assert_eq!(old_way.0, 405, "no lookup by GET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_cpfs_lock_the_number_for_an_hour_whatever_the_cpf() {
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-23T13:00:00Z".parse().expect("instant"));
    })
    .await;
    let token = app.staff_login(ATTENDANT).await;
    publish(&app, &token, "555").await;
    publish(&app, &token, "556").await;
    // Five misses answer like an unknown number.
    for _ in 0..5 {
        assert_eq!(lookup(&app, SP_OFFICE, "555", OTHER_CPF).await.0, 404);
    }
    // Then the number answers 429 for the hour, even to the right CPF.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/protocols/555")))
        .header("accept", "application/json")
        .json(&json!({ "cpf": CPF }))
        .send()
        .await
        .expect("lookup");
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((3000..=3600).contains(&retry), "{retry}");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests");
    // Other numbers are not affected, nor is the same number at another office.
    assert_eq!(lookup(&app, SP_OFFICE, "556", CPF).await.0, 200);
    assert_eq!(lookup(&app, RO_OFFICE, "555", CPF).await.0, 404);
    // A person gets the form back with what they typed.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/protocols/busca")))
        .header("accept", "text/html")
        .form(&[("numero", "555"), ("cpf", CPF)])
        .send()
        .await
        .expect("form");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let page = r.text().await.expect("page");
    assert!(page.contains("Tente de novo em"), "{page}");
    assert!(page.contains("value=\"555\""), "the number stays typed");
    // An hour later the right CPF finds it again.
    app.advance_minutes(61).await;
    assert_eq!(lookup(&app, SP_OFFICE, "555", CPF).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_publishes_all_or_names_every_bad_row() {
    let app = TestApp::spawn().await;
    let token = app.staff_login(ATTENDANT).await;
    let import = |csv: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let form = reqwest::multipart::Form::new().part(
                "csv",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("protocolos.csv"),
            );
            let r = app
                .client
                .post(app.url("/staff/protocols/import"))
                .header("accept", "application/json")
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .expect("import");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let bad = "protocolo;cpf;situacao;data;andamento\n\
               555;529.982.247-25;Registrado;01/11/2026;Registro concluído\n\
               556;111.111.111-11;Recebido;01/11/2026;x\n\
               557;529.982.247-25;Recebido;31/02/2026;y\n";
    let (status, e) = import(bad).await;
    assert_eq!(status, 422, "{e}");
    let reason = e["error"]["fields"]["csv"].as_str().expect("reason");
    assert!(
        reason.contains("linha 3: cpf") && reason.contains("linha 4: history"),
        "{reason}"
    );
    assert_eq!(
        lookup(&app, SP_OFFICE, "555", CPF).await.0,
        404,
        "nothing published"
    );

    let good = "Protocolo;CPF;Situação;Data;Andamento\n\
                555;529.982.247-25;Recebido;01/11/2026;Título recebido\n\
                555;529.982.247-25;Registrado;05/11/2026;Registro concluído\n\
                777;111.444.777-35;Em análise;03/11/2026;Em qualificação\n";
    let (status, body) = import(good).await;
    assert_eq!((status, &body["imported"]), (200, &json!(2)), "{body}");
    let (_, p) = lookup(&app, SP_OFFICE, "555", CPF).await;
    assert_eq!(p["status"], "Registrado");
    assert_eq!(p["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(lookup(&app, SP_OFFICE, "777", OTHER_CPF).await.0, 200);

    // A text/csv body works too, and a second import replaces the protocol.
    let r = app
        .client
        .post(app.url("/staff/protocols/import"))
        .header("accept", "application/json")
        .header("content-type", "text/csv")
        .bearer_auth(&token)
        .body("protocolo,cpf,situacao,data,andamento\n777,111.444.777-35,Registrado,10/11/2026,Concluído\n")
        .send()
        .await
        .expect("import");
    assert_eq!(r.status().as_u16(), 200);
    let (_, p) = lookup(&app, SP_OFFICE, "777", OTHER_CPF).await;
    assert_eq!(p["status"], "Registrado");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_cpf_is_a_keyed_hash_that_the_table_alone_cannot_check() {
    use balcao_app::Publications;
    use sha2::Digest;
    let app = TestApp::spawn().await;
    let token = app.staff_login(ATTENDANT).await;
    publish(&app, &token, "777").await;
    let office = balcao_core::OfficeId::parse(SP_OFFICE).expect("office");
    let stored = app
        .running
        .store
        .get_protocol(&office, &balcao_core::protocol_key("777"))
        .await
        .expect("read")
        .expect("published");
    let digits = "52998224725";
    let unkeyed = [
        digits.to_owned(),
        format!("protocolo:{SP_OFFICE}:777:{digits}"),
    ]
    .map(|s| hex(&sha2::Sha256::digest(s.as_bytes())));
    assert!(!unkeyed.contains(&stored.cpf_hash), "no plain SHA-256");
    assert!(!stored.cpf_hash.contains(digits));
    assert_eq!(stored.cpf_hash.len(), 64, "HMAC-SHA256, hex");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

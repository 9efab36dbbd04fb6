//! Attachments over HTTP on the local runtime (SPEC C8): files at opening and
//! later, both directions, checked by content before anyone else can download
//! them, refusals that say why and keep nothing.

use balcao_tests::{RO_OFFICE, SP_OFFICE, TestApp, contact_request, first_link};
use serde_json::{Value, json};

const ATTENDANT: &str = "paula@1-tabeliao-notas-sao-paulo.example.com";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
const PDF: &[u8] = balcao_tests::ONE_PAGE_PDF;

fn slot_path() -> String {
    format!("/offices/{SP_OFFICE}/attachments")
}

/// The upload id of an `attachment` value (`<id>.<signature>:<name>`).
fn file_id(attachment: &str) -> &str {
    attachment
        .split(':')
        .next()
        .and_then(|h| h.split('.').next())
        .expect("id")
}

async fn post_json(app: &TestApp, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    app.post_json(path, bearer, &body).await
}

/// Where a history entry's files can be downloaded, by name.
fn files_of(entry: &Value) -> Vec<(String, String)> {
    entry["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["name"].as_str().expect("name").to_owned(),
                a["path"].as_str().expect("path").to_owned(),
            )
        })
        .collect()
}

/// No upload and no kept copy (under any request) of this file remains.
async fn nothing_stored(app: &TestApp, attachment: &str) {
    let id = file_id(attachment);
    let keys = app.running.local.blobs.stored_keys().expect("keys");
    assert!(
        !keys.iter().any(|k| k.contains(id)),
        "{id} is not kept: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_and_staff_exchange_files_both_ways() {
    let app = TestApp::spawn().await;
    let email = "anexos@example.com";

    // At opening: a PDF goes straight to storage, then with the request.
    let pdf = app
        .upload(&slot_path(), None, "Comprovante de residência.pdf", PDF)
        .await
        .expect("pdf upload");
    let mut body = contact_request(email);
    body["attachments"] = json!([pdf]);
    let (status, opened) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_str().expect("id").to_owned();
    let k = opened["ticket_url"]
        .as_str()
        .and_then(|u| u.split("k=").nth(1))
        .expect("secret")
        .to_owned();
    let notice = app
        .wait_for_subject("atendimento@1tabeliao-sp.example.com", "Nova solicitação")
        .await;
    assert!(
        notice.text.contains("Comprovante de residência.pdf"),
        "{}",
        notice.text
    );

    // Staff see it and download it under its own name.
    let staff = app.staff_login(ATTENDANT).await;
    let r = app
        .client
        .get(app.url(&format!("/staff/requests/{id}")))
        .header("accept", "application/json")
        .bearer_auth(&staff)
        .send()
        .await
        .expect("view");
    let t: Value = r.json().await.expect("json");
    let files = files_of(&t["history"][0]);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "Comprovante de residência.pdf");
    assert!(files[0].1.starts_with("/staff/requests/"), "{}", files[0].1);
    let (status, disposition, bytes) = app.download(&files[0].1, Some(&staff)).await;
    assert_eq!((status, bytes.as_slice()), (200, PDF));
    assert!(disposition.starts_with("attachment"), "{disposition}");

    // Staff reply with an image and no text; the citizen is emailed and sees it.
    let png = app
        .upload("/staff/attachments", Some(&staff), "guia.png", PNG)
        .await
        .expect("staff upload");
    let (status, after) = post_json(
        &app,
        &format!("/staff/requests/{id}/messages"),
        Some(&staff),
        json!({ "attachments": [png] }),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    let reply = app.wait_for_subject(email, "Resposta").await;
    assert!(reply.text.contains("guia.png"), "{}", reply.text);
    let link = app.local_path(&first_link(&reply.text).expect("link"));
    let (_, ticket) = app.get_json(&link).await;
    let history = ticket["history"].as_array().expect("history");
    let files = files_of(history.last().expect("reply"));
    assert_eq!(files[0].0, "guia.png");
    let (status, _, bytes) = app.download(&format!("{}?k={k}", files[0].1), None).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (200, PNG),
        "the citizen downloads the office's file"
    );

    // The page lists both files with working links, and offers the picker.
    let (_, page) = app.get_html(&format!("/tickets/{id}?k={k}")).await;
    assert!(page.contains("guia.png") && page.contains("Comprovante de residência.pdf"));
    assert!(page.contains(&format!("data-slot=\"/offices/{SP_OFFICE}/attachments\"")));
    assert!(
        page.contains(&format!("data-ticket=\"{id}\"")),
        "the ticket's picker asks for slots bound to it"
    );

    // The citizen answers with a text file; retrying the same post adds nothing.
    let txt = app
        .upload_for_ticket(
            SP_OFFICE,
            &id,
            &k,
            "dados.txt",
            "Segue o número: 123\n".as_bytes(),
        )
        .await
        .expect("txt upload");
    let message = json!({
        "k": k, "message": "Segue o arquivo pedido.", "attachments": [txt],
        "action_key": "01JD00000000000000000000AA",
    });
    for _ in 0..2 {
        let (status, t) = post_json(
            &app,
            &format!("/tickets/{id}/messages"),
            None,
            message.clone(),
        )
        .await;
        assert_eq!(status, 200, "{t}");
    }
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    let history = t["history"].as_array().expect("history");
    assert_eq!(history.len(), 3, "opening, reply, one message");
    assert_eq!(files_of(&history[2])[0].0, "dados.txt");

    // Only the ticket's own readers: a wrong secret, another ticket's file, an unknown file.
    let citizen_path = format!("/tickets/{id}/attachments/{}", file_id(&txt));
    assert_eq!(
        app.download(&format!("{citizen_path}?k=errado"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.download(&format!("{citizen_path}?k={k}"), None).await.0,
        200
    );
    let (_, other) = app
        .open_json(SP_OFFICE, &contact_request("outro@example.com"))
        .await;
    let other_k = other["ticket_url"]
        .as_str()
        .and_then(|u| u.split("k=").nth(1))
        .expect("k");
    let other_id = other["id"].as_str().expect("id");
    let stolen = format!(
        "/tickets/{other_id}/attachments/{}?k={other_k}",
        file_id(&txt)
    );
    assert_eq!(
        app.download(&stolen, None).await.0,
        404,
        "a file of another ticket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_files_say_why_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let (_, opened) = app
        .open_json(SP_OFFICE, &contact_request("recusas@example.com"))
        .await;
    let id = opened["id"].as_str().expect("id").to_owned();
    let k = opened["ticket_url"]
        .as_str()
        .and_then(|u| u.split("k=").nth(1))
        .expect("secret")
        .to_owned();

    // An .exe is refused before any upload.
    let (status, body) = app
        .upload(&slot_path(), None, "programa.exe", b"MZ\x90\0")
        .await
        .expect_err("exe");
    assert_eq!(status, 422);
    let reason = body["error"]["fields"]["attachments"]
        .as_str()
        .expect("reason");
    assert!(reason.contains("tipo de arquivo não aceito"), "{reason}");

    // 3 MB is refused before the upload, and by storage when the size was understated.
    let big = vec![b'a'; 3 * 1024 * 1024];
    let (status, body) = app
        .upload(&slot_path(), None, "grande.txt", &big)
        .await
        .expect_err("3 MB");
    assert_eq!(status, 422);
    let reason = body["error"]["fields"]["attachments"]
        .as_str()
        .expect("reason");
    assert!(reason.contains("3072 KB; o máximo é 2048 KB"), "{reason}");
    let (status, _) = app
        .upload_declared(&slot_path(), None, "grande.txt", 1000, &big)
        .await
        .expect_err("understated");
    assert_eq!(status, 403, "storage enforces the signed size range");

    // A PNG renamed .pdf passes the slot (the name looks fine) but not the check.
    let fake = app
        .upload_for_ticket(SP_OFFICE, &id, &k, "contrato.pdf", PNG)
        .await
        .expect("uploaded before the check");
    let (status, body) = post_json(
        &app,
        &format!("/tickets/{id}/messages"),
        None,
        json!({ "k": k, "message": "Segue o contrato.", "attachments": [fake] }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let reason = body["error"]["fields"]["attachments"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("contrato.pdf: o nome diz documento PDF, mas o conteúdo é imagem PNG"),
        "{reason}"
    );
    nothing_stored(&app, &fake).await;
    let (_, t) = app.get_json(&format!("/tickets/{id}?k={k}")).await;
    assert_eq!(
        t["history"].as_array().expect("history").len(),
        1,
        "no message recorded"
    );

    // Sent again, the refused upload is gone; at opening the same check applies.
    let (status, body) = post_json(
        &app,
        &format!("/tickets/{id}/messages"),
        None,
        json!({ "k": k, "message": "De novo.", "attachments": [fake] }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["attachments"]
            .as_str()
            .expect("reason")
            .contains("não encontrado")
    );
    let fake2 = app
        .upload(&slot_path(), None, "foto.pdf", PNG)
        .await
        .expect("upload");
    let mut request = contact_request("recusas@example.com");
    request["attachments"] = json!([fake2]);
    let (status, body) = app.open_json(SP_OFFICE, &request).await;
    assert_eq!(status, 422, "{body}");
    nothing_stored(&app, &fake2).await;

    // A made-up reference is refused as such.
    let (status, body) = post_json(
        &app,
        &format!("/tickets/{id}/messages"),
        None,
        json!({ "k": k, "message": "x", "attachments": ["qualquer-coisa"] }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["attachments"]
            .as_str()
            .expect("reason")
            .contains("referência")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_file_comes_back_to_the_html_form_with_its_reason() {
    let app = TestApp::spawn().await;
    let fake = app
        .upload(&slot_path(), None, "rg.pdf", PNG)
        .await
        .expect("upload");
    let good = app
        .upload(&slot_path(), None, "cpf.pdf", PDF)
        .await
        .expect("upload");
    let mut form = vec![
        ("service", "contato".to_owned()),
        ("name", "Ana Souza".to_owned()),
        ("email", "ana.html@example.com".to_owned()),
        ("message", "Documentos anexos.".to_owned()),
        ("consent", "true".to_owned()),
    ];
    form.push(("attachments", fake.clone()));
    form.push(("attachments", good.clone()));
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("rg.pdf: o nome diz documento PDF, mas o conteúdo é imagem PNG"),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"{good}\"")),
        "the good file stays in the form"
    );
    // Sent again without the bad one, the good file goes with the request.
    form.retain(|(k, v)| *k != "attachments" || *v == good);
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, page) = app.get_html(&location).await;
    assert!(page.contains("cpf.pdf"), "{page}");
}

/// The opened request's id and link secret.
fn id_and_k(opened: &Value) -> (String, String) {
    let id = opened["id"].as_str().expect("id").to_owned();
    let k = opened["ticket_url"]
        .as_str()
        .and_then(|u| u.split("k=").nth(1))
        .expect("secret")
        .to_owned();
    (id, k)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_belongs_to_the_request_that_kept_it() {
    let app = TestApp::spawn().await;
    let pdf = app
        .upload(&slot_path(), None, "rg.pdf", PDF)
        .await
        .expect("upload");
    let mut body = contact_request("vitima@example.com");
    body["attachments"] = json!([pdf]);
    let (status, opened) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    let (id, k) = id_and_k(&opened);

    // The file's id is public (paths, ticket JSON): a reference made from it is refused,
    // at any office, with or without a made-up signature.
    let fid = file_id(&pdf);
    for forged in [
        format!("{fid}:rg.pdf"),
        format!("{fid}.AAAAAAAAAAAAAAAAAAAAAA:rg.pdf"),
    ] {
        for office in [SP_OFFICE, RO_OFFICE] {
            let mut b = contact_request("atacante@example.com");
            b["attachments"] = json!([forged]);
            let (status, answer) = app.open_json(office, &b).await;
            assert_eq!(status, 422, "{forged} at {office}: {answer}");
        }
    }
    // The real reference is spent: it attaches to no second request.
    let mut again = contact_request("vitima@example.com");
    again["message"] = json!("Outra solicitação com o mesmo arquivo.");
    again["attachments"] = json!([pdf]);
    let (status, answer) = app.open_json(SP_OFFICE, &again).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["fields"]["attachments"]
            .as_str()
            .expect("reason")
            .contains("não encontrado"),
        "{answer}"
    );

    // A slot serves its owner only: another ticket's, a new request's, another office's.
    let (_, other) = app
        .open_json(SP_OFFICE, &contact_request("outra@example.com"))
        .await;
    let (other_id, other_k) = id_and_k(&other);
    let for_other = app
        .upload_for_ticket(SP_OFFICE, &other_id, &other_k, "outra.txt", b"texto")
        .await
        .expect("upload");
    let for_new = app
        .upload(&slot_path(), None, "nova.txt", b"texto")
        .await
        .expect("upload");
    for foreign in [&for_other, &for_new] {
        let (status, answer) = post_json(
            &app,
            &format!("/tickets/{id}/messages"),
            None,
            json!({ "k": k, "message": "x", "attachments": [foreign] }),
        )
        .await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["error"]["fields"]["attachments"]
                .as_str()
                .expect("reason")
                .contains("não foi enviado para esta solicitação"),
            "{answer}"
        );
    }
    let ro = app
        .upload(
            &format!("/offices/{RO_OFFICE}/attachments"),
            None,
            "ro.txt",
            b"texto",
        )
        .await
        .expect("upload");
    let mut at_sp = contact_request("ro@example.com");
    at_sp["attachments"] = json!([ro]);
    assert_eq!(app.open_json(SP_OFFICE, &at_sp).await.0, 422);

    // A slot for a ticket needs the ticket's link.
    let refused = app
        .upload_with(
            &slot_path(),
            None,
            &json!({ "ticket": id, "k": "errado" }),
            "a.txt",
            5,
            b"texto",
        )
        .await
        .expect_err("wrong secret");
    assert_eq!(refused.0, 404);

    // Staff slots are the staff member's own.
    let paula = app.staff_login(ATTENDANT).await;
    let rafael = app
        .staff_login("rafael@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let hers = app
        .upload("/staff/attachments", Some(&paula), "guia.png", PNG)
        .await
        .expect("upload");
    let (status, answer) = post_json(
        &app,
        &format!("/staff/requests/{id}/messages"),
        Some(&rafael),
        json!({ "attachments": [hers] }),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_checked_is_what_is_kept_even_if_the_upload_is_posted_again() {
    let app = TestApp::spawn().await;
    let (_, opened) = app
        .open_json(SP_OFFICE, &contact_request("troca@example.com"))
        .await;
    let (id, k) = id_and_k(&opened);
    // The slot by hand, to post to its form twice.
    let slot: Value = app
        .client
        .post(app.url(&slot_path()))
        .header("accept", "application/json")
        .json(&json!({ "name": "foto.png", "size": PNG.len(), "ticket": id, "k": k }))
        .send()
        .await
        .expect("slot")
        .json()
        .await
        .expect("json");
    let post = |bytes: &'static [u8]| {
        let mut form = reqwest::multipart::Form::new();
        for (name, v) in slot["upload"]["fields"].as_object().expect("fields") {
            form = form.text(name.clone(), v.as_str().expect("text").to_owned());
        }
        form = form.part("file", reqwest::multipart::Part::bytes(bytes));
        app.client
            .post(slot["upload"]["url"].as_str().expect("url"))
            .multipart(form)
            .send()
    };
    assert!(post(PNG).await.expect("post").status().is_success());
    let attachment = slot["attachment"].as_str().expect("attachment");
    let (status, t) = post_json(
        &app,
        &format!("/tickets/{id}/messages"),
        None,
        json!({ "k": k, "message": "Foto.", "attachments": [attachment] }),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    // The signed form is still valid for minutes: posting other bytes to it changes
    // nothing that was kept, and the spent reference attaches nothing new.
    let evil: &'static [u8] = b"MZ\x90\0 not a picture";
    let _ = post(evil).await.expect("post");
    let path = files_of(&t["history"][1])[0].1.clone();
    let (status, _, bytes) = app.download(&format!("{path}?k={k}"), None).await;
    assert_eq!((status, bytes.as_slice()), (200, PNG));
    let (status, _) = post_json(
        &app,
        &format!("/tickets/{id}/messages"),
        None,
        json!({ "k": k, "message": "De novo.", "attachments": [attachment] }),
    )
    .await;
    assert_eq!(status, 422, "a spent slot attaches nothing new");
}

/// An upload no request kept (the message failed after it) is deleted a day
/// later, as S3's lifecycle rule does on AWS; kept files stay (issue 14).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_no_request_kept_are_deleted_a_day_later() {
    let app = TestApp::spawn_with(|o| {
        o.manual_clock = Some("2026-11-30T13:00:00Z".parse().expect("instant"))
    })
    .await;
    let kept = app
        .upload(&slot_path(), None, "guardado.pdf", PDF)
        .await
        .expect("upload");
    let mut body = contact_request("ciclo.de.vida@example.com");
    body["attachments"] = json!([kept]);
    let (status, opened) = app.open_json(SP_OFFICE, &body).await;
    assert_eq!(status, 201, "{opened}");
    let orphan = app
        .upload(&slot_path(), None, "esquecido.pdf", PDF)
        .await
        .expect("upload");
    let has = |id: &str| {
        let keys = app.running.local.blobs.stored_keys().expect("keys");
        keys.iter()
            .any(|k| k.starts_with("uploads/") && k.contains(id))
    };
    assert!(has(file_id(&orphan)), "waiting for a request");
    app.advance_minutes(23 * 60).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(has(file_id(&orphan)), "a day has not passed");
    app.advance_minutes(2 * 60).await;
    let mut gone = false;
    for _ in 0..50 {
        if !has(file_id(&orphan)) {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "deleted a day after it was posted");
    let keys = app.running.local.blobs.stored_keys().expect("keys");
    assert!(
        keys.iter()
            .any(|k| k.starts_with("files/") && k.contains(file_id(&kept))),
        "the kept copy stays: {keys:?}"
    );
}

/// The page's text with HTML's escapes undone (enough for attribute values).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The no-JavaScript upload form `up-<picker>` of a page: where it posts and its fields.
fn no_js_form(page: &str, picker: &str) -> (String, Vec<(String, String)>) {
    let start = page
        .find(&format!("<form id=\"up-{picker}\""))
        .unwrap_or_else(|| panic!("no upload form up-{picker}: {page}"));
    let form = &page[start..start + page[start..].find("</form>").expect("form end")];
    let action = attribute(form, "action").expect("action");
    let fields = form
        .split("<input ")
        .skip(1)
        .map(|i| {
            (
                attribute(i, "name").expect("name"),
                attribute(i, "value").unwrap_or_default(),
            )
        })
        .collect();
    (action, fields)
}

/// Posts `bytes` as a browser without JavaScript posts the page's upload form,
/// follows storage's redirect to the check, and answers where that sends the
/// browser (or the refusal page's status and text).
async fn post_without_js(
    app: &TestApp,
    page: &str,
    picker: &str,
    bearer: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> Result<String, (u16, String)> {
    let (action, fields) = no_js_form(page, picker);
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k, v);
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let posted = app
        .client
        .post(&action)
        .multipart(form)
        .send()
        .await
        .expect("post");
    if posted.status().as_u16() != 303 {
        panic!(
            "storage did not send the browser on: {} {}",
            posted.status(),
            posted.text().await.unwrap_or_default()
        );
    }
    let to_check = posted.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(to_check.starts_with(&app.url("/")), "{to_check}");
    assert!(to_check.contains("/attachments/check?"), "{to_check}");
    let mut r = app.client.get(&to_check).header("accept", "text/html");
    if let Some(token) = bearer {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.expect("check");
    let status = r.status().as_u16();
    if status == 303 {
        return Ok(r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned());
    }
    Err((status, r.text().await.unwrap_or_default()))
}

/// Files are checked by content as soon as they are posted (the page's script
/// asks at once); without JavaScript, each page posts a file straight to
/// storage, which sends the browser back through the check to the page, with
/// the file in the form, on the request form, the ticket and the staff page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_checked_when_posted_and_forms_take_them_without_javascript() {
    let app = TestApp::spawn().await;
    let check = format!("/offices/{SP_OFFICE}/attachments/check");

    // With a script: a good file passes, a text named .pdf is refused and gone.
    let good = app
        .upload(&slot_path(), None, "foto.png", PNG)
        .await
        .expect("upload");
    let (status, c) = app
        .get_json(&format!("{check}?a={}", urlencoding(&good)))
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        (c["name"].as_str(), c["attachment"].as_str()),
        (Some("foto.png"), Some(good.as_str()))
    );
    let lying = app
        .upload(&slot_path(), None, "contrato.pdf", b"apenas texto")
        .await
        .expect("upload");
    let (status, e) = app
        .get_json(&format!("{check}?a={}", urlencoding(&lying)))
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["fields"]["attachments"]
            .as_str()
            .expect("reason")
            .starts_with("contrato.pdf: "),
        "{e}"
    );
    nothing_stored(&app, &lying).await;
    // A reference made for another office does not check here.
    let elsewhere = app
        .upload(
            &format!("/offices/{RO_OFFICE}/attachments"),
            None,
            "foto.png",
            PNG,
        )
        .await
        .expect("upload");
    let (status, _) = app
        .get_json(&format!("{check}?a={}", urlencoding(&elsewhere)))
        .await;
    assert_eq!(status, 422);

    // Without a script, on the request form: one file, then a refused one.
    let form_path = format!("/offices/{SP_OFFICE}/requests/new?service=contato");
    let (_, page) = app.get_html(&form_path).await;
    let back = post_without_js(&app, &page, "attachments", None, "Foto do RG.png", PNG)
        .await
        .expect("kept");
    assert!(back.starts_with(&form_path), "{back}");
    let (_, page) = app.get_html(&back).await;
    let kept = page
        .split("name=\"attachments\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(unescape)
        .expect("the file is in the form");
    assert!(kept.ends_with(":Foto do RG.png"), "{kept}");
    let (status, refusal) = post_without_js(&app, &page, "attachments", None, "nota.pdf", b"texto")
        .await
        .expect_err("refused");
    assert_eq!(status, 422);
    assert!(refusal.contains("nota.pdf: "), "{refusal}");
    assert!(
        refusal.contains("Voltar e escolher outro arquivo"),
        "{refusal}"
    );
    assert!(
        refusal.contains(&format!("href=\"{}", form_path.replace('&', "&amp;"))),
        "the way back keeps the first file: {refusal}"
    );
    // The form sent with the file the page kept: the request has it.
    let r = app
        .client
        .post(app.url(&format!("/offices/{SP_OFFICE}/requests")))
        .header("accept", "text/html")
        .form(&[
            ("service", "contato"),
            ("name", "Ana Souza"),
            ("email", "sem.js@example.com"),
            ("message", "Segue o RG."),
            ("consent", "true"),
            ("attachments", kept.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let ticket = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (_, t) = app.get_json(&ticket).await;
    assert_eq!(files_of(&t["history"][0])[0].0, "Foto do RG.png", "{t}");

    // On the ticket: the form is bound to this ticket.
    let (_, page) = app.get_html(&ticket).await;
    let back = post_without_js(&app, &page, "attachments", None, "extrato.pdf", PDF)
        .await
        .expect("kept");
    let (_, page) = app.get_html(&back).await;
    assert!(page.contains("extrato.pdf"), "{page}");

    // On the staff page, the conclusion's picker takes PDFs only.
    let staff = app.staff_login(ATTENDANT).await;
    let id = t["id"].as_str().expect("id");
    let r = app
        .client
        .get(app.url(&format!("/staff/requests/{id}")))
        .bearer_auth(&staff)
        .send()
        .await
        .expect("page");
    let page = r.text().await.expect("page");
    let back = post_without_js(
        &app,
        &page,
        "attachments",
        Some(&staff),
        "resposta.pdf",
        PDF,
    )
    .await
    .expect("kept");
    assert!(
        back.starts_with(&format!("/staff/requests/{id}?anexo-attachments=")),
        "{back}"
    );
    let (status, _) = app
        .get_json(&format!(
            "/staff/attachments/check?pdf=1&a={}",
            urlencoding(
                &app.upload("/staff/attachments", Some(&staff), "foto.png", PNG)
                    .await
                    .expect("upload")
            )
        ))
        .await;
    assert_eq!(status, 401, "staff checks need staff");
    let png = app
        .upload("/staff/attachments", Some(&staff), "foto.png", PNG)
        .await
        .expect("upload");
    let r = app
        .client
        .get(app.url(&format!(
            "/staff/attachments/check?pdf=1&a={}",
            urlencoding(&png)
        )))
        .header("accept", "application/json")
        .bearer_auth(&staff)
        .send()
        .await
        .expect("check");
    assert_eq!(r.status().as_u16(), 422);
    let e: Value = r.json().await.expect("json");
    assert!(
        e["error"]["fields"]["attachments"]
            .as_str()
            .expect("reason")
            .contains("somente arquivos PDF"),
        "{e}"
    );
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .expect("encode")
        .trim_start_matches("v=")
        .to_owned()
}

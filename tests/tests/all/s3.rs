//! The S3 adapter against `s3s-fs`, which checks signatures, expiry and POST
//! policy conditions as S3 does (moto_server accepts any post, so it cannot).

use balcao_app::ports::{Blobs, DownloadLink, UploadForm, UploadPolicy};
use balcao_tests::fresh_s3;
use jiff::{SignedDuration, Timestamp};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn post(form: &UploadForm, bytes: Vec<u8>) -> reqwest::Response {
    let mut multipart = reqwest::multipart::Form::new();
    for (k, v) in &form.fields {
        multipart = multipart.text(k.clone(), v.clone());
    }
    let file = reqwest::multipart::Part::bytes(bytes).file_name("foto.png");
    multipart = multipart.part("file", file);
    reqwest::Client::new()
        .post(&form.url)
        .multipart(multipart)
        .send()
        .await
        .expect("post to storage")
}

fn png(size: usize) -> Vec<u8> {
    let mut b = PNG.to_vec();
    b.resize(size, 7);
    b
}

fn policy(key: &str, max_bytes: u64, expires_at: Timestamp) -> UploadPolicy<'_> {
    UploadPolicy {
        key,
        named_by_file: false,
        content_type: Some("image/png"),
        max_bytes,
        expires_at,
        redirect: None,
    }
}

#[tokio::test]
async fn a_presigned_post_stores_the_file_and_peek_reads_its_size_and_head() {
    let (s3, _, _) = fresh_s3().await;
    let now = Timestamp::now();
    let form = s3
        .upload_form(
            &policy("uploads/A", 1000, now + SignedDuration::from_mins(5)),
            now,
        )
        .await
        .expect("form");
    let r = post(&form, png(700)).await;
    assert!(
        r.status().is_success(),
        "{}: {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    let head = s3
        .peek("uploads/A", 8)
        .await
        .expect("peek")
        .expect("stored");
    assert_eq!(head.size, 700);
    assert_eq!(head.head, PNG[..8].to_vec());
    let whole = s3
        .peek("uploads/A", 4096)
        .await
        .expect("peek")
        .expect("stored");
    assert_eq!(
        whole.head.len(),
        700,
        "a range past the end gives the whole file"
    );
    assert_eq!(
        s3.peek("uploads/A", 0).await.expect("head").map(|h| h.size),
        Some(700)
    );
    assert_eq!(s3.peek("uploads/none", 8).await.expect("peek"), None);
}

#[tokio::test]
async fn the_policy_conditions_are_enforced_by_storage() {
    let (s3, _, _) = fresh_s3().await;
    let now = Timestamp::now();
    let form = s3
        .upload_form(
            &policy("uploads/B", 1000, now + SignedDuration::from_mins(5)),
            now,
        )
        .await
        .expect("form");

    let too_big = post(&form, png(1001)).await;
    assert!(
        too_big.status().is_client_error(),
        "content-length-range: {}",
        too_big.status()
    );

    let mut other_type = form.clone();
    other_type
        .fields
        .insert("Content-Type".into(), "application/x-msdownload".into());
    let r = post(&other_type, png(10)).await;
    assert!(
        r.status().is_client_error(),
        "Content-Type condition: {}",
        r.status()
    );

    let mut other_key = form.clone();
    other_key.fields.insert("key".into(), "files/B".into());
    let r = post(&other_key, png(10)).await;
    assert!(
        r.status().is_client_error(),
        "key condition: {}",
        r.status()
    );

    let past = now - SignedDuration::from_mins(30);
    let expired = s3
        .upload_form(
            &policy("uploads/B", 1000, past + SignedDuration::from_mins(5)),
            past,
        )
        .await
        .expect("form");
    let r = post(&expired, png(10)).await;
    assert!(
        r.status().is_client_error(),
        "expired policy: {}",
        r.status()
    );

    for key in ["uploads/B", "files/B"] {
        assert_eq!(
            s3.peek(key, 8).await.expect("peek"),
            None,
            "{key}: nothing stored"
        );
    }
}

#[tokio::test]
async fn copy_delete_and_a_presigned_download_under_the_files_own_name() {
    let (s3, _, _) = fresh_s3().await;
    let now = Timestamp::now();
    let form = s3
        .upload_form(
            &policy("uploads/C", 1000, now + SignedDuration::from_mins(5)),
            now,
        )
        .await
        .expect("form");
    assert!(post(&form, png(64)).await.status().is_success());

    assert!(s3.copy("uploads/C", "files/C").await.expect("copy"));
    assert!(
        !s3.copy("uploads/none", "files/none").await.expect("copy"),
        "missing source"
    );
    s3.delete("uploads/C").await.expect("delete");
    s3.delete("uploads/C")
        .await
        .expect("deleting twice is fine");
    assert_eq!(s3.peek("uploads/C", 8).await.expect("peek"), None);

    let link = DownloadLink {
        key: "files/C",
        file_name: "relatório.png",
        content_type: "image/png",
        expires_at: now + SignedDuration::from_mins(5),
    };
    let url = s3.download_url(&link, now).await.expect("url");
    let r = reqwest::get(&url).await.expect("download");
    assert_eq!(r.status(), 200);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.contains("relat%C3%B3rio%2Epng"),
        "{disposition}"
    );
    assert_eq!(r.bytes().await.expect("body").to_vec(), png(64));

    let forged = url.replace("files/C", "uploads/C");
    assert_eq!(
        reqwest::get(&forged).await.expect("get").status(),
        403,
        "signature covers the key"
    );
    let past = now - SignedDuration::from_mins(30);
    let stale = DownloadLink {
        expires_at: past + SignedDuration::from_mins(5),
        ..link
    };
    let url = s3.download_url(&stale, past).await.expect("url");
    assert_eq!(
        reqwest::get(&url).await.expect("get").status(),
        403,
        "expired link"
    );
}

//! The process dies mid-way and nothing is lost (issue 17): the local runtime
//! runs as its own process on a data folder while citizens open requests and
//! write messages; it is killed (SIGKILL) at random moments of that load,
//! started again on the same folder, and killed again, a few times. Then every
//! request and message whose answer arrived is there, once, and every
//! confirmation e-mail goes out, once.

use balcao_tests::{SP_OFFICE, contact_request};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The local runtime's binary, built by `scripts/test` beside the tests.
fn binary() -> std::path::PathBuf {
    std::env::var_os("BALCAO_LOCAL_BIN").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/balcao-local"),
        Into::into,
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts the runtime on `dir` and waits until it answers.
async fn start(dir: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new(binary())
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/test builds it)", binary().display()));
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if client
            .get(format!("http://127.0.0.1:{port}/offices/{SP_OFFICE}"))
            .header("accept", "application/json")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the local runtime did not start on {port}");
}

/// What the load was told was done.
#[derive(Default)]
struct Acknowledged {
    /// Ticket id → (secret, citizen e-mail, action keys of its messages).
    tickets: BTreeMap<String, (String, String, Vec<String>)>,
    /// Citizens whose writing the kill cut.
    interrupted: usize,
}

/// One citizen: opens a request, then writes messages, until the runtime
/// stops answering (it always does: the kill comes first); what was
/// answered is recorded.
async fn citizen(base: String, n: usize, acked: Arc<Mutex<Acknowledged>>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let email = format!(
        "crash-{n}-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let mut body = contact_request(&email);
    body["idempotency_key"] = json!(ulid::Ulid::generate().to_string());
    let Ok(r) = client
        .post(format!("{base}/offices/{SP_OFFICE}/requests"))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
    else {
        return;
    };
    if !r.status().is_success() {
        return;
    }
    let Ok(v) = r.json::<Value>().await else {
        return;
    };
    let (Some(id), Some(url)) = (v["id"].as_str(), v["ticket_url"].as_str()) else {
        return;
    };
    let k = url
        .split_once("?k=")
        .map(|(_, k)| k.to_owned())
        .unwrap_or_default();
    acked
        .lock()
        .expect("acks")
        .tickets
        .insert(id.to_owned(), (k.clone(), email.clone(), Vec::new()));
    for i in 0..10_000 {
        let key = ulid::Ulid::generate().to_string();
        let sent = client
            .post(format!("{base}/tickets/{id}/messages"))
            .header("accept", "application/json")
            .json(&json!({"k": k, "message": format!("Mensagem {i}"), "action_key": key}))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                if let Some(t) = acked.lock().expect("acks").tickets.get_mut(id) {
                    t.2.push(key);
                }
            }
            _ => {
                acked.lock().expect("acks").interrupted += 1;
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_runtime_loses_nothing_it_acknowledged() {
    let dir = std::env::temp_dir().join(format!("balcao-crash-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).expect("data folder");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut citizens = 0;
    for round in 0..4 {
        let mut child = start(&dir, port).await;
        let load: Vec<_> = (0..6)
            .map(|_| {
                citizens += 1;
                tokio::spawn(citizen(base.clone(), citizens, acked.clone()))
            })
            .collect();
        // A moment of the write load, different each round.
        let ms = 150 + (ulid::Ulid::generate().random() % 700) as u64 + 100 * round;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        for task in load {
            let _ = task.await;
        }
    }
    // Once more, to read what survived and let pending mail go out.
    let mut child = start(&dir, port).await;
    let client = reqwest::Client::new();
    let acked = std::mem::take(&mut *acked.lock().expect("acks"));
    assert!(
        acked.tickets.len() >= 4,
        "the load was acknowledged before the kills"
    );
    assert!(
        acked.interrupted >= 4,
        "the kills came in the middle of writing"
    );
    let messages: usize = acked.tickets.values().map(|t| t.2.len()).sum();
    for (id, (k, _, keys)) in &acked.tickets {
        let r = client
            .get(format!("{base}/tickets/{id}?k={k}"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("ticket");
        assert_eq!(r.status(), 200, "an acknowledged ticket {id} is there");
        let t: Value = r.json().await.expect("json");
        let texts: Vec<&str> = t["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["kind"] == "message")
            .filter_map(|e| e["text"].as_str())
            .collect();
        for i in 0..keys.len() {
            let text = format!("Mensagem {i}");
            assert_eq!(
                texts.iter().filter(|t| **t == text).count(),
                1,
                "message {i} of {id}, acknowledged, is there once: {texts:?}"
            );
        }
    }
    // Every acknowledged request's confirmation goes out, once (a mail claimed
    // when the process died waits for its one-minute lease).
    let until = Instant::now() + Duration::from_secs(90);
    let mut missing = Vec::new();
    while Instant::now() < until {
        let mails: Vec<Value> = client
            .get(format!("{base}/_dev/mailbox"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("mailbox")
            .json()
            .await
            .expect("json");
        let to = |email: &str| mails.iter().filter(|m| m["to"] == email).count();
        missing = acked
            .tickets
            .values()
            .filter(|(_, email, _)| to(email) != 1)
            .map(|(_, email, _)| format!("{email}: {}", to(email)))
            .collect();
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        missing.is_empty(),
        "confirmations not sent exactly once: {missing:?}"
    );
    eprintln!(
        "{} acknowledged requests and {messages} messages survived four kills ({} citizens cut mid-write)",
        acked.tickets.len(),
        acked.interrupted
    );
}

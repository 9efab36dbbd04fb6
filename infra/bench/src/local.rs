//! Section 4: the local runtime under load on loopback, beside raw SQLite with
//! the same settings (WAL, synchronous = NORMAL) on the same disk.

use balcao_local::{Options, start};
use rusqlite::{Connection, params};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const WORKERS: usize = 8;

pub struct Throughput {
    /// The same creates through the handler in process: no HTTP, no JSON client.
    pub creates_in_process: f64,
    /// An empty handler over the same loopback HTTP and load: the ceiling.
    pub http_ceiling: f64,
    pub creates: f64,
    pub reads: f64,
    pub raw_commits: f64,
    pub raw_reads: f64,
}

/// Successes per second of `attempt`, run by `WORKERS` tasks for `seconds`.
async fn rate<F, Fut>(seconds: u64, attempt: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let attempt = Arc::new(attempt);
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (attempt, done) = (attempt.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    if attempt().await {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

/// Requests per second answered `ok` over one shared HTTP client.
async fn load(
    seconds: u64,
    make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
    ok: u16,
) -> f64 {
    let client = reqwest::Client::new();
    let make = Arc::new(make);
    rate(seconds, move || {
        let request = make(&client);
        async move { matches!(request.send().await, Ok(r) if r.status().as_u16() == ok) }
    })
    .await
}

fn raw_sqlite(
    dir: &std::path::Path,
    seconds: u64,
    body: &str,
) -> Result<(f64, f64), rusqlite::Error> {
    let c = Connection::open(dir.join("raw.db"))?;
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL);")?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut n = 0u64;
    while Instant::now() < until {
        c.execute_batch("BEGIN IMMEDIATE")?;
        c.execute(
            "INSERT INTO t (id, body) VALUES (?1, ?2)",
            params![format!("{n:012}"), body],
        )?;
        c.execute_batch("COMMIT")?;
        n += 1;
    }
    let commits = n as f64 / seconds as f64;
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut reads = 0u64;
    let mut stmt = c.prepare_cached("SELECT body FROM t WHERE id = ?1")?;
    while Instant::now() < until {
        let id = format!("{:012}", reads % n.max(1));
        let _: String = stmt.query_row([id], |r| r.get(0))?;
        reads += 1;
    }
    Ok((commits, reads as f64 / seconds as f64))
}

pub async fn run(seconds: u64) -> Result<Throughput, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("balcao-bench-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir)?;
    let running = start(Options {
        addr: "127.0.0.1:0".parse()?,
        data_dir: Some(dir.clone()),
        ..Options::default()
    })
    .await?;
    let base = running.base_url();
    let url = format!("{base}/offices/{}/requests", crate::events::OFFICE);
    let create = {
        let url = url.clone();
        // A citizen per ticket: one email may open 5 an hour.
        move |c: &reqwest::Client| {
            let email = format!("bench-{}@example.com", ulid::Ulid::generate()).to_lowercase();
            c.post(&url)
                .header("accept", "application/json")
                .json(&crate::journey::open_body("contato", &email))
        }
    };
    let first: Value = create(&reqwest::Client::new()).send().await?.json().await?;
    let ticket = first["ticket_url"]
        .as_str()
        .ok_or("no ticket_url")?
        .to_owned();
    let creates = load(seconds, create, 201).await;
    let creates_in_process = {
        let app = running.local.app.clone();
        rate(seconds, move || {
            let app = app.clone();
            async move {
                let email = format!("bench-{}@example.com", ulid::Ulid::generate()).to_lowercase();
                let body = crate::journey::open_body("contato", &email).to_string();
                let event = crate::events::apigw(
                    "open-request",
                    &[("office", crate::events::OFFICE)],
                    "",
                    Some(&body),
                    "application/json",
                );
                let res = balcao_web::Op::OpenRequest
                    .handle(&app, crate::events::request(&event))
                    .await;
                res.status().as_u16() == 201
            }
        })
        .await
    };
    let http_ceiling = {
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(|| async { (axum::http::StatusCode::CREATED, "{}") }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let body = crate::journey::open_body("contato", "teto@example.com");
        let n = load(
            seconds,
            move |c| {
                c.post(&url)
                    .header("accept", "application/json")
                    .json(&body)
            },
            201,
        )
        .await;
        server.abort();
        n
    };
    let reads = load(
        seconds,
        move |c| c.get(&ticket).header("accept", "application/json"),
        200,
    )
    .await;
    drop(running);
    // A stored request is about this big.
    let sample = "x".repeat(1800);
    let (raw_commits, raw_reads) = raw_sqlite(&dir, seconds, &sample)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Throughput {
        creates_in_process,
        http_ceiling,
        creates,
        reads,
        raw_commits,
        raw_reads,
    })
}

pub fn print(t: &Throughput) {
    println!("| figure | local runtime | raw SQLite | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| ticket creates / s ({WORKERS} clients) vs commits / s | {:.0} | {:.0} | {:.2} |",
        t.creates,
        t.raw_commits,
        t.creates / t.raw_commits
    );
    println!(
        "| the same creates / s through the handler in process (no HTTP) | {:.0} | {:.0} | {:.2} |",
        t.creates_in_process,
        t.raw_commits,
        t.creates_in_process / t.raw_commits
    );
    println!(
        "| an empty handler / s, same HTTP and clients (the ceiling here) | {:.0} | {:.0} | {:.2} |",
        t.http_ceiling,
        t.raw_commits,
        t.http_ceiling / t.raw_commits
    );
    println!(
        "| ticket page reads / s ({WORKERS} clients) vs point reads / s | {:.0} | {:.0} | {:.2} |",
        t.reads,
        t.raw_reads,
        t.reads / t.raw_reads
    );
}

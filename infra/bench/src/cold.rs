//! Cold start: each release binary exec'd against a fake Lambda Runtime API on
//! loopback, timed to its first `next` call (init) and to its first answer.

use crate::fixture::Fixture;
use crate::journey::{CASES, Input, prepare};
use crate::stats::percentile;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::{get, post};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[derive(Default)]
struct Run {
    event: Value,
    served: bool,
    next_at: Option<Instant>,
    done: Option<oneshot::Sender<Result<Instant, String>>>,
}

type Shared = Arc<Mutex<Run>>;

async fn next(State(run): State<Shared>) -> (HeaderMap, String) {
    let event = {
        let mut r = run.lock().expect("run state");
        if r.served {
            None
        } else {
            r.served = true;
            r.next_at = Some(Instant::now());
            Some(r.event.to_string())
        }
    };
    // Only one invocation per start: later polls wait until the process is killed.
    let Some(body) = event else {
        return std::future::pending().await;
    };
    let mut h = HeaderMap::new();
    h.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("bench-request-1"),
    );
    h.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from_static("4102444800000"),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:bench"),
    );
    h.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
    );
    h.insert("content-type", HeaderValue::from_static("application/json"));
    (h, body)
}

fn finish(run: &Shared, result: Result<Instant, String>) {
    if let Some(tx) = run.lock().expect("run state").done.take() {
        let _ = tx.send(result);
    }
}

async fn response(State(run): State<Shared>, body: String) -> &'static str {
    // An HTTP function answers its status inside the body: a refusal is not a start.
    let status = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
        .unwrap_or(200);
    if status >= 400 {
        finish(&run, Err(format!("answered {status}: {body}")));
    } else {
        finish(&run, Ok(Instant::now()));
    }
    ""
}

async fn error(State(run): State<Shared>, body: String) -> &'static str {
    finish(&run, Err(body));
    ""
}

pub struct ColdRow {
    pub name: String,
    pub init_ms: f64,
    pub answer_ms: f64,
    pub rss_kib: u64,
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

pub async fn run(
    bin_dir: &Path,
    fixture: &Fixture,
    starts: usize,
) -> Result<Vec<ColdRow>, Box<dyn std::error::Error>> {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut names: Vec<&str> = vec!["hello-lambda"];
    names.extend(CASES.iter().map(|c| c.function));
    // What each function acts on; prepared again for every start where the call uses it up.
    let mut inputs: Vec<Option<Input>> = Vec::new();
    for name in &names {
        inputs.push(if *name == "hello-lambda" {
            None
        } else {
            Some(prepare(fixture, name).await?)
        });
    }
    let mut samples: Vec<(Vec<Duration>, Vec<Duration>, u64)> =
        vec![(vec![], vec![], 0); names.len()];
    // Round-robin, so drift of the machine spreads over every binary alike.
    for _ in 0..starts {
        for (i, name) in names.iter().enumerate() {
            let (tx, rx) = oneshot::channel();
            let consumes = crate::journey::case_of(name).is_some_and(|c| c.consumes);
            if consumes && inputs[i].is_some() {
                inputs[i] = Some(prepare(fixture, name).await?);
            }
            let event = inputs[i]
                .as_ref()
                .map(Input::event)
                .unwrap_or_else(|| serde_json::json!({"hello": "world"}));
            *state.lock().expect("run state") = Run {
                event,
                done: Some(tx),
                ..Run::default()
            };
            let mut cmd = tokio::process::Command::new(bin_dir.join(name));
            cmd.env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", *name)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_ENDPOINT_URL_DYNAMODB", &fixture.dynamodb_endpoint)
                .env("AWS_ENDPOINT_URL_SCHEDULER", &fixture.moto_endpoint)
                .env("AWS_ENDPOINT_URL_SESV2", &fixture.moto_endpoint)
                .env("AWS_ENDPOINT_URL_S3", &fixture.moto_endpoint)
                .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", &fixture.moto_endpoint)
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true);
            // Exactly what the function reads (balcao_aws::needs), as the template gives it.
            if *name != "hello-lambda" {
                cmd.envs(crate::env::for_function(name, fixture)?);
            }
            let t0 = Instant::now();
            let mut child = cmd
                .spawn()
                .map_err(|e| format!("{}: {e}", bin_dir.join(name).display()))?;
            let pid = child.id().unwrap_or(0);
            let done = tokio::time::timeout(Duration::from_secs(10), rx).await;
            let rss = peak_rss_kib(pid);
            let _ = child.kill().await;
            let answered = match done {
                Ok(Ok(Ok(at))) => at,
                Ok(Ok(Err(e))) => return Err(format!("{name} answered an error: {e}").into()),
                _ => return Err(format!("{name} did not answer within 10 s").into()),
            };
            let next_at = state.lock().expect("run state").next_at.unwrap_or(answered);
            samples[i].0.push(next_at - t0);
            samples[i].1.push(answered - t0);
            samples[i].2 = samples[i].2.max(rss);
        }
    }
    Ok(names
        .iter()
        .zip(samples)
        .map(|(name, (mut init, mut answer, rss))| ColdRow {
            name: (*name).to_owned(),
            init_ms: percentile(&mut init, 50.0),
            answer_ms: percentile(&mut answer, 50.0),
            rss_kib: rss,
        })
        .collect())
}

pub fn print(rows: &[ColdRow]) {
    let hello = rows.iter().find(|r| r.name == "hello-lambda");
    println!(
        "| binary | init (exec → first `next`), median | × hello | first answer, median | × hello | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let (xi, xa) = hello
            .map(|h| (r.init_ms / h.init_ms, r.answer_ms / h.answer_ms))
            .unwrap_or((f64::NAN, f64::NAN));
        println!(
            "| {} | {:.1} ms | {:.2} | {:.1} ms | {:.2} | {:.1} MiB |",
            r.name,
            r.init_ms,
            xi,
            r.answer_ms,
            xa,
            r.rss_kib as f64 / 1024.0
        );
    }
    println!(
        "\nFirst answers include the operation's DynamoDB Local calls (see section 3 for their cost); hello-lambda calls nothing."
    );
}

//! An outage at each external call (issue 17). Every operation the benchmark
//! knows runs once cleanly on a fresh subject to learn its calls; then, for
//! each of those calls and each fault that means something for it, again on a
//! fresh subject with that one call failing (never reaching the service, its
//! answer lost after the service acted, a 5xx, throttling, a DynamoDB
//! condition refused), and once more as the caller's retry when the first
//! answer was a failure. Mail is then delivered. What the table, the schedules
//! and the mail sent hold afterwards must be what one clean call leaves: no
//! request, history entry, mail, slot, counter or timer lost or doubled.
//!
//! Runs on DynamoDB Local, moto_server (SES, Scheduler, Secrets Manager) and
//! s3s-fs, through the functions' own adapters; the faults come from an SDK
//! interceptor (`balcao_bench::faults`), nothing is mocked. The matrix is
//! written to `target/fault-matrix.md` (the README's table).

use aws_sdk_dynamodb::types::AttributeValue;
use balcao_app::courier::Courier;
use balcao_bench::faults::{FaultKind, Faults};
use balcao_bench::fixture::{Fixture, S3};
use balcao_bench::journey::{self, CASES, Input};
use balcao_bench::recorder::Recorder;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// What the table, the schedules and the mail provider hold, in counts that
/// a doubled or lost write changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Census(BTreeMap<&'static str, i64>);

impl Census {
    fn minus(&self, before: &Self) -> Self {
        let mut d = self.clone();
        for (k, v) in &before.0 {
            *d.0.entry(k).or_default() -= v;
        }
        d.0.retain(|_, v| *v != 0);
        d
    }
}

fn num(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Counts the table (a test may Scan; the product never does) and the
/// schedule group, plus the mail the provider accepted.
async fn census(f: &Fixture, sent: i64) -> Census {
    let mut c = Census::default();
    let items = f
        .client()
        .scan()
        .table_name(&f.table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    for item in &items {
        let pk = item.get("PK").and_then(|v| v.as_s().ok()).map_or("", |s| s);
        let sk = item.get("SK").and_then(|v| v.as_s().ok()).map_or("", |s| s);
        let mut add = |k: &'static str, n: i64| *c.0.entry(k).or_default() += n;
        match (pk.split('#').next().unwrap_or(""), sk) {
            ("REQ", "META") => add("requests", 1),
            ("REQ", sk) if sk.starts_with("EV#") => add("history entries", 1),
            ("MAIL", _) => {
                add("mails", 1);
                add("mails unsent", i64::from(item.contains_key("GSI1PK")));
            }
            ("FIND", _) => add("search terms", 1),
            ("OFFICE", sk) if sk.starts_with("SLOT#") => {
                add("slot places taken", num(item, "taken"))
            }
            ("OFFICE", sk) if sk.starts_with("DAY#") => {
                let counted: i64 = item
                    .iter()
                    .filter(|(k, _)| k.starts_with("n."))
                    .map(|(k, _)| num(item, k))
                    .sum();
                add("day counts", counted);
            }
            ("OFFICE", "COUNTER") => add("numbers given", num(item, "n")),
            ("OFFICE", sk) if sk.starts_with("REVIEW#") => add("reviews", 1),
            ("OFFICE", sk) if sk.starts_with("PROTOCOL#") => add("protocols", 1),
            ("SUPPRESS", _) => add("suppressed addresses", 1),
            ("ACCESS", _) => add("access links", 1),
            _ => {}
        }
    }
    let scheduler = aws_sdk_scheduler::Client::new(&balcao_tests::moto_sdk("us-east-1"));
    let mut token = None;
    let mut schedules = 0;
    loop {
        let out = scheduler
            .list_schedules()
            .group_name(&f.group)
            .set_next_token(token.take())
            .send()
            .await
            .expect("schedules");
        schedules += out.schedules().len() as i64;
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    c.0.insert("schedules", schedules);
    c.0.insert("mail sent", sent);
    c
}

/// Delivers every mail still unsent (the courier's retries, without waiting
/// for their time); answers how many the provider accepted.
async fn deliver_all(f: &Fixture, courier: &Courier, recorder: &Recorder) -> i64 {
    let mut sent = 0;
    for _ in 0..5 {
        let ids: Vec<balcao_app::ports::MailId> = f
            .client()
            .scan()
            .table_name(&f.table)
            .filter_expression("begins_with(PK, :m) AND attribute_exists(GSI1PK)")
            .expression_attribute_values(":m", AttributeValue::S("MAIL#".into()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan")
            .iter()
            .filter_map(|item| {
                item.get("PK")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|pk| pk.strip_prefix("MAIL#"))
                    .and_then(|id| id.parse().ok())
                    .map(balcao_app::ports::MailId)
            })
            .collect();
        if ids.is_empty() {
            break;
        }
        let mut left = false;
        for id in ids {
            left |= !matches!(
                courier.deliver(id).await,
                Ok(balcao_app::courier::Delivery::Sent
                    | balcao_app::courier::Delivery::Undelivered(_))
            );
        }
        sent += sends(recorder);
        if !left {
            break;
        }
        // A lease a lost answer left behind runs out before the next pass.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    sent
}

/// With FAULTS_TRACE set, prints the calls recorded so far (left recorded).
fn trace(recorder: &Recorder, label: &str) {
    if std::env::var_os("FAULTS_TRACE").is_none() {
        return;
    }
    let calls = recorder.take();
    let shown: Vec<String> = calls
        .iter()
        .map(|c| format!("{}.{} {} {}", c.service, c.op, c.status, c.uri))
        .collect();
    eprintln!("{label}: {shown:?}");
    for c in calls {
        recorder.push(c);
    }
}

/// SendEmail attempts the provider accepted since the last take.
fn sends(recorder: &Recorder) -> i64 {
    recorder
        .take()
        .iter()
        .filter(|c| c.op == "SendEmail" && c.status == 200)
        .count() as i64
}

/// The input as the pages send it: every POST carries an action key (and a
/// request form its idempotency key), so a retry is the same action.
fn keyed(input: Input) -> Input {
    let Input::Http(mut e) = input else {
        return input;
    };
    if e["requestContext"]["http"]["method"] != "POST" {
        return Input::Http(e);
    }
    let key = ulid::Ulid::generate().to_string();
    let json = e["headers"]["content-type"]
        .as_str()
        .is_some_and(|c| c.starts_with("application/json"));
    match e.get("body").and_then(Value::as_str) {
        None | Some("") => {
            e["body"] =
                Value::String(json!({"action_key": key, "idempotency_key": key}).to_string());
            e["headers"]["content-type"] = json!("application/json");
        }
        Some(body) if json => {
            if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(body) {
                m.entry("action_key").or_insert_with(|| json!(key));
                m.entry("idempotency_key").or_insert_with(|| json!(key));
                e["body"] = Value::String(Value::Object(m).to_string());
            }
        }
        Some(_) => {}
    }
    Input::Http(e)
}

/// A second run answered as a retry should: the action's result, or (a
/// timer fired again, a sweep run again) nothing left to do.
fn answered(function: &str, r: &Result<(), String>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => function == "timer" && e.contains("ignored"),
    }
}

/// One row of the matrix.
struct Row {
    function: &'static str,
    call: usize,
    what: String,
    kind: FaultKind,
    outcome: String,
    held: bool,
}

async fn fixture() -> Fixture {
    let s3 = S3 {
        endpoint: balcao_tests::s3_endpoint(),
        sdk: balcao_tests::s3_sdk_config(),
    };
    // Its own schedule group: counting the schedules lists this test's only.
    let group = format!(
        "faults-{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    Fixture::with_s3_and_group(
        &std::env::var("BALCAO_TEST_DYNAMODB_ENDPOINT").expect("DynamoDB Local"),
        &balcao_tests::moto_endpoint(),
        s3,
        &group,
    )
    .await
    .expect("fixture")
}

/// Functions that make no call to fault (or whose one call needs a real
/// identity provider).
const NO_CALLS: &[&str] = &[
    "no-route",
    "staff-sign-in",
    "staff-sign-out",
    "staff-callback",
    "request-form",
    "new-upload",
    "staff-new-upload",
];

#[test]
fn every_call_of_every_operation_survives_each_fault() {
    crate::on_a_deep_stack(matrix);
}

async fn matrix() {
    let started = std::time::Instant::now();
    // Four operations at a time (their futures are not Send: one thread, the
    // waiting is on the stand-ins), each on a table of its own.
    let lanes = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    // FAULTS_ONLY=<function> runs one operation's faults, FAULTS_TRACE=1 prints
    // each run's calls (to look into one).
    let only = std::env::var("FAULTS_ONLY").ok();
    for (i, case) in CASES
        .iter()
        .filter(|c| !NO_CALLS.contains(&c.function))
        .filter(|c| only.as_deref().is_none_or(|o| o == c.function))
        .enumerate()
    {
        let lanes = lanes.clone();
        tasks.spawn_local(async move {
            let _lane = lanes.acquire_owned().await.expect("semaphore");
            let rows = Box::pin(one_operation(case)).await;
            eprintln!(
                "{}: {} faults, {:.0} s so far",
                case.function,
                rows.len(),
                started.elapsed().as_secs_f64()
            );
            (i, rows)
        });
    }
    let mut done: Vec<(usize, Vec<Row>)> = Vec::new();
    while let Some(r) = tasks.join_next().await {
        done.push(r.expect("an operation's faults"));
    }
    done.sort_by_key(|(i, _)| *i);
    let rows: Vec<Row> = done.into_iter().flat_map(|(_, r)| r).collect();
    write_matrix(&rows);
    let broken: Vec<String> = rows
        .iter()
        .filter(|r| !r.held)
        .map(|r| {
            format!(
                "{} call {} {} {}: {}",
                r.function,
                r.call,
                r.what,
                r.kind.label(),
                r.outcome
            )
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {} held:\n{}",
        rows.len() - broken.len(),
        rows.len(),
        broken.join("\n")
    );
}

/// Every call of one operation meets every fault that applies to it.
async fn one_operation(case: &'static journey::Case) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    {
        // A table of its own: counting it stays cheap.
        let f = fixture().await;
        let recorder = Recorder::default();
        let faults = Faults::default();
        let (app, mut courier) = f.faulty_app(&recorder, &faults);
        // A lease a lost answer leaves is not waited out for a minute.
        courier.policy.lease = jiff::SignedDuration::from_millis(200);
        let function = case.function;
        let subject = || async {
            Box::pin(journey::prepare(&f, function))
                .await
                .unwrap_or_else(|e| panic!("{function}: {e}"))
        };
        // The clean call, then its retry: what they do, and which calls the
        // first makes.
        let input: Input = keyed(subject().await);
        recorder.take();
        let before = census(&f, 0).await;
        journey::run(function, &app, &courier, &input)
            .await
            .unwrap_or_else(|e| panic!("{function}, clean: {e}"));
        let first_calls = recorder.take();
        let calls: Vec<(String, String)> = first_calls
            .iter()
            .map(|c| (c.service.clone(), c.op.clone()))
            .collect();
        let again = journey::run(function, &app, &courier, &input)
            .await
            .map_err(|e| e.to_string());
        assert!(
            answered(function, &again),
            "{function}, clean retry: {again:?}"
        );
        let mut sent = first_calls
            .iter()
            .filter(|c| c.op == "SendEmail" && c.status == 200)
            .count() as i64;
        sent += sends(&recorder);
        sent += deliver_all(&f, &courier, &recorder).await;
        let expected = census(&f, sent).await.minus(&before);

        for (n, (service, op)) in calls.iter().enumerate() {
            for kind in FaultKind::ALL {
                if !kind.applies_to(service, op) {
                    continue;
                }
                let input = keyed(subject().await);
                recorder.take();
                let before = census(&f, 0).await;
                faults.arm(n + 1, kind);
                let first = journey::run(function, &app, &courier, &input)
                    .await
                    .map_err(|e| e.to_string());
                let hit = faults.disarm();
                let mut outcome = match &first {
                    Ok(()) => "answered".to_owned(),
                    Err(e) => format!("failed ({e}), retried"),
                };
                trace(&recorder, &format!("{function} {} {}", n + 1, kind.label()));
                let mut sent = sends(&recorder);
                let first_sends = sent;
                // The caller's retry (a citizen or staff sending again, the
                // scheduler firing again, the next sweep): always, as pages
                // cannot tell a lost answer from a refusal.
                let retry = journey::run(function, &app, &courier, &input)
                    .await
                    .map_err(|e| e.to_string());
                trace(&recorder, "  its retry");
                sent += sends(&recorder);
                sent += deliver_all(&f, &courier, &recorder).await;
                // The provider took a mail whose answer was lost or turned into
                // a 500 (the fault lets the call through first): SES sent it.
                // Or SES took it and the outbox could not record the sending
                // (the write after a send): the retry sends it again.
                let accepted_then_lost =
                    (matches!(kind, FaultKind::AnswerLost | FaultKind::ServerError)
                        && hit.as_ref().is_some_and(|(_, o)| o == "SendEmail"))
                        || (hit.as_ref().is_some_and(|(_, o)| o == "UpdateItem")
                            && first_sends > 0);
                // A send whose answer never came back: the recorder saw no 200,
                // SES sent it all the same.
                if accepted_then_lost && hit.as_ref().is_some_and(|(_, o)| o == "SendEmail") {
                    sent += 1;
                }
                let got = census(&f, sent).await.minus(&before);
                let mut held = answered(function, &retry);
                if !held {
                    outcome = format!("{outcome}; the retry failed: {retry:?}");
                } else if got != expected {
                    let mut allowed = expected.clone();
                    // SES accepted the mail and its answer was lost: sent again
                    // by the retry (the documented window).
                    if accepted_then_lost {
                        *allowed.0.entry("mail sent").or_default() += 1;
                    }
                    // A schedule whose deletion failed stays: it fires, finds
                    // nothing to do and is gone (timers check when they fire).
                    let stale = got.0.get("schedules").copied().unwrap_or(0)
                        - allowed.0.get("schedules").copied().unwrap_or(0);
                    if stale > 0 {
                        allowed
                            .0
                            .insert("schedules", got.0.get("schedules").copied().unwrap_or(0));
                        allowed.0.retain(|_, v| *v != 0);
                    }
                    if got == allowed {
                        if accepted_then_lost {
                            outcome.push_str("; mail sent twice (the SES window)");
                        }
                        if stale > 0 {
                            outcome.push_str("; a stale timer left (fires and does nothing)");
                        }
                    } else {
                        held = false;
                        outcome = format!("{outcome}; expected {:?}, got {:?}", expected.0, got.0);
                    }
                }
                rows.push(Row {
                    function,
                    call: n + 1,
                    // Calls made at once (the mailer's) may come in another
                    // order: the call the fault met.
                    what: hit
                        .map_or_else(|| format!("{service}.{op}"), |(s, o)| format!("{s}.{o}")),
                    kind,
                    outcome,
                    held,
                });
            }
        }
    }
    rows
}

/// The matrix as the README shows it: per operation, its calls and the
/// faults each met.
fn write_matrix(rows: &[Row]) {
    let mut out = String::from(
        "| operation | calls | faults injected | held | failed first, then the retry answered | mail sent twice (SES window) | stale timer left |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut functions: Vec<&str> = rows.iter().map(|r| r.function).collect();
    functions.dedup();
    for function in functions {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.function == function).collect();
        let calls = mine.iter().map(|r| r.call).max().unwrap_or(0);
        let held = mine.iter().filter(|r| r.held).count();
        let retried = mine
            .iter()
            .filter(|r| r.outcome.contains("retried"))
            .count();
        let twice = mine.iter().filter(|r| r.outcome.contains("twice")).count();
        let stale = mine.iter().filter(|r| r.outcome.contains("stale")).count();
        out.push_str(&format!(
            "| {function} | {calls} | {} | {held} | {retried} | {twice} | {stale} |\n",
            mine.len()
        ));
    }
    let total = rows.len();
    let held = rows.iter().filter(|r| r.held).count();
    out.push_str(&format!("\n{held} of {total} held.\n"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fault-matrix.md");
    let _ = std::fs::write(path, out);
}

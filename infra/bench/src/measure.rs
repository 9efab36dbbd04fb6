//! Sections 2 and 3 for every function, in process over DynamoDB Local and
//! moto_server: the calls each operation makes (cold and warm) against its
//! floor, the capacity DynamoDB reports for them, and the handler's warm latency
//! beside the same HTTP requests replayed raw (no SDK, no handler: the floor of
//! what those calls cost on this machine).

use crate::fixture::Fixture;
use crate::journey::{CASES, Case, Input, MEASURED_VARIANTS, run};
use crate::recorder::{Call, Capacity};
use crate::stats::percentile;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

pub struct Row {
    pub case: &'static Case,
    pub warm_calls: BTreeMap<String, u32>,
    pub cold_extra: BTreeMap<String, u32>,
    /// Per call, averaged over the warm iterations.
    pub capacity: Capacity,
    /// Outbox mail written per call.
    pub mails: f64,
    /// Schedules created or moved per call.
    pub schedules: f64,
    pub handler_p50: f64,
    pub handler_p99: f64,
    pub raw_p50: f64,
    pub raw_p99: f64,
}

fn histogram(calls: &[Call]) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for c in calls {
        *m.entry(c.key()).or_default() += 1;
    }
    m
}

fn mails_in(calls: &[Call]) -> usize {
    calls
        .iter()
        .filter(|c| c.service == "DynamoDB" && c.op.contains("Write"))
        .map(|c| {
            let body = String::from_utf8_lossy(&c.body);
            // One Put per new mail, keyed `MAIL#<id>` with sort key `MAIL`.
            body.matches("\"SK\":{\"S\":\"MAIL\"}").count()
        })
        .sum()
}

/// Sends `calls` again as recorded, over one kept-alive HTTP client.
async fn replay(http: &reqwest::Client, calls: &[Call]) -> Result<Duration, Error> {
    let t = Instant::now();
    for c in calls {
        c.resend(http, &[])?
            .body(c.body.clone())
            .send()
            .await?
            .bytes()
            .await?;
    }
    Ok(t.elapsed())
}

async fn one(f: &Fixture, case: &'static Case, iterations: usize) -> Result<Row, Error> {
    let (app, store) = f.app(Some(&f.recorder));
    let courier = f.courier(&app, store, Some(&f.recorder));
    let http = reqwest::Client::new();
    let function = case.function;

    let input = case.subject(f).await?;
    f.recorder.take();
    run(function, &app, &courier, &input).await?;
    let cold = histogram(&f.recorder.take());

    let mut shared: Option<Input> = None;
    let (mut handler, mut raw) = (Vec::new(), Vec::new());
    let mut warm = BTreeMap::new();
    let (mut capacity, mut mails, mut schedules) = (Capacity::default(), 0usize, 0usize);
    for _ in 0..iterations {
        let input = match (&shared, case.consumes) {
            (Some(i), false) => i,
            _ => {
                shared = Some(case.subject(f).await?);
                shared.as_ref().ok_or("prepared")?
            }
        };
        f.recorder.take();
        let t = Instant::now();
        run(function, &app, &courier, input).await?;
        handler.push(t.elapsed());
        let calls = f.recorder.take();
        // The table's units by the pricing rules; DynamoDB Local's for reads and indexes.
        let table_units = crate::pricing::write_units(&http, &calls).await?;
        capacity.write += table_units;
        for c in &calls {
            capacity += crate::recorder::Capacity {
                write: 0.0,
                ..c.capacity
            };
            // BENCH_TRACE=1 prints every call with what it consumed.
            if std::env::var_os("BENCH_TRACE").is_some() {
                eprintln!(
                    "{function}: {} {:?} refused={} {} bytes",
                    c.key(),
                    c.capacity,
                    c.refused,
                    c.body.len()
                );
            }
        }
        mails += mails_in(&calls);
        schedules += calls
            .iter()
            .filter(|c| c.op == "CreateSchedule" || c.op == "UpdateSchedule")
            .count();
        warm = histogram(&calls);
        raw.push(replay(&http, &calls).await?);
        f.recorder.take();
    }
    let n = iterations.max(1) as f64;
    let mut cold_extra = cold;
    for (k, v) in &warm {
        if let Some(c) = cold_extra.get_mut(k) {
            *c = c.saturating_sub(*v);
        }
    }
    cold_extra.retain(|_, v| *v > 0);
    Ok(Row {
        case,
        warm_calls: warm,
        cold_extra,
        capacity: Capacity {
            read: capacity.read / n,
            write: capacity.write / n,
            index_write: capacity.index_write / n,
        },
        mails: mails as f64 / n,
        schedules: schedules as f64 / n,
        handler_p50: percentile(&mut handler, 50.0),
        handler_p99: percentile(&mut handler, 99.0),
        raw_p50: percentile(&mut raw, 50.0),
        raw_p99: percentile(&mut raw, 99.0),
    })
}

pub async fn run_all(f: &Fixture, iterations: usize, only: &[String]) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for case in CASES
        .iter()
        .chain(MEASURED_VARIANTS)
        .filter(|c| only.is_empty() || only.iter().any(|o| o == c.function))
    {
        let row = one(f, case, iterations)
            .await
            .map_err(|e| format!("{}: {e}", case.name()))?;
        eprintln!("measured {}", case.name());
        rows.push(row);
    }
    Ok(rows)
}

fn fmt_calls(m: &BTreeMap<String, u32>) -> String {
    if m.is_empty() {
        return "—".into();
    }
    m.iter()
        .map(|(k, v)| format!("{v}× {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_round_trips(rows: &[Row]) {
    println!("| function | calls (warm) | floor | meets floor | extra on a cold start |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let total: u32 = r.warm_calls.values().sum();
        let ok = if total <= r.case.floor_calls() {
            "yes".to_owned()
        } else {
            format!("no: {total} > {}", r.case.floor_calls())
        };
        println!(
            "| {} | {} | {} | {ok} | {} |",
            r.case.name(),
            fmt_calls(&r.warm_calls),
            r.case.floor,
            fmt_calls(&r.cold_extra)
        );
    }
}

pub fn print_latency(rows: &[Row]) {
    println!(
        "| function | handler p50 | handler p99 | its requests replayed raw, p50 | p99 | p50 ratio | read units | write units (table + indexes) | mail written | schedules set |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {:.1} | {:.1} + {:.1} | {:.1} | {:.1} |",
            r.case.name(),
            r.handler_p50,
            r.handler_p99,
            r.raw_p50,
            r.raw_p99,
            r.handler_p50 / r.raw_p50.max(0.001),
            r.capacity.read,
            r.capacity.write,
            r.capacity.index_write,
            r.mails,
            r.schedules
        );
    }
}

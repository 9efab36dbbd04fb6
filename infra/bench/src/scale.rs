//! Section 7, national scale (issue 12). DynamoDB Local is loaded with a
//! national-shaped data set: 13,000 offices spread over the UFs by population,
//! and ten large offices whose history grows from 1,000 to 1,000,000 stored
//! requests in all. At each size the operations whose cost could grow with
//! history are timed through the real handlers (flat p99s = bounded reads).
//! Then a few simulated seconds of the national peak (32 new requests, ~320
//! changes and ~380 emails a second, with the reads that go with them) run
//! through the same handlers, and every call's capacity is charged to the
//! partition key it used (see `keyload.rs`).

use crate::events::{apigw, staff as as_manager};
use crate::fixture::Fixture;
use crate::keyload::{self, Load};
use crate::recorder::{Call, Recorder};
use crate::stats::percentile;
use balcao_app::App;
use balcao_app::courier::Courier;
use balcao_app::ports::MailId;
use balcao_aws::DynamoStore;
use balcao_aws::dynamo::items;
use balcao_core::{
    Moderation, Office, OfficeId, OfficeSnapshot, Rating, Request, RequestId, Status, TicketNumber,
    Uf, Verdict,
};
use balcao_web::Op;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ulid::Ulid;

type Error = Box<dyn std::error::Error>;

/// Share of Brazil's population per UF (IBGE, Censo 2022, %).
const UF_SHARE: &[(Uf, f64)] = &[
    (Uf::SP, 21.9),
    (Uf::MG, 10.1),
    (Uf::RJ, 7.9),
    (Uf::BA, 6.9),
    (Uf::PR, 5.7),
    (Uf::RS, 5.3),
    (Uf::PE, 4.5),
    (Uf::CE, 4.3),
    (Uf::PA, 4.0),
    (Uf::SC, 3.8),
    (Uf::GO, 3.5),
    (Uf::MA, 3.3),
    (Uf::AM, 1.9),
    (Uf::ES, 1.9),
    (Uf::PB, 1.9),
    (Uf::MT, 1.8),
    (Uf::RN, 1.6),
    (Uf::PI, 1.6),
    (Uf::AL, 1.5),
    (Uf::DF, 1.4),
    (Uf::MS, 1.4),
    (Uf::SE, 1.1),
    (Uf::RO, 0.8),
    (Uf::TO, 0.7),
    (Uf::AC, 0.4),
    (Uf::AP, 0.4),
    (Uf::RR, 0.3),
];
const OFFICES: usize = 13_000;
/// Offices with a year of history each at the largest size.
const LARGE: usize = 10;
/// Offices per city outside the capital; the capital has a tenth of the UF's.
const PER_CITY: usize = 4;
/// The national peak (issue 12): 100× the average of 10 million requests a year.
const OPENS_PER_SECOND: usize = 32;
const CHANGES_PER_SECOND: usize = 320;
const QUEUE_VIEWS_PER_SECOND: usize = 100;
const DIRECTORY_VIEWS_PER_SECOND: usize = 50;
const CARD_VIEWS_PER_SECOND: usize = 100;
const TICKET_VIEWS_PER_SECOND: usize = 320;
/// DynamoDB's limits per partition key, a second.
pub const WRITE_LIMIT: f64 = 1000.0;
pub const READ_LIMIT: f64 = 3000.0;

pub struct Stage {
    pub stored: usize,
    pub load: Duration,
    /// Operation, p50 ms, p99 ms, read units per call.
    pub ops: Vec<(&'static str, f64, f64, f64)>,
}

pub struct Report {
    pub offices_load: Duration,
    pub stages: Vec<Stage>,
    pub seconds: usize,
    pub calls: usize,
    pub operations: usize,
    /// Per partition key, units a second, highest share of its limit first.
    pub keys: Vec<(String, Load)>,
}

fn capital(uf: Uf) -> String {
    format!("Capital {}", uf.code())
}

/// The national directory: offices of each UF over its cities.
fn national(template: &Office) -> Vec<Office> {
    let total: f64 = UF_SHARE.iter().map(|(_, s)| s).sum();
    let mut all = Vec::with_capacity(OFFICES);
    for (uf, share) in UF_SHARE {
        let count = ((share / total) * OFFICES as f64).round().max(1.0) as usize;
        let in_capital = (count / 10).max(1);
        for n in 0..count {
            let mut o = template.clone();
            o.id = OfficeId::parse(&format!("cartorio-{}-{n:05}", uf.code().to_lowercase()))
                .expect("office id");
            o.uf = *uf;
            o.city = if n < in_capital {
                capital(*uf)
            } else {
                format!("Cidade {:03} ({})", (n - in_capital) / PER_CITY, uf.code())
            };
            o.name = format!("{}º Ofício de {}", n + 1, o.city);
            o.version = 0;
            all.push(o);
        }
    }
    all
}

/// A closed or open request of `office`'s past year, like `template`.
fn history(template: &Request, office: &Office, i: usize, now: Timestamp) -> Request {
    let mut r = template.clone();
    let age = SignedDuration::from_secs(((i as i64).wrapping_mul(7_919) % (365 * 86_400)).abs());
    let created = now - age - SignedDuration::from_hours(1);
    r.id = RequestId(Ulid::from_parts(
        created.as_millisecond() as u64,
        rand_bits(i as u128),
    ));
    r.number = TicketNumber(1_000_000 + i as u64);
    r.office = OfficeSnapshot::from(office);
    r.created_at = created;
    r.updated_at = created + SignedDuration::from_hours(30);
    r.citizen_key = balcao_core::CitizenKey(format!("{:064x}", rand_bits(i as u128 + 7)));
    r.status = match i % 100 {
        0..=69 => Status::Concluded,
        70..=77 => Status::ClosedByCitizen,
        78..=84 => Status::Cancelled,
        85..=89 => Status::Expired,
        90..=91 => Status::Rejected,
        92..=94 => Status::InProgress,
        95..=96 => Status::AwaitingCitizen,
        97 => Status::Scheduled,
        _ => Status::Received,
    };
    // A few are released and not taken yet; most are taken within hours.
    if i.is_multiple_of(997) {
        r.status = Status::Released;
    }
    r.version = 6;
    r.rating = (r.status == Status::Concluded && i.is_multiple_of(3)).then_some(Rating {
        verdict: if i.is_multiple_of(10) {
            Verdict::Rejected
        } else {
            Verdict::Approved
        },
        comment: None,
        at: r.updated_at,
        moderation: Moderation::Pending,
        moderated_by: None,
    });
    r
}

fn rand_bits(seed: u128) -> u128 {
    // SplitMix-style mixing: distinct, well spread, reproducible.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    z = (z ^ (z >> 61)).wrapping_mul(0xBF58_476D_1CE4_E5B9_94D0_49BB_1331_11EB);
    z ^ (z >> 57)
}

/// Writes items 25 at a time, `parallel` batches in flight, retrying what
/// DynamoDB hands back.
async fn batch_write(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
) -> Result<(), Error> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let mut batches = tokio::task::JoinSet::new();
    let mut chunks = items
        .chunks(25)
        .map(<[_]>::to_vec)
        .collect::<Vec<_>>()
        .into_iter();
    loop {
        while batches.len() < 8 {
            let Some(chunk) = chunks.next() else { break };
            let (client, table) = (client.clone(), table.to_owned());
            batches.spawn(async move {
                let mut requests = Vec::with_capacity(chunk.len());
                for item in chunk {
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|e| e.to_string())?;
                    requests.push(WriteRequest::builder().put_request(put).build());
                }
                while !requests.is_empty() {
                    let out = client
                        .batch_write_item()
                        .request_items(&table, requests)
                        .send()
                        .await
                        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
                    requests = out
                        .unprocessed_items
                        .and_then(|mut u| u.remove(&table))
                        .unwrap_or_default();
                }
                Ok::<(), String>(())
            });
        }
        match batches.join_next().await {
            Some(done) => done??,
            None => return Ok(()),
        }
    }
}

/// Calls `op` with `event` and checks it answered.
async fn handle(app: &App, op: Op, event: &Value) -> Result<Value, Error> {
    let res = op
        .handle(app, lambda_http::request::from_str(&event.to_string())?)
        .await;
    let status = res.status().as_u16();
    let body: Value = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    if status >= 400 {
        return Err(format!("{} answered {status}: {body}", op.function()).into());
    }
    Ok(body)
}

fn staff_event(
    op: Op,
    office: &str,
    params: &[(&str, &str)],
    query: &str,
    body: Option<Value>,
) -> Value {
    let body = body.map(|b| b.to_string());
    let mut e = apigw(
        op.function(),
        params,
        query,
        body.as_deref(),
        "application/json",
    );
    as_manager(&mut e, office);
    e
}

fn citizen_event(op: Op, params: &[(&str, &str)], query: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    apigw(
        op.function(),
        params,
        query,
        body.as_deref(),
        "application/json",
    )
}

fn open_body(n: usize) -> Value {
    json!({
        "service": "contato", "name": "Maria da Silva",
        "email": format!("escala-{n}-{}@example.com", Ulid::generate().to_string().to_lowercase()),
        "message": "Qual o prazo para uma escritura?", "consent": true
    })
}

/// A ticket opened through the handler: its id and secret.
async fn open(app: &App, office: &str, n: usize) -> Result<(String, String), Error> {
    let v = handle(
        app,
        Op::OpenRequest,
        &citizen_event(
            Op::OpenRequest,
            &[("office", office)],
            "",
            Some(open_body(n)),
        ),
    )
    .await?;
    let url = v["ticket_url"].as_str().ok_or("no ticket_url")?;
    let (path, k) = url.split_once("?k=").ok_or("no secret")?;
    let id = path.rsplit('/').next().ok_or("no id")?;
    Ok((id.to_owned(), k.to_owned()))
}

/// Ids of new outbox mail written by `calls`.
fn new_mail(calls: &[Call]) -> Vec<MailId> {
    let mut ids = Vec::new();
    for c in calls
        .iter()
        .filter(|c| c.op == "TransactWriteItems" || c.op == "PutItem")
    {
        let body = String::from_utf8_lossy(&c.body);
        for (i, _) in body.match_indices("\"MAIL#") {
            if let Some(id) = body.get(i + 6..i + 32).and_then(|s| s.parse().ok()) {
                ids.push(MailId(id));
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// The timed operations at one size of history, through the handlers.
async fn time_operations(
    f: &Fixture,
    big: &[Office],
    iterations: usize,
) -> Result<Vec<(&'static str, f64, f64, f64)>, Error> {
    let recorder = Recorder::default();
    let (app, store) = f.app(Some(&recorder));
    let courier = f.courier(&app, store, None);
    let office = big[0].id.to_string();
    let uf = big[0].uf.code();
    let city = capital(big[0].uf);
    let city_query = format!("uf={uf}&city={}", city.replace(' ', "%20"));
    let mut rows = Vec::new();
    let cases: Vec<(&'static str, Op, Value)> = vec![
        (
            "staff-queue (open, first page)",
            Op::StaffQueue,
            staff_event(Op::StaffQueue, &office, &[], "", None),
        ),
        (
            "staff-queue (closed, first page)",
            Op::StaffQueue,
            staff_event(Op::StaffQueue, &office, &[], "status=closed", None),
        ),
        (
            "staff-queue (concluded, filtered)",
            Op::StaffQueue,
            staff_event(Op::StaffQueue, &office, &[], "status=concluded", None),
        ),
        (
            "staff-ratings (first page)",
            Op::StaffRatings,
            staff_event(Op::StaffRatings, &office, &[], "", None),
        ),
        (
            "staff-pool (first page)",
            Op::StaffPool,
            staff_event(Op::StaffPool, &office, &[], "", None),
        ),
        (
            "list-offices (capital city)",
            Op::ListOffices,
            citizen_event(Op::ListOffices, &[], &city_query, None),
        ),
        (
            "get-office (card)",
            Op::GetOffice,
            citizen_event(Op::GetOffice, &[("office", &office)], "", None),
        ),
    ];
    for (name, op, event) in cases {
        let mut samples = Vec::with_capacity(iterations);
        recorder.take();
        for _ in 0..iterations {
            let t = Instant::now();
            handle(&app, op, &event).await?;
            samples.push(t.elapsed());
        }
        let read: f64 =
            recorder.take().iter().map(|c| c.capacity.read).sum::<f64>() / iterations as f64;
        rows.push((
            name,
            percentile(&mut samples, 50.0),
            percentile(&mut samples, 99.0),
            read,
        ));
    }
    // Writes: opening in the large office, the citizen's page, a staff reply, the mail.
    let (mut opens, mut views, mut replies, mut mails) = (vec![], vec![], vec![], vec![]);
    let mut read_units = [0.0f64; 4];
    for n in 0..iterations {
        recorder.take();
        let t = Instant::now();
        let (id, k) = open(&app, &office, n).await?;
        opens.push(t.elapsed());
        let opened = recorder.take();
        read_units[0] += opened.iter().map(|c| c.capacity.read).sum::<f64>();
        let t = Instant::now();
        handle(
            &app,
            Op::GetTicket,
            &citizen_event(Op::GetTicket, &[("id", &id)], &format!("k={k}"), None),
        )
        .await?;
        views.push(t.elapsed());
        read_units[1] += recorder.take().iter().map(|c| c.capacity.read).sum::<f64>();
        let t = Instant::now();
        handle(
            &app,
            Op::StaffMessage,
            &staff_event(
                Op::StaffMessage,
                &office,
                &[("id", &id)],
                "",
                Some(json!({"message": "Traga o RG original."})),
            ),
        )
        .await?;
        replies.push(t.elapsed());
        let replied = recorder.take();
        read_units[2] += replied.iter().map(|c| c.capacity.read).sum::<f64>();
        for mail in new_mail(&opened)
            .into_iter()
            .chain(new_mail(&replied))
            .take(1)
        {
            let t = Instant::now();
            courier.deliver(mail).await?;
            mails.push(t.elapsed());
            read_units[3] += recorder.take().iter().map(|c| c.capacity.read).sum::<f64>();
        }
    }
    let per = |u: f64| u / iterations as f64;
    rows.push((
        "open-request",
        percentile(&mut opens, 50.0),
        percentile(&mut opens, 99.0),
        per(read_units[0]),
    ));
    rows.push((
        "get-ticket",
        percentile(&mut views, 50.0),
        percentile(&mut views, 99.0),
        per(read_units[1]),
    ));
    rows.push((
        "staff-message",
        percentile(&mut replies, 50.0),
        percentile(&mut replies, 99.0),
        per(read_units[2]),
    ));
    rows.push((
        "mailer (one mail)",
        percentile(&mut mails, 50.0),
        percentile(&mut mails, 99.0),
        per(read_units[3]),
    ));
    Ok(rows)
}

/// Runs `seconds` simulated seconds of the national peak and charges every
/// call to its partition key.
async fn peak(
    f: &Fixture,
    offices: &[Office],
    big: &[Office],
    seconds: usize,
) -> Result<(usize, usize, Vec<(String, Load)>), Error> {
    let recorder = Recorder::default();
    let (app, store) = f.app(Some(&recorder));
    let courier = f.courier(&app, store, Some(&recorder));
    let app = Arc::new(app);
    // A tenth of the requests go to the large offices (a year of 100,000 each
    // out of 10 million), the rest across all offices.
    let pick = |n: usize| -> &Office {
        if n.is_multiple_of(10) {
            &big[(n / 10) % big.len()]
        } else {
            &offices[rand_bits(n as u128) as usize % offices.len()]
        }
    };
    let mut operations = 0;
    let mut calls: Vec<Call> = Vec::new();
    // The requests already open when the peak begins: what staff answer.
    let mut tickets: Vec<(String, String, String)> = Vec::new();
    for n in 0..CHANGES_PER_SECOND {
        let office = pick(1_000_000 + n).id.to_string();
        let (id, k) = open(&app, &office, 1_000_000 + n).await?;
        tickets.push((office, id, k));
    }
    recorder.take();
    for second in 0..seconds {
        let base = second * 10_000;
        // New requests first: the changes of this second act on them.
        let mut jobs = tokio::task::JoinSet::new();
        for n in 0..OPENS_PER_SECOND {
            let (app, office) = (app.clone(), pick(base + n).id.to_string());
            jobs.spawn(async move {
                let (id, k) = open(&app, &office, base + n)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((office, id, k))
            });
        }
        while let Some(done) = jobs.join_next().await {
            tickets.push(done?.map_err(|e| e.to_string())?);
            operations += 1;
        }
        // This second's other calls, all at once.
        let mut events: Vec<(Op, Value)> = Vec::new();
        // Each reply goes to a different live request: over its life a request
        // has about ten changes, not ten in one second.
        for n in 0..CHANGES_PER_SECOND {
            let (office, id, _) =
                &tickets[(base / 10_000 * CHANGES_PER_SECOND + n) % tickets.len()];
            let body = json!({"message": "Segue a resposta."});
            let e = staff_event(Op::StaffMessage, office, &[("id", id)], "", Some(body));
            events.push((Op::StaffMessage, e));
        }
        for n in 0..TICKET_VIEWS_PER_SECOND {
            let (_, id, k) = &tickets[rand_bits((base + n + 77) as u128) as usize % tickets.len()];
            let e = citizen_event(Op::GetTicket, &[("id", id)], &format!("k={k}"), None);
            events.push((Op::GetTicket, e));
        }
        for n in 0..QUEUE_VIEWS_PER_SECOND {
            let office = pick(base + n + 5_000).id.to_string();
            let e = staff_event(Op::StaffQueue, &office, &[], "", None);
            events.push((Op::StaffQueue, e));
        }
        for n in 0..DIRECTORY_VIEWS_PER_SECOND {
            let o = pick(base + n + 6_000);
            let query = format!(
                "uf={}&city={}",
                o.uf.code(),
                o.city
                    .replace(' ', "%20")
                    .replace('(', "%28")
                    .replace(')', "%29")
            );
            events.push((
                Op::ListOffices,
                citizen_event(Op::ListOffices, &[], &query, None),
            ));
        }
        for n in 0..CARD_VIEWS_PER_SECOND {
            let office = pick(base + n + 7_000).id.to_string();
            let e = citizen_event(Op::GetOffice, &[("office", &office)], "", None);
            events.push((Op::GetOffice, e));
        }
        let mut jobs = tokio::task::JoinSet::new();
        for (op, e) in events {
            let app = app.clone();
            jobs.spawn(async move {
                handle(&app, op, &e)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        }
        operations += CHANGES_PER_SECOND
            + TICKET_VIEWS_PER_SECOND
            + QUEUE_VIEWS_PER_SECOND
            + DIRECTORY_VIEWS_PER_SECOND
            + CARD_VIEWS_PER_SECOND;
        while let Some(done) = jobs.join_next().await {
            done?.map_err(|e| -> Error { e.into() })?;
        }
        // Every mail this second wrote, delivered as the stream would.
        let written = recorder.take();
        let mut sends = tokio::task::JoinSet::new();
        for id in new_mail(&written) {
            let courier: Courier = courier.clone();
            sends.spawn(async move {
                courier
                    .deliver(id)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        }
        while let Some(done) = sends.join_next().await {
            done?.map_err(|e| -> Error { e.into() })?;
            operations += 1;
        }
        calls.extend(written);
        calls.extend(recorder.take());
    }
    let mut keys: Vec<(String, Load)> = keyload::per_key(&calls)
        .into_iter()
        .map(|(k, l)| {
            (
                k,
                Load {
                    read: l.read / seconds as f64,
                    write: l.write / seconds as f64,
                },
            )
        })
        .collect();
    keys.sort_by(|a, b| share(&b.1).total_cmp(&share(&a.1)));
    Ok((calls.len(), operations, keys))
}

/// How much of its partition's limit a key uses (the larger of read and write).
pub fn share(l: &Load) -> f64 {
    (l.read / READ_LIMIT).max(l.write / WRITE_LIMIT)
}

pub async fn run(
    f: &Fixture,
    sizes: &[usize],
    iterations: usize,
    seconds: usize,
) -> Result<Report, Error> {
    let (setup, store): (App, Arc<DynamoStore>) = f.app(None);
    let template_office = balcao_local::seed::demo_offices().remove(0);
    let offices = national(&template_office);
    let t = Instant::now();
    let mut puts = tokio::task::JoinSet::new();
    for chunk in offices.chunks(offices.len().div_ceil(8)) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        puts.spawn(async move {
            for o in &chunk {
                balcao_app::Offices::put_office(&*store, o).await?;
            }
            Ok::<_, balcao_app::ports::StoreError>(())
        });
    }
    while let Some(done) = puts.join_next().await {
        done??;
    }
    let offices_load = t.elapsed();
    // The first office of each large UF's capital holds a year of history.
    let big: Vec<Office> = UF_SHARE
        .iter()
        .take(LARGE)
        .filter_map(|(uf, _)| offices.iter().find(|o| o.uf == *uf).cloned())
        .collect();
    let (id, _) = open(&setup, big[0].id.as_str(), 0).await?;
    let template = balcao_app::Tickets::get_ticket(&*store, RequestId::parse(&id).ok_or("id")?)
        .await?
        .ok_or("template ticket")?
        .request;

    let now = Timestamp::now();
    let mut stored = 0;
    let mut stages = Vec::new();
    for &size in sizes {
        let t = Instant::now();
        let mut items_ = Vec::new();
        for i in stored..size {
            let office = &big[i % big.len()];
            items_.push(items::request(&history(&template, office, i, now))?);
            if items_.len() == 20_000 {
                batch_write(f.client(), &f.table, std::mem::take(&mut items_)).await?;
            }
        }
        batch_write(f.client(), &f.table, items_).await?;
        stored = size;
        let load = t.elapsed();
        eprintln!(
            "scale: {size} stored requests (loaded in {:.0} s)",
            load.as_secs_f64()
        );
        let ops = time_operations(f, &big, iterations).await?;
        stages.push(Stage {
            stored: size,
            load,
            ops,
        });
    }
    let (calls, operations, keys) = peak(f, &offices, &big, seconds).await?;
    Ok(Report {
        offices_load,
        stages,
        seconds,
        calls,
        operations,
        keys,
    })
}

pub fn print(r: &Report) {
    println!(
        "{} offices written through the store in {:.0} s; ten large offices (the first of SP, MG, RJ, BA, PR, RS, PE, CE, PA, SC) hold the stored requests, a tenth each.\n",
        OFFICES,
        r.offices_load.as_secs_f64()
    );
    let Some(first) = r.stages.first() else {
        return;
    };
    print!("| operation |");
    for s in &r.stages {
        print!(" p50 / p99 ms, RCU at {} |", s.stored);
    }
    println!();
    print!("|---|");
    for _ in &r.stages {
        print!("---|");
    }
    println!();
    for (i, (name, ..)) in first.ops.iter().enumerate() {
        print!("| {name} |");
        for s in &r.stages {
            let (_, p50, p99, rcu) = s.ops[i];
            print!(" {p50:.1} / {p99:.1}, {rcu:.1} |");
        }
        println!();
    }
    println!(
        "\nLoad time of the history: {}.\n",
        r.stages
            .iter()
            .map(|s| format!("{} in {:.0} s", s.stored, s.load.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "National peak, {} simulated seconds ({OPENS_PER_SECOND} openings, {CHANGES_PER_SECOND} staff replies, {TICKET_VIEWS_PER_SECOND} ticket views, {QUEUE_VIEWS_PER_SECOND} queue pages, {DIRECTORY_VIEWS_PER_SECOND} directory pages, {CARD_VIEWS_PER_SECOND} office cards a second, and every email they wrote delivered): {} operations, {} DynamoDB calls. Top 10 partition keys, units a second against DynamoDB's limit per key:\n",
        r.seconds, r.operations, r.calls
    );
    println!("| partition key | RCU/s | of 3,000 | WCU/s | of 1,000 |");
    println!("|---|---:|---:|---:|---:|");
    for (k, l) in r.keys.iter().take(10) {
        println!(
            "| `{k}` | {:.1} | {:.1}% | {:.1} | {:.1}% |",
            l.read,
            100.0 * l.read / READ_LIMIT,
            l.write,
            100.0 * l.write / WRITE_LIMIT
        );
    }
    // The same by kind of key: the variable part of each key left out.
    let mut kinds: std::collections::BTreeMap<String, (usize, Load)> = Default::default();
    for (k, l) in &r.keys {
        let kind = match k.split_once('#') {
            Some((head, _)) => format!("{head}#…"),
            None => k.clone(),
        };
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1.read = e.1.read.max(l.read);
        e.1.write = e.1.write.max(l.write);
    }
    println!("\nBy kind of key, the busiest key of each kind:\n");
    println!("| kind of key | keys | max RCU/s | max WCU/s | of its limit |");
    println!("|---|---:|---:|---:|---:|");
    for (kind, (n, l)) in &kinds {
        println!(
            "| `{kind}` | {n} | {:.1} | {:.1} | {:.1}% |",
            l.read,
            l.write,
            100.0 * share(l)
        );
    }
    let max = r.keys.first().map(|(_, l)| share(l)).unwrap_or(0.0);
    println!(
        "\n{} keys in all; the busiest uses {:.1}% of its partition's limit (goal ≤ 10%).",
        r.keys.len(),
        100.0 * max
    );
}

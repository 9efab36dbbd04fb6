//! Sections 2 and 3: AWS calls per operation, counted by an SDK interceptor, and
//! each handler's warm latency beside the raw SDK calls that operation needs.

use crate::events::{OFFICE, for_function};
use crate::stats::percentile;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::ports::Store;
use balcao_app::{App, Config, SystemClock};
use balcao_aws::{DynamoStore, SesMailer};
use balcao_web::Op;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

/// Counts every attempt sent, by `Service.Operation`.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<BTreeMap<String, u32>>>);

impl Calls {
    fn take(&self) -> BTreeMap<String, u32> {
        std::mem::take(&mut *self.0.lock().expect("calls"))
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "balcao-bench-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", m.service(), m.name()))
            .unwrap_or_else(|| "?".into());
        *self.0.lock().expect("calls").entry(op).or_default() += 1;
        Ok(())
    }
}

pub struct Fixture {
    pub dynamodb_endpoint: String,
    pub moto_endpoint: String,
    pub table: String,
    pub calls: Calls,
    client: aws_sdk_dynamodb::Client,
    counted: aws_sdk_dynamodb::Client,
    ses: aws_sdk_sesv2::Client,
}

fn ddb(endpoint: &str, calls: Option<&Calls>) -> aws_sdk_dynamodb::Client {
    let mut b = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "bench",
        ));
    if let Some(c) = calls {
        b = b.interceptor(c.clone());
    }
    aws_sdk_dynamodb::Client::from_conf(b.build())
}

fn request(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("valid API Gateway event")
}

impl Fixture {
    pub async fn new(dynamodb: &str, moto: &str) -> Result<Self, Error> {
        let calls = Calls::default();
        let client = ddb(dynamodb, None);
        let table = format!("bench-{}", ulid::Ulid::generate());
        DynamoStore::create_table(&client, &table).await?;
        let store = DynamoStore::new(client.clone(), &table);
        for o in balcao_local::seed::demo_offices() {
            store.put_office(&o).await?;
        }
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::Config::builder()
                .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
                .region(aws_sdk_sesv2::config::Region::new("us-east-1"))
                .endpoint_url(moto)
                .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
                    "test", "test", None, None, "bench",
                ))
                .interceptor(calls.clone())
                .build(),
        );
        ses.create_email_identity()
            .email_identity("balcao@example.com")
            .send()
            .await?;
        // The keyed-hash secret the functions that hash or sign read (bench env).
        let secrets = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
                .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
                .endpoint_url(moto)
                .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                    "test", "test", None, None, "bench",
                ))
                .build(),
        );
        let created = secrets
            .create_secret()
            .name("balcao-bench-hash-key")
            .secret_string("b".repeat(64))
            .send()
            .await;
        if let Err(e) = created
            && !format!("{e:?}").contains("ResourceExists")
        {
            return Err(e.into());
        }
        Ok(Self {
            dynamodb_endpoint: dynamodb.to_owned(),
            moto_endpoint: moto.to_owned(),
            counted: ddb(dynamodb, Some(&calls)),
            table,
            calls,
            client,
            ses,
        })
    }

    /// A fresh process's view: new store, nothing cached.
    fn app(&self, counted: bool) -> (App, Arc<DynamoStore>) {
        let client = if counted {
            self.counted.clone()
        } else {
            self.client.clone()
        };
        let store = Arc::new(DynamoStore::new(client, &self.table));
        let app = App {
            store: store.clone(),
            // Files are not part of the measured operations.
            blobs: Arc::new(
                balcao_embedded::LocalBlobs::new(
                    std::env::temp_dir().join("balcao-bench-files"),
                    "https://balcao.example.gov.br",
                )
                .expect("temporary folder"),
            ),
            timers: Arc::new(balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite")),
            limits: store.clone(),
            clock: Arc::new(SystemClock),
            keys: balcao_app::keys::Keys::random(),
            config: Config::new("https://balcao.example.gov.br"),
        };
        (app, store)
    }

    /// A live my-requests link for the bench's citizen: (unused, secret).
    pub async fn sample_link(&self) -> Result<(String, String), Error> {
        let (app, store) = self.app(false);
        self.sample_ticket().await?;
        // A fresh citizen each time, so the throttle does not hold the email back.
        let email = format!(
            "bench-{}@example.com",
            ulid::Ulid::generate().to_string().to_lowercase()
        );
        let mut body: Value = serde_json::from_str(&crate::events::contact_body())?;
        body["email"] = Value::String(email.clone());
        let event = for_function("open-request", "", "");
        let mut event = event;
        event["body"] = Value::String(body.to_string());
        Op::OpenRequest.handle(&app, request(&event)).await;
        balcao_app::my_requests::request_link(&app, &email).await?;
        let due = store
            .due_mail(
                jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1),
                1000,
            )
            .await?;
        for id in due {
            let Some(mail) = store.get_mail(id).await? else {
                continue;
            };
            if mail.to.as_str() == email && mail.subject.contains("Suas solicitações") {
                let k = mail
                    .text
                    .split("k=")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .ok_or("no link")?;
                return Ok((String::new(), k.to_owned()));
            }
        }
        Err("no my-requests mail".into())
    }

    /// Opens a ticket through the handler; answers its id and secret.
    pub async fn sample_ticket(&self) -> Result<(String, String), Error> {
        let (app, _) = self.app(false);
        let r = Op::OpenRequest
            .handle(&app, request(&for_function("open-request", "", "")))
            .await;
        let v: Value = serde_json::from_slice(r.body().as_ref())?;
        let url = v["ticket_url"].as_str().ok_or("no ticket_url")?;
        let (path, token) = url.split_once("?k=").ok_or("no secret")?;
        let id = path.rsplit('/').next().ok_or("no id")?;
        Ok((id.to_owned(), token.to_owned()))
    }
}

pub struct Trips {
    pub op: &'static str,
    pub warm: BTreeMap<String, u32>,
    pub cold_extra: BTreeMap<String, u32>,
    pub floor: &'static str,
    pub floor_calls: u32,
}

fn total(m: &BTreeMap<String, u32>) -> u32 {
    m.values().sum()
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

const HTTP_OPS: &[(&str, Op, &str, u32)] = &[
    ("list-offices", Op::ListOffices, "1 Query (GSI1)", 1),
    ("get-office", Op::GetOffice, "1 GetItem", 1),
    ("request-form", Op::RequestForm, "1 GetItem", 1),
    ("open-request", Op::OpenRequest, "1 TransactWriteItems", 1),
    ("get-ticket", Op::GetTicket, "1 Query", 1),
];

/// Operations added after the first benchmark: round trips only (section 2).
const MORE_OPS: &[(&str, Op, &str, u32)] = &[
    (
        "post-message",
        Op::PostMessage,
        "1 Query + 1 TransactWriteItems",
        2,
    ),
    (
        "cancel-ticket",
        Op::CancelTicket,
        "1 Query + 1 TransactWriteItems",
        2,
    ),
    (
        "close-ticket",
        Op::CloseTicket,
        "1 Query + 1 TransactWriteItems",
        2,
    ),
    (
        "ask-my-requests",
        Op::AskMyRequests,
        "1 Query (GSI3) + 1 TransactWriteItems",
        2,
    ),
    (
        "my-requests",
        Op::MyRequests,
        "1 GetItem + 1 Query (GSI3)",
        2,
    ),
    ("staff-queue", Op::StaffQueue, "1 Query (GSI2)", 1),
    ("staff-request", Op::StaffRequest, "1 Query", 1),
    (
        "staff-message",
        Op::StaffMessage,
        "1 Query + 1 TransactWriteItems",
        2,
    ),
];

pub async fn round_trips(f: &Fixture) -> Result<Vec<Trips>, Error> {
    let mut out = Vec::new();
    for (name, op, floor, floor_calls) in HTTP_OPS.iter().chain(MORE_OPS) {
        let (app, _) = f.app(true);
        // A fresh ticket (or link) per call: cancel and close act once.
        let shared = f.sample_ticket().await?;
        // A ticket (or link) per call only where the call uses it up: cancel and close act once.
        let fresh = || async {
            match *name {
                "my-requests" => f.sample_link().await,
                "cancel-ticket" | "close-ticket" => f.sample_ticket().await,
                _ => Ok(shared.clone()),
            }
        };
        let (ticket, token) = fresh().await?;
        f.calls.take();
        op.handle(&app, request(&for_function(name, &ticket, &token)))
            .await;
        let cold = f.calls.take();
        let (ticket, token) = fresh().await?;
        f.calls.take();
        op.handle(&app, request(&for_function(name, &ticket, &token)))
            .await;
        let warm = f.calls.take();
        let mut cold_extra = cold.clone();
        for (k, v) in &warm {
            if let Some(c) = cold_extra.get_mut(k) {
                *c = c.saturating_sub(*v);
            }
        }
        cold_extra.retain(|_, v| *v > 0);
        out.push(Trips {
            op: name,
            warm,
            cold_extra,
            floor,
            floor_calls: *floor_calls,
        });
    }
    // The mailer, for one new outbox mail announced by the stream.
    let (app, store) = f.app(true);
    Op::OpenRequest
        .handle(&app, request(&for_function("open-request", "", "")))
        .await;
    let due = store
        .due_mail(
            jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1),
            500,
        )
        .await?;
    let courier = courier(f, store);
    f.calls.take();
    for id in &due {
        courier.deliver(*id).await?;
    }
    let mut warm = f.calls.take();
    for v in warm.values_mut() {
        *v /= due.len().max(1) as u32;
    }
    out.push(Trips {
        op: "mailer (per mail)",
        warm,
        cold_extra: BTreeMap::new(),
        floor: "claim UpdateItem + SendEmail + record UpdateItem",
        floor_calls: 3,
    });
    Ok(out)
}

fn courier(f: &Fixture, store: Arc<DynamoStore>) -> Courier {
    Courier {
        store,
        mailer: Arc::new(SesMailer::new(f.ses.clone(), "balcao@example.com", None)),
        clock: Arc::new(SystemClock),
        policy: RetryPolicy::default(),
    }
}

pub fn print_round_trips(rows: &[Trips]) {
    println!("| operation | calls (warm) | floor | meets floor | extra on a cold start |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let ok = if total(&r.warm) <= r.floor_calls {
            "yes"
        } else {
            "no (see README)"
        };
        println!(
            "| {} | {} | {} | {} | {} |",
            r.op,
            fmt_calls(&r.warm),
            r.floor,
            ok,
            fmt_calls(&r.cold_extra)
        );
    }
}

pub struct Latency {
    pub op: &'static str,
    pub handler_p50: f64,
    pub handler_p99: f64,
    pub raw_p50: f64,
    pub raw_p99: f64,
    /// Capacity units the raw calls consumed, per operation: (read, write).
    pub capacity: (f64, f64),
}

async fn time<F, Fut>(n: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed());
    }
    v
}

/// Item size by DynamoDB's rules (names and values in bytes; numbers by their digits;
/// maps and lists 3 bytes plus 1 per element). DynamoDB Local reports no consumed
/// capacity, so capacity is computed from the items the operations really touch.
fn av_size(v: &AttributeValue) -> f64 {
    match v {
        AttributeValue::S(s) => s.len() as f64,
        AttributeValue::N(n) => {
            (n.trim_start_matches('-').replace('.', "").len() as f64 / 2.0).ceil() + 1.0
        }
        AttributeValue::B(b) => b.as_ref().len() as f64,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1.0,
        AttributeValue::M(m) => {
            3.0 + m
                .iter()
                .map(|(k, v)| k.len() as f64 + av_size(v) + 1.0)
                .sum::<f64>()
        }
        AttributeValue::L(l) => 3.0 + l.iter().map(|v| av_size(v) + 1.0).sum::<f64>(),
        AttributeValue::Ss(v) => v.iter().map(|s| s.len() as f64).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len() as f64 / 2.0 + 1.0).sum(),
        _ => 0.0,
    }
}

fn item_size(item: &HashMap<String, AttributeValue>) -> f64 {
    item.iter().map(|(k, v)| k.len() as f64 + av_size(v)).sum()
}

/// Read units of items read together: 4 KB each; eventually consistent reads cost half.
fn rcu(items: &[HashMap<String, AttributeValue>], consistent: bool) -> f64 {
    let units = (items.iter().map(item_size).sum::<f64>() / 4096.0)
        .ceil()
        .max(1.0);
    if consistent { units } else { units / 2.0 }
}

/// Write units: 1 KB each, per item; transactional writes cost double.
fn wcu(items: &[HashMap<String, AttributeValue>], transactional: bool) -> f64 {
    let units: f64 = items
        .iter()
        .map(|i| (item_size(i) / 1024.0).ceil().max(1.0))
        .sum();
    if transactional { 2.0 * units } else { units }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub struct LatencyReport {
    pub rows: Vec<Latency>,
    /// Write units one mail delivery costs: claim and record each rewrite the outbox item.
    pub mailer_wcu: f64,
}

pub async fn latency(f: &Fixture, n: usize) -> Result<LatencyReport, Error> {
    let (ticket, token) = f.sample_ticket().await?;
    let (app, _) = f.app(false);
    let c = &f.client;
    let table = f.table.as_str();
    let office_key = HashMap::from([
        ("PK".to_owned(), s(&format!("OFFICE#{OFFICE}"))),
        ("SK".to_owned(), s("PROFILE")),
    ]);

    // Items as the handler writes them, copied under new keys for the raw transaction.
    let written = c
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", s(&format!("REQ#{ticket}")))
        .send()
        .await?;
    let items = written.items().to_vec();
    let mail = c
        .query()
        .table_name(table)
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :o")
        .expression_attribute_values(":o", s("OUTBOX"))
        .limit(1)
        .send()
        .await?;
    let mail_item = mail.items().first().cloned().unwrap_or_default();
    let mut raw_counter = 0u64;

    let mut out = Vec::new();
    for (name, op, _, _) in HTTP_OPS {
        let event = for_function(name, &ticket, &token);
        let mut handler = time(n, || async { drop(op.handle(&app, request(&event)).await) }).await;
        let capacity: (f64, f64);
        let mut raw = match *name {
            "list-offices" => {
                let r = c
                    .query()
                    .table_name(table)
                    .index_name("GSI1")
                    .key_condition_expression("GSI1PK = :uf")
                    .expression_attribute_values(":uf", s("UF#SP"))
                    .send()
                    .await?;
                capacity = (rcu(r.items(), false), 0.0);
                time(n, || async {
                    let _ = c
                        .query()
                        .table_name(table)
                        .index_name("GSI1")
                        .key_condition_expression("GSI1PK = :uf")
                        .expression_attribute_values(":uf", s("UF#SP"))
                        .send()
                        .await;
                })
                .await
            }
            "get-office" | "request-form" => {
                let r = c
                    .get_item()
                    .table_name(table)
                    .set_key(Some(office_key.clone()))
                    .send()
                    .await?;
                capacity = (
                    rcu(
                        r.item().into_iter().cloned().collect::<Vec<_>>().as_slice(),
                        false,
                    ),
                    0.0,
                );
                time(n, || async {
                    let _ = c
                        .get_item()
                        .table_name(table)
                        .set_key(Some(office_key.clone()))
                        .send()
                        .await;
                })
                .await
            }
            "open-request" => {
                let mut samples = Vec::with_capacity(n);
                for i in 0..n {
                    let t = Instant::now();
                    let _ = c
                        .get_item()
                        .table_name(table)
                        .set_key(Some(office_key.clone()))
                        .send()
                        .await;
                    let pk = format!("REQ#RAW{i:06}{}", ulid::Ulid::generate());
                    let mut tx = vec![
                        TransactWriteItem::builder()
                            .update(
                                Update::builder()
                                    .table_name(table)
                                    .key("PK", s("OFFICE#bench-raw"))
                                    .key("SK", s("COUNTER"))
                                    .update_expression("SET n = :next")
                                    .condition_expression(if raw_counter == 0 {
                                        "attribute_not_exists(n)"
                                    } else {
                                        "n = :prev"
                                    })
                                    .set_expression_attribute_values(if raw_counter == 0 {
                                        Some(HashMap::from([(
                                            ":next".to_owned(),
                                            AttributeValue::N((raw_counter + 1).to_string()),
                                        )]))
                                    } else {
                                        Some(HashMap::from([
                                            (
                                                ":next".to_owned(),
                                                AttributeValue::N((raw_counter + 1).to_string()),
                                            ),
                                            (
                                                ":prev".to_owned(),
                                                AttributeValue::N(raw_counter.to_string()),
                                            ),
                                        ]))
                                    })
                                    .build()?,
                            )
                            .build(),
                    ];
                    for (j, item) in items.iter().chain(std::iter::once(&mail_item)).enumerate() {
                        let mut copy = item.clone();
                        copy.insert("PK".into(), s(&format!("{pk}#{j}")));
                        copy.remove("GSI1PK");
                        tx.push(
                            TransactWriteItem::builder()
                                .put(
                                    Put::builder()
                                        .table_name(table)
                                        .set_item(Some(copy))
                                        .condition_expression("attribute_not_exists(PK)")
                                        .build()?,
                                )
                                .build(),
                        );
                    }
                    c.transact_write_items()
                        .set_transact_items(Some(tx))
                        .send()
                        .await?;
                    raw_counter += 1;
                    samples.push(t.elapsed());
                }
                let office = c
                    .get_item()
                    .table_name(table)
                    .set_key(Some(office_key.clone()))
                    .send()
                    .await?;
                let office: Vec<_> = office.item().into_iter().cloned().collect();
                let counter = HashMap::from([
                    ("PK".to_owned(), s("OFFICE#x")),
                    ("SK".to_owned(), s("COUNTER")),
                ]);
                let mut written: Vec<_> = items
                    .iter()
                    .chain(std::iter::once(&mail_item))
                    .cloned()
                    .collect();
                written.push(counter);
                capacity = (rcu(&office, false), wcu(&written, true));
                samples
            }
            _ => {
                let r = c
                    .query()
                    .table_name(table)
                    .key_condition_expression("PK = :pk")
                    .expression_attribute_values(":pk", s(&format!("REQ#{ticket}")))
                    .consistent_read(true)
                    .send()
                    .await?;
                capacity = (rcu(r.items(), true), 0.0);
                time(n, || async {
                    let _ = c
                        .query()
                        .table_name(table)
                        .key_condition_expression("PK = :pk")
                        .expression_attribute_values(":pk", s(&format!("REQ#{ticket}")))
                        .consistent_read(true)
                        .send()
                        .await;
                })
                .await
            }
        };
        out.push(Latency {
            op: name,
            handler_p50: percentile(&mut handler, 50.0),
            handler_p99: percentile(&mut handler, 99.0),
            raw_p50: percentile(&mut raw, 50.0),
            raw_p99: percentile(&mut raw, 99.0),
            capacity,
        });
    }
    let mailer_wcu = 2.0 * wcu(std::slice::from_ref(&mail_item), false);
    Ok(LatencyReport {
        rows: out,
        mailer_wcu,
    })
}

pub fn print_latency(report: &LatencyReport) {
    let rows = &report.rows;
    println!(
        "| operation | handler p50 | handler p99 | raw SDK p50 | raw SDK p99 | p50 ratio | capacity units (read / write, from item sizes) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {:.1} / {:.1} |",
            r.op,
            r.handler_p50,
            r.handler_p99,
            r.raw_p50,
            r.raw_p99,
            r.handler_p50 / r.raw_p50,
            r.capacity.0,
            r.capacity.1
        );
    }
}

/// How many SES sends one delivery made (for the cost model).
pub fn ses_calls(trips: &[Trips]) -> u32 {
    trips
        .iter()
        .filter(|t| t.op.starts_with("mailer"))
        .flat_map(|t| t.warm.iter())
        .filter(|(k, _)| k.contains("SES"))
        .map(|(_, v)| *v)
        .sum()
}

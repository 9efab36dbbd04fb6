//! Every function's measured call, and what it acts on. Each case prepares its
//! subject through the uncounted app (a ticket opened, analysed, scheduled,
//! concluded… as far as the operation needs) and answers the event the function
//! receives: an API Gateway event, a timer, or the outbox stream's record.

use crate::events::{CAMPINAS, CPF, OFFICE, apigw};
use crate::fixture::Fixture;
use balcao_app::App;
use balcao_app::courier::Courier;
use balcao_app::ports::{Timer, TimerKind};
use balcao_web::Op;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

type Error = Box<dyn std::error::Error>;

pub enum Input {
    Http(Value),
    Timer(Timer),
    /// The DynamoDB stream event announcing new outbox mail.
    Stream(Value),
    /// An SES event (bounce, complaint, delivery) through EventBridge.
    MailEvent(Value),
    /// The daily retention sweep's scheduled event.
    Sweep,
    /// A request no route takes (API Gateway's default route).
    Unmatched(Value),
}

impl Input {
    /// What the function's binary receives.
    pub fn event(&self) -> Value {
        match self {
            Self::Http(e) | Self::Stream(e) | Self::MailEvent(e) | Self::Unmatched(e) => e.clone(),
            Self::Timer(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Self::Sweep => json!({"source": "aws.events", "detail-type": "Scheduled Event"}),
        }
    }
}

pub struct Case {
    pub function: &'static str,
    /// One of [`variants`] measured on its own row, instead of the main subject.
    pub variant: Option<&'static str>,
    /// Acts once on its subject: every call gets a fresh one.
    pub consumes: bool,
    /// The fewest calls the operation could make, and why.
    pub floor: &'static str,
}

impl Case {
    /// The number of calls in [`Case::floor`] ("1 Query + 1 TransactWriteItems" is 2).
    pub fn floor_calls(&self) -> u32 {
        self.floor
            .split('+')
            .filter_map(|part| part.split_whitespace().next()?.parse::<u32>().ok())
            .sum()
    }

    /// The row's name: the function, and the variant when it is one.
    pub fn name(&self) -> String {
        match self.variant {
            Some(v) => format!("{} ({v})", self.function),
            None => self.function.to_owned(),
        }
    }

    /// Its subject: the main one, or the variant's.
    pub async fn subject(&self, f: &Fixture) -> Result<Input, Error> {
        match self.variant {
            None => prepare(f, self.function).await,
            Some(v) => Box::pin(measured_variant(f, self.function, v)).await,
        }
    }
}

const fn case(function: &'static str, consumes: bool, floor: &'static str) -> Case {
    Case {
        function,
        variant: None,
        consumes,
        floor,
    }
}

/// Subjects whose cost the benchmark reports on their own rows (sections 2–3),
/// as issue 15 asks: a search, and a year of a busy office read by the report
/// and the export.
pub const MEASURED_VARIANTS: &[Case] = &[
    Case {
        function: "staff-queue",
        variant: Some(A_FULL_SEARCH),
        consumes: false,
        floor: "1 Query (the word's term items, a page of 50) + 1 BatchGetItem (those requests)",
    },
    Case {
        function: "staff-reports",
        variant: Some(A_COUNTED_YEAR),
        consumes: false,
        floor: "1 Query (366 day items of 13 counters and 8 reply times)",
    },
    Case {
        function: "staff-export-requests",
        variant: Some(A_YEAR_OF_REQUESTS),
        consumes: false,
        floor: "3 Query (the range's 250 term items, 100 a page) + 3 BatchGetItem (up to 100 requests each)",
    },
];

/// The office whose year the export reads: no other case opens there.
const SALVADOR: &str = "cartorio-civil-salvador";
const A_FULL_SEARCH: &str = "a name 250 requests share, one page of 50";
const A_COUNTED_YEAR: &str = "a year, every day counted";
const A_YEAR_OF_REQUESTS: &str = "a year holding 250 requests";

/// Salvador's office holds 250 requests of "Maria da Silva" opened today:
/// those an earlier call opened, then as many more as make 250.
async fn salvador_holds_250(f: &Fixture) -> Result<(), Error> {
    let office = balcao_core::OfficeId::parse(SALVADOR)?;
    let mut page =
        balcao_app::ports::PageRequest::first(balcao_app::ports::PageSize::new(100).ok_or("size")?);
    let mut there = 0;
    loop {
        let got = f
            .setup
            .reports
            .opened_between(
                &office,
                jiff::Timestamp::UNIX_EPOCH,
                jiff::Timestamp::MAX,
                &page,
            )
            .await?;
        there += got.items.len();
        match got.next {
            Some(next) if there < 250 => page.after = Some(next),
            _ => break,
        }
    }
    for _ in there..250 {
        let email = unique_email();
        open_at(f, SALVADOR, open_body("contato", &email), email).await?;
    }
    Ok(())
}

/// The subject of a measured variant, made for the measure.
async fn measured_variant(f: &Fixture, function: &str, variant: &str) -> Result<Input, Error> {
    let to = jiff::Zoned::now().date();
    let from = to.checked_sub(jiff::Span::new().days(365))?;
    let year = query_of(&[("from", &from.to_string()), ("to", &to.to_string())]);
    match (function, variant) {
        ("staff-reports", A_COUNTED_YEAR) => {
            f.seed_counted_year(OFFICE, to).await?;
            Ok(Input::Http(http(function, SP, &[], &year, None)))
        }
        ("staff-export-requests", A_YEAR_OF_REQUESTS) => {
            salvador_holds_250(f).await?;
            Ok(Input::Http(http(
                function,
                Who::Manager(SALVADOR),
                &[],
                &year,
                None,
            )))
        }
        ("staff-queue", A_FULL_SEARCH) => {
            salvador_holds_250(f).await?;
            Ok(Input::Http(http(
                function,
                Who::Manager(SALVADOR),
                &[],
                &query_of(&[("q", "Maria")]),
                None,
            )))
        }
        _ => Err(format!("{function}: no measured variant {variant}").into()),
    }
}

/// Every function, in the order of a request's life.
pub const CASES: &[Case] = &[
    case("list-offices", false, "1 Query"),
    case(
        "get-office",
        false,
        "1 Query (reviews; the office is cached warm)",
    ),
    case("request-form", false, "0 (the office is cached warm)"),
    case("get-privacy", false, "0 (the office is cached warm)"),
    case(
        "list-slots",
        false,
        "1 Query (slots taken; the office is cached warm)",
    ),
    case(
        "new-upload",
        false,
        "0 (office and key cached warm; the form is signed locally)",
    ),
    case(
        "open-request",
        true,
        "1 Query (GSI3: the same request sent again) + 1 PutItem (limit) + 1 TransactWriteItems + 1 CreateSchedule (reply window)",
    ),
    case("get-ticket", false, "1 Query"),
    case(
        "get-attachment",
        false,
        "1 Query (the link is presigned locally)",
    ),
    case("mark-read", true, "1 Query + 1 TransactWriteItems"),
    case("post-message", true, "1 Query + 1 TransactWriteItems"),
    case(
        "cancel-ticket",
        true,
        "1 Query + 1 TransactWriteItems + 1 DeleteSchedule (reply window)",
    ),
    case(
        "close-ticket",
        true,
        "1 Query + 1 TransactWriteItems + 1 DeleteSchedule (reply window)",
    ),
    case(
        "ask-my-requests",
        true,
        "1 Query (GSI3) + 1 TransactWriteItems",
    ),
    case("my-requests", false, "1 GetItem + 1 Query (GSI3)"),
    case("ask-my-data", true, "1 Query (GSI3) + 1 TransactWriteItems"),
    case(
        "my-data",
        false,
        "1 GetItem + 1 Query (GSI3) + 1 Query per request (links presigned locally)",
    ),
    case(
        "export-my-data",
        false,
        "1 GetItem + 1 Query (GSI3) + 1 Query per request (links presigned locally)",
    ),
    case(
        "erase-my-data",
        true,
        "1 GetItem + 1 Query (GSI3) + per request: 1 Query, 1 DeleteObject per file, 2 TransactWriteItems (history, request); an open one first 1 GetItem + 1 TransactWriteItems + 4 DeleteSchedule; 1 DeleteItem (bounce record)",
    ),
    case(
        "protocol-lookup",
        false,
        "1 GetItem (protocol) + 1 GetItem (limit)",
    ),
    case("staff-queue", false, "1 Query (GSI2)"),
    case("staff-request", false, "1 Query"),
    case(
        "staff-attachment",
        false,
        "1 Query (the link is presigned locally)",
    ),
    case(
        "check-upload",
        false,
        "1 GetObject (the file's first bytes; office and key cached warm)",
    ),
    case(
        "staff-check-upload",
        false,
        "1 GetObject (the file's first bytes; office and key cached warm)",
    ),
    case(
        "staff-new-upload",
        false,
        "0 (key cached warm; the form is signed locally)",
    ),
    case(
        "staff-start-analysis",
        true,
        "1 Query + 1 TransactWriteItems",
    ),
    case("staff-checklist", true, "1 Query + 1 TransactWriteItems"),
    case(
        "staff-decide",
        true,
        "1 Query + 1 TransactWriteItems + 1 DeleteSchedule (reply window)",
    ),
    case(
        "staff-message",
        true,
        "1 Query + 1 TransactWriteItems + 1 DeleteSchedule (reply window)",
    ),
    case("staff-note", true, "1 Query + 1 TransactWriteItems"),
    case(
        "staff-reports",
        false,
        "1 Query (the office's days: a year is at most 366 small items; the office cached warm)",
    ),
    case(
        "staff-export-requests",
        false,
        "1 Query (a year of the office's every-request term) + 1 BatchGetItem per 100 requests (the office cached warm)",
    ),
    case(
        "staff-assign",
        true,
        "1 Query + 1 TransactWriteItems (the office cached warm)",
    ),
    case(
        "staff-schedule",
        true,
        "1 Query + 1 TransactWriteItems + 1 CreateSchedule",
    ),
    case("timer", true, "1 Query + 1 TransactWriteItems"),
    case(
        "staff-conclude",
        true,
        "1 Query + 1 CopyObject + 1 GetObject (check the kept PDF) + 1 TransactWriteItems + 1 DeleteObject",
    ),
    case("rate-ticket", true, "1 Query + 1 TransactWriteItems"),
    case("staff-ratings", false, "1 Query (rated requests)"),
    case("staff-moderate", true, "1 Query + 1 TransactWriteItems"),
    case("release-ticket", true, "1 Query + 1 TransactWriteItems"),
    case("staff-pool", false, "1 Query (GSI4)"),
    case(
        "staff-take",
        true,
        "1 Query + 1 TransactWriteItems + 2 CreateSchedule (the new office's windows)",
    ),
    case("staff-publish-protocol", false, "1 BatchWriteItem"),
    case("staff-import-protocols", false, "1 BatchWriteItem"),
    case("staff-office-settings", false, "1 GetItem"),
    case("staff-update-office", true, "1 GetItem + 1 PutItem"),
    case(
        "staff-sign-in",
        false,
        "0 (PKCE pair and state made in the function)",
    ),
    case(
        "staff-callback",
        false,
        "0 (Cognito's token endpoint is not an AWS API; measured: a refused state)",
    ),
    case("staff-sign-out", false, "0 (the cookie is cleared)"),
    case("no-route", false, "0 (nothing is read)"),
    case(
        "retention",
        true,
        "1 Query (GSI1) + per due request: 1 Query, 1 GetItem (its office, once), 1 DeleteObject per file, 2 TransactWriteItems",
    ),
    case(
        "mailer",
        true,
        "4 UpdateItem + 2 GetItem + 2 SendEmail (claim, check the address, send, record each of the 2 mails)",
    ),
    case(
        "mail-events",
        true,
        "1 GetItem (mail) + 1 UpdateItem + 1 PutItem (address) + 1 Query + 1 TransactWriteItems (the request's history)",
    ),
];

pub fn case_of(function: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.function == function)
}

fn op(function: &str) -> Result<Op, Error> {
    Op::ALL
        .iter()
        .copied()
        .find(|o| o.function() == function)
        .ok_or_else(|| format!("{function} is not an HTTP operation").into())
}

/// Runs `input` in process, as the function would; answers whether it succeeded.
pub async fn run(function: &str, app: &App, courier: &Courier, input: &Input) -> Result<(), Error> {
    match input {
        Input::Http(event) => {
            let res = op(function)?
                .handle(app, crate::events::request(event))
                .await;
            let status = res.status().as_u16();
            // The callback's exchange needs Cognito: here it refuses a stale state.
            let expected = function == "staff-callback" && status == 401;
            if status >= 400 && !expected {
                let body = String::from_utf8_lossy(res.body().as_ref()).into_owned();
                return Err(format!("{function} answered {status}: {body}").into());
            }
            Ok(())
        }
        Input::Timer(t) => {
            let fired = balcao_app::timers::fire(app, t).await?;
            if fired == balcao_app::timers::Fired::Ignored {
                return Err(format!("{function}: the timer was ignored").into());
            }
            Ok(())
        }
        Input::Sweep => {
            balcao_app::my_data::sweep(app).await?;
            Ok(())
        }
        Input::Unmatched(event) => {
            let res = balcao_web::respond::unmatched(&crate::events::request(event));
            match res.status().as_u16() {
                404 => Ok(()),
                other => Err(format!("no-route answered {other}").into()),
            }
        }
        Input::MailEvent(event) => {
            balcao_aws::mail_events::handle(app, &*courier.outbox, event.clone())
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Input::Stream(event) => {
            let mut ctx = lambda_runtime::Context::default();
            ctx.request_id = "bench".into();
            let out = balcao_aws::mailer_fn::handle(
                courier,
                lambda_runtime::LambdaEvent::new(event.clone(), ctx),
            )
            .await
            .map_err(|e| e.to_string())?;
            if out["batchItemFailures"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                return Err(format!("mailer failed: {out}").into());
            }
            Ok(())
        }
    }
}

/// Staff of `office` as the authorizer describes them.
#[derive(Clone, Copy)]
enum Who {
    Citizen,
    Manager(&'static str),
}

const SP: Who = Who::Manager(OFFICE);

fn http(
    function: &str,
    who: Who,
    params: &[(&str, &str)],
    query: &str,
    body: Option<Value>,
) -> Value {
    let body = body.map(|b| b.to_string());
    let mut e = apigw(function, params, query, body.as_deref(), "application/json");
    if let Who::Manager(office) = who {
        crate::events::staff(&mut e, office);
    }
    e
}

/// Calls `function` through the setup app and answers its JSON.
async fn call(
    f: &Fixture,
    function: &str,
    who: Who,
    params: &[(&str, &str)],
    query: &str,
    body: Option<Value>,
) -> Result<Value, Error> {
    let event = http(function, who, params, query, body);
    let res = op(function)?
        .handle(&f.setup, crate::events::request(&event))
        .await;
    let status = res.status().as_u16();
    let text = String::from_utf8_lossy(res.body().as_ref()).into_owned();
    if status >= 400 {
        return Err(format!("setup: {function} answered {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A protocol number no other call used: each call publishes its own.
fn unique_protocol() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "{}-{}/2026",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn unique_email() -> String {
    format!(
        "bench-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    )
}

pub fn open_body(service: &str, email: &str) -> Value {
    json!({
        "service": service, "name": "Maria da Silva", "email": email,
        "document": CPF, "mobile": "(11) 98765-4321",
        "message": "Qual o prazo para uma escritura?", "consent": true
    })
}

/// A ticket: id, secret and the citizen's email.
pub struct Ticket {
    pub id: String,
    pub k: String,
    pub email: String,
}

async fn open_with(f: &Fixture, body: Value, email: String) -> Result<Ticket, Error> {
    open_at(f, OFFICE, body, email).await
}

async fn open_at(f: &Fixture, office: &str, body: Value, email: String) -> Result<Ticket, Error> {
    let v = call(
        f,
        "open-request",
        Who::Citizen,
        &[("office", office)],
        "",
        Some(body),
    )
    .await?;
    let url = v["ticket_url"].as_str().ok_or("no ticket_url")?;
    let (path, k) = url.split_once("?k=").ok_or("no secret")?;
    let id = path.rsplit('/').next().ok_or("no id")?;
    Ok(Ticket {
        id: id.to_owned(),
        k: k.to_owned(),
        email,
    })
}

async fn open(f: &Fixture, service: &str) -> Result<Ticket, Error> {
    let email = unique_email();
    open_with(f, open_body(service, &email), email).await
}

async fn staff(f: &Fixture, action: &str, id: &str, body: Value) -> Result<Value, Error> {
    let function = match action {
        "analysis" => "staff-start-analysis",
        "decision" => "staff-decide",
        "appointment" => "staff-schedule",
        "conclusion" => "staff-conclude",
        "messages" => "staff-message",
        _ => return Err(format!("no staff action {action}").into()),
    };
    call(f, function, SP, &[("id", id)], "", Some(body)).await
}

async fn approved(f: &Fixture) -> Result<Ticket, Error> {
    let t = open(f, "contato").await?;
    staff(f, "analysis", &t.id, json!({})).await?;
    staff(
        f,
        "decision",
        &t.id,
        json!({"decision": "approve", "attendant": "atendente-1"}),
    )
    .await?;
    Ok(t)
}

fn days_ahead(days: i64) -> String {
    (jiff::Zoned::now().date() + jiff::Span::new().days(days)).to_string()
}

async fn scheduled(f: &Fixture) -> Result<Ticket, Error> {
    let t = approved(f).await?;
    staff(f, "appointment", &t.id, appointment_body()).await?;
    Ok(t)
}

fn appointment_body() -> Value {
    json!({
        "date": days_ahead(20), "time": "10:00", "mode": "virtual",
        "meeting_link": "https://meet.example.com/balcao", "subject": "Escritura"
    })
}

const PDF: &[u8] = include_bytes!("../../../shared/core/fixtures/one-page.pdf");

/// A PDF staff uploaded, ready to attach (each upload serves once).
async fn staff_pdf(f: &Fixture) -> Result<String, Error> {
    staff_upload(f, PDF, true).await
}

/// `bytes` staff uploaded as `resposta.pdf`, or (not `post`) only a slot for
/// them; answers the reference to attach.
async fn staff_upload(f: &Fixture, bytes: &[u8], post: bool) -> Result<String, Error> {
    let slot = call(
        f,
        "staff-new-upload",
        SP,
        &[],
        "",
        Some(json!({"name": "resposta.pdf", "size": bytes.len()})),
    )
    .await?;
    if post {
        upload(&slot, "resposta.pdf", bytes).await
    } else {
        Ok(slot["attachment"]
            .as_str()
            .ok_or("no attachment")?
            .to_owned())
    }
}

async fn conclusion_body(f: &Fixture) -> Result<Value, Error> {
    Ok(json!({"message": "Respondido.", "attachments": [staff_pdf(f).await?]}))
}

async fn concluded(f: &Fixture) -> Result<Ticket, Error> {
    let t = approved(f).await?;
    staff(f, "conclusion", &t.id, conclusion_body(f).await?).await?;
    Ok(t)
}

async fn rated(f: &Fixture) -> Result<Ticket, Error> {
    let t = concluded(f).await?;
    call(
        f,
        "rate-ticket",
        Who::Citizen,
        &[("id", &t.id)],
        "",
        Some(json!({"k": t.k, "verdict": "approve", "comment": "Atendimento cordial."})),
    )
    .await?;
    Ok(t)
}

/// A certificate request whose start window ended (fired by a clock a week ahead).
async fn expired(f: &Fixture) -> Result<Ticket, Error> {
    let t = open(f, "certificado-digital").await?;
    let (mut later, _) = f.app(None);
    let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    later.clock = std::sync::Arc::new(balcao_embedded::ManualClock::new(ahead));
    let timer = Timer::start_window(request_id(&t.id)?, ahead, "America/Sao_Paulo");
    balcao_app::timers::fire(&later, &timer).await?;
    Ok(t)
}

async fn released(f: &Fixture) -> Result<Ticket, Error> {
    let t = expired(f).await?;
    call(
        f,
        "release-ticket",
        Who::Citizen,
        &[("id", &t.id)],
        "",
        Some(json!({"k": t.k})),
    )
    .await?;
    Ok(t)
}

/// Posts `bytes` to an upload slot's form; answers the attachment reference.
async fn upload(slot: &Value, name: &str, bytes: &[u8]) -> Result<String, Error> {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in slot["upload"]["fields"]
        .as_object()
        .ok_or("no upload fields")?
    {
        form = form.text(k.clone(), v.as_str().unwrap_or_default().to_owned());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let url = slot["upload"]["url"].as_str().ok_or("no upload url")?;
    let posted = reqwest::Client::new()
        .post(url)
        .multipart(form)
        .send()
        .await?;
    if !posted.status().is_success() {
        return Err(format!("upload: {}", posted.text().await?).into());
    }
    Ok(slot["attachment"]
        .as_str()
        .ok_or("no attachment")?
        .to_owned())
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

/// A contact request opened with a picture; answers it and the file's id.
async fn with_file(f: &Fixture) -> Result<(Ticket, String), Error> {
    let slot = call(
        f,
        "new-upload",
        Who::Citizen,
        &[("office", OFFICE)],
        "",
        Some(json!({"name": "foto.png", "size": PNG.len()})),
    )
    .await?;
    let reference = upload(&slot, "foto.png", PNG).await?;
    let email = unique_email();
    let mut body = open_body("contato", &email);
    body["attachments"] = json!([reference]);
    let t = open_with(f, body, email).await?;
    let view = call(
        f,
        "get-ticket",
        Who::Citizen,
        &[("id", &t.id)],
        &format!("k={}", t.k),
        None,
    )
    .await?;
    let file = view["history"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|h| h["attachments"].as_array().into_iter().flatten())
        .find_map(|a| a["id"].as_str())
        .ok_or("no attachment on the ticket")?
        .to_owned();
    Ok((t, file))
}

fn request_id(id: &str) -> Result<balcao_core::RequestId, Error> {
    balcao_core::RequestId::parse(id).ok_or_else(|| format!("bad request id {id}").into())
}

/// The secret of the first `<path>?k=` link in `text`.
fn link_secret(text: &str, path: &str) -> Result<String, Error> {
    let after = text
        .split(&format!("{path}?k="))
        .nth(1)
        .ok_or("no link in the mail")?;
    Ok(after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect())
}

/// What the setup's writes since the last look contained, as sent.
fn written(f: &Fixture) -> String {
    f.setup_recorder
        .take()
        .into_iter()
        .filter(|c| c.op.contains("Write") || c.op.ends_with("Item"))
        .map(|c| String::from_utf8_lossy(&c.body).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ids of the outbox mail in `bodies` (`MAIL#<ulid>` keys).
fn mail_ids(bodies: &str) -> Vec<String> {
    let mut ids: Vec<String> = bodies
        .match_indices("MAIL#")
        .filter_map(|(i, _)| bodies.get(i + 5..i + 31))
        .filter(|id| id.parse::<ulid::Ulid>().is_ok())
        .map(ToOwned::to_owned)
        .collect();
    ids.dedup();
    ids
}

/// The stream event DynamoDB sends the mailer for new outbox items.
fn stream_event(mail_ids: &[String]) -> Value {
    let records: Vec<Value> = mail_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({
                "eventID": format!("bench-{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": { "PK": { "S": format!("MAIL#{id}") }, "SK": { "S": "MAIL" } },
                    "SequenceNumber": format!("{}", 100 + i), "SizeBytes": 100,
                    "StreamViewType": "KEYS_ONLY"
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/balcao/stream/2026-11-30T00:00:00.000"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// SES's bounce of mail `id`, as EventBridge delivers it.
pub fn ses_event(id: &str, to: &str, bounce_type: &str) -> Value {
    json!({
        "version": "0", "id": "bench", "detail-type": "Email Bounced", "source": "aws.ses",
        "account": "123456789012", "time": "2026-11-30T12:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": bounce_type, "bounceSubType": "General",
                "bouncedRecipients": [{ "emailAddress": to }], "timestamp": "2026-11-30T12:00:00Z"
            },
            "mail": {
                "timestamp": "2026-11-30T11:59:58Z", "source": "balcao@example.com",
                "messageId": "bench", "destination": [to],
                "tags": { "mail": [id], "ses:configuration-set": ["balcao-mail"] }
            }
        }
    })
}

/// Prepares what `function` acts on and answers its event.
pub async fn prepare(f: &Fixture, function: &str) -> Result<Input, Error> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let citizen = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, Who::Citizen, params, query, body))
    };
    let sp = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, SP, params, query, body))
    };
    Ok(match function {
        "list-offices" => citizen(&[], "uf=SP", None),
        "get-office" => citizen(&[("office", OFFICE)], "", None),
        "request-form" => citizen(&[("office", OFFICE)], "service=contato", None),
        "get-privacy" => citizen(&[("office", OFFICE)], "", None),
        "list-slots" => citizen(&[("office", OFFICE), ("service", "agendamento")], "", None),
        "new-upload" => citizen(
            &[("office", OFFICE)],
            "",
            Some(json!({"name": "documento.pdf", "size": 20_000})),
        ),
        "open-request" => citizen(
            &[("office", OFFICE)],
            "",
            Some(open_body("contato", &unique_email())),
        ),
        "get-ticket" => {
            let t = open(f, "contato").await?;
            citizen(&[("id", &t.id)], &format!("k={}", t.k), None)
        }
        "get-attachment" => {
            let (t, file) = with_file(f).await?;
            citizen(
                &[("id", &t.id), ("file", &file)],
                &format!("k={}", t.k),
                None,
            )
        }
        "mark-read" => {
            let t = open(f, "contato").await?;
            staff(f, "messages", &t.id, json!({"message": "Traga o RG."})).await?;
            citizen(&[("id", &t.id)], "", Some(json!({"k": t.k})))
        }
        "post-message" | "cancel-ticket" | "close-ticket" => {
            let t = open(f, "contato").await?;
            citizen(
                &[("id", &t.id)],
                "",
                Some(json!({"k": t.k, "message": "Posso levar o documento amanhã?"})),
            )
        }
        "ask-my-requests" => {
            let t = open(f, "contato").await?;
            citizen(&[], "", Some(json!({"email": t.email})))
        }
        "my-requests" => {
            let t = open(f, "contato").await?;
            written(f);
            call(
                f,
                "ask-my-requests",
                Who::Citizen,
                &[],
                "",
                Some(json!({"email": t.email})),
            )
            .await?;
            let k = link_secret(&written(f), "/my-requests")?;
            citizen(&[], &format!("k={k}"), None)
        }
        "ask-my-data" => {
            let t = open(f, "contato").await?;
            citizen(&[], "", Some(json!({"email": t.email})))
        }
        "my-data" | "export-my-data" => {
            let (t, _) = with_file(f).await?;
            citizen(&[], &format!("k={}", my_data_link(f, &t).await?), None)
        }
        "erase-my-data" => {
            let (t, _) = with_file(f).await?;
            let k = my_data_link(f, &t).await?;
            citizen(&[], "", Some(json!({"k": k, "confirm": true})))
        }
        "no-route" => {
            let mut e = apigw("no-route", &[], "", None, "text/html");
            e["rawPath"] = json!("/nao-existe");
            e["routeKey"] = json!("$default");
            e["requestContext"]["routeKey"] = json!("$default");
            e["requestContext"]["http"]["path"] = json!("/nao-existe");
            Input::Unmatched(e)
        }
        "retention" => {
            let t = concluded(f).await?;
            retention_ended(f, &t).await?;
            Input::Sweep
        }
        "protocol-lookup" => {
            let number = format!("{}/2026", 1000 + n);
            call(
                f,
                "staff-publish-protocol",
                SP,
                &[],
                "",
                Some(json!({"number": number, "cpf": CPF, "status": "Registrado", "history": ""})),
            )
            .await?;
            citizen(
                &[("office", OFFICE), ("number", &number)],
                "",
                Some(json!({"cpf": CPF})),
            )
        }
        "staff-queue" => sp(&[], "", None),
        "staff-request" => {
            let t = open(f, "contato").await?;
            sp(&[("id", &t.id)], "", None)
        }
        "staff-attachment" => {
            let (t, file) = with_file(f).await?;
            sp(&[("id", &t.id), ("file", &file)], "", None)
        }
        "staff-new-upload" => sp(
            &[],
            "",
            Some(json!({"name": "resposta.pdf", "size": 20_000})),
        ),
        "check-upload" => {
            let r = citizen_upload(f, None, "foto.png", PNG, true).await?;
            citizen(&[("office", OFFICE)], &query_of(&[("a", &r)]), None)
        }
        "staff-check-upload" => {
            let r = staff_upload(f, PDF, true).await?;
            sp(&[], &query_of(&[("a", &r), ("pdf", "1")]), None)
        }
        "staff-start-analysis" => {
            let t = open(f, "contato").await?;
            sp(&[("id", &t.id)], "", Some(json!({})))
        }
        "staff-checklist" => {
            let t = open(f, "contato").await?;
            staff(f, "analysis", &t.id, json!({})).await?;
            sp(
                &[("id", &t.id)],
                "",
                Some(json!({"step": 1, "answer": "sim"})),
            )
        }
        "staff-decide" => {
            let t = open(f, "contato").await?;
            staff(f, "analysis", &t.id, json!({})).await?;
            sp(
                &[("id", &t.id)],
                "",
                Some(json!({"decision": "approve", "attendant": "atendente-1"})),
            )
        }
        "staff-message" => {
            let t = open(f, "contato").await?;
            sp(
                &[("id", &t.id)],
                "",
                Some(json!({"message": "Traga o RG original."})),
            )
        }
        "staff-reports" | "staff-export-requests" => {
            // A year: the largest range either reads (the export's holds the
            // requests the bench opened before it).
            let to = jiff::Zoned::now().date();
            let from = to.checked_sub(jiff::Span::new().days(365))?;
            sp(
                &[],
                &query_of(&[("from", &from.to_string()), ("to", &to.to_string())]),
                None,
            )
        }
        "staff-note" => {
            let t = open(f, "contato").await?;
            sp(
                &[("id", &t.id)],
                "",
                Some(json!({"note": "Cidadã ligou; confirmar o endereço."})),
            )
        }
        "staff-assign" => {
            let t = open(f, "contato").await?;
            sp(
                &[("id", &t.id)],
                "",
                Some(json!({"attendant": "atendente-1"})),
            )
        }
        "staff-schedule" => {
            let t = approved(f).await?;
            sp(&[("id", &t.id)], "", Some(appointment_body()))
        }
        "timer" => {
            let t = scheduled(f).await?;
            Input::Timer(Timer {
                id: format!("remind-{}-1", t.id),
                kind: TimerKind::Reminder,
                request: request_id(&t.id)?,
                due: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1),
                timezone: "America/Sao_Paulo".into(),
                sequence: 1,
            })
        }
        "staff-conclude" => {
            let t = approved(f).await?;
            sp(&[("id", &t.id)], "", Some(conclusion_body(f).await?))
        }
        "rate-ticket" => {
            let t = concluded(f).await?;
            citizen(
                &[("id", &t.id)],
                "",
                Some(json!({"k": t.k, "verdict": "approve", "comment": "Atendimento cordial."})),
            )
        }
        "staff-ratings" => sp(&[], "", None),
        "staff-moderate" => {
            let t = rated(f).await?;
            sp(&[("id", &t.id)], "", Some(json!({"decision": "show"})))
        }
        "release-ticket" => {
            let t = expired(f).await?;
            citizen(&[("id", &t.id)], "", Some(json!({"k": t.k})))
        }
        "staff-pool" => Input::Http(http(function, Who::Manager(CAMPINAS), &[], "", None)),
        "staff-take" => {
            let t = released(f).await?;
            Input::Http(http(
                function,
                Who::Manager(CAMPINAS),
                &[("id", &t.id)],
                "",
                Some(json!({})),
            ))
        }
        "staff-publish-protocol" => sp(
            &[],
            "",
            Some(
                json!({"number": unique_protocol(), "cpf": CPF, "status": "Registrado", "history": "10/11/2026 Título recebido"}),
            ),
        ),
        "staff-import-protocols" => {
            let csv = format!(
                "protocolo,cpf,situacao,data,andamento\n{},529.982.247-25,Registrado,10/11/2026,Concluído\n",
                unique_protocol()
            );
            let mut e = apigw(function, &[], "", Some(&csv), "text/csv");
            crate::events::staff(&mut e, OFFICE);
            Input::Http(e)
        }
        "staff-office-settings" => sp(&[], "", None),
        "staff-sign-in" => citizen(&[], "next=/staff/requests", None),
        "staff-callback" => citizen(&[], "code=bench&state=bench", None),
        "staff-sign-out" => citizen(&[], "", None),
        "staff-update-office" => {
            // The JSON API takes the whole settings document, as it answers it.
            let current = call(f, "staff-office-settings", SP, &[], "", None).await?;
            sp(&[], "", Some(current))
        }
        "mail-events" => {
            written(f);
            let t = open(f, "contato").await?;
            let ids = mail_ids(&written(f));
            let id = ids.first().ok_or("opening wrote no outbox mail")?;
            Input::MailEvent(ses_event(id, &t.email, "Permanent"))
        }
        "mailer" => {
            written(f);
            open(f, "contato").await?;
            let ids = mail_ids(&written(f));
            if ids.is_empty() {
                return Err("opening wrote no outbox mail".into());
            }
            Input::Stream(stream_event(&ids))
        }
        other => return Err(format!("no case for {other}").into()),
    })
}

/// A "meus dados" link for the ticket's address.
async fn my_data_link(f: &Fixture, t: &Ticket) -> Result<String, Error> {
    written(f);
    call(
        f,
        "ask-my-data",
        Who::Citizen,
        &[],
        "",
        Some(json!({"email": t.email})),
    )
    .await?;
    link_secret(&written(f), "/my-data")
}

/// Moves the closed request's retention to yesterday, as if a year had passed.
async fn retention_ended(f: &Fixture, t: &Ticket) -> Result<(), Error> {
    let id = request_id(&t.id)?;
    let ticket = f.setup.tickets.get_ticket(id).await?.ok_or("no ticket")?;
    let mut r = ticket.request.clone();
    r.version += 1;
    r.erase_on = Some(
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .yesterday()?,
    );
    let event = balcao_core::Event {
        id: ulid::Ulid::generate(),
        seq: r.version,
        at: jiff::Timestamp::now(),
        kind: balcao_core::EventKind::Notice,
        author: balcao_core::Author::System,
        text: "bench: retention moved to yesterday".into(),
        status: None,
        attachments: vec![],
    };
    let change = balcao_app::ports::Change {
        request: r,
        expected_version: ticket.request.version,
        event,
        mails: vec![],
        give_back: None,
        tally: None,
    };
    if !f.setup.tickets.apply_change(&change).await? {
        return Err("the retention could not be moved".into());
    }
    Ok(())
}

/// The variants of `get-ticket` (apart: each arm of [`variants`] grows its frame).
async fn ticket_variants(f: &Fixture, function: &str) -> Result<Vec<(&'static str, Input)>, Error> {
    let citizen = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, Who::Citizen, params, query, body))
    };
    let _ = &citizen;
    Ok({
        let t = open(f, "contato").await?;
        let mut page = http(
            function,
            Who::Citizen,
            &[("id", &t.id)],
            &format!("k={}", t.k),
            None,
        );
        page["headers"]["accept"] = json!("text/html");
        let (t, _) = with_file(f).await?;
        written(f);
        call(
            f,
            "ask-my-requests",
            Who::Citizen,
            &[],
            "",
            Some(json!({"email": t.email})),
        )
        .await?;
        let k = link_secret(&written(f), "/my-requests")?;
        vec![
            ("the page, with its upload form", Input::Http(page)),
            (
                "with the my-requests link",
                citizen(&[("id", &t.id)], &format!("k={k}"), None),
            ),
        ]
    })
}

/// The variants of `staff-request` (apart: each arm of [`variants`] grows its frame).
async fn staff_request_variants(
    f: &Fixture,
    function: &str,
) -> Result<Vec<(&'static str, Input)>, Error> {
    let citizen = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, Who::Citizen, params, query, body))
    };
    let _ = &citizen;
    Ok({
        let t = open(f, "contato").await?;
        let mut page = http(function, SP, &[("id", &t.id)], "", None);
        page["headers"]["accept"] = json!("text/html");
        vec![("the page, with its upload forms", Input::Http(page))]
    })
}

/// The variants of `check-upload` (apart: each arm of [`variants`] grows its frame).
async fn check_upload_variants(
    f: &Fixture,
    function: &str,
) -> Result<Vec<(&'static str, Input)>, Error> {
    let citizen = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, Who::Citizen, params, query, body))
    };
    let _ = &citizen;
    Ok({
        let t = open(f, "contato").await?;
        let lying = citizen_upload(f, None, "foto.png", LYING_PNG, true).await?;
        let on_ticket = citizen_upload(f, Some(&t), "foto.png", PNG, true).await?;
        vec![
            (
                "a refused file, deleted",
                citizen(&[("office", OFFICE)], &query_of(&[("a", &lying)]), None),
            ),
            (
                "a message's file, bound to its ticket",
                citizen(
                    &[("office", OFFICE)],
                    &query_of(&[("a", &on_ticket), ("ticket", &t.id), ("k", &t.k)]),
                    None,
                ),
            ),
            (
                "a file posted without JavaScript, moved",
                citizen(&[("office", OFFICE)], &posted_without_js(f).await?, None),
            ),
            (
                "a file never posted",
                citizen(
                    &[("office", OFFICE)],
                    &query_of(&[("a", &citizen_upload(f, None, "foto.png", PNG, false).await?)]),
                    None,
                ),
            ),
        ]
    })
}

fn query_of(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A file posted with a page's no-JavaScript form, as storage then sends the
/// browser to the check: the query with the form's token and the file's key.
async fn posted_without_js(f: &Fixture) -> Result<String, Error> {
    let mut token = String::new();
    let form = balcao_app::attachments::citizen_form_slot(&f.setup, OFFICE, None, |t| {
        token = t.to_owned();
        "https://balcao.example/check".to_owned()
    })
    .await?;
    let prefix = form.fields["key"]
        .trim_end_matches("${filename}")
        .to_owned();
    let key = format!("{prefix}foto.png");
    f.put_object(&key, PNG).await?;
    Ok(query_of(&[("a", &token), ("key", &key)]))
}

/// As [`posted_without_js`], by the manager the staff events carry.
async fn staff_posted_without_js(f: &Fixture) -> Result<String, Error> {
    let me = balcao_core::StaffMember {
        office: balcao_core::OfficeId::parse(OFFICE)?,
        role: balcao_core::Role::Manager,
        name: "Gestora".into(),
        email: balcao_core::Email::parse(&format!("gestor@{OFFICE}.example.com"))?,
    };
    let mut token = String::new();
    let form = balcao_app::staff_requests::upload_form_slot(&f.setup, &me, |t| {
        token = t.to_owned();
        "https://balcao.example/check".to_owned()
    })
    .await?;
    let prefix = form.fields["key"]
        .trim_end_matches("${filename}")
        .to_owned();
    let key = format!("{prefix}resposta.pdf");
    f.put_object(&key, PDF).await?;
    Ok(query_of(&[("a", &token), ("key", &key)]))
}

/// A file the citizen posted for `office`'s form: answers the reference.
async fn citizen_upload(
    f: &Fixture,
    ticket: Option<&Ticket>,
    name: &str,
    bytes: &[u8],
    post: bool,
) -> Result<String, Error> {
    let mut body = json!({"name": name, "size": bytes.len()});
    if let Some(t) = ticket {
        // A message's file belongs to its ticket.
        body["ticket"] = json!(t.id);
        body["k"] = json!(t.k);
    }
    let slot = call(
        f,
        "new-upload",
        Who::Citizen,
        &[("office", OFFICE)],
        "",
        Some(body),
    )
    .await?;
    if post {
        upload(&slot, name, bytes).await
    } else {
        Ok(slot["attachment"]
            .as_str()
            .ok_or("no attachment")?
            .to_owned())
    }
}

/// A Windows program, named as a picture: its kept copy fails the check.
const LYING_PNG: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

/// A booking of the in-person service `days` ahead at 10:00.
fn booking_body(email: &str, days: i64) -> Value {
    let mut body = open_body("agendamento", email);
    body["date"] = json!(days_ahead(days));
    body["time"] = json!("10:00");
    body["mode"] = json!("in_person");
    body
}

async fn booked(f: &Fixture) -> Result<Ticket, Error> {
    let email = unique_email();
    open_with(f, booking_body(&email, 15), email).await
}

/// A request with both a start and a reply window open: no demo service has
/// both, so an office of its own is set up whose contact service does.
async fn with_both_windows(f: &Fixture) -> Result<Ticket, Error> {
    let office_id = "cartorio-duas-janelas";
    let mut office = f
        .setup
        .offices
        .get_office(&balcao_core::OfficeId::parse(OFFICE)?)
        .await?
        .ok_or("no demo office")?;
    office.id = balcao_core::OfficeId::parse(office_id)?;
    office.name = "Cartório de Duas Janelas".into();
    for s in &mut office.services {
        if s.id.as_str() == "contato" {
            s.start_window_minutes = Some(15);
        }
    }
    f.setup.offices.put_office(&office).await?;
    let email = unique_email();
    let v = call(
        f,
        "open-request",
        Who::Citizen,
        &[("office", office_id)],
        "",
        Some(open_body("contato", &email)),
    )
    .await?;
    let url = v["ticket_url"].as_str().ok_or("no ticket_url")?;
    let (path, k) = url.split_once("?k=").ok_or("no secret")?;
    Ok(Ticket {
        id: path.rsplit('/').next().ok_or("no id")?.to_owned(),
        k: k.to_owned(),
        email,
    })
}

/// Paths of a function other than its measured case, which the permission test
/// (`tests/tests/all/permissions.rs`) also runs: every grant of a function's
/// policy must be used on one of them.
pub async fn variants(f: &Fixture, function: &str) -> Result<Vec<(&'static str, Input)>, Error> {
    let citizen = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, Who::Citizen, params, query, body))
    };
    let sp = |params: &[(&str, &str)], query: &str, body: Option<Value>| {
        Input::Http(http(function, SP, params, query, body))
    };
    let with_files = |mut body: Value, refs: Vec<String>| {
        body["attachments"] = json!(refs);
        body
    };
    Ok(match function {
        "get-ticket" => Box::pin(ticket_variants(f, function)).await?,
        "staff-request" => Box::pin(staff_request_variants(f, function)).await?,
        "check-upload" => Box::pin(check_upload_variants(f, function)).await?,
        "staff-check-upload" => {
            let png = {
                let slot = call(
                    f,
                    "staff-new-upload",
                    SP,
                    &[],
                    "",
                    Some(json!({"name": "foto.png", "size": PNG.len()})),
                )
                .await?;
                upload(&slot, "foto.png", PNG).await?
            };
            vec![
                (
                    "not a PDF where only a PDF goes, deleted",
                    sp(&[], &query_of(&[("a", &png), ("pdf", "1")]), None),
                ),
                (
                    "a file posted without JavaScript, moved",
                    sp(&[], &Box::pin(staff_posted_without_js(f)).await?, None),
                ),
                (
                    "a file never posted",
                    sp(
                        &[],
                        &query_of(&[("a", &staff_upload(f, PDF, false).await?)]),
                        None,
                    ),
                ),
            ]
        }
        "erase-my-data" => {
            // An open booking is cancelled first: its place is given back.
            let t = booked(f).await?;
            let k = my_data_link(f, &t).await?;
            vec![(
                "an open booking cancelled before the erasure",
                citizen(&[], "", Some(json!({"k": k, "confirm": true}))),
            )]
        }
        "request-form" => {
            // The page (not the JSON) offers the free times.
            let mut e = http(
                function,
                Who::Citizen,
                &[("office", OFFICE)],
                "service=agendamento",
                None,
            );
            e["headers"]["accept"] = json!("text/html");
            vec![("the booking form lists free times", Input::Http(e))]
        }
        "open-request" => {
            let ok = citizen_upload(f, None, "foto.png", PNG, true).await?;
            let lying = citizen_upload(f, None, "foto.png", LYING_PNG, true).await?;
            let missing = citizen_upload(f, None, "foto.png", PNG, false).await?;
            let body = |refs| with_files(open_body("contato", &unique_email()), refs);
            vec![
                (
                    "a file kept",
                    citizen(&[("office", OFFICE)], "", Some(body(vec![ok]))),
                ),
                (
                    "a file refused after the copy",
                    citizen(&[("office", OFFICE)], "", Some(body(vec![lying]))),
                ),
                (
                    "a file never uploaded",
                    citizen(&[("office", OFFICE)], "", Some(body(vec![missing]))),
                ),
                (
                    "a booking",
                    citizen(
                        &[("office", OFFICE)],
                        "",
                        Some(booking_body(&unique_email(), 16)),
                    ),
                ),
            ]
        }
        "get-attachment" => {
            // The "my requests" link's secret opens each of the citizen's tickets.
            let (t, file) = with_file(f).await?;
            written(f);
            call(
                f,
                "ask-my-requests",
                Who::Citizen,
                &[],
                "",
                Some(json!({"email": t.email})),
            )
            .await?;
            let k = link_secret(&written(f), "/my-requests")?;
            let params = vec![("id", t.id.as_str()), ("file", file.as_str())];
            vec![(
                "with the my-requests link",
                citizen(&params, &format!("k={k}"), None),
            )]
        }
        "post-message" => {
            let t = open(f, "contato").await?;
            let file = citizen_upload(f, Some(&t), "foto.png", PNG, true).await?;
            let lying = citizen_upload(f, Some(&t), "foto.png", LYING_PNG, true).await?;
            let missing = citizen_upload(f, Some(&t), "foto.png", PNG, false).await?;
            let body =
                |r: String| json!({"k": t.k, "message": "Segue o documento.", "attachments": [r]});
            vec![
                (
                    "a file kept",
                    citizen(&[("id", &t.id)], "", Some(body(file))),
                ),
                (
                    "a file refused after the copy",
                    citizen(&[("id", &t.id)], "", Some(body(lying))),
                ),
                (
                    "a file never uploaded",
                    citizen(&[("id", &t.id)], "", Some(body(missing))),
                ),
                ("the answer the office waited for (its status counts)", {
                    let asked = approved(f).await?;
                    staff(
                        f,
                        "messages",
                        &asked.id,
                        json!({"message": "Envie o RG.", "ask": true}),
                    )
                    .await?;
                    citizen(
                        &[("id", &asked.id)],
                        "",
                        Some(json!({"k": asked.k, "message": "Enviado."})),
                    )
                }),
            ]
        }
        "cancel-ticket" | "close-ticket" => {
            let t = booked(f).await?;
            vec![(
                "a booking gives its place back",
                citizen(&[("id", &t.id)], "", Some(json!({"k": t.k}))),
            )]
        }
        "protocol-lookup" => {
            // The first miss starts the number's window; the next is added to it.
            let number = format!("404-{}/2026", SEQ.fetch_add(1, Ordering::Relaxed));
            let miss = || {
                citizen(
                    &[("office", OFFICE), ("number", &number)],
                    "",
                    Some(json!({"cpf": "111.444.777-35"})),
                )
            };
            vec![("a wrong CPF", miss()), ("another wrong CPF", miss())]
        }
        "staff-message" => {
            let t = open(f, "contato").await?;
            let pdf = staff_pdf(f).await?;
            let body =
                |refs: Vec<String>| json!({"message": "Segue o modelo.", "attachments": refs});
            let lying = staff_upload(f, LYING_PNG, true).await?;
            let missing = staff_upload(f, PDF, false).await?;
            vec![
                (
                    "a file kept",
                    sp(&[("id", &t.id)], "", Some(body(vec![pdf]))),
                ),
                (
                    "a file refused after the copy",
                    sp(&[("id", &t.id)], "", Some(body(vec![lying]))),
                ),
                (
                    "a file never uploaded",
                    sp(&[("id", &t.id)], "", Some(body(vec![missing]))),
                ),
            ]
        }
        "staff-note" => {
            let t = open(f, "contato").await?;
            let pdf = staff_pdf(f).await?;
            let lying = staff_upload(f, LYING_PNG, true).await?;
            let missing = staff_upload(f, PDF, false).await?;
            let body = |r: String| json!({"note": "Documento conferido.", "attachments": [r]});
            vec![
                ("a file kept", sp(&[("id", &t.id)], "", Some(body(pdf)))),
                (
                    "a file refused after the copy",
                    sp(&[("id", &t.id)], "", Some(body(lying))),
                ),
                (
                    "a file never uploaded",
                    sp(&[("id", &t.id)], "", Some(body(missing))),
                ),
            ]
        }
        "staff-queue" => {
            let t = open(f, "contato").await?;
            vec![
                (
                    "a search by name",
                    sp(&[], &query_of(&[("q", "Maria")]), None),
                ),
                (
                    "a search by e-mail",
                    sp(&[], &query_of(&[("q", &t.email)]), None),
                ),
                ("the page, with who has each request", {
                    let mut e = http(function, SP, &[], "assigned=none", None);
                    e["headers"]["accept"] = json!("text/html");
                    Input::Http(e)
                }),
            ]
        }
        "staff-decide" => {
            let t = booked(f).await?;
            staff(f, "analysis", &t.id, json!({})).await?;
            vec![(
                "a refused booking gives its place back",
                sp(
                    &[("id", &t.id)],
                    "",
                    Some(
                        json!({"decision": "reject", "justification": "Documentação incompleta."}),
                    ),
                ),
            )]
        }
        "staff-schedule" => {
            // A citizen's booking, approved, then moved by staff: its place is given back.
            let t = booked(f).await?;
            staff(f, "analysis", &t.id, json!({})).await?;
            staff(
                f,
                "decision",
                &t.id,
                json!({"decision": "approve", "attendant": "atendente-1"}),
            )
            .await?;
            let mut moved = appointment_body();
            moved["date"] = json!(days_ahead(21));
            moved["mode"] = json!("in_person");
            if let Some(o) = moved.as_object_mut() {
                o.remove("meeting_link");
            }
            vec![(
                "an appointment moved",
                sp(&[("id", &t.id)], "", Some(moved)),
            )]
        }
        "staff-conclude" => {
            let t = booked(f).await?;
            staff(f, "analysis", &t.id, json!({})).await?;
            staff(
                f,
                "decision",
                &t.id,
                json!({"decision": "approve", "attendant": "atendente-1"}),
            )
            .await?;
            let lying = staff_upload(f, LYING_PNG, true).await?;
            let missing = staff_upload(f, PDF, false).await?;
            let t2 = approved(f).await?;
            // A citizen's message opens the reply window; the conclusion closes it.
            let t3 = approved(f).await?;
            call(
                f,
                "post-message",
                Who::Citizen,
                &[("id", &t3.id)],
                "",
                Some(json!({"k": t3.k, "message": "Alguma novidade?"})),
            )
            .await?;
            vec![
                (
                    "a reply window closed",
                    sp(&[("id", &t3.id)], "", Some(conclusion_body(f).await?)),
                ),
                (
                    "a booking concluded",
                    sp(&[("id", &t.id)], "", Some(conclusion_body(f).await?)),
                ),
                (
                    "a PDF refused after the copy",
                    sp(
                        &[("id", &t2.id)],
                        "",
                        Some(json!({"message": "Respondido.", "attachments": [lying]})),
                    ),
                ),
                (
                    "a PDF never uploaded",
                    sp(
                        &[("id", &t2.id)],
                        "",
                        Some(json!({"message": "Respondido.", "attachments": [missing]})),
                    ),
                ),
            ]
        }
        "timer" => {
            let t = open(f, "certificado-digital").await?;
            let b = booked(f).await?;
            let both = with_both_windows(f).await?;
            let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
            let start = |t: &Ticket| -> Result<Input, Error> {
                Ok(Input::Timer(Timer::start_window(
                    request_id(&t.id)?,
                    ahead,
                    "America/Sao_Paulo",
                )))
            };
            vec![
                ("a start window ends", start(&t)?),
                ("a booking's start window ends", start(&b)?),
                ("a start window ends while a reply is owed", start(&both)?),
            ]
        }
        "staff-moderate" => {
            let t = rated(f).await?;
            vec![(
                "a rating hidden",
                sp(&[("id", &t.id)], "", Some(json!({"decision": "hide"}))),
            )]
        }
        "mailer" => {
            // An address that bounced: the next mail to it is given up, and staff told.
            written(f);
            let first = open(f, "contato").await?;
            let id = mail_ids(&written(f)).first().cloned().ok_or("no mail")?;
            let (app, store) = f.app(None);
            balcao_aws::mail_events::handle(
                &app,
                &*store,
                ses_event(&id, &first.email, "Permanent"),
            )
            .await
            .map_err(|e| e.to_string())?;
            // Another question from the same address (the same one again is the first request).
            let mut second = open_body("contato", &first.email);
            second["message"] = json!("E o valor dos emolumentos?");
            open_with(f, second, first.email.clone()).await?;
            let ids = mail_ids(&written(f));
            vec![
                ("the sweep of mail due", Input::Stream(json!({}))),
                (
                    "mail to an address that bounced",
                    Input::Stream(stream_event(&ids)),
                ),
            ]
        }
        _ => Vec::new(),
    })
}

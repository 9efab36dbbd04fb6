//! Section 8: a soak (issue 17). The local runtime's release binary runs as
//! its own process on a fresh folder with a manual clock, under mixed load for
//! a set time: citizens open requests with a file and write messages, staff
//! read the queue, start and answer, and the clock moves ten minutes every
//! two seconds (timers fire, mail goes out). Each minute reports requests,
//! errors, latency and the process's RSS. Then every ticket's history and
//! every citizen's mail are checked against what the load was told was done.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

const OFFICE: &str = crate::events::OFFICE;
const MANAGER: &str = "gestor@1-tabeliao-notas-sao-paulo.example.com";
/// Citizens and staff acting at once.
const WORKERS: usize = 4;
const PDF: &[u8] = include_bytes!("../../../shared/core/fixtures/one-page.pdf");

/// One minute of the soak.
#[derive(Debug, Clone, Default)]
pub struct Minute {
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rss_mib: f64,
}

#[derive(Debug, Default)]
pub struct Soak {
    pub minutes: Vec<Minute>,
    pub tickets: usize,
    pub messages: usize,
    pub replies: usize,
    pub timers_fired: u64,
    /// Mails the load left to send when it stopped, and the time they took.
    pub backlog: u64,
    pub drain_seconds: f64,
    /// Mails delivered in all, and left unsent after the drain (goal 0).
    pub mails: usize,
    pub unsent: i64,
    /// What the final check found wrong (empty when everything held).
    pub problems: Vec<String>,
    /// The errors by what was asked and HTTP status (0: no answer).
    pub errors: BTreeMap<(&'static str, u16), u64>,
}

/// What the load was told was done, per ticket.
#[derive(Debug, Default, Clone)]
struct Ticket {
    k: String,
    email: String,
    messages: usize,
    started: bool,
    replies: usize,
}

#[derive(Default)]
struct Shared {
    tickets: BTreeMap<String, Ticket>,
    /// The tickets' ids in the order they were opened (to pick from).
    opened: Vec<String>,
    /// (minute, latency ms, ok)
    samples: Vec<(usize, f64, bool)>,
    /// What the errors were: status (0 without an answer) and count.
    errors: BTreeMap<(&'static str, u16), u64>,
    timers_fired: u64,
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Runtime {
    child: Child,
    base: String,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(bin: &std::path::Path, dir: &std::path::Path) -> Result<Runtime, Error> {
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        .args(["--manual-clock", "2026-12-01T12:00:00Z"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let rt = Runtime {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("{}/offices/{OFFICE}", rt.base))
            .header("accept", "application/json")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(rt);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the local runtime did not start".into())
}

/// Sends `req`, timing it into the minute it started in; `Some(body)` when
/// it answered 2xx.
async fn timed(
    shared: &Mutex<Shared>,
    started: Instant,
    what: &'static str,
    req: reqwest::RequestBuilder,
) -> Option<Value> {
    let minute = (started.elapsed().as_secs() / 60) as usize;
    let t = Instant::now();
    let r = req.header("accept", "application/json").send().await;
    let (ok, status, body) = match r {
        Ok(r) if r.status().is_success() => (true, 200, r.json::<Value>().await.ok()),
        Ok(r) => {
            let status = r.status().as_u16();
            if std::env::var_os("SOAK_TRACE").is_some() {
                eprintln!("{what}: {status} {}", r.text().await.unwrap_or_default());
            }
            (false, status, None)
        }
        Err(_) => (false, 0, None),
    };
    record(shared, minute, t.elapsed(), what, status);
    if ok { body.or(Some(Value::Null)) } else { None }
}

/// One answer of `status` (0: none) to `what`, in its minute.
fn record(shared: &Mutex<Shared>, minute: usize, took: Duration, what: &'static str, status: u16) {
    let ok = (200..300).contains(&status);
    if let Ok(mut s) = shared.lock() {
        s.samples.push((minute, took.as_secs_f64() * 1000.0, ok));
        if !ok {
            *s.errors.entry((what, status)).or_default() += 1;
        }
    }
}

/// A citizen opening a request with a PDF.
async fn open(
    c: &reqwest::Client,
    base: &str,
    shared: &Mutex<Shared>,
    started: Instant,
) -> Option<()> {
    let email = format!(
        "soak-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let slot = timed(
        shared,
        started,
        "ask for an upload",
        c.post(format!("{base}/offices/{OFFICE}/attachments"))
            .json(&json!({"name": "documento.pdf", "size": PDF.len()})),
    )
    .await?;
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in slot["upload"]["fields"].as_object()? {
        form = form.text(k.clone(), v.as_str()?.to_owned());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("documento.pdf"),
    );
    let url = slot["upload"]["url"].as_str()?;
    let (minute, t) = ((started.elapsed().as_secs() / 60) as usize, Instant::now());
    let status = c
        .post(url)
        .multipart(form)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16());
    record(shared, minute, t.elapsed(), "upload the file", status);
    if !(200..300).contains(&status) {
        return None;
    }
    let mut body = crate::journey::open_body("contato", &email);
    body["attachments"] = json!([slot["attachment"]]);
    body["idempotency_key"] = json!(ulid::Ulid::generate().to_string());
    let v = timed(
        shared,
        started,
        "open a request",
        c.post(format!("{base}/offices/{OFFICE}/requests"))
            .json(&body),
    )
    .await?;
    let id = v["id"].as_str()?.to_owned();
    let k = v["ticket_url"].as_str()?.split_once("?k=")?.1.to_owned();
    let mut s = shared.lock().ok()?;
    s.opened.push(id.clone());
    s.tickets.insert(
        id,
        Ticket {
            k,
            email,
            ..Ticket::default()
        },
    );
    Some(())
}

/// Some ticket of the load that `want`s, chosen by `n`: a few probes at
/// places `n` spreads over every ticket opened. Picking among all of them each
/// time grew with the load and took the runtime's CPU (its latency doubled by
/// the tenth minute).
fn pick(
    shared: &Mutex<Shared>,
    n: usize,
    want: impl Fn(&Ticket) -> bool,
) -> Option<(String, Ticket)> {
    let s = shared.lock().ok()?;
    let len = s.opened.len();
    (0..32_usize).find_map(|probe| {
        let at = n
            .wrapping_mul(2_654_435_761)
            .wrapping_add(probe.wrapping_mul(40_503))
            % len.max(1);
        let id = s.opened.get(at)?;
        s.tickets
            .get(id)
            .filter(|t| want(t))
            .map(|t| (id.clone(), t.clone()))
    })
}

/// Notes on ticket `id` what the runtime acknowledged.
fn acknowledged(shared: &Mutex<Shared>, id: &str, note: impl FnOnce(&mut Ticket)) {
    if let Ok(mut s) = shared.lock()
        && let Some(t) = s.tickets.get_mut(id)
    {
        note(t);
    }
}

async fn worker(
    base: String,
    token: String,
    shared: Arc<Mutex<Shared>>,
    started: Instant,
    until: Instant,
    w: usize,
) {
    let c = reqwest::Client::new();
    let mut n = w;
    while Instant::now() < until {
        n += WORKERS;
        match n % 6 {
            0 | 1 => {
                let _ = open(&c, &base, &shared, started).await;
            }
            2 | 3 => {
                // A citizen writes on their ticket.
                let Some((id, t)) = pick(&shared, n, |_| true) else {
                    continue;
                };
                let key = ulid::Ulid::generate().to_string();
                let body = json!({"k": t.k, "message": format!("Mensagem {}", t.messages), "action_key": key});
                if timed(
                    &shared,
                    started,
                    "a citizen's message",
                    c.post(format!("{base}/tickets/{id}/messages")).json(&body),
                )
                .await
                .is_some()
                {
                    acknowledged(&shared, &id, |t| t.messages += 1);
                }
            }
            4 => {
                // Staff read the queue.
                let _ = timed(
                    &shared,
                    started,
                    "the queue",
                    c.get(format!("{base}/staff/requests")).bearer_auth(&token),
                )
                .await;
            }
            _ => {
                // Staff start a received one, or answer a started one, in turn.
                // A citizen's link stays valid for their last 20 e-mails: a
                // ticket is answered at most ten times.
                let answerable = pick(&shared, n, |t| t.started && t.replies < 10);
                let start = n % 12 == 5 || answerable.is_none();
                if let Some((id, _)) = pick(&shared, n, |t| !t.started).filter(|_| start) {
                    let body = json!({"action_key": ulid::Ulid::generate().to_string()});
                    if timed(
                        &shared,
                        started,
                        "start the analysis",
                        c.post(format!("{base}/staff/requests/{id}/analysis"))
                            .bearer_auth(&token)
                            .json(&body),
                    )
                    .await
                    .is_some()
                    {
                        acknowledged(&shared, &id, |t| t.started = true);
                    }
                } else if let Some((id, t)) = answerable {
                    let body = json!({"message": format!("Resposta {}", t.replies), "action_key": ulid::Ulid::generate().to_string()});
                    if timed(
                        &shared,
                        started,
                        "a staff reply",
                        c.post(format!("{base}/staff/requests/{id}/messages"))
                            .bearer_auth(&token)
                            .json(&body),
                    )
                    .await
                    .is_some()
                    {
                        acknowledged(&shared, &id, |t| t.replies += 1);
                    }
                }
            }
        }
    }
}

/// Runs the soak for `minutes` with the local runtime at `bin`.
pub async fn run(bin: &std::path::Path, minutes: u64) -> Result<Soak, Error> {
    let dir = std::env::temp_dir().join(format!("balcao-soak-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir)?;
    let rt = start(bin, &dir).await?;
    let pid = rt.child.id();
    let c = reqwest::Client::new();
    let login: Value = c
        .post(format!("{}/_dev/login", rt.base))
        .header("accept", "application/json")
        .json(&json!({"email": MANAGER}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().ok_or("no staff token")?.to_owned();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(minutes * 60);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        tasks.spawn(worker(
            rt.base.clone(),
            token.clone(),
            shared.clone(),
            started,
            until,
            w,
        ));
    }
    // The clock: ten minutes every two seconds (5 hours a minute); timers
    // fire, mail goes out. A step stays under an upload's 15-minute validity:
    // a longer jump between asking for an upload and posting it expires it,
    // as it would a citizen's who took that long.
    let clock = {
        let (base, shared) = (rt.base.clone(), shared.clone());
        tokio::spawn(async move {
            let c = reqwest::Client::new();
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_secs(2)).await;
                if let Ok(r) = c
                    .post(format!("{base}/_dev/clock"))
                    .json(&json!({"advance_minutes": 10}))
                    .send()
                    .await
                    && let Ok(v) = r.json::<Value>().await
                    && let Ok(mut s) = shared.lock()
                {
                    s.timers_fired += v["timers_fired"].as_u64().unwrap_or(0);
                }
            }
        })
    };
    // RSS each minute, read in its middle.
    let mut rss = Vec::new();
    for m in 0..minutes {
        let at = started + Duration::from_secs(m * 60 + 30);
        tokio::time::sleep_until(at.into()).await;
        rss.push(rss_mib(pid));
        eprintln!(
            "soak: minute {} of {minutes}, {:.1} MiB",
            m + 1,
            rss[m as usize]
        );
    }
    while tasks.join_next().await.is_some() {}
    let _ = clock.await;
    // Everything due happens: the clock moves past the last timers, then mail
    // goes out until a pass sends none (the backlog the load left, timed).
    let drained = Instant::now();
    let mut backlog = 0;
    let mut body = json!({"advance_minutes": 60});
    while drained.elapsed() < Duration::from_secs(15 * 60) {
        let r: Value = c
            .post(format!("{}/_dev/clock", rt.base))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        body = json!({"advance_minutes": 0});
        let sent = r["mail_sent"].as_u64().unwrap_or(0);
        backlog += sent;
        if sent == 0 && r["timers_fired"].as_u64() == Some(0) {
            break;
        }
    }
    let drain_seconds = drained.elapsed().as_secs_f64();
    let s = std::mem::take(&mut *shared.lock().map_err(|_| "poisoned")?);
    let mut out = Soak {
        timers_fired: s.timers_fired,
        backlog,
        drain_seconds,
        errors: s.errors.clone(),
        tickets: s.tickets.len(),
        messages: s.tickets.values().map(|t| t.messages).sum(),
        replies: s.tickets.values().map(|t| t.replies).sum(),
        ..Soak::default()
    };
    for m in 0..minutes as usize {
        let mut lat: Vec<f64> = s.samples.iter().filter(|x| x.0 == m).map(|x| x.1).collect();
        lat.sort_by(f64::total_cmp);
        out.minutes.push(Minute {
            requests: lat.len() as u64,
            errors: s.samples.iter().filter(|x| x.0 == m && !x.2).count() as u64,
            p50_ms: percentile(&lat, 0.5),
            p99_ms: percentile(&lat, 0.99),
            rss_mib: rss.get(m).copied().unwrap_or(0.0),
        });
    }
    for (id, t) in &s.tickets {
        let v: Value = c
            .get(format!("{}/staff/requests/{id}", rt.base))
            .bearer_auth(&token)
            .header("accept", "application/json")
            .send()
            .await?
            .json()
            .await?;
        let history = v["history"].as_array().cloned().unwrap_or_default();
        let count = |kind: &str, prefix: &str| {
            history
                .iter()
                .filter(|e| {
                    e["kind"] == kind && e["text"].as_str().is_some_and(|x| x.starts_with(prefix))
                })
                .count()
        };
        if count("message", "Mensagem ") != t.messages {
            out.problems.push(format!(
                "{id}: {} messages acknowledged, {} kept",
                t.messages,
                count("message", "Mensagem ")
            ));
        }
        if count("message", "Resposta ") != t.replies {
            out.problems.push(format!(
                "{id}: {} replies acknowledged, {} kept",
                t.replies,
                count("message", "Resposta ")
            ));
        }
    }
    // The mail, read from the runtime's own file once it has stopped (the
    // mailbox page lists every mail: hundreds of thousands here).
    drop(rt);
    let db = rusqlite::Connection::open_with_flags(
        dir.join("balcao.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut to: BTreeMap<String, usize> = BTreeMap::new();
    {
        let mut stmt = db.prepare("SELECT to_addr, count(*) FROM mailbox GROUP BY to_addr")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (addr, n) = row?;
            to.insert(addr, usize::try_from(n).unwrap_or(0));
        }
    }
    out.unsent = db.query_row(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND undelivered_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    if out.unsent > 0 {
        out.problems
            .push(format!("{} mails still unsent after the drain", out.unsent));
    }
    for t in s.tickets.values() {
        // The citizen's mail: the confirmation, and one per reply (a reply's
        // mail may be coalesced with a status change's, never more).
        let got = to.get(t.email.as_str()).copied().unwrap_or(0);
        let most = 1 + t.replies + usize::from(t.started);
        if got == 0 || got > most {
            out.problems
                .push(format!("{}: {got} mails, expected 1 to {most}", t.email));
        }
    }
    out.mails = to.values().sum();
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

pub fn print(s: &Soak) {
    println!("| minute | requests | errors | p50 | p99 | RSS |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for (i, m) in s.minutes.iter().enumerate() {
        println!(
            "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} MiB |",
            i + 1,
            m.requests,
            m.errors,
            m.p50_ms,
            m.p99_ms,
            m.rss_mib
        );
    }
    let (second, last) = (
        s.minutes.get(1).map_or(0.0, |m| m.rss_mib),
        s.minutes.last().map_or(0.0, |m| m.rss_mib),
    );
    println!(
        "\n{} requests, {} errors; {} tickets, {} citizen messages, {} staff replies, {} timers fired. RSS: second minute {second:.1} MiB, last {last:.1} MiB ({:+.1}%).",
        s.minutes.iter().map(|m| m.requests).sum::<u64>(),
        s.minutes.iter().map(|m| m.errors).sum::<u64>(),
        s.tickets,
        s.messages,
        s.replies,
        s.timers_fired,
        if second > 0.0 {
            (last - second) / second * 100.0
        } else {
            0.0
        }
    );
    println!(
        "When the load stopped, {} mails were left to send: sent in {:.0} s; {} mails delivered in all, {} unsent.",
        s.backlog, s.drain_seconds, s.mails, s.unsent
    );
    if !s.errors.is_empty() {
        let list: Vec<String> = s
            .errors
            .iter()
            .map(|((what, status), n)| {
                format!(
                    "{n} × {} ({what})",
                    if *status == 0 {
                        "no answer".to_owned()
                    } else {
                        status.to_string()
                    }
                )
            })
            .collect();
        println!("Errors by status: {}.", list.join(", "));
    }
    if s.problems.is_empty() {
        println!("Every ticket's history and every citizen's mail match what the load was told.");
    } else {
        println!("Problems:\n- {}", s.problems.join("\n- "));
    }
}

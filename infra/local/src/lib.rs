//! The local runtime: every route of `balcao_web::ROUTES` served by the same
//! handlers the Lambdas run, over SQLite, a local mailbox and a courier loop.

pub mod auth;
pub mod dev;
pub mod files;
pub mod seed;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Path, State};
use axum::routing::on;
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::keys::Keys;
use balcao_app::ports::StoreError;
use balcao_app::{App, Clock, Config, Offices, SystemClock};
use balcao_embedded::{DemoSessions, LocalBlobs, LocalMailbox, ManualClock, SqliteStore};
use balcao_web::Op;
use lambda_http::RequestExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    /// Where the SQLite file lives; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Start with a clock that only `/_dev/clock` moves.
    pub manual_clock: Option<jiff::Timestamp>,
    /// Base of links in emails; defaults to `http://<bound address>`.
    pub public_base_url: Option<String>,
    pub retry: RetryPolicy,
    pub courier_every: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: Some(PathBuf::from("data")),
            manual_clock: None,
            public_base_url: None,
            retry: RetryPolicy::default(),
            courier_every: Duration::from_millis(250),
        }
    }
}

#[derive(Debug, Error)]
pub enum StartError {
    #[error("não foi possível usar a pasta de dados {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("não foi possível abrir o banco de dados: {0}")]
    Store(#[from] StoreError),
    #[error("não foi possível ler ou criar a chave secreta em {0}: {1}")]
    Key(PathBuf, std::io::Error),
    #[error("não foi possível usar a pasta de arquivos {0}: {1}")]
    Files(PathBuf, std::io::Error),
    #[error("não foi possível escutar em {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// Shared by every local route.
#[derive(Clone)]
pub struct Local {
    pub app: App,
    pub blobs: Arc<LocalBlobs>,
    pub courier: Courier,
    pub mailbox: LocalMailbox,
    pub manual_clock: Option<Arc<ManualClock>>,
    /// Demo staff sessions: `app.staff_auth` checks them; `/_dev/login` starts them.
    pub sessions: Arc<DemoSessions>,
    /// The database, for what only the local runtime does with it (timers).
    pub db: SqliteStore,
}

/// A started runtime. Dropping it stops the server and the courier.
pub struct Running {
    pub addr: SocketAddr,
    pub local: Local,
    pub store: SqliteStore,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// Files of a runtime without a data folder, removed with it.
    temp_files: Option<PathBuf>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn wait(mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(dir) = &self.temp_files {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub async fn start(opts: Options) -> Result<Running, StartError> {
    let store = match &opts.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.clone(), e))?;
            SqliteStore::open(&dir.join("balcao.db"))?
        }
        None => SqliteStore::in_memory()?,
    };
    seed_if_empty(&store).await?;

    let listener = TcpListener::bind(opts.addr)
        .await
        .map_err(|e| StartError::Bind(opts.addr, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(opts.addr, e))?;

    let manual_clock = opts.manual_clock.map(|t| Arc::new(ManualClock::new(t)));
    let clock: Arc<dyn Clock> = match &manual_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let base = opts
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    // Without a data folder the files live in a fresh temporary folder.
    let files_dir = match &opts.data_dir {
        Some(dir) => dir.join("files"),
        None => std::env::temp_dir().join(format!("balcao-files-{}", ulid::Ulid::generate())),
    };
    let blobs = Arc::new(
        LocalBlobs::new(&files_dir, &base).map_err(|e| StartError::Files(files_dir.clone(), e))?,
    );
    // Keyed hashes survive restarts with the data they index; a runtime without
    // a data folder keeps nothing, so a fresh key is enough.
    let keys = match &opts.data_dir {
        Some(dir) => Keys::fixed(
            balcao_embedded::key_file::load_or_create(dir)
                .map_err(|e| StartError::Key(dir.clone(), e))?,
        ),
        None => Keys::random(),
    };
    let shared = Arc::new(store.clone());
    let sessions = Arc::new(DemoSessions::default());
    let app = App {
        keys,
        offices: shared.clone(),
        tickets: shared.clone(),
        reports: shared.clone(),
        links: shared.clone(),
        publications: shared.clone(),
        outbox: shared.clone(),
        blobs: blobs.clone(),
        timers: Arc::new(store.clone()),
        limits: Arc::new(store.clone()),
        staff_auth: sessions.clone(),
        clock: clock.clone(),
        config: Config::new(&base),
    };
    let mailbox = LocalMailbox::new(store.clone(), clock.clone());
    let courier = Courier {
        outbox: shared,
        mailer: Arc::new(mailbox.clone()),
        app: app.clone(),
        policy: opts.retry,
    };
    let local = Local {
        db: store.clone(),
        app,
        blobs,
        courier,
        mailbox,
        manual_clock,
        sessions,
    };

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(courier_loop(
        local.clone(),
        opts.courier_every,
        stopped.clone(),
    ));

    let router = router(local.clone());
    let mut shutdown = stopped;
    let server = tokio::spawn(async move {
        let graceful = async move {
            let _ = shutdown.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(graceful)
            .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    tracing::info!(%addr, "Balcão local listening");
    Ok(Running {
        addr,
        local,
        store,
        stop,
        server: Some(server),
        temp_files: opts.data_dir.is_none().then_some(files_dir),
    })
}

async fn seed_if_empty(store: &SqliteStore) -> Result<(), StoreError> {
    let demos = seed::demo_offices();
    if store.get_office(&demos[0].id).await?.is_some() {
        return Ok(());
    }
    for office in &demos {
        store.put_office(office).await?;
    }
    tracing::info!(count = demos.len(), "seeded demo offices");
    Ok(())
}

/// Fires due timers and drains the outbox now and then, as EventBridge
/// Scheduler and the DynamoDB stream do on AWS.
async fn courier_loop(local: Local, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut last_housekeeping: Option<jiff::Timestamp> = None;
    loop {
        fire_due_timers(&local).await;
        // Day-scale work need not run at the courier's pace: once the runtime's
        // clock (manual or not) has moved a minute, either way.
        let now = local.app.clock.now();
        if last_housekeeping
            .is_none_or(|t| now.duration_since(t).abs() >= jiff::SignedDuration::from_mins(1))
        {
            housekeeping(&local).await;
            last_housekeeping = Some(now);
        }
        // Batches of 50 until one comes back short (at most 2 000 mails a pass,
        // so timers stay on time): one batch per pass capped the runtime at
        // 200 mails a second, and a busy office's mail fell behind for good.
        for _ in 0..40 {
            match local.courier.drain(50).await {
                Ok(r) if r.sent + r.failed + r.undelivered == 50 => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "courier failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// What AWS does by lifecycle rules, TTL and the daily retention sweep.
async fn housekeeping(local: &Local) {
    let now = local.app.clock.now();
    // Uploads no request kept are deleted a day on, like S3's lifecycle rule.
    match local
        .blobs
        .expire_uploads(now - jiff::SignedDuration::from_hours(24))
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "unkept uploads deleted"),
        Err(e) => tracing::warn!(error = %e, "could not delete old uploads"),
    }
    // Sent mail's records go after 30 days, as the outbox items' TTL does on AWS.
    let month_ago = now - jiff::SignedDuration::from_hours(24 * 30);
    if let Err(e) = local.db.purge_finished_mail(month_ago).await {
        tracing::warn!(error = %e, "could not purge sent mail");
    }
    // Closed requests whose retention ended are erased, as the daily sweep does on AWS.
    if let Err(e) = balcao_app::my_data::sweep(&local.app).await {
        tracing::error!(error = %e, "retention sweep failed");
    }
}

pub fn router(local: Local) -> Router {
    let mut router = Router::new();
    for route in balcao_web::ROUTES {
        let op = route.op;
        let filter = axum::routing::MethodFilter::try_from(route.method.clone())
            .expect("routes use standard methods");
        let handler = move |State(local): State<Local>,
                            params: Option<Path<HashMap<String, String>>>,
                            req| async move {
            serve(op, &local, params.map(|p| p.0).unwrap_or_default(), req).await
        };
        router = router.route(route.path, on(filter, handler));
    }
    files::routes(dev::routes(router))
        // Unknown addresses and wrong methods get a Portuguese page (or JSON), as on AWS.
        .fallback(|req: axum::extract::Request| async move {
            let (parts, _) = req.into_parts();
            let req = lambda_http::Request::from_parts(parts, lambda_http::Body::Empty);
            to_axum(balcao_web::respond::unmatched(&req))
        })
        .method_not_allowed_fallback(|req: axum::extract::Request| async move {
            to_axum(balcao_web::respond::wrong_method(req.headers()))
        })
        .layer(axum::middleware::map_response_with_state(
            local.clone(),
            secure,
        ))
        .with_state(local)
}

/// The same security headers as the handlers', on the runtime's own routes too.
async fn secure(
    State(local): State<Local>,
    mut res: axum::response::Response,
) -> axum::response::Response {
    let config = &local.app.config;
    balcao_web::security::apply(
        res.headers_mut(),
        &config.upload_origin,
        config.public_base_url.starts_with("https://"),
    );
    res
}

/// Turns the local HTTP request into what API Gateway would hand the Lambda.
async fn serve(
    op: Op,
    local: &Local,
    params: HashMap<String, String>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return axum::response::Response::builder()
                .status(413)
                .body(AxumBody::from("Requisição grande demais."))
                .unwrap_or_default();
        }
    };
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(bytes.to_vec())
    };
    let req = lambda_http::Request::from_parts(parts, body).with_path_parameters(params);
    // The same gate as on AWS: staff operations run only for a verified session.
    let res = match balcao_web::staff::admit(&local.app, op, req).await {
        Ok(req) => op.handle(&local.app, req).await,
        Err(refused) => refused,
    };
    to_axum(res)
}

/// A response of the web layer as axum sends it.
fn to_axum(res: balcao_web::Response) -> axum::response::Response {
    let (parts, body) = res.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    axum::response::Response::from_parts(parts, AxumBody::from(bytes))
}

/// Runs every timer due by the runtime's clock; a timer that fails stays to be
/// retried, as Scheduler retries.
pub async fn fire_due_timers(local: &Local) -> usize {
    let store = &local.db;
    let due = match store.due_timers(local.app.clock.now(), 100).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "reading timers failed");
            return 0;
        }
    };
    let mut fired = 0;
    for t in due {
        match balcao_app::timers::fire(&local.app, &t).await {
            Ok(outcome) => {
                tracing::info!(timer = %t.id, ?outcome, "timer fired");
                if let Err(e) = store.timer_fired(&t.id).await {
                    tracing::error!(error = %e, timer = %t.id, "could not mark a timer fired");
                }
                fired += 1;
            }
            Err(e) => tracing::error!(error = %e, timer = %t.id, "timer failed; will retry"),
        }
    }
    fired
}

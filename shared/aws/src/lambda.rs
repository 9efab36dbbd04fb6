//! What every function's `main` calls: build clients once, then run the handler.

use crate::{DynamoStore, SesMailer, mailer_fn};
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::{App, Config, Store, SystemClock};
use balcao_web::Op;
use lambda_http::service_fn;
use std::sync::Arc;

pub type Error = lambda_runtime::Error;

/// Settings from the function's environment (set by `template.yaml`).
pub struct Env {
    pub table: String,
    pub public_base_url: String,
}

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("missing environment variable {name}").into())
}

impl Env {
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            table: var("TABLE_NAME")?,
            public_base_url: var("PUBLIC_BASE_URL")?,
        })
    }
}

fn init_tracing() {
    // JSON lines with the request id that lambda_runtime puts in each span.
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(true)
        .without_time()
        .with_target(false)
        .init();
}

async fn app(env: &Env, sdk: &aws_config::SdkConfig) -> App {
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &env.table,
    ));
    App {
        store,
        clock: Arc::new(SystemClock),
        config: Config::new(&env.public_base_url),
    }
}

/// Runs one HTTP operation behind API Gateway.
pub async fn serve(op: Op) -> Result<(), Error> {
    init_tracing();
    let env = Env::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let app = app(&env, &sdk).await;
    let app = &app;
    lambda_http::run(service_fn(move |req| async move {
        Ok::<_, Error>(op.handle(app, req).await)
    }))
    .await
}

/// Runs the mailer: DynamoDB stream records of new outbox mail, and the
/// periodic sweep that retries what failed.
pub async fn serve_mailer() -> Result<(), Error> {
    init_tracing();
    let env = Env::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let from = var("SENDER_ADDRESS")?;
    let configuration_set = std::env::var("SES_CONFIGURATION_SET")
        .ok()
        .filter(|s| !s.is_empty());
    let app = app(&env, &sdk).await;
    let courier = Courier {
        store: app.store.clone(),
        mailer: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            from,
            configuration_set,
        )),
        clock: app.clock.clone(),
        policy: RetryPolicy::default(),
    };
    let courier = &courier;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        mailer_fn::handle(courier, event)
    }))
    .await
}

//! What every function's `main` calls: build clients once, then run the handler.

use crate::secret_key::{MissingKey, SecretsManagerKey};
use crate::{DynamoStore, S3Blobs, SchedulerConfig, SchedulerTimers, SesMailer, mailer_fn};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::keys::{KeySource, Keys};
use balcao_app::{App, Config, Store, SystemClock};
use balcao_web::Op;
use lambda_http::service_fn;
use std::sync::Arc;

pub type Error = lambda_runtime::Error;

/// Settings from the function's environment (set by `template.yaml`).
pub struct Env {
    pub table: String,
    pub bucket: String,
    pub public_base_url: String,
    pub scheduler: SchedulerConfig,
    /// The keyed-hash secret; only operations that hash or sign read it.
    pub hash_key_secret: Option<String>,
}

const HASH_KEY_VAR: &str = "HASH_KEY_SECRET_ARN";

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("missing environment variable {name}").into())
}

impl Env {
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            table: var("TABLE_NAME")?,
            bucket: var("BUCKET_NAME")?,
            scheduler: SchedulerConfig {
                group: var("SCHEDULE_GROUP")?,
                target_arn: var("TIMER_FUNCTION_ARN")?,
                role_arn: var("SCHEDULER_ROLE_ARN")?,
                dead_letter_arn: var("TIMER_DLQ_ARN")?,
            },
            public_base_url: var("PUBLIC_BASE_URL")?,
            hash_key_secret: std::env::var(HASH_KEY_VAR).ok().filter(|s| !s.is_empty()),
        })
    }
}

/// AWS endpoints present certificates from Amazon Trust Services (cross-signed by
/// Starfield G2). Trusting only these spares every cold start from reading and
/// parsing the ~300 files of the system store (measured: ~8 ms of a ~11 ms init).
const AWS_ROOTS: &[&[u8]] = &[
    include_bytes!("../certs/Amazon_Root_CA_1.pem"),
    include_bytes!("../certs/Amazon_Root_CA_2.pem"),
    include_bytes!("../certs/Amazon_Root_CA_3.pem"),
    include_bytes!("../certs/Amazon_Root_CA_4.pem"),
    include_bytes!("../certs/Starfield_Services_Root_Certificate_Authority_-_G2.pem"),
];

pub fn https_client() -> Result<SharedHttpClient, Error> {
    let store = AWS_ROOTS
        .iter()
        .fold(TrustStore::empty(), |s, pem| s.with_pem_certificate(*pem));
    let tls = TlsContext::builder().with_trust_store(store).build()?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https())
}

async fn sdk_config() -> Result<aws_config::SdkConfig, Error> {
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client()?)
        .load()
        .await)
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
    let dynamo = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &env.table,
    ));
    let store: Arc<dyn Store> = dynamo.clone();
    let blobs = S3Blobs::new(sdk, &env.bucket, None);
    let config = Config::new(&env.public_base_url).with_upload_origin(blobs.upload_origin());
    let key_source: Arc<dyn KeySource> = match &env.hash_key_secret {
        Some(id) => Arc::new(SecretsManagerKey::new(
            aws_sdk_secretsmanager::Client::new(sdk),
            id,
        )),
        None => Arc::new(MissingKey(HASH_KEY_VAR)),
    };
    App {
        store,
        keys: Keys::new(key_source),
        limits: dynamo,
        blobs: Arc::new(blobs),
        timers: Arc::new(SchedulerTimers::new(
            aws_sdk_scheduler::Client::new(sdk),
            env.scheduler.clone(),
        )),
        clock: Arc::new(SystemClock),
        config,
    }
}

/// Runs one HTTP operation behind API Gateway.
pub async fn serve(op: Op) -> Result<(), Error> {
    init_tracing();
    let env = Env::from_env()?;
    let sdk = sdk_config().await?;
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
    let sdk = sdk_config().await?;
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

/// Runs the timer function: EventBridge Scheduler invokes it with one timer.
pub async fn serve_timer() -> Result<(), Error> {
    init_tracing();
    let env = Env::from_env()?;
    let sdk = sdk_config().await?;
    let app = app(&env, &sdk).await;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<balcao_app::ports::Timer>| async move {
            let outcome = balcao_app::timers::fire(app, &event.payload).await?;
            tracing::info!(timer = %event.payload.id, ?outcome, "timer fired");
            Ok::<_, Error>(())
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_roots_are_certificates_and_build_a_client() {
        for pem in super::AWS_ROOTS {
            let text = std::str::from_utf8(pem).expect("PEM is text");
            assert!(text.trim_start().starts_with("-----BEGIN CERTIFICATE-----"));
        }
        assert!(super::https_client().is_ok());
    }
}

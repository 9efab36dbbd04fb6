//! What every function's `main` calls: read the environment its operation needs
//! (`needs.rs`), build those clients once, then run the handler. The needs are a
//! constant of each binary, so the clients it does not use are not linked in.

use crate::cognito::{CognitoAuth, CognitoConfig};
use crate::needs::{FILES, HASH_KEY, STAFF, TIMERS};
use crate::secret_key::SecretsManagerKey;
use crate::{DynamoStore, S3Blobs, SchedulerConfig, SchedulerTimers, SesMailer, mailer_fn};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::keys::{KeyError, KeySource, Keys};
use balcao_app::ports::{
    AuthError, BlobError, BlobHead, DownloadLink, Session, Timer, TimerError, UploadForm,
    UploadPolicy,
};
use balcao_app::{App, Blobs, Config, StaffAuth, SystemClock, Timers};
use balcao_core::StaffMember;
use balcao_web::Op;
use jiff::Timestamp;
use lambda_http::service_fn;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type Error = lambda_runtime::Error;

/// An HTTP operation's handler, as `balcao_web::ops` defines them.
pub type Handler = for<'a> fn(
    &'a App,
    lambda_http::Request,
) -> Pin<Box<dyn Future<Output = balcao_web::Response> + Send + 'a>>;

/// The `main` of an HTTP function: its operation's needs and handler, nothing else.
///
/// ```ignore
/// balcao_aws::http_function!(OpenRequest, open_request::submit);
/// ```
#[macro_export]
macro_rules! http_function {
    ($op:ident, $($handler:ident)::+) => {
        #[tokio::main]
        async fn main() -> Result<(), $crate::Error> {
            $crate::serve::<{ $crate::needs::of($crate::Op::$op) }>($crate::Op::$op, |app, req| {
                Box::pin($crate::ops::$($handler)::+(app, req))
            })
            .await
        }
    };
}

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("missing environment variable {name}").into())
}

/// AWS endpoints present certificates from Amazon Trust Services (cross-signed by
/// Starfield G2). Trusting only these spares every cold start from reading and
/// parsing the ~300 files of the system store (measured: ~8 ms of a ~11 ms init).
pub(crate) const AWS_ROOTS: &[&[u8]] = &[
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
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https())
}

/// Lambda hands every function its region and credentials in the environment.
/// Built from them directly, the SDK's provider chain (profiles, SSO, STS, IMDS,
/// containers) is not linked into the binaries, nor run at each cold start.
async fn sdk_config() -> Result<aws_config::SdkConfig, Error> {
    let credentials = aws_credential_types::Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "lambda-environment",
    );
    let mut config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(var("AWS_REGION")?))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .http_client(https_client()?)
        .retry_config(aws_config::retry::RetryConfig::standard())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .service_config(EndpointsFromEnv);
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        config = config.sleep_impl(sleep);
    }
    Ok(config.build())
}

/// `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`), as the SDK's own loader
/// reads them: how the benchmark points each client at a local stand-in.
#[derive(Debug)]
struct EndpointsFromEnv;

impl aws_types::service_config::LoadServiceConfig for EndpointsFromEnv {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        std::env::var(format!("{}_{service}", key.env()))
            .or_else(|_| std::env::var(key.env()))
            .ok()
    }
}

/// Logs as Lambda is configured (`LoggingConfig` in the template): the level in
/// `AWS_LAMBDA_LOG_LEVEL`, JSON lines unless `AWS_LAMBDA_LOG_FORMAT` says Text.
/// No per-module directives, so the filter needs no regular expressions.
fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .and_then(|l| match l.trim().to_ascii_uppercase().as_str() {
            "FATAL" => Some(tracing_subscriber::filter::LevelFilter::ERROR),
            other => other.parse().ok(),
        })
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let logs = tracing_subscriber::fmt()
        .with_max_level(level)
        .without_time()
        .with_target(false);
    if text {
        logs.with_ansi(false).init();
    } else {
        // JSON lines with the request id that lambda_runtime puts in each span.
        logs.json().with_current_span(true).init();
    }
}

/// The function's metrics, written after each invocation as CloudWatch
/// embedded-metric-format lines on stdout: CloudWatch reads them from the logs.
static METRICS: std::sync::OnceLock<&'static metrics_cloudwatch_embedded::Collector> =
    std::sync::OnceLock::new();

fn init_metrics(function: &'static str) {
    let namespace = std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| "Balcao".into());
    match metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("Function", function)
        .init()
    {
        Ok(collector) => {
            let _ = METRICS.set(collector);
        }
        Err(e) => tracing::warn!(error = %e, "metrics off"),
    }
}

fn flush_metrics() {
    if let Some(collector) = METRICS.get()
        && let Err(e) = collector.flush(std::io::stdout())
    {
        tracing::warn!(error = %e, "metrics not written");
    }
}

/// Stands in for a client the function was not configured with: using it is a
/// clear error naming what is missing, never a silent success.
struct NotConfigured(&'static str);

impl NotConfigured {
    fn say(&self) -> String {
        format!("esta função não foi configurada para isso ({})", self.0)
    }
}

#[async_trait]
impl Blobs for NotConfigured {
    async fn upload_form(
        &self,
        _: &UploadPolicy<'_>,
        _: Timestamp,
    ) -> Result<UploadForm, BlobError> {
        Err(BlobError::Unavailable(self.say()))
    }
    async fn peek(&self, _: &str, _: u64) -> Result<Option<BlobHead>, BlobError> {
        Err(BlobError::Unavailable(self.say()))
    }
    async fn copy(&self, _: &str, _: &str) -> Result<bool, BlobError> {
        Err(BlobError::Unavailable(self.say()))
    }
    async fn delete(&self, _: &str) -> Result<(), BlobError> {
        Err(BlobError::Unavailable(self.say()))
    }
    async fn download_url(&self, _: &DownloadLink<'_>, _: Timestamp) -> Result<String, BlobError> {
        Err(BlobError::Unavailable(self.say()))
    }
}

#[async_trait]
impl Timers for NotConfigured {
    async fn schedule(&self, _: &Timer) -> Result<(), TimerError> {
        Err(TimerError::Unavailable(self.say()))
    }
    async fn cancel(&self, _: &str) -> Result<(), TimerError> {
        Err(TimerError::Unavailable(self.say()))
    }
}

#[async_trait]
impl StaffAuth for NotConfigured {
    async fn verify(&self, _: &str) -> Result<StaffMember, AuthError> {
        Err(AuthError::Unavailable(self.say()))
    }
    fn sign_in_url(&self, _: &str, _: &str) -> String {
        "/".into()
    }
    async fn exchange(&self, _: &str, _: &str) -> Result<Session, AuthError> {
        Err(AuthError::Unavailable(self.say()))
    }
    async fn sign_out(&self, _: Option<&str>) -> String {
        "/".into()
    }
}

#[async_trait]
impl KeySource for NotConfigured {
    async fn load(&self) -> Result<Vec<u8>, KeyError> {
        Err(KeyError::Unavailable(self.say()))
    }
}

/// The table, as every function reaches it.
fn table(sdk: &aws_config::SdkConfig) -> Result<Arc<DynamoStore>, Error> {
    Ok(Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &var("TABLE_NAME")?,
    )))
}

/// The application as a function with `NEEDS` sees it.
async fn app<const NEEDS: u8>(
    sdk: &aws_config::SdkConfig,
    dynamo: &Arc<DynamoStore>,
) -> Result<App, Error> {
    let blobs: Arc<dyn Blobs> = if NEEDS & FILES != 0 {
        // Set only for a local stand-in, which wants path-style addresses.
        let stand_in = std::env::var("AWS_ENDPOINT_URL_S3").ok();
        Arc::new(S3Blobs::new(sdk, &var("BUCKET_NAME")?, stand_in.as_deref()))
    } else {
        Arc::new(NotConfigured("BUCKET_NAME"))
    };
    let timers: Arc<dyn Timers> = if NEEDS & TIMERS != 0 {
        Arc::new(SchedulerTimers::new(
            aws_sdk_scheduler::Client::new(sdk),
            SchedulerConfig {
                group: var("SCHEDULE_GROUP")?,
                target_arn: var("TIMER_FUNCTION_ARN")?,
                role_arn: var("SCHEDULER_ROLE_ARN")?,
                dead_letter_arn: var("TIMER_DLQ_ARN")?,
            },
        ))
    } else {
        Arc::new(NotConfigured("SCHEDULE_GROUP"))
    };
    let keys: Arc<dyn KeySource> = if NEEDS & HASH_KEY != 0 {
        Arc::new(SecretsManagerKey::new(
            aws_sdk_secretsmanager::Client::new(sdk),
            &var("HASH_KEY_SECRET_ARN")?,
        ))
    } else {
        Arc::new(NotConfigured("HASH_KEY_SECRET_ARN"))
    };
    let public_base_url = var("PUBLIC_BASE_URL")?;
    let staff_auth: Arc<dyn StaffAuth> = if NEEDS & STAFF != 0 {
        Arc::new(CognitoAuth::new(CognitoConfig {
            issuer: var("STAFF_ISSUER")?,
            client_id: var("STAFF_CLIENT_ID")?,
            login_url: var("STAFF_LOGIN_URL")?,
            public_base_url: public_base_url.clone(),
            jwks_url: std::env::var("STAFF_JWKS_URL").ok(),
        })?)
    } else {
        Arc::new(NotConfigured("STAFF_ISSUER"))
    };
    // Pages allow browsers to post files there (CSP); the template derives it from the bucket.
    let upload_origin = std::env::var("UPLOAD_ORIGIN").unwrap_or_else(|_| public_base_url.clone());
    Ok(App {
        offices: dynamo.clone(),
        tickets: dynamo.clone(),
        reports: dynamo.clone(),
        links: dynamo.clone(),
        publications: dynamo.clone(),
        outbox: dynamo.clone(),
        blobs,
        timers,
        limits: dynamo.clone(),
        staff_auth,
        clock: Arc::new(SystemClock),
        keys: Keys::new(keys),
        config: Config::new(&public_base_url).with_upload_origin(&upload_origin),
    })
}

/// Runs one HTTP operation behind API Gateway. Only building the app depends
/// on `NEEDS`; the serving loop is compiled once, here, not in every function.
pub async fn serve<const NEEDS: u8>(op: Op, handler: Handler) -> Result<(), Error> {
    init_tracing();
    init_metrics(op.function());
    let sdk = sdk_config().await?;
    let app = app::<NEEDS>(&sdk, &table(&sdk)?).await?;
    run_http(app, op, handler).await
}

/// The Lambda loop of an HTTP function over its app.
pub async fn run_http(app: App, op: Op, handler: Handler) -> Result<(), Error> {
    let app = &app;
    lambda_http::run(service_fn(move |req| async move {
        let started = std::time::Instant::now();
        // Staff operations run only for a verified session (the same gate as locally).
        let mut res = match balcao_web::staff::admit(app, op, req).await {
            Ok(req) => handler(app, req).await,
            Err(refused) => refused,
        };
        metrics::histogram!("Latency", "Operation" => op.function())
            .record(started.elapsed().as_secs_f64() * 1000.0);
        flush_metrics();
        balcao_web::security::apply(
            res.headers_mut(),
            &app.config.upload_origin,
            app.config.public_base_url.starts_with("https://"),
        );
        Ok::<_, Error>(res)
    }))
    .await
}

/// Runs the mailer: DynamoDB stream records of new outbox mail, and the
/// periodic sweep that retries what failed.
pub async fn serve_mailer() -> Result<(), Error> {
    init_tracing();
    init_metrics("mailer");
    let sdk = sdk_config().await?;
    let from = var("SENDER_ADDRESS")?;
    let configuration_set = std::env::var("SES_CONFIGURATION_SET")
        .ok()
        .filter(|s| !s.is_empty());
    let dynamo = table(&sdk)?;
    let app = app::<{ crate::needs::MAILER_FUNCTION }>(&sdk, &dynamo).await?;
    let courier = Courier {
        outbox: dynamo,
        mailer: Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            from,
            configuration_set,
        )),
        app: app.clone(),
        policy: RetryPolicy::default(),
    };
    let courier = &courier;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        let out = mailer_fn::handle(courier, event).await;
        flush_metrics();
        out
    }))
    .await
}

/// Runs the mail-events function: SES's events, through EventBridge.
pub async fn serve_mail_events() -> Result<(), Error> {
    init_tracing();
    init_metrics("mail-events");
    let sdk = sdk_config().await?;
    let dynamo = table(&sdk)?;
    let app = app::<{ crate::needs::MAIL_EVENTS_FUNCTION }>(&sdk, &dynamo).await?;
    let (app, outbox) = (&app, &*dynamo);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let out = crate::mail_events::handle(app, outbox, event.payload).await;
            flush_metrics();
            out
        },
    ))
    .await
}

/// Runs API Gateway's `$default` route: whatever no route took gets the
/// Portuguese 404 or 405 page (or JSON), as the local runtime answers. No
/// client is built: it reads nothing.
pub async fn serve_no_route() -> Result<(), Error> {
    init_tracing();
    let public = std::env::var("PUBLIC_BASE_URL").unwrap_or_default();
    let upload_origin = std::env::var("UPLOAD_ORIGIN").unwrap_or_else(|_| public.clone());
    let (public, upload_origin) = (&public, &upload_origin);
    lambda_http::run(service_fn(move |req: lambda_http::Request| async move {
        let mut res = balcao_web::respond::unmatched(&req);
        balcao_web::security::apply(
            res.headers_mut(),
            upload_origin,
            public.starts_with("https://"),
        );
        Ok::<_, Error>(res)
    }))
    .await
}

/// Runs the retention sweep: a daily schedule invokes it (LGPD art. 15–16).
/// A sweep erases a batch at a time until none is left or the invocation is
/// near its end; what is left waits for the next day's.
pub async fn serve_retention() -> Result<(), Error> {
    init_tracing();
    init_metrics("retention");
    let sdk = sdk_config().await?;
    let app = app::<{ crate::needs::RETENTION_FUNCTION }>(&sdk, &table(&sdk)?).await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let deadline = event.context.deadline();
            let mut erased = 0;
            loop {
                let n = balcao_app::my_data::sweep(app).await?;
                erased += n;
                let left = deadline
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
                if n < balcao_app::my_data::SWEEP_BATCH || left < std::time::Duration::from_secs(60)
                {
                    break;
                }
            }
            flush_metrics();
            Ok::<_, Error>(serde_json::json!({ "erased": erased }))
        },
    ))
    .await
}

/// Runs the timer function: EventBridge Scheduler invokes it with one timer.
pub async fn serve_timer() -> Result<(), Error> {
    init_tracing();
    init_metrics("timer");
    let sdk = sdk_config().await?;
    let app = app::<{ crate::needs::TIMER_FUNCTION }>(&sdk, &table(&sdk)?).await?;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<balcao_app::ports::Timer>| async move {
            let outcome = balcao_app::timers::fire(app, &event.payload).await;
            flush_metrics();
            tracing::info!(timer = %event.payload.id, ?outcome, "timer fired");
            outcome.map(|_| ()).map_err(Error::from)
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

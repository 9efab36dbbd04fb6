//! The stand-ins the benchmark runs against: one DynamoDB Local table with the
//! demo offices, and on moto_server the bucket, schedule group, hash-key secret
//! and SES identity the functions use. The in-process app is built from the
//! same AWS adapters the functions link, so calls are counted as they are made.

use crate::faults::Faults;
use crate::recorder::Recorder;
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::keys::Keys;
use balcao_app::{App, Config, SystemClock};
use balcao_aws::{
    DynamoStore, S3Blobs, SchedulerConfig, SchedulerTimers, SecretsManagerKey, SesMailer,
};
use std::sync::Arc;

type Error = Box<dyn std::error::Error>;

pub const BUCKET: &str = "balcao-bench";
pub const GROUP: &str = "balcao-bench";
pub const SECRET: &str = "balcao-bench-hash-key";
pub const SENDER: &str = "balcao@example.com";
pub const PUBLIC_BASE_URL: &str = "https://balcao.example.gov.br";
pub const TIMER_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:balcao-timer";
pub const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/balcao-scheduler";
pub const TIMER_DLQ: &str = "arn:aws:sqs:us-east-1:123456789012:balcao-timers-dlq";

pub struct Fixture {
    pub dynamodb_endpoint: String,
    pub moto_endpoint: String,
    pub table: String,
    /// The schedule group its timers go to ([`GROUP`] unless asked).
    pub group: String,
    pub recorder: Recorder,
    /// Prepares what an operation acts on; its calls are recorded apart.
    pub setup: App,
    pub setup_recorder: Recorder,
    sdk: aws_config::SdkConfig,
    s3: S3,
    dynamodb: aws_sdk_dynamodb::Client,
}

/// Where the bucket lives: moto_server by default; the permission test uses
/// `s3s-fs`, which checks signatures and keys as S3 does.
#[derive(Clone)]
pub struct S3 {
    pub endpoint: String,
    pub sdk: aws_config::SdkConfig,
}

fn sdk(moto: &str) -> aws_config::SdkConfig {
    // The functions' own HTTP client: the SDK's default one is not built in.
    let http = balcao_aws::lambda::https_client().expect("HTTP client");
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("test", "test", None, None, "bench"),
            ),
        )
        .build()
}

impl Fixture {
    /// A year of counted days for `office` up to `to` (issue 15's one-year
    /// report, as a busy office would have): written raw, uncounted.
    pub async fn seed_counted_year(
        &self,
        office: &str,
        to: jiff::civil::Date,
    ) -> Result<(), Error> {
        use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
        use balcao_aws::dynamo::keys;
        let office = balcao_core::OfficeId::parse(office)?;
        let n = |v: i64| AttributeValue::N(v.to_string());
        let mut day = to;
        let mut writes = Vec::new();
        for i in 0..366_i64 {
            let mut item = std::collections::HashMap::from([
                ("PK".to_owned(), AttributeValue::S(keys::office(&office))),
                ("SK".to_owned(), AttributeValue::S(keys::day(day))),
            ]);
            for (counter, v) in [
                ("opened", 12),
                ("opened:contato", 5),
                ("opened:certidao", 4),
                ("opened:escritura", 3),
                ("status:received", 12),
                ("status:in_analysis", 10),
                ("status:concluded", 9),
                ("start_met", 3),
                ("start_missed", 1),
                ("reply_met", 8),
                ("reply_missed", 2),
                ("rating:approved", 4),
                ("rating:rejected", 1),
            ] {
                item.insert(format!("{}{counter}", keys::COUNT), n(v + i % 3));
            }
            item.insert(
                keys::FIRST_REPLIES.to_owned(),
                AttributeValue::L((0..8).map(|k| n(30 + 7 * k + i % 11)).collect()),
            );
            writes.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                    .build(),
            );
            day = day.yesterday()?;
        }
        for chunk in writes.chunks(25) {
            let mut pending = Some(std::collections::HashMap::from([(
                self.table.clone(),
                chunk.to_vec(),
            )]));
            while let Some(items) = pending.take().filter(|m| !m.is_empty()) {
                let out = self
                    .dynamodb
                    .batch_write_item()
                    .set_request_items(Some(items))
                    .send()
                    .await?;
                pending = out.unprocessed_items().cloned();
            }
        }
        Ok(())
    }

    pub async fn new(dynamodb: &str, moto: &str) -> Result<Self, Error> {
        let s3 = S3 {
            endpoint: moto.to_owned(),
            sdk: sdk(moto),
        };
        Self::with_s3(dynamodb, moto, s3).await
    }

    /// The fixture with its bucket on another S3 stand-in.
    pub async fn with_s3(dynamodb: &str, moto: &str, s3: S3) -> Result<Self, Error> {
        Self::with_s3_and_group(dynamodb, moto, s3, GROUP).await
    }

    /// … and its timers in a schedule group of their own.
    pub async fn with_s3_and_group(
        dynamodb: &str,
        moto: &str,
        s3: S3,
        group_name: &str,
    ) -> Result<Self, Error> {
        let sdk = sdk(moto);
        let ddb_config = aws_sdk_dynamodb::config::Builder::from(&sdk).endpoint_url(dynamodb);
        let client = aws_sdk_dynamodb::Client::from_conf(ddb_config.build());
        let table = format!("bench-{}", ulid::Ulid::generate());
        DynamoStore::create_table(&client, &table).await?;
        let store = DynamoStore::new(client.clone(), &table);
        for o in balcao_local::seed::demo_offices() {
            balcao_app::Offices::put_office(&store, &o).await?;
        }
        let created = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&s3.sdk)
                .endpoint_url(&s3.endpoint)
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await;
        if let Err(e) = created
            && !format!("{e:?}").contains("BucketAlready")
        {
            return Err(e.into());
        }
        let scheduler = aws_sdk_scheduler::Client::new(&sdk);
        let group = scheduler
            .create_schedule_group()
            .name(group_name)
            .send()
            .await;
        if let Err(e) = group
            && !format!("{e:?}").contains("Conflict")
        {
            return Err(e.into());
        }
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let created = secrets
            .create_secret()
            .name(SECRET)
            .secret_string("b".repeat(64))
            .send()
            .await;
        if let Err(e) = created
            && !format!("{e:?}").contains("ResourceExists")
        {
            return Err(e.into());
        }
        aws_sdk_sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(SENDER)
            .send()
            .await?;
        let setup_recorder = Recorder::default();
        let (setup, _) = build_app(
            &sdk,
            &s3,
            &client,
            &table,
            group_name,
            Some(&setup_recorder),
            None,
        );
        Ok(Self {
            dynamodb_endpoint: dynamodb.to_owned(),
            moto_endpoint: moto.to_owned(),
            table,
            group: group_name.to_owned(),
            recorder: Recorder::default(),
            setup,
            setup_recorder,
            sdk,
            s3,
            dynamodb: client,
        })
    }

    /// The table's client, for loading data in bulk.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.dynamodb
    }

    /// A fresh process's view (nothing cached), through the functions' own
    /// adapters; with `recorder`, every call is recorded.
    /// Stores `bytes` at `key` as a browser's form post would (outside the
    /// functions' recorded calls).
    pub async fn put_object(
        &self,
        key: &str,
        bytes: &[u8],
    ) -> Result<(), Box<dyn std::error::Error>> {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.s3.sdk)
                .endpoint_url(&self.s3.endpoint)
                .force_path_style(true)
                .build(),
        )
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(bytes.to_vec().into())
        .send()
        .await?;
        Ok(())
    }

    pub fn app(&self, recorder: Option<&Recorder>) -> (App, Arc<DynamoStore>) {
        build_app(
            &self.sdk,
            &self.s3,
            &self.dynamodb,
            &self.table,
            &self.group,
            recorder,
            None,
        )
    }

    /// The app with `faults` on every client (and the courier's mailer).
    pub fn faulty_app(&self, recorder: &Recorder, faults: &Faults) -> (App, Courier) {
        let (app, store) = build_app(
            &self.sdk,
            &self.s3,
            &self.dynamodb,
            &self.table,
            &self.group,
            Some(recorder),
            Some(faults),
        );
        let mut courier = self.courier(&app, store, Some(recorder));
        let ses = aws_sdk_sesv2::config::Builder::from(&quick_retries(&self.sdk))
            .interceptor(recorder.clone())
            .interceptor(faults.clone());
        courier.mailer = Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::from_conf(ses.build()),
            SENDER,
            None,
        ));
        (app, courier)
    }

    /// The mailer as the function builds it, over the table's outbox.
    pub fn courier(
        &self,
        app: &App,
        outbox: Arc<DynamoStore>,
        recorder: Option<&Recorder>,
    ) -> Courier {
        let mut ses = aws_sdk_sesv2::config::Builder::from(&self.sdk);
        if let Some(r) = recorder {
            ses = ses.interceptor(r.clone());
        }
        Courier {
            outbox,
            mailer: Arc::new(SesMailer::new(
                aws_sdk_sesv2::Client::from_conf(ses.build()),
                SENDER,
                None,
            )),
            app: app.clone(),
            policy: RetryPolicy::default(),
        }
    }
}

fn quick_retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_initial_backoff(std::time::Duration::from_millis(10))
        .with_max_backoff(std::time::Duration::from_millis(500))
}

fn quick_retries(sdk: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    sdk.to_builder().retry_config(quick_retry_config()).build()
}

fn build_app(
    sdk: &aws_config::SdkConfig,
    s3: &S3,
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    group: &str,
    recorder: Option<&Recorder>,
    faults: Option<&Faults>,
) -> (App, Arc<DynamoStore>) {
    // Under injected faults the SDK retries as configured, only sooner: a
    // throttle or a 500 is not waited out for a second (each fault would
    // cost half a second of the matrix's time on average).
    let (sdk, s3_sdk) = match faults {
        Some(_) => (&quick_retries(sdk), quick_retries(&s3.sdk)),
        None => (sdk, s3.sdk.clone()),
    };
    let mut ddb = dynamodb.config().to_builder();
    if faults.is_some() {
        let attempts = dynamodb
            .config()
            .retry_config()
            .map_or(3, |r| r.max_attempts());
        ddb = ddb.retry_config(quick_retry_config().with_max_attempts(attempts));
    }
    let mut scheduler = aws_sdk_scheduler::config::Builder::from(sdk);
    let mut secrets = aws_sdk_secretsmanager::config::Builder::from(sdk);
    let mut blobs = S3Blobs::new(&s3_sdk, BUCKET, Some(&s3.endpoint));
    if let Some(r) = recorder {
        ddb = ddb.interceptor(r.clone());
        scheduler = scheduler.interceptor(r.clone());
        secrets = secrets.interceptor(r.clone());
        blobs = blobs.with_interceptor(r.clone());
    }
    if let Some(f) = faults {
        ddb = ddb.interceptor(f.clone());
        scheduler = scheduler.interceptor(f.clone());
        secrets = secrets.interceptor(f.clone());
        blobs = blobs.with_interceptor(f.clone());
    }
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(ddb.build()),
        table,
    ));
    let upload_origin = blobs.upload_origin().to_owned();
    let app = App {
        offices: store.clone(),
        tickets: store.clone(),
        reports: store.clone(),
        links: store.clone(),
        publications: store.clone(),
        outbox: store.clone(),
        blobs: Arc::new(blobs),
        timers: Arc::new(SchedulerTimers::new(
            aws_sdk_scheduler::Client::from_conf(scheduler.build()),
            SchedulerConfig {
                group: group.into(),
                target_arn: TIMER_ARN.into(),
                role_arn: SCHEDULER_ROLE.into(),
                dead_letter_arn: TIMER_DLQ.into(),
            },
        )),
        limits: store.clone(),
        // The events carry verified claims, as `staff::admit` leaves them.
        staff_auth: Arc::new(balcao_embedded::DemoSessions::default()),
        clock: Arc::new(SystemClock),
        keys: Keys::new(Arc::new(SecretsManagerKey::new(
            aws_sdk_secretsmanager::Client::from_conf(secrets.build()),
            SECRET,
        ))),
        config: Config::new(PUBLIC_BASE_URL).with_upload_origin(&upload_origin),
    };
    (app, store)
}

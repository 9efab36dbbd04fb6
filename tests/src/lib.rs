//! Helpers for Balcão's black-box tests.

pub mod contract;

use balcao_app::courier::RetryPolicy;
use balcao_local::{Options, Running, start};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The whole local runtime on a random loopback port, with an in-memory database.
pub struct TestApp {
    pub running: Running,
    pub client: reqwest::Client,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(default)]
    pub attachments: Vec<MailFile>,
    pub sent_at: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailFile {
    pub name: String,
    pub content_type: String,
    pub content: String,
}

/// File storage in a fresh temporary folder, for handler tests that build their own `App`.
pub fn temp_blobs() -> std::sync::Arc<balcao_embedded::LocalBlobs> {
    let dir = std::env::temp_dir().join(format!("balcao-test-files-{}", ulid::Ulid::generate()));
    std::sync::Arc::new(
        balcao_embedded::LocalBlobs::new(dir, "http://127.0.0.1:3000").expect("temporary folder"),
    )
}

/// Timers kept in a fresh in-memory database, for handler tests that build their own `App`.
pub fn temp_timers() -> std::sync::Arc<balcao_embedded::SqliteStore> {
    std::sync::Arc::new(balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite"))
}

/// An `App` over `store` for handler tests: files, timers and limits of its own,
/// a fresh hash key, the system clock.
pub fn app_over(store: std::sync::Arc<dyn balcao_app::Store>) -> balcao_app::App {
    balcao_app::App {
        offices: store.clone(),
        tickets: store.clone(),
        reports: store.clone(),
        links: store.clone(),
        publications: store.clone(),
        outbox: store,
        blobs: temp_blobs(),
        timers: temp_timers(),
        limits: temp_timers(),
        staff_auth: std::sync::Arc::new(balcao_embedded::DemoSessions::default()),
        clock: std::sync::Arc::new(balcao_app::SystemClock),
        keys: balcao_app::keys::Keys::random(),
        config: balcao_app::Config::new("https://balcao.example.gov.br"),
    }
}

pub const SP_OFFICE: &str = "1-tabeliao-notas-sao-paulo";
pub const RO_OFFICE: &str = "tabelionato-porto-velho";
/// A real one-page PDF: conclusions are parsed by a PDF library.
pub const ONE_PAGE_PDF: &[u8] = include_bytes!("../../shared/core/fixtures/one-page.pdf");
/// A CPF with valid check digits.
pub const CPF: &str = "529.982.247-25";

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Options)) -> Self {
        let mut opts = Options {
            addr: "127.0.0.1:0".parse().expect("loopback address"),
            data_dir: None,
            courier_every: Duration::from_millis(50),
            retry: RetryPolicy {
                lease: jiff::SignedDuration::from_secs(30),
                first_backoff: jiff::SignedDuration::from_millis(100),
                max_backoff: jiff::SignedDuration::from_secs(1),
                ..RetryPolicy::default()
            },
            ..Options::default()
        };
        tweak(&mut opts);
        let running = start(opts).await.expect("local runtime starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self { running, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .header("accept", "application/json")
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Opens a request with a JSON body; answers status and JSON.
    pub async fn open_json(&self, office: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(&format!("/offices/{office}/requests")))
            .header("accept", "application/json")
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn mailbox(&self) -> Vec<Mail> {
        let r = self
            .client
            .get(self.url("/_dev/mailbox"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("mailbox");
        r.json().await.expect("mailbox JSON")
    }

    /// Waits for an email to `to` whose subject starts with `subject`.
    pub async fn wait_for_subject(&self, to: &str, subject: &str) -> Mail {
        for _ in 0..200 {
            let found = self
                .mailbox()
                .await
                .into_iter()
                .find(|m| m.to == to && m.subject.starts_with(subject));
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{to} received no \"{subject}\" email within 10 s");
    }

    /// The path of a link to this app, for the request helpers.
    pub fn local_path(&self, url: &str) -> String {
        url.strip_prefix(&self.running.base_url())
            .unwrap_or_else(|| panic!("{url} is not a link to this app"))
            .to_owned()
    }

    /// POSTs a JSON body (as staff with `bearer`); answers status and JSON.
    pub async fn post_json(&self, path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
        let mut r = self
            .client
            .post(self.url(path))
            .header("accept", "application/json")
            .json(body);
        if let Some(t) = bearer {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Moves a manual clock (`Options::manual_clock`) and runs what became due.
    pub async fn advance_minutes(&self, minutes: i64) {
        let r = self
            .client
            .post(self.url("/_dev/clock"))
            .header("accept", "application/json")
            .json(&serde_json::json!({ "advance_minutes": minutes }))
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status().as_u16(), 200, "the clock moves");
    }

    /// Signs a seeded staff member in with `/_dev/login`; answers the bearer token.
    pub async fn staff_login(&self, email: &str) -> String {
        let r = self
            .client
            .post(self.url("/_dev/login"))
            .header("accept", "application/json")
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status().as_u16(), 200, "{email} signs in");
        r.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Uploads a file the way the pages do: asks `slot_path` for a slot (as staff
    /// with `bearer`), then posts the file straight to storage. Answers the
    /// `attachment` value, or the status and JSON of the refusal.
    pub async fn upload(
        &self,
        slot_path: &str,
        bearer: Option<&str>,
        name: &str,
        bytes: &[u8],
    ) -> Result<String, (u16, Value)> {
        self.upload_declared(slot_path, bearer, name, bytes.len() as u64, bytes)
            .await
    }

    /// A citizen's upload for a message on ticket `id` (the slot is bound to it).
    pub async fn upload_for_ticket(
        &self,
        office: &str,
        id: &str,
        k: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<String, (u16, Value)> {
        let extra = serde_json::json!({ "ticket": id, "k": k });
        self.upload_with(
            &format!("/offices/{office}/attachments"),
            None,
            &extra,
            name,
            bytes.len() as u64,
            bytes,
        )
        .await
    }

    /// As [`Self::upload`], declaring `size` whatever the real size is.
    pub async fn upload_declared(
        &self,
        slot_path: &str,
        bearer: Option<&str>,
        name: &str,
        size: u64,
        bytes: &[u8],
    ) -> Result<String, (u16, Value)> {
        self.upload_with(slot_path, bearer, &Value::Null, name, size, bytes)
            .await
    }

    /// Asks for a slot (with `extra` fields in the body) and posts the file to it.
    pub async fn upload_with(
        &self,
        slot_path: &str,
        bearer: Option<&str>,
        extra: &Value,
        name: &str,
        size: u64,
        bytes: &[u8],
    ) -> Result<String, (u16, Value)> {
        let mut body = serde_json::json!({ "name": name, "size": size });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let mut r = self
            .client
            .post(self.url(slot_path))
            .header("accept", "application/json")
            .json(&body);
        if let Some(token) = bearer {
            r = r.bearer_auth(token);
        }
        let r = r.send().await.expect("slot");
        let status = r.status().as_u16();
        let slot: Value = r.json().await.unwrap_or(Value::Null);
        if status != 201 {
            return Err((status, slot));
        }
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in slot["upload"]["fields"].as_object().expect("fields") {
            form = form.text(k.clone(), v.as_str().expect("text field").to_owned());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
        let url = slot["upload"]["url"].as_str().expect("upload url");
        let posted = self
            .client
            .post(url)
            .multipart(form)
            .send()
            .await
            .expect("post to storage");
        let status = posted.status().as_u16();
        if !(200..300).contains(&status) {
            let text = posted.text().await.unwrap_or_default();
            return Err((status, Value::String(text)));
        }
        Ok(slot["attachment"].as_str().expect("attachment").to_owned())
    }

    /// Follows a download route (its 303 to a signed link) and answers the
    /// signed link's status, `Content-Disposition` and bytes.
    pub async fn download(&self, path: &str, bearer: Option<&str>) -> (u16, String, Vec<u8>) {
        let mut r = self.client.get(self.url(path));
        if let Some(token) = bearer {
            r = r.bearer_auth(token);
        }
        let r = r.send().await.expect("download route");
        if r.status().as_u16() != 303 {
            return (r.status().as_u16(), String::new(), vec![]);
        }
        assert_eq!(r.headers()["cache-control"], "no-store");
        let signed = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let file = self.client.get(&signed).send().await.expect("signed link");
        let status = file.status().as_u16();
        let disposition = file
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        (
            status,
            disposition,
            file.bytes().await.expect("bytes").to_vec(),
        )
    }

    /// Waits until `to` has at least one email; returns all of theirs.
    pub async fn wait_for_mail(&self, to: &str) -> Vec<Mail> {
        let count = 1;
        for _ in 0..200 {
            let mails: Vec<Mail> = self
                .mailbox()
                .await
                .into_iter()
                .filter(|m| m.to == to)
                .collect();
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{to} received no email within 10 s");
    }
}

/// A valid contact request for the SP demo office.
pub fn contact_request(email: &str) -> Value {
    serde_json::json!({
        "service": "contato",
        "name": "Maria da Silva",
        "email": email,
        "document": CPF,
        "mobile": "(11) 98765-4321",
        "message": "Qual o prazo para uma escritura?",
        "consent": true,
    })
}

/// The first business day (no weekend, no national holiday) at least `days`
/// from today in São Paulo, `YYYY-MM-DD`: appointments stay within the booking
/// horizon and on the office's grid whenever the tests run. Days a week apart
/// never meet.
pub fn days_ahead(days: i64) -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("America/Sao_Paulo").expect("bundled tz"))
        .date();
    let mut day = today
        .checked_add(jiff::Span::new().days(days))
        .expect("a near date");
    // Offices book business days only (SPEC C4): move to the next one.
    let closed = |d: jiff::civil::Date| {
        matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) || balcao_core::calendar::national_holidays(d.year())
            .iter()
            .any(|(h, _)| *h == d)
    };
    while closed(day) {
        day = day.tomorrow().expect("a near date");
    }
    day.to_string()
}

/// `date` at `time` in São Paulo, as an `.ics` UTC time (`20300312T133000Z`).
pub fn sao_paulo_utc(date: &str, time: &str) -> String {
    let d: jiff::civil::Date = date.parse().expect("date");
    let t: jiff::civil::Time = time.parse().expect("time");
    d.to_datetime(t)
        .in_tz("America/Sao_Paulo")
        .expect("exists")
        .timestamp()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// The first http(s) URL in a text.
pub fn first_link(text: &str) -> Option<String> {
    let start = text.find("http")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

fn endpoint(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with ./scripts/test, which starts DynamoDB Local, moto_server and s3s-fs")
    })
}

fn credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "balcao-tests")
}

/// The functions' own HTTP client (rustls with ring; plain HTTP to the stand-ins).
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    balcao_aws::lambda::https_client().expect("HTTP client")
}

/// A client for the DynamoDB Local started by `scripts/test`.
pub fn dynamo_client() -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .http_client(http_client())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(endpoint("BALCAO_TEST_DYNAMODB_ENDPOINT"))
        .credentials_provider(credentials())
        // DynamoDB Local answers "timed out waiting for a lock" (500) when many
        // transactions meet on one item while the machine is busy; its message
        // says DynamoDB would succeed. More retries ride that out, without the
        // client's retry quota, which two hundred at once would empty.
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::standard()
                .with_max_attempts(12)
                .with_max_backoff(std::time::Duration::from_secs(2)),
        )
        .retry_partition(
            aws_sdk_dynamodb::config::retry::RetryPartition::custom("dynamodb-local")
                .token_bucket(aws_sdk_dynamodb::config::retry::TokenBucket::unlimited())
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A DynamoDB store on a table of its own.
pub async fn fresh_dynamo_store() -> balcao_aws::DynamoStore {
    let client = dynamo_client();
    let table = format!("balcao-{}", ulid::Ulid::generate());
    balcao_aws::DynamoStore::create_table(&client, &table)
        .await
        .expect("create table in DynamoDB Local");
    balcao_aws::DynamoStore::new(client, table)
}

/// The `s3s-fs` started by `scripts/test` (it checks signatures and POST policies).
pub fn s3_endpoint() -> String {
    endpoint("BALCAO_TEST_S3_ENDPOINT")
}

/// SDK settings with the keys `scripts/test` gives `s3s-fs`.
pub fn s3_sdk_config() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    "balcao",
                    "balcao-secret",
                    None,
                    None,
                    "balcao-tests",
                ),
            ),
        )
        .build()
}

/// A new empty bucket on `s3s-fs`, and the adapter over it.
pub async fn fresh_s3() -> (balcao_aws::S3Blobs, aws_sdk_s3::Client, String) {
    let sdk = s3_sdk_config();
    let endpoint = s3_endpoint();
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!(
        "balcao-{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    (
        balcao_aws::S3Blobs::new(&sdk, &bucket, Some(&endpoint)),
        client,
        bucket,
    )
}

pub fn moto_endpoint() -> String {
    endpoint("BALCAO_TEST_MOTO_ENDPOINT")
}

/// SDK settings for the moto_server started by `scripts/test`: build any client from them.
pub fn moto_sdk(region: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(moto_endpoint())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("test", "test", None, None, "balcao-tests"),
            ),
        )
        .build()
}

/// An SES v2 client for the moto_server started by `scripts/test`.
pub fn ses_client() -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&moto_sdk("us-east-1"))
}

/// How many mails SES on the moto_server of `scripts/test` has sent to `to`.
pub async fn ses_sent_to(to: &str) -> usize {
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto_endpoint()))
        .await
        .expect("moto")
        .json()
        .await
        .expect("json");
    let messages = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    messages
        .iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == to))
        })
        .count()
}

/// The functions of `template.yaml`: each one's binary (`functions/<binary>`)
/// and its resource.
pub fn template_functions(template: &serde_norway::Value) -> Vec<(String, &serde_norway::Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|r| {
            let binary = r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .expect("every function names its Binary");
            (binary.to_owned(), r)
        })
        .collect()
}

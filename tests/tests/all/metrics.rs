//! Metrics from the code (issue 13): the counters the app keeps become
//! CloudWatch embedded-metric-format lines, as the functions write them after
//! each invocation, with the dimensions the dashboard and alarms query, and no
//! email address in them.

use async_trait::async_trait;
use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::ports::{MailError, Mailer, OutboxMail};
use balcao_app::{Offices, Outbox, open_request};
use balcao_core::RawRequestForm;
use serde_json::Value;
use std::sync::Arc;

struct Refusing;

#[async_trait]
impl Mailer for Refusing {
    async fn send(&self, _: &OutboxMail) -> Result<String, MailError> {
        Err(MailError::Rejected("MessageRejected".into()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_become_embedded_metric_lines_with_their_dimensions() {
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace("Balcao/teste")
        .with_dimension("Function", "open-request")
        .init()
        .expect("the only recorder of this process");
    let store = Arc::new(balcao_embedded::SqliteStore::in_memory().expect("db"));
    let office = balcao_local::seed::demo_offices().remove(0);
    store.put_office(&office).await.expect("office");
    let app = balcao_tests::app_over(store.clone());
    let email = "metricas.cidada@example.com";
    let raw = RawRequestForm {
        service: Some("contato".into()),
        name: Some("Clara Métrica".into()),
        email: Some(email.into()),
        message: Some("Olá".into()),
        consent: Some("true".into()),
        ..Default::default()
    };
    open_request::open(&app, office.id.as_str(), &raw, &[], None)
        .await
        .expect("opened");
    let courier = Courier {
        outbox: store.clone(),
        mailer: Arc::new(Refusing),
        app: app.clone(),
        policy: RetryPolicy::default(),
    };
    for id in store
        .due_mail(app.clock.now() + jiff::SignedDuration::from_mins(1), 10)
        .await
        .expect("due")
    {
        courier.deliver(id).await.expect("deliver");
    }

    let mut out = Vec::new();
    collector.flush(&mut out).expect("flush");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(!text.contains(email), "no address in the metrics: {text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON document"))
        .collect();
    let find = |metric: &str| -> Value {
        lines
            .iter()
            .find(|l| l.get(metric).is_some())
            .cloned()
            .unwrap_or_else(|| panic!("{metric} in {text}"))
    };
    let opened = find("RequestsOpened");
    assert_eq!(opened["RequestsOpened"], 1.0);
    assert_eq!(opened["ServiceKind"], "Contact");
    assert_eq!(opened["Function"], "open-request");
    let emf = &opened["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(emf["Namespace"], "Balcao/teste");
    let dims: Vec<&str> = emf["Dimensions"][0]
        .as_array()
        .expect("dimensions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        dims.contains(&"Function") && dims.contains(&"ServiceKind"),
        "{dims:?}"
    );
    let undelivered = find("MailUndelivered");
    assert_eq!(undelivered["Reason"], "rejected");
    assert_eq!(
        undelivered["MailUndelivered"], 2.0,
        "the citizen's and the office's"
    );
}

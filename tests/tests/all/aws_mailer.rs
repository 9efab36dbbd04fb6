//! The AWS path of an email: ticket opened in DynamoDB Local, the stream record
//! handed to the mailer function, the mail sent through SES on moto_server.

use balcao_app::courier::{Courier, RetryPolicy};
use balcao_app::open_request;
use balcao_app::{Offices, Outbox};
use balcao_aws::{SesMailer, mailer_fn};
use balcao_core::RawRequestForm;
use balcao_tests::{fresh_dynamo_store, ses_client};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::sync::Arc;

fn stream_event(mail_pk: &str, sequence: &str) -> Value {
    json!({ "Records": [{
        "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "sa-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795377300.0,
            "Keys": { "PK": { "S": mail_pk }, "SK": { "S": "MAIL" } },
            "SequenceNumber": sequence, "SizeBytes": 64, "StreamViewType": "KEYS_ONLY"
        },
        "eventSourceARN": "arn:aws:dynamodb:sa-east-1:123456789012:table/balcao/stream/2026-11-20T00:00:00.000"
    }]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_record_delivers_the_mail_once_even_when_delivered_twice() {
    let store = Arc::new(fresh_dynamo_store().await);
    let office = balcao_local::seed::demo_offices().remove(0);
    store.put_office(&office).await.expect("office");
    let app = balcao_tests::app_over(store.clone());
    let to = format!(
        "aws-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let raw = RawRequestForm {
        service: Some("contato".into()),
        name: Some("Lúcia Prado".into()),
        email: Some(to.clone()),
        message: Some("Pelo caminho da AWS".into()),
        consent: Some("true".into()),
        ..Default::default()
    };
    open_request::open(&app, office.id.as_str(), &raw, &[], None)
        .await
        .expect("opened");
    let due = store
        .due_mail(
            jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1),
            10,
        )
        .await
        .expect("due");
    assert_eq!(
        due.len(),
        2,
        "the citizen's confirmation and the office's notice"
    );
    let mut citizen_mail = None;
    for id in &due {
        if store
            .get_mail(*id)
            .await
            .expect("get")
            .expect("mail")
            .to
            .as_str()
            == to
        {
            citizen_mail = Some(*id);
        }
    }
    let citizen_mail = citizen_mail.expect("a mail to the citizen");

    let ses = ses_client();
    ses.create_email_identity()
        .email_identity("balcao@example.com")
        .send()
        .await
        .expect("identity");
    let courier = Courier {
        outbox: store.clone(),
        mailer: Arc::new(SesMailer::new(ses, "balcao@example.com", None)),
        app: balcao_tests::app_over(store.clone()),
        policy: RetryPolicy::default(),
    };
    for _ in 0..2 {
        let event = LambdaEvent::new(
            stream_event(&format!("MAIL#{citizen_mail}"), "100"),
            Context::default(),
        );
        let answer = mailer_fn::handle(&courier, event).await.expect("handled");
        assert_eq!(answer["batchItemFailures"], json!([]));
    }
    assert_eq!(
        balcao_tests::ses_sent_to(&to).await,
        1,
        "sent once although the record came twice"
    );
    let mail = store
        .get_mail(citizen_mail)
        .await
        .expect("get")
        .expect("mail");
    assert!(mail.sent_at.is_some() && mail.render().text.is_empty());

    let sweep = mailer_fn::handle(
        &courier,
        LambdaEvent::new(json!({"source": "aws.scheduler"}), Context::default()),
    )
    .await
    .expect("sweep");
    assert_eq!(
        sweep,
        json!({"sent": 1, "failed": 0}),
        "the office's notice, not announced here, goes by the sweep"
    );
    let again = mailer_fn::handle(
        &courier,
        LambdaEvent::new(json!({"source": "aws.scheduler"}), Context::default()),
    )
    .await
    .expect("sweep");
    assert_eq!(
        again,
        json!({"sent": 0, "failed": 0}),
        "nothing is sent twice"
    );
}

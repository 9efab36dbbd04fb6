//! The mailer function: delivers each new outbox mail announced by the table's
//! stream; a scheduled event instead sweeps whatever is due (retries).

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use balcao_app::courier::Courier;
use balcao_app::ports::MailId;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// How many due mails one sweep delivers at most.
const SWEEP_LIMIT: usize = 200;

pub async fn handle(
    courier: &Courier,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let payload = event.payload;
    if payload.get("Records").is_none() {
        let report = courier.drain(SWEEP_LIMIT).await?;
        tracing::info!(sent = report.sent, failed = report.failed, "outbox sweep");
        return Ok(serde_json::json!({ "sent": report.sent, "failed": report.failed }));
    }
    let stream: StreamEvent = serde_json::from_value(payload)?;
    // Each record's mail is sent at once beside the others: one slow send does
    // not hold back the batch (the stream's order does not matter for mail).
    let mut sends = tokio::task::JoinSet::new();
    for record in stream.records {
        let id = record
            .change
            .keys
            .get("PK")
            .and_then(|v| match v {
                serde_dynamo::AttributeValue::S(s) => {
                    s.strip_prefix("MAIL#").and_then(|id| id.parse().ok())
                }
                _ => None,
            })
            .map(MailId);
        let Some(id) = id else { continue };
        let courier = courier.clone();
        let sequence = record.change.sequence_number.clone();
        sends.spawn(async move { (id, sequence, courier.deliver(id).await) });
    }
    let mut response = DynamoDbEventResponse::default();
    while let Some(sent) = sends.join_next().await {
        let (id, sequence, outcome) = sent?;
        // A failed send is retried by the sweep on its backoff; only a store
        // failure asks the stream to deliver the record again.
        if let Err(e) = outcome {
            tracing::error!(mail = %id, error = %e, "could not deliver");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
        }
    }
    Ok(serde_json::to_value(response)?)
}

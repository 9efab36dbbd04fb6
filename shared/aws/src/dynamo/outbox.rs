//! [`Outbox`]: mail items, each announced by the table's stream when written;
//! the retry index is spread over [`keys::OUTBOX_SHARDS`] partitions and
//! holds keys only.

use super::keys::{self, key, millis, n, s};
use super::{DynamoStore, Item, items, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValue;
use balcao_app::ports::{MailId, Outbox, OutboxMail, StoreError};
use jiff::Timestamp;

/// Sent mail is kept this long (without its body) as the record of the sending.
const SENT_RETENTION_DAYS: i64 = 30;

/// What a mail no longer needs once sent or given up: its lease, its place in the
/// retry index and its body (the letter holds the ticket secret).
const DONE_WITH: &str = "lease_until, GSI1PK, GSI1SK, #d.#letter, #d.#html, #d.#text, #d.#files";

/// The names and values [`DONE_WITH`] and the record's expiry use, on a mail
/// that exists, finished `at`.
fn done_with(update: UpdateItemFluentBuilder, at: Timestamp) -> UpdateItemFluentBuilder {
    let expires = at.as_second() + SENT_RETENTION_DAYS * 86_400;
    update
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_names("#d", "data")
        .expression_attribute_names("#letter", "letter")
        .expression_attribute_names("#html", "html")
        .expression_attribute_names("#text", "text")
        .expression_attribute_names("#files", "attachments")
        .expression_attribute_values(":at", n(millis(at)))
        .expression_attribute_values(":ttl", n(expires))
}

impl DynamoStore {
    async fn update_mail(
        &self,
        id: MailId,
        update: UpdateItemFluentBuilder,
    ) -> Result<Option<Item>, StoreError> {
        match update
            .table_name(&self.table)
            .set_key(Some(key(keys::mail(id), "MAIL")))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
        {
            Ok(out) => Ok(out.attributes),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl Outbox for DynamoStore {
    /// Every shard is read at once; the oldest due across them come first.
    async fn due_mail(&self, now: Timestamp, limit: usize) -> Result<Vec<MailId>, StoreError> {
        let mut reads = tokio::task::JoinSet::new();
        for shard in 0..keys::OUTBOX_SHARDS {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DIRECTORY_AND_OUTBOX)
                .key_condition_expression("GSI1PK = :o AND GSI1SK <= :due")
                .expression_attribute_values(":o", s(keys::outbox_partition(shard)))
                .expression_attribute_values(":due", s(keys::due_by(now)))
                .limit(i32::try_from(limit).unwrap_or(i32::MAX));
            reads.spawn(async move { query.send().await });
        }
        let mut due: Vec<(String, MailId)> = Vec::new();
        while let Some(read) = reads.join_next().await {
            let out = read
                .map_err(|e| StoreError::Unavailable(e.to_string()))?
                .map_err(unavailable)?;
            for item in out.items() {
                let at = item
                    .get("GSI1SK")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                due.push((at, items::mail_id(item)?));
            }
        }
        due.sort();
        due.truncate(limit);
        Ok(due.into_iter().map(|(_, id)| id).collect())
    }

    async fn get_mail(&self, id: MailId) -> Result<Option<OutboxMail>, StoreError> {
        let item = self.get(keys::mail(id), "MAIL", true).await?;
        item.as_ref().map(items::mail_from).transpose()
    }

    async fn claim_mail(
        &self,
        id: MailId,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<OutboxMail>, StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression(
                "SET lease_until = :lease, attempts = if_not_exists(attempts, :zero) + :one",
            )
            .condition_expression(
                "attribute_exists(PK) AND attribute_not_exists(sent_at) \
                 AND attribute_not_exists(undelivered_at) \
                 AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
            )
            .expression_attribute_values(":lease", n(millis(lease_until)))
            .expression_attribute_values(":now", n(millis(now)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        self.update_mail(id, update)
            .await?
            .as_ref()
            .map(items::mail_from)
            .transpose()
    }

    async fn mail_sent(
        &self,
        id: MailId,
        at: Timestamp,
        provider_id: &str,
    ) -> Result<(), StoreError> {
        // The letter carries the ticket secret: drop it once sent.
        let update = self
            .client
            .update_item()
            .update_expression(format!(
                "SET sent_at = :at, provider_id = :pid, #ttl = :ttl \
                 REMOVE last_error, {DONE_WITH}"
            ))
            .expression_attribute_values(":pid", s(provider_id));
        self.update_mail(id, done_with(update, at))
            .await
            .map(|_| ())
    }

    async fn mail_failed(
        &self,
        id: MailId,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression(
                "SET next_attempt_at = :next, GSI1SK = :due, last_error = :err REMOVE lease_until",
            )
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(sent_at)")
            .expression_attribute_values(":next", n(millis(next_attempt_at)))
            .expression_attribute_values(":due", s(keys::due(next_attempt_at, id)))
            .expression_attribute_values(":err", s(error));
        self.update_mail(id, update).await.map(|_| ())
    }

    async fn mail_undelivered(
        &self,
        id: MailId,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .update_expression(format!(
                "SET undelivered_at = :at, last_error = :why, #ttl = :ttl REMOVE {DONE_WITH}"
            ))
            .expression_attribute_values(":why", s(reason));
        self.update_mail(id, done_with(update, at))
            .await
            .map(|_| ())
    }

    async fn suppress(&self, address: &str, reason: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut item = key(keys::suppressed(address), "SUPPRESS");
        item.insert("reason".into(), s(reason));
        item.insert("at".into(), n(millis(at)));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn unsuppress(&self, address: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::suppressed(address), "SUPPRESS")))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError> {
        let item = self
            .get(keys::suppressed(address), "SUPPRESS", false)
            .await?;
        Ok(item.and_then(|i| i.get("reason").and_then(|v| v.as_s().ok()).cloned()))
    }
}

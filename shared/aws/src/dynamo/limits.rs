//! [`Limits`] over the DynamoDB table: one item per key (`LIMIT#<key>` / `LIMIT`)
//! holding the window's members as a string set and its end; TTL removes ended
//! windows. Joining a live window is one conditional `UpdateItem`; starting a new
//! one is one conditional `PutItem`.

use crate::DynamoStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use balcao_app::limits::{Admission, Limits};
use balcao_app::ports::StoreError;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

fn unavailable(e: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string())
}

fn key(limit: &str) -> Item {
    HashMap::from([
        (
            "PK".to_owned(),
            AttributeValue::S(super::keys::limit(limit)),
        ),
        ("SK".to_owned(), AttributeValue::S("LIMIT".to_owned())),
    ])
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The live window of an item: its members and end.
fn live(item: &Item, now: Timestamp) -> Option<(u32, Timestamp)> {
    let until: i64 = item.get("until")?.as_n().ok()?.parse().ok()?;
    let until = Timestamp::from_millisecond(until).ok()?;
    let members = item.get("members")?.as_ss().ok()?.len() as u32;
    (until > now).then_some((members, until))
}

impl DynamoStore {
    async fn read_limit(&self, limit: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table_name())
            .set_key(Some(key(limit)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }
}

#[async_trait]
impl Limits for DynamoStore {
    async fn admit(
        &self,
        limit: &str,
        member: &str,
        max: u32,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        // Most members are the first of their window (a citizen's first request
        // of the hour): starting the window is then the only call.
        for _ in 0..3 {
            let until = now + window;
            let mut item = key(limit);
            item.insert(
                "members".into(),
                AttributeValue::Ss(vec![member.to_owned()]),
            );
            item.insert("until".into(), n(until.as_millisecond()));
            item.insert("ttl".into(), n(until.as_second() + 60));
            let started = self
                .client()
                .put_item()
                .table_name(self.table_name())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK) OR #until <= :now")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", n(now.as_millisecond()))
                .send()
                .await;
            match started {
                Ok(_) => return Ok(Admission::Admitted),
                // A window is live: join it.
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(unavailable(e)),
            }
            let joined = self
                .client()
                .update_item()
                .table_name(self.table_name())
                .set_key(Some(key(limit)))
                .update_expression("ADD members :m")
                .condition_expression(
                    "#until > :now AND (size(members) < :max OR contains(members, :member))",
                )
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":m", AttributeValue::Ss(vec![member.to_owned()]))
                .expression_attribute_values(":member", AttributeValue::S(member.to_owned()))
                .expression_attribute_values(":now", n(now.as_millisecond()))
                .expression_attribute_values(":max", n(max))
                .send()
                .await;
            match joined {
                Ok(_) => return Ok(Admission::Admitted),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(unavailable(e)),
            }
            // Full, or the window ended between the two calls: which one decides.
            if let Some((_, until)) = self
                .read_limit(limit)
                .await?
                .and_then(|item| live(&item, now))
            {
                return Ok(Admission::Limited { until });
            }
        }
        Err(StoreError::Contention)
    }

    async fn count(
        &self,
        limit: &str,
        now: Timestamp,
    ) -> Result<Option<(u32, Timestamp)>, StoreError> {
        Ok(self
            .read_limit(limit)
            .await?
            .and_then(|item| live(&item, now)))
    }
}

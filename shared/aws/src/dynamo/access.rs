//! [`AccessLinks`]: emailed links to a citizen's requests, throttled per citizen.

use super::keys::{self, key, millis, n, s};
use super::{DynamoStore, items, num, text, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use balcao_app::ports::{AccessLink, AccessLinks, OutboxMail, StoreError};
use jiff::Timestamp;

#[async_trait]
impl AccessLinks for DynamoStore {
    async fn put_access_link(
        &self,
        link: &AccessLink,
        mail: &OutboxMail,
        throttle: &str,
        not_since: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut throttle = key(keys::citizen(throttle), "THROTTLE");
        throttle.insert("last_sent_at".into(), n(millis(mail.created_at)));
        let guard = Put::builder()
            .table_name(&self.table)
            .set_item(Some(throttle))
            .condition_expression("attribute_not_exists(PK) OR last_sent_at <= :cutoff")
            .expression_attribute_values(":cutoff", n(millis(not_since)))
            .build()
            .map_err(unavailable)?;
        let mut access = key(keys::access_link(&link.token_hash), "ACCESS");
        access.insert("citizen".into(), s(&link.citizen));
        access.insert("expires_at".into(), n(millis(link.expires_at)));
        access.insert("ttl".into(), n(link.expires_at.as_second()));
        let items = vec![
            TransactWriteItem::builder().put(guard).build(),
            self.put(access, Some("attribute_not_exists(PK)"))?,
            self.put(items::mail(mail)?, None)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(true),
            Err(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => Ok(false),
            Err(_) => Err(StoreError::Contention),
        }
    }

    async fn get_access_link(&self, token_hash: &str) -> Result<Option<AccessLink>, StoreError> {
        let item = self
            .get(keys::access_link(token_hash), "ACCESS", true)
            .await?;
        let Some(item) = item else { return Ok(None) };
        let citizen =
            text(&item, "citizen").ok_or_else(|| StoreError::Corrupt("access link".into()))?;
        let expires_at = items::from_millis(num(&item, "expires_at").unwrap_or(0))?;
        Ok(Some(AccessLink {
            token_hash: token_hash.to_owned(),
            citizen,
            expires_at,
        }))
    }
}

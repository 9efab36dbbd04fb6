//! [`Publications`]: an office's public reviews and its registry protocols.

use super::keys::{self, key, s};
use super::{DynamoStore, from_av, to_av, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use balcao_app::ports::{Publications, PublishedProtocol, StoreError};
use balcao_core::{OfficeId, PublicReview, RequestId};

#[async_trait]
impl Publications for DynamoStore {
    async fn set_review(
        &self,
        office: &OfficeId,
        request: RequestId,
        review: Option<&PublicReview>,
    ) -> Result<(), StoreError> {
        let pk = keys::office(office);
        let sk = keys::review(request);
        match review {
            Some(r) => {
                let mut item = key(pk, &sk);
                item.insert("data".into(), to_av(r)?);
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
            None => {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key(pk, &sk)))
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }

    async fn office_reviews(
        &self,
        office: &OfficeId,
        limit: usize,
    ) -> Result<Vec<PublicReview>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :review)")
            .expression_attribute_values(":pk", s(keys::office(office)))
            .expression_attribute_values(":review", s("REVIEW#"))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| from_av(i, "data")).collect()
    }

    async fn put_protocols(&self, protocols: &[PublishedProtocol]) -> Result<(), StoreError> {
        // BatchWriteItem takes 25 at a time and may hand some back to retry.
        for chunk in protocols.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|p| {
                    let mut item = key(keys::office(&p.office), &keys::protocol(&p.key));
                    item.insert("data".into(), to_av(p)?);
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(unavailable)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for attempt in 0..8u32 {
                if requests.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(unavailable)?;
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
            }
            if !requests.is_empty() {
                return Err(StoreError::Contention);
            }
        }
        Ok(())
    }

    async fn get_protocol(
        &self,
        office: &OfficeId,
        key: &str,
    ) -> Result<Option<PublishedProtocol>, StoreError> {
        let item = self
            .get(keys::office(office), &keys::protocol(key), false)
            .await?;
        item.as_ref().map(|i| from_av(i, "data")).transpose()
    }
}

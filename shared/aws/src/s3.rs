//! [`Blobs`] over S3: browsers post files with a presigned POST policy and
//! download them with presigned GETs; functions only peek, copy and delete.
//! The SDK presigns requests but not POST policies, so the policy is signed
//! here with `aws-sigv4`'s own key derivation.

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use balcao_app::ports::{
    BlobError, BlobHead, Blobs, DownloadLink, FILE_NAME_VARIABLE, UploadForm, UploadPolicy,
};
use base64::Engine;
use jiff::Timestamp;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

pub struct S3Blobs {
    client: Client,
    bucket: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    /// Where browsers post: the bucket's virtual-hosted URL on AWS, or
    /// `<endpoint>/<bucket>` for a local stand-in.
    post_url: String,
}

impl S3Blobs {
    /// `endpoint` is for local stand-ins (path-style addressing); `None` on AWS.
    pub fn new(sdk: &aws_config::SdkConfig, bucket: &str, endpoint: Option<&str>) -> Self {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let mut config = aws_sdk_s3::config::Builder::from(sdk);
        let post_url = match endpoint {
            Some(e) => {
                config = config.endpoint_url(e).force_path_style(true);
                format!("{}/{bucket}", e.trim_end_matches('/'))
            }
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        Self {
            client: Client::from_conf(config.build()),
            bucket: bucket.to_owned(),
            region,
            credentials: sdk.credentials_provider(),
            post_url,
        }
    }
}

impl S3Blobs {
    /// The same, with every call also seen by `interceptor` (the benchmark counts
    /// calls this way; fault tests can fail them).
    pub fn with_interceptor(
        mut self,
        interceptor: impl aws_sdk_s3::config::Intercept + 'static,
    ) -> Self {
        let config = self.client.config().to_builder().interceptor(interceptor);
        self.client = Client::from_conf(config.build());
        self
    }

    /// Where browsers post files: the pages' CSP allows it.
    pub fn upload_origin(&self) -> &str {
        &self.post_url
    }
}

fn unavailable<E, R>(e: SdkError<E, R>) -> BlobError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    BlobError::Unavailable(DisplayErrorContext(&e).to_string())
}

fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}

fn system_time(t: Timestamp) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.as_second().max(0) as u64)
}

/// `Content-Disposition` that saves the file under its own name in every browser.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, NON_ALPHANUMERIC)
    )
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_form(
        &self,
        policy: &UploadPolicy<'_>,
        now: Timestamp,
    ) -> Result<UploadForm, BlobError> {
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| BlobError::Unavailable("sem credenciais AWS".into()))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let utc = now.to_zoned(jiff::tz::TimeZone::UTC);
        let date = utc.strftime("%Y%m%d").to_string();
        let amz_date = utc.strftime("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{date}/{}/s3/aws4_request",
            creds.access_key_id(),
            self.region
        );
        let mut fields = BTreeMap::from([
            ("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()),
            ("x-amz-credential".to_owned(), credential),
            ("x-amz-date".to_owned(), amz_date),
        ]);
        if let Some(token) = creds.session_token() {
            fields.insert("x-amz-security-token".to_owned(), token.to_owned());
        }
        if let Some(t) = policy.content_type {
            fields.insert("Content-Type".to_owned(), t.to_owned());
        }
        if let Some(r) = policy.redirect {
            fields.insert("success_action_redirect".to_owned(), r.to_owned());
        }
        // Every field the browser sends must be named in the policy; a key the
        // file's name completes is bound by its prefix.
        let mut conditions = vec![
            serde_json::json!({ "bucket": self.bucket }),
            serde_json::json!(["content-length-range", 1, policy.max_bytes]),
        ];
        conditions.extend(fields.iter().map(|(k, v)| serde_json::json!({ k: v })));
        if policy.named_by_file {
            conditions.push(serde_json::json!(["starts-with", "$key", policy.key]));
            fields.insert(
                "key".to_owned(),
                format!("{}{FILE_NAME_VARIABLE}", policy.key),
            );
        } else {
            conditions.push(serde_json::json!({ "key": policy.key }));
            fields.insert("key".to_owned(), policy.key.to_owned());
        }
        let document = serde_json::json!({
            "expiration": policy.expires_at.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
            "conditions": conditions,
        });
        let encoded = base64::engine::general_purpose::STANDARD.encode(document.to_string());
        let key = aws_sigv4::sign::v4::generate_signing_key(
            creds.secret_access_key(),
            system_time(now),
            &self.region,
            "s3",
        );
        let signature = aws_sigv4::sign::v4::calculate_signature(key, encoded.as_bytes());
        fields.insert("policy".to_owned(), encoded);
        fields.insert("x-amz-signature".to_owned(), signature);
        Ok(UploadForm {
            url: self.post_url.clone(),
            fields,
        })
    }

    async fn peek(&self, key: &str, bytes: u64) -> Result<Option<BlobHead>, BlobError> {
        if bytes == 0 {
            return match self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
            {
                Ok(o) => Ok(Some(BlobHead {
                    size: o.content_length().unwrap_or(0).max(0) as u64,
                    head: vec![],
                })),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
                Err(e) => Err(unavailable(e)),
            };
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", bytes - 1))
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            // An empty object has no byte 0.
            Err(e) if code(&e) == Some("InvalidRange") => {
                return Ok(Some(BlobHead {
                    size: 0,
                    head: vec![],
                }));
            }
            Err(e) => return Err(unavailable(e)),
        };
        // "bytes 0-1023/52311": the total is after the slash.
        let total = out
            .content_range()
            .and_then(|r| r.rsplit_once('/'))
            .and_then(|(_, t)| t.parse().ok())
            .or(out.content_length().map(|l| l.max(0) as u64))
            .unwrap_or(0);
        let head = out
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?
            .to_vec();
        Ok(Some(BlobHead { size: total, head }))
    }

    async fn copy(&self, from: &str, to: &str) -> Result<bool, BlobError> {
        let source = format!("{}/{}", self.bucket, from);
        match self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(source)
            .key(to)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("NoSuchKey") => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn download_url(
        &self,
        link: &DownloadLink<'_>,
        now: Timestamp,
    ) -> Result<String, BlobError> {
        let ttl = (link.expires_at - now).get_seconds().max(1) as u64;
        let presigning = PresigningConfig::builder()
            .start_time(system_time(now))
            .expires_in(Duration::from_secs(ttl))
            .build()
            .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(link.key)
            .response_content_type(link.content_type)
            .response_content_disposition(disposition(link.file_name))
            .presigned(presigning)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_survive_in_the_disposition() {
        assert_eq!(
            super::disposition("relatório \"final\".pdf"),
            "attachment; filename=\"relat_rio _final_.pdf\"; filename*=UTF-8''relat%C3%B3rio%20%22final%22%2Epdf"
        );
    }
}

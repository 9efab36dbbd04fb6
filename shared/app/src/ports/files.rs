//! File storage (SPEC C8).

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BlobError {
    #[error("armazenamento de arquivos indisponível: {0}")]
    Unavailable(String),
}

/// What a browser needs to post one file straight to storage: an HTML form
/// `POST` to `url` with `fields` (in any order) followed by the `file` part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadForm {
    pub url: String,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// The conditions storage enforces on that post.
#[derive(Debug, Clone)]
pub struct UploadPolicy<'a> {
    /// Where the file goes; with `named_by_file`, a prefix that the posted
    /// file's own name completes (S3's `${filename}`).
    pub key: &'a str,
    pub named_by_file: bool,
    /// `None` lets any type through: a form without JavaScript cannot say it
    /// beforehand (the content is checked after the post either way).
    pub content_type: Option<&'a str>,
    pub max_bytes: u64,
    pub expires_at: Timestamp,
    /// Where storage sends the browser after a post, with `bucket`, `key` and
    /// `etag` added to its query (S3's `success_action_redirect`); `None`
    /// answers 204 to a script.
    pub redirect: Option<&'a str>,
}

/// What a form post's `key` field holds when the file names it.
pub const FILE_NAME_VARIABLE: &str = "${filename}";

/// A stored file's size and first bytes: enough to tell what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHead {
    pub size: u64,
    pub head: Vec<u8>,
}

/// A short-lived link that downloads one file under its own name.
#[derive(Debug, Clone)]
pub struct DownloadLink<'a> {
    pub key: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub expires_at: Timestamp,
}

/// File storage (SPEC C8): S3 on AWS, a directory locally. Files never pass
/// through a function's body: browsers post to and download from storage itself.
#[async_trait]
pub trait Blobs: Send + Sync {
    async fn upload_form(
        &self,
        policy: &UploadPolicy<'_>,
        now: Timestamp,
    ) -> Result<UploadForm, BlobError>;
    /// Size and up to `bytes` first bytes; `None` if there is no such file.
    async fn peek(&self, key: &str, bytes: u64) -> Result<Option<BlobHead>, BlobError>;
    /// Copies a file; `false` if `from` does not exist.
    async fn copy(&self, from: &str, to: &str) -> Result<bool, BlobError>;
    /// Deletes a file; deleting a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    async fn download_url(
        &self,
        link: &DownloadLink<'_>,
        now: Timestamp,
    ) -> Result<String, BlobError>;
}

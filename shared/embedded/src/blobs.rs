//! Files in a directory, behind URLs signed like S3's: the local runtime serves
//! `POST /_local/uploads` (a form post with the fields `upload_form` gave) and
//! `GET /_local/files/...` (a download link), checking the signature, expiry,
//! content type and size as S3 checks a presigned POST policy.

use async_trait::async_trait;
use balcao_app::ports::{
    BlobError, BlobHead, Blobs, DownloadLink, FILE_NAME_VARIABLE, UploadForm, UploadPolicy,
};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why storage refused a post or a download (the local runtime answers 403 or 400).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LocalBlobError {
    #[error("assinatura inválida")]
    BadSignature,
    #[error("o link expirou")]
    Expired,
    #[error("campo ausente: {0}")]
    Missing(&'static str),
    #[error("o arquivo excede o tamanho permitido")]
    TooLarge,
    #[error("o arquivo está vazio")]
    Empty,
    #[error("arquivo não encontrado")]
    NotFound,
    #[error("erro de disco: {0}")]
    Io(String),
}

/// A posted file, kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub key: String,
    /// Where the browser goes next, if the form named a place.
    pub redirect: Option<String>,
}

/// What a valid download link grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDownload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub struct LocalBlobs {
    dir: PathBuf,
    base_url: String,
    secret: [u8; 32],
}

impl LocalBlobs {
    /// Files under `dir`; links start with `base_url` (the local runtime's address).
    /// The signing secret is new at every start, so old links stop working.
    pub fn new(dir: impl Into<PathBuf>, base_url: &str) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("uploads"))?;
        std::fs::create_dir_all(dir.join("files"))?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(std::io::Error::other)?;
        Ok(Self {
            dir,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret,
        })
    }

    fn sign(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC accepts keys of any length");
        for p in parts {
            mac.update(p.as_bytes());
            mac.update(b"\n");
        }
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, parts: &[&str], signature: &str) -> Result<(), LocalBlobError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC accepts keys of any length");
        for p in parts {
            mac.update(p.as_bytes());
            mac.update(b"\n");
        }
        let given = hex::decode(signature).map_err(|_| LocalBlobError::BadSignature)?;
        mac.verify_slice(&given)
            .map_err(|_| LocalBlobError::BadSignature)
    }

    /// Only keys this adapter hands out map to paths: no `..`, no absolute paths.
    /// A key a posted file named (`uploads/<id>/<its name>`) is kept under a
    /// hash of that name, which may hold any character.
    fn path(&self, key: &str) -> Option<PathBuf> {
        let (prefix, name) = key.split_once('/')?;
        if let Some((id, file_name)) = name.split_once('/') {
            let ok = prefix == "uploads"
                && !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
                && !file_name.is_empty()
                && file_name.len() <= 1024;
            let hash = hex::encode(<Sha256 as sha2::Digest>::digest(file_name.as_bytes()));
            return ok.then(|| self.dir.join(prefix).join(format!("{id}-n-{hash}")));
        }
        let ok_prefix = matches!(prefix, "uploads" | "files");
        let ok_name = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !name.starts_with('-');
        (ok_prefix && ok_name).then(|| self.dir.join(prefix).join(name))
    }

    /// Every key stored now, sorted: what a test checks was kept or deleted.
    pub fn stored_keys(&self) -> std::io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for prefix in ["uploads", "files"] {
            let dir = match std::fs::read_dir(self.dir.join(prefix)) {
                Ok(d) => d,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in dir {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if !name.contains(".tmp") {
                    keys.push(format!("{prefix}/{name}"));
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Accepts a posted file if the form's fields were signed by `upload_form`,
    /// have not expired, and the file respects the size range. `file_name` is
    /// the name the browser gave the file part. Answers where the file went and,
    /// if the form asked, where to send the browser (S3's `success_action_redirect`).
    pub fn accept_upload(
        &self,
        fields: &BTreeMap<String, String>,
        file: &[u8],
        file_name: Option<&str>,
        now: Timestamp,
    ) -> Result<Accepted, LocalBlobError> {
        let get = |name: &'static str| {
            fields
                .get(name)
                .map(String::as_str)
                .ok_or(LocalBlobError::Missing(name))
        };
        let (key, max, expires, signature) = (
            get("key")?,
            get("max_bytes")?,
            get("expires")?,
            get("signature")?,
        );
        let content_type = fields.get("Content-Type").map_or("", String::as_str);
        let redirect = fields
            .get("success_action_redirect")
            .map_or("", String::as_str);
        self.verify(
            &["upload", key, content_type, max, expires, redirect],
            signature,
        )?;
        let expires: i64 = expires.parse().map_err(|_| LocalBlobError::BadSignature)?;
        if now.as_second() > expires {
            return Err(LocalBlobError::Expired);
        }
        let max: u64 = max.parse().map_err(|_| LocalBlobError::BadSignature)?;
        if file.is_empty() {
            return Err(LocalBlobError::Empty);
        }
        if file.len() as u64 > max {
            return Err(LocalBlobError::TooLarge);
        }
        // As S3 does, the file part's name completes a key that asks for it.
        let key = match key.strip_suffix(FILE_NAME_VARIABLE) {
            Some(prefix) => {
                let name = file_name
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(""))
                    .filter(|n| !n.is_empty())
                    .ok_or(LocalBlobError::Missing("filename"))?;
                format!("{prefix}{name}")
            }
            None => key.to_owned(),
        };
        let path = self.path(&key).ok_or(LocalBlobError::BadSignature)?;
        write_atomically(&path, file).map_err(|e| LocalBlobError::Io(e.to_string()))?;
        // Stamped with the runtime's clock (a manual one in tests), which
        // `expire_uploads` compares against.
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(system_time(now)))
            .map_err(|e| LocalBlobError::Io(e.to_string()))?;
        let redirect = (!redirect.is_empty()).then(|| {
            let query = serde_urlencoded::to_string([
                ("bucket", "local"),
                ("key", key.as_str()),
                (
                    "etag",
                    &format!(
                        "\"{}\"",
                        hex::encode(<Sha256 as sha2::Digest>::digest(file))
                    ),
                ),
            ])
            .unwrap_or_default();
            let join = if redirect.contains('?') { '&' } else { '?' };
            format!("{redirect}{join}{query}")
        });
        Ok(Accepted { key, redirect })
    }

    /// Deletes uploads no request kept (a message that failed after its upload),
    /// posted before `before`: S3's lifecycle rule on `uploads/` does the same on
    /// AWS, a day after. Answers how many went.
    pub fn expire_uploads(&self, before: Timestamp) -> std::io::Result<usize> {
        let cutoff = system_time(before);
        let mut gone = 0;
        for entry in std::fs::read_dir(self.dir.join("uploads"))? {
            let entry = entry?;
            let posted = entry.metadata()?.modified()?;
            if posted < cutoff {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => gone += 1,
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(gone)
    }

    /// The file a download link points to, if its signature holds and it has not expired.
    pub fn open_download(
        &self,
        key: &str,
        query: &BTreeMap<String, String>,
        now: Timestamp,
    ) -> Result<LocalDownload, LocalBlobError> {
        let get = |name: &'static str| {
            query
                .get(name)
                .map(String::as_str)
                .ok_or(LocalBlobError::Missing(name))
        };
        let (name, content_type, expires, signature) = (
            get("name")?,
            get("type")?,
            get("expires")?,
            get("signature")?,
        );
        self.verify(&["download", key, name, content_type, expires], signature)?;
        let expires: i64 = expires.parse().map_err(|_| LocalBlobError::BadSignature)?;
        if now.as_second() > expires {
            return Err(LocalBlobError::Expired);
        }
        let path = self.path(key).ok_or(LocalBlobError::NotFound)?;
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => LocalBlobError::NotFound,
            _ => LocalBlobError::Io(e.to_string()),
        })?;
        Ok(LocalDownload {
            file_name: name.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        })
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", ulid::Ulid::generate()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn unavailable(e: impl std::fmt::Display) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

#[async_trait]
impl Blobs for LocalBlobs {
    async fn upload_form(
        &self,
        policy: &UploadPolicy<'_>,
        _now: Timestamp,
    ) -> Result<UploadForm, BlobError> {
        let max = policy.max_bytes.to_string();
        let expires = policy.expires_at.as_second().to_string();
        let key = if policy.named_by_file {
            format!("{}{FILE_NAME_VARIABLE}", policy.key)
        } else {
            policy.key.to_owned()
        };
        let content_type = policy.content_type.unwrap_or("");
        let redirect = policy.redirect.unwrap_or("");
        let signature = self.sign(&["upload", &key, content_type, &max, &expires, redirect]);
        let mut fields = BTreeMap::from([
            ("key".to_owned(), key),
            ("max_bytes".to_owned(), max),
            ("expires".to_owned(), expires),
            ("signature".to_owned(), signature),
        ]);
        if let Some(t) = policy.content_type {
            fields.insert("Content-Type".to_owned(), t.to_owned());
        }
        if let Some(r) = policy.redirect {
            fields.insert("success_action_redirect".to_owned(), r.to_owned());
        }
        Ok(UploadForm {
            url: format!("{}/_local/uploads", self.base_url),
            fields,
        })
    }

    async fn peek(&self, key: &str, bytes: u64) -> Result<Option<BlobHead>, BlobError> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let size = file.metadata().map_err(unavailable)?.len();
        let mut head = Vec::new();
        file.take(bytes)
            .read_to_end(&mut head)
            .map_err(unavailable)?;
        Ok(Some(BlobHead { size, head }))
    }

    async fn copy(&self, from: &str, to: &str) -> Result<bool, BlobError> {
        let (Some(from), Some(to)) = (self.path(from), self.path(to)) else {
            return Ok(false);
        };
        let bytes = match std::fs::read(from) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(unavailable(e)),
        };
        write_atomically(&to, &bytes).map_err(unavailable)?;
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(unavailable(e)),
            _ => Ok(()),
        }
    }

    async fn download_url(
        &self,
        link: &DownloadLink<'_>,
        _now: Timestamp,
    ) -> Result<String, BlobError> {
        let expires = link.expires_at.as_second().to_string();
        let signature = self.sign(&[
            "download",
            link.key,
            link.file_name,
            link.content_type,
            &expires,
        ]);
        let query = serde_urlencoded::to_string([
            ("name", link.file_name),
            ("type", link.content_type),
            ("expires", &expires),
            ("signature", &signature),
        ])
        .map_err(unavailable)?;
        Ok(format!(
            "{}/_local/files/{}?{query}",
            self.base_url, link.key
        ))
    }
}

/// A timestamp as the file system keeps it.
fn system_time(t: Timestamp) -> std::time::SystemTime {
    let nanos = t.as_nanosecond();
    if nanos >= 0 {
        std::time::UNIX_EPOCH
            + std::time::Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    } else {
        std::time::UNIX_EPOCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> (LocalBlobs, PathBuf) {
        let dir = std::env::temp_dir().join(format!("balcao-blobs-{}", ulid::Ulid::generate()));
        (LocalBlobs::new(&dir, "http://127.0.0.1:3000").unwrap(), dir)
    }

    fn policy(key: &str, expires_at: Timestamp) -> UploadPolicy<'_> {
        UploadPolicy {
            key,
            named_by_file: false,
            content_type: Some("image/png"),
            max_bytes: 10,
            expires_at,
            redirect: None,
        }
    }

    #[tokio::test]
    async fn a_signed_upload_is_stored_and_nothing_else_is() {
        let (b, dir) = blobs();
        let now = Timestamp::from_second(1_000_000).unwrap();
        let later = Timestamp::from_second(1_000_900).unwrap();
        let form = b
            .upload_form(&policy("uploads/ABC", later), now)
            .await
            .unwrap();
        assert_eq!(form.url, "http://127.0.0.1:3000/_local/uploads");
        assert_eq!(
            b.accept_upload(&form.fields, b"12345678901", None, now),
            Err(LocalBlobError::TooLarge)
        );
        assert_eq!(
            b.accept_upload(&form.fields, b"", None, now),
            Err(LocalBlobError::Empty)
        );
        let too_late = Timestamp::from_second(1_000_901).unwrap();
        assert_eq!(
            b.accept_upload(&form.fields, b"x", None, too_late),
            Err(LocalBlobError::Expired)
        );
        let mut forged = form.fields.clone();
        forged.insert("max_bytes".into(), "99999999".into());
        assert_eq!(
            b.accept_upload(&forged, b"x", None, now),
            Err(LocalBlobError::BadSignature)
        );
        let mut other_key = form.fields.clone();
        other_key.insert("key".into(), "files/ABC".into());
        assert_eq!(
            b.accept_upload(&other_key, b"x", None, now),
            Err(LocalBlobError::BadSignature)
        );
        assert_eq!(b.peek("uploads/ABC", 4).await.unwrap(), None);

        b.accept_upload(&form.fields, b"0123456789", None, now)
            .unwrap();
        let head = b.peek("uploads/ABC", 4).await.unwrap().unwrap();
        assert_eq!((head.size, head.head.as_slice()), (10, b"0123".as_slice()));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn copy_delete_and_signed_downloads() {
        let (b, dir) = blobs();
        let now = Timestamp::from_second(1_000_000).unwrap();
        let form = b
            .upload_form(
                &policy("uploads/F1", now + jiff::SignedDuration::from_mins(1)),
                now,
            )
            .await
            .unwrap();
        b.accept_upload(&form.fields, b"hello", None, now).unwrap();
        assert!(b.copy("uploads/F1", "files/F1").await.unwrap());
        assert!(!b.copy("uploads/NOPE", "files/NOPE").await.unwrap());
        b.delete("uploads/F1").await.unwrap();
        b.delete("uploads/F1").await.unwrap();
        assert_eq!(b.peek("uploads/F1", 4).await.unwrap(), None);
        assert_eq!(b.peek("../../etc/passwd", 4).await.unwrap(), None);

        let link = DownloadLink {
            key: "files/F1",
            file_name: "olá mundo.txt",
            content_type: "text/plain",
            expires_at: now + jiff::SignedDuration::from_mins(5),
        };
        let url = b.download_url(&link, now).await.unwrap();
        let (path, query) = url.split_once('?').unwrap();
        assert_eq!(path, "http://127.0.0.1:3000/_local/files/files/F1");
        let q: BTreeMap<String, String> = serde_urlencoded::from_str(query).unwrap();
        let got = b.open_download("files/F1", &q, now).unwrap();
        assert_eq!(
            (got.file_name.as_str(), got.bytes.as_slice()),
            ("olá mundo.txt", b"hello".as_slice())
        );
        assert_eq!(
            b.open_download("files/F2", &q, now),
            Err(LocalBlobError::BadSignature)
        );
        let after = now + jiff::SignedDuration::from_mins(6);
        assert_eq!(
            b.open_download("files/F1", &q, after),
            Err(LocalBlobError::Expired)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

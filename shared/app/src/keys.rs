//! The deployment's secret key for keyed hashes (HMAC-SHA256): protocol CPFs, the
//! citizen index key and signed upload references. A copy of the table alone
//! cannot be brute-forced without it. On AWS it is a Secrets Manager secret read
//! once per cold start, on first use; locally a key file in the data folder.

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::OnceCell;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("chave secreta indisponível: {0}")]
    Unavailable(String),
    #[error("chave secreta curta demais: {0} bytes (mínimo 32)")]
    TooShort(usize),
}

/// Where the key comes from.
#[async_trait]
pub trait KeySource: Send + Sync {
    async fn load(&self) -> Result<Vec<u8>, KeyError>;
}

/// A key already in memory (the local runtime's key file, tests).
pub struct FixedKey(pub Vec<u8>);

#[async_trait]
impl KeySource for FixedKey {
    async fn load(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.0.clone())
    }
}

/// At least 256 bits of secret.
#[derive(Clone)]
pub struct HmacKey(Vec<u8>);

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(…)")
    }
}

impl HmacKey {
    pub fn new(bytes: Vec<u8>) -> Result<Self, KeyError> {
        if bytes.len() < 32 {
            return Err(KeyError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// HMAC-SHA256 of length-prefixed parts under a purpose, so no two uses collide.
    pub fn mac(&self, purpose: &str, parts: &[&str]) -> [u8; 32] {
        let Ok(mut m) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            unreachable!("HMAC takes keys of any length")
        };
        for part in std::iter::once(purpose).chain(parts.iter().copied()) {
            m.update(&(part.len() as u64).to_be_bytes());
            m.update(part.as_bytes());
        }
        m.finalize().into_bytes().into()
    }

    pub fn mac_hex(&self, purpose: &str, parts: &[&str]) -> String {
        hex::encode(self.mac(purpose, parts))
    }
}

/// The key, loaded from its source on first use and kept for the process's life;
/// callers that need it at once wait for the one load (the mailer's concurrent
/// sends read the secret once per cold start, not once each).
#[derive(Clone)]
pub struct Keys {
    source: Arc<dyn KeySource>,
    loaded: Arc<OnceCell<HmacKey>>,
}

impl Keys {
    pub fn new(source: Arc<dyn KeySource>) -> Self {
        Self {
            source,
            loaded: Arc::new(OnceCell::new()),
        }
    }

    pub fn fixed(bytes: Vec<u8>) -> Self {
        Self::new(Arc::new(FixedKey(bytes)))
    }

    /// A fresh random key (a runtime without a data folder, tests).
    pub fn random() -> Self {
        let mut b = vec![0u8; 32];
        getrandom::fill(&mut b).expect("operating system random number generator failed");
        Self::fixed(b)
    }

    pub async fn get(&self) -> Result<&HmacKey, KeyError> {
        self.loaded
            .get_or_try_init(|| async { HmacKey::new(self.source.load().await?) })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_depend_on_key_purpose_and_parts() {
        let a = HmacKey::new(vec![1; 32]).unwrap();
        let b = HmacKey::new(vec![2; 32]).unwrap();
        assert_ne!(a.mac("p", &["x"]), b.mac("p", &["x"]));
        assert_ne!(a.mac("p", &["x"]), a.mac("q", &["x"]));
        assert_ne!(a.mac("p", &["ab", "c"]), a.mac("p", &["a", "bc"]));
        assert_eq!(a.mac_hex("p", &["x"]).len(), 64);
        assert!(matches!(
            HmacKey::new(vec![0; 16]),
            Err(KeyError::TooShort(16))
        ));
    }

    #[tokio::test]
    async fn the_key_is_loaded_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counting(AtomicUsize);
        #[async_trait]
        impl KeySource for Counting {
            async fn load(&self) -> Result<Vec<u8>, KeyError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                // A network read takes a while: the others ask meanwhile.
                tokio::task::yield_now().await;
                Ok(vec![7; 32])
            }
        }
        let source = Arc::new(Counting(AtomicUsize::new(0)));
        let keys = Keys::new(source.clone());
        keys.get().await.unwrap();
        keys.clone().get().await.unwrap();
        assert_eq!(source.0.load(Ordering::SeqCst), 1);
        // Callers that ask at the same time share the one load.
        let fresh = Keys::new(source.clone());
        let (a, b, c) = tokio::join!(fresh.get(), fresh.get(), fresh.get());
        assert!(a.is_ok() && b.is_ok() && c.is_ok());
        assert_eq!(source.0.load(Ordering::SeqCst), 2);
    }
}

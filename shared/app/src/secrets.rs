//! Ticket-link secrets and idempotency keys. Only hashes are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 random bits, URL-safe.
pub struct TicketSecret([u8; 32]);

impl TicketSecret {
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        // The OS RNG failing means the machine cannot make secrets at all.
        getrandom::fill(&mut b).expect("operating system random number generator failed");
        Self(b)
    }

    /// A secret as it arrives in a link; `None` if it cannot be one.
    pub fn decode(token: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.0))
    }
}

/// True when `presented` is the secret whose hash is `stored_hash`; constant time.
pub fn token_matches(presented: &str, stored_hash: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
        return false;
    };
    let h = hex(&Sha256::digest(&bytes));
    h.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// A client's idempotency key: 8 to 128 visible ASCII characters.
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(input: &str) -> Option<Self> {
        let k = input.trim();
        (8..=128).contains(&k.len()).then_some(())?;
        k.bytes()
            .all(|b| b.is_ascii_graphic())
            .then(|| Self(k.to_owned()))
    }

    fn derive(&self, purpose: &str, office: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in ["balcao", purpose, office, &self.0] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    /// What the store keys the record by.
    pub fn hash(&self, office: &str) -> String {
        hex(&self.derive("idempotency-id", office))
    }

    /// XOR with a pad only the key's holder can derive.
    pub fn seal(&self, office: &str, secret: &TicketSecret) -> String {
        let pad = self.derive("idempotency-seal", office);
        let sealed: Vec<u8> = secret.0.iter().zip(pad).map(|(a, b)| a ^ b).collect();
        URL_SAFE_NO_PAD.encode(sealed)
    }

    pub fn unseal(&self, office: &str, sealed: &str) -> Option<TicketSecret> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        let pad = self.derive("idempotency-seal", office);
        let mut out = [0u8; 32];
        for (i, (a, b)) in bytes.iter().zip(pad).enumerate() {
            out[i] = a ^ b;
        }
        Some(TicketSecret(out))
    }
}

/// How stores index a citizen's requests: a keyed hash of the email, not the email.
pub fn citizen_key(
    key: &crate::keys::HmacKey,
    email: &balcao_core::Email,
) -> balcao_core::CitizenKey {
    balcao_core::CitizenKey(key.mac_hex("citizen", &[&email.as_str().to_lowercase()]))
}

/// How the outbox remembers an address it must not write to: a keyed hash of
/// its own kind, so it cannot be matched with the citizen index.
pub fn address_key(key: &crate::keys::HmacKey, email: &balcao_core::Email) -> String {
    key.mac_hex("suppressed", &[&email.as_str().to_lowercase()])
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_their_hash() {
        let s = TicketSecret::generate();
        let t = s.encode();
        assert!(t.len() >= 43);
        assert!(token_matches(&t, &s.hash()));
        assert!(!token_matches(
            &TicketSecret::generate().encode(),
            &s.hash()
        ));
        assert!(!token_matches("not base64!", &s.hash()));
        assert!(!token_matches("", &s.hash()));
    }

    #[test]
    fn sealing_round_trips_only_with_the_same_key_and_office() {
        let k = IdempotencyKey::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap();
        let s = TicketSecret::generate();
        let sealed = k.seal("office-a", &s);
        assert_eq!(k.unseal("office-a", &sealed).unwrap().encode(), s.encode());
        assert_ne!(k.unseal("office-b", &sealed).unwrap().encode(), s.encode());
        let other = IdempotencyKey::parse("another-key-123").unwrap();
        assert_ne!(
            other.unseal("office-a", &sealed).unwrap().encode(),
            s.encode()
        );
        assert_ne!(k.hash("office-a"), k.hash("office-b"));
    }

    #[test]
    fn keys_are_bounded() {
        assert!(IdempotencyKey::parse("short").is_none());
        assert!(IdempotencyKey::parse(&"x".repeat(129)).is_none());
        assert!(IdempotencyKey::parse("has space inside").is_none());
        assert!(IdempotencyKey::parse("ok-key-1234").is_some());
    }
}

//! Headers every response carries (both runtimes): a strict Content-Security-Policy
//! whose inline scripts are allowed by hash, no sniffing, no referrer (ticket links
//! carry secrets), no framing, and HSTS when the site is served over HTTPS.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::{
    CONTENT_SECURITY_POLICY, HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The pages' only scripts; templates insert them verbatim so their hashes hold.
pub const ATTACH_JS: &str = include_str!("scripts/attach.js");
pub const MARK_READ_JS: &str = include_str!("scripts/mark_read.js");
pub const SAVED_REPLY_JS: &str = include_str!("scripts/saved_reply.js");

fn script_hashes() -> &'static str {
    static HASHES: OnceLock<String> = OnceLock::new();
    HASHES.get_or_init(|| {
        [ATTACH_JS, MARK_READ_JS, SAVED_REPLY_JS]
            .iter()
            .map(|s| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s.as_bytes()))))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The policy for a site whose browsers post files to `upload_origin`.
pub fn content_security_policy(upload_origin: &str) -> String {
    let upload = upload_origin.trim_end_matches('/');
    format!(
        "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self' {upload}; form-action 'self' {upload}; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'",
        script_hashes()
    )
}

/// Sets the security headers on a response's headers; values already set stay.
pub fn apply(headers: &mut HeaderMap, upload_origin: &str, https: bool) {
    if !headers.contains_key(CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(&content_security_policy(upload_origin))
    {
        headers.insert(CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_each_page_script_by_hash_and_the_upload_origin() {
        let p = content_security_policy("https://b.s3.sa-east-1.amazonaws.com/");
        assert!(p.contains("default-src 'self'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("form-action 'self' https://b.s3.sa-east-1.amazonaws.com;"));
        assert_eq!(p.matches("'sha256-").count(), 3);
        assert!(!p.contains("unsafe-inline'; connect") || p.contains("style-src"));
        assert!(
            !p.split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe"))
        );
    }

    #[test]
    fn hsts_only_over_https() {
        let mut h = HeaderMap::new();
        apply(&mut h, "http://127.0.0.1:3000", false);
        assert!(!h.contains_key(STRICT_TRANSPORT_SECURITY));
        assert_eq!(h[REFERRER_POLICY], "no-referrer");
        apply(&mut h, "http://127.0.0.1:3000", true);
        assert!(h.contains_key(STRICT_TRANSPORT_SECURITY));
    }
}

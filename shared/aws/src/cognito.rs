//! Staff identity on AWS: Cognito's managed login (authorization code with
//! PKCE) and the verification of the ID tokens it issues. The pool's public
//! keys (JWKS) are fetched once per cold start, on the first token to check.

use async_trait::async_trait;
use balcao_app::ports::{AuthError, Session, StaffAuth};
use balcao_core::StaffMember;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Cognito answers in milliseconds; a stuck call must not hold a page.
const TIMEOUT: Duration = Duration::from_secs(5);

/// What the functions know about the pool (from `template.yaml`).
#[derive(Debug, Clone)]
pub struct CognitoConfig {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the tokens' `iss`.
    pub issuer: String,
    /// The app client: the ID tokens' `aud`.
    pub client_id: String,
    /// The managed login's domain, e.g. `https://balcao.auth.sa-east-1.amazoncognito.com`.
    pub login_url: String,
    /// Where the site is: the callback and the page after signing out.
    pub public_base_url: String,
    /// The pool's keys; `<issuer>/.well-known/jwks.json` unless a test says otherwise.
    pub jwks_url: Option<String>,
}

impl CognitoConfig {
    fn redirect_uri(&self) -> String {
        format!(
            "{}/staff/callback",
            self.public_base_url.trim_end_matches('/')
        )
    }

    fn jwks_url(&self) -> String {
        self.jwks_url.clone().unwrap_or_else(|| {
            format!(
                "{}/.well-known/jwks.json",
                self.issuer.trim_end_matches('/')
            )
        })
    }

    fn login(&self, path: &str) -> String {
        format!("{}{path}", self.login_url.trim_end_matches('/'))
    }
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

pub struct CognitoAuth {
    config: CognitoConfig,
    http: Client<Https, Full<Bytes>>,
    keys: OnceCell<JwkSet>,
}

fn unavailable(e: impl std::fmt::Display) -> AuthError {
    AuthError::Unavailable(e.to_string())
}

fn invalid(e: impl std::fmt::Display) -> AuthError {
    AuthError::Invalid(e.to_string())
}

/// The TLS client, trusting only the roots AWS endpoints use (Cognito's included).
fn https() -> Result<Https, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    for pem in crate::lambda::AWS_ROOTS {
        for cert in CertificateDer::pem_slice_iter(pem).flatten() {
            roots.add(cert)?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        // Plain HTTP only reaches the local stand-ins the tests use.
        .https_or_http()
        .enable_http1()
        .build())
}

impl CognitoAuth {
    pub fn new(config: CognitoConfig) -> Result<Self, rustls::Error> {
        Ok(Self {
            config,
            http: Client::builder(TokioExecutor::new()).build(https()?),
            keys: OnceCell::new(),
        })
    }

    async fn send(&self, req: http::Request<Full<Bytes>>) -> Result<(u16, Vec<u8>), AuthError> {
        let res = tokio::time::timeout(TIMEOUT, self.http.request(req))
            .await
            .map_err(|_| unavailable("tempo esgotado"))?
            .map_err(unavailable)?;
        let status = res.status().as_u16();
        let body = tokio::time::timeout(TIMEOUT, res.into_body().collect())
            .await
            .map_err(|_| unavailable("tempo esgotado"))?
            .map_err(unavailable)?
            .to_bytes()
            .to_vec();
        Ok((status, body))
    }

    /// The pool's keys, fetched on first use and kept for the process's life.
    async fn keys(&self) -> Result<&JwkSet, AuthError> {
        self.keys
            .get_or_try_init(|| async {
                let req = http::Request::get(self.config.jwks_url())
                    .body(Full::default())
                    .map_err(unavailable)?;
                let (status, body) = self.send(req).await?;
                if status != 200 {
                    return Err(unavailable(format!("JWKS respondeu {status}")));
                }
                serde_json::from_slice::<JwkSet>(&body).map_err(unavailable)
            })
            .await
    }
}

/// Verifies an ID token against `keys`: RS256 signature by a key of the pool,
/// issuer, audience (the app client), expiry, and that it is an ID token; then
/// reads office, role, email and name from its claims.
pub fn verify_id_token(
    keys: &JwkSet,
    token: &str,
    issuer: &str,
    client_id: &str,
) -> Result<StaffMember, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid("algoritmo não aceito"));
    }
    let kid = header.kid.ok_or_else(|| invalid("token sem kid"))?;
    let jwk = keys
        .find(&kid)
        .ok_or_else(|| invalid("chave desconhecida"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(invalid)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.leeway = 30;
    let data = jsonwebtoken::decode::<HashMap<String, Value>>(token, &key, &validation)
        .map_err(invalid)?;
    if data.claims.get("token_use").and_then(Value::as_str) != Some("id") {
        return Err(invalid("não é um ID token"));
    }
    let claims: HashMap<String, String> = data
        .claims
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
        .collect();
    balcao_web::staff::member(&claims)
        .ok_or_else(|| invalid("o usuário não tem serventia, papel ou e-mail"))
}

#[async_trait]
impl StaffAuth for CognitoAuth {
    async fn verify(&self, token: &str) -> Result<StaffMember, AuthError> {
        let keys = self.keys().await?;
        verify_id_token(keys, token, &self.config.issuer, &self.config.client_id)
    }

    fn sign_in_url(&self, challenge: &str, state: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_uri().as_str()),
            ("scope", "openid email profile"),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .unwrap_or_default();
        self.config.login(&format!("/oauth2/authorize?{query}"))
    }

    async fn exchange(&self, code: &str, verifier: &str) -> Result<Session, AuthError> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("client_id", self.config.client_id.as_str()),
            ("code", code),
            ("redirect_uri", self.config.redirect_uri().as_str()),
            ("code_verifier", verifier),
        ])
        .map_err(unavailable)?;
        let req = http::Request::post(self.config.login("/oauth2/token"))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Full::new(Bytes::from(form)))
            .map_err(unavailable)?;
        let (status, body) = self.send(req).await?;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status == 400 {
            // invalid_grant: a code used twice, expired, or a verifier that does not match.
            let why = answer["error"].as_str().unwrap_or("pedido recusado");
            return Err(invalid(format!("o código de login foi recusado ({why})")));
        }
        if status != 200 {
            return Err(unavailable(format!(
                "o endpoint de token respondeu {status}"
            )));
        }
        let token = answer["id_token"]
            .as_str()
            .ok_or_else(|| unavailable("resposta sem id_token"))?
            .to_owned();
        let seconds = answer["expires_in"]
            .as_i64()
            .unwrap_or(3600)
            .clamp(0, 86_400);
        Ok(Session {
            token,
            expires_at: Timestamp::now() + jiff::SignedDuration::from_secs(seconds),
        })
    }

    async fn sign_out(&self, _token: Option<&str>) -> String {
        // The managed login's logout ends Cognito's own session, then comes home.
        let query = serde_urlencoded::to_string([
            ("client_id", self.config.client_id.as_str()),
            (
                "logout_uri",
                &format!("{}/", self.config.public_base_url.trim_end_matches('/')),
            ),
        ])
        .unwrap_or_default();
        self.config.login(&format!("/logout?{query}"))
    }
}

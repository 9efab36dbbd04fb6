//! The keyed-hash secret from Secrets Manager (`template.yaml` generates it), read
//! on first use and kept for the life of the execution environment.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use balcao_app::keys::{KeyError, KeySource};

pub struct SecretsManagerKey {
    client: Client,
    secret_id: String,
}

impl SecretsManagerKey {
    pub fn new(client: Client, secret_id: &str) -> Self {
        Self {
            client,
            secret_id: secret_id.to_owned(),
        }
    }
}

#[async_trait]
impl KeySource for SecretsManagerKey {
    async fn load(&self) -> Result<Vec<u8>, KeyError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| KeyError::Unavailable(DisplayErrorContext(&e).to_string()))?;
        let text = out
            .secret_string()
            .ok_or_else(|| KeyError::Unavailable("o segredo não tem texto".into()))?;
        Ok(text.trim().as_bytes().to_vec())
    }
}

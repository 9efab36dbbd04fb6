//! [`Mailer`] over SES v2.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{DisplayErrorContext, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{
    Attachment, AttachmentContentDisposition, Body, Content, Destination, EmailContent, Message,
};
use balcao_app::Mailer;
use balcao_app::ports::{MailError, OutboxMail};

pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Rejected(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutboxMail) -> Result<String, MailError> {
        let to = mail.to.as_str();
        let mail = mail.render();
        let mut message = Message::builder().subject(content(&mail.subject)?).body(
            Body::builder()
                .text(content(&mail.text)?)
                .html(content(&mail.html)?)
                .build(),
        );
        for a in &mail.attachments {
            message = message.attachments(
                Attachment::builder()
                    .file_name(&a.name)
                    .content_type(&a.content_type)
                    .content_disposition(AttachmentContentDisposition::Attachment)
                    .raw_content(Blob::new(a.content.as_bytes()))
                    .build()
                    .map_err(|e| MailError::Rejected(e.to_string()))?,
            );
        }
        let message = message.build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| {
                let detail = DisplayErrorContext(&e).to_string();
                match e {
                    // 4xx from SES (bad address, unverified sender) will not pass on retry as is.
                    SdkError::ServiceError(ref se) if se.raw().status().is_client_error() => {
                        MailError::Rejected(detail)
                    }
                    _ => MailError::Unavailable(detail),
                }
            })?;
        Ok(out.message_id.unwrap_or_default())
    }
}

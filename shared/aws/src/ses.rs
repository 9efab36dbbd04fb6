//! [`Mailer`] over SES v2.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{
    Attachment, AttachmentContentDisposition, Body, Content, Destination, EmailContent, Message,
    MessageTag,
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
        // SES's events (bounces, complaints) name the mail by this tag.
        let tag = MessageTag::builder()
            .name("mail")
            .value(mail.id.to_string())
            .build()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
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
            .email_tags(tag)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id.unwrap_or_default())
    }
}

/// Only the error's code is kept: SES's messages can name the recipient, and
/// they go to the outbox and the logs. A message SES refuses as such will not
/// pass on retry; everything else (throttling, a paused account, an outage) may.
fn classify(e: SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse>) -> MailError {
    let code = e.code().unwrap_or("sem código").to_owned();
    match &e {
        SdkError::ServiceError(se)
            if matches!(
                se.err(),
                SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_)
            ) =>
        {
            MailError::Rejected(code)
        }
        SdkError::ServiceError(_) => MailError::Unavailable(code),
        _ => MailError::Unavailable(format!("{code} (sem resposta do SES)")),
    }
}

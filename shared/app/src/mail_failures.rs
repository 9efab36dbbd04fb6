//! Mail that cannot reach its reader. The courier gives up on a mail the
//! provider refuses for good, or that failed too often; SES reports bounces and
//! complaints after the fact (`balcao_aws::mail_events`). Either way the mail
//! leaves the retry list, an address that bounced for good or complained is not
//! written to again, and the request's history tells staff, so they can reach
//! the citizen another way.

use crate::ports::{Change, MailId, Outbox, OutboxMail};
use crate::secrets::address_key;
use crate::{App, AppError, ticket};
use balcao_core::{Author, Event, EventKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// The recipient's server refused it for good (a permanent bounce).
    Bounced,
    /// SES gave up after the recipient's server kept deferring it (a full
    /// mailbox, a server down): the address may work another day.
    SoftBounced,
    /// The reader marked it as spam.
    Complaint,
    /// The provider refused to send it (an invalid address, a rejected message).
    Rejected,
    /// Earlier mail to the address bounced or drew a complaint.
    Suppressed,
    /// Every retry failed.
    GaveUp,
}

impl Undelivered {
    pub fn key(self) -> &'static str {
        match self {
            Self::Bounced => "bounced",
            Self::SoftBounced => "soft_bounced",
            Self::Complaint => "complaint",
            Self::Rejected => "rejected",
            Self::Suppressed => "suppressed",
            Self::GaveUp => "gave_up",
        }
    }

    /// Why, in the words staff read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bounced => "o servidor do destinatário devolveu a mensagem",
            Self::SoftBounced => {
                "o servidor do destinatário não a aceitou a tempo (caixa cheia ou fora do ar)"
            }
            Self::Complaint => "o destinatário marcou a mensagem como spam",
            Self::Rejected => "o serviço de e-mail recusou o envio",
            Self::Suppressed => "mensagens anteriores a este endereço não foram entregues",
            Self::GaveUp => "o envio falhou em todas as tentativas",
        }
    }

    /// Nothing more goes to this address.
    pub fn stops_the_address(self) -> bool {
        matches!(self, Self::Bounced | Self::Complaint)
    }
}

/// Whether mail to `mail`'s address is suppressed, and why.
pub async fn suppressed(
    app: &App,
    outbox: &dyn Outbox,
    mail: &OutboxMail,
) -> Result<Option<String>, AppError> {
    let key = address_key(app.keys.get().await?, &mail.to);
    Ok(outbox.suppressed(&key).await?)
}

/// Gives `mail` up for `why`, stops its address when that calls for it, and
/// tells the request's staff. Repeating it (a provider's event delivered twice)
/// changes nothing more: the history entry is keyed by the mail.
pub async fn record(
    app: &App,
    outbox: &dyn Outbox,
    mail: &OutboxMail,
    why: Undelivered,
) -> Result<(), AppError> {
    let now = app.clock.now();
    outbox
        .mail_undelivered(mail.id, now, &format!("{}: {}", why.key(), why.label()))
        .await?;
    if why.stops_the_address() {
        let key = address_key(app.keys.get().await?, &mail.to);
        outbox.suppress(&key, why.key(), now).await?;
    }
    tracing::warn!(mail = %mail.id, to = %mail.to.masked(), reason = why.key(), "mail undelivered");
    metrics::counter!("MailUndelivered", "Reason" => why.key()).increment(1);
    let Some(request) = mail.request_id else {
        return Ok(());
    };
    let text = format!(
        "E-mail não entregue a {}: {}. Procure o cidadão por outro meio.",
        mail.to.masked(),
        why.label()
    );
    let MailId(key) = mail.id;
    let written = ticket::change(
        app,
        request,
        key,
        None,
        |_| Ok(()),
        |t, now| {
            let r = &t.request;
            let mut n = r.clone();
            n.version = r.version + 1;
            Ok(Change {
                request: n.clone(),
                expected_version: r.version,
                event: Event {
                    id: key,
                    seq: n.version,
                    at: now,
                    kind: EventKind::MailUndelivered,
                    author: Author::System,
                    text: text.clone(),
                    status: None,
                    attachments: vec![],
                },
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await;
    match written {
        // A request erased or gone meanwhile has no one left to tell.
        Ok(_) | Err(AppError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

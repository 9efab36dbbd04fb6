//! The SES v2 mailer against moto_server.

use balcao_app::Mailer;
use balcao_app::emails::{Content, Letter};
use balcao_app::ports::{MailAttachment, MailId, OutboxMail};
use balcao_aws::SesMailer;
use balcao_core::Email;
use balcao_tests::{moto_endpoint, ses_client};
use serde_json::Value;

fn mail(to: &str) -> OutboxMail {
    let now = jiff::Timestamp::now();
    OutboxMail {
        id: MailId(ulid::Ulid::generate()),
        to: Email::parse(to).expect("email"),
        letter: Letter {
            content: Content::Rendered {
                subject: "Solicitação nº 7 recebida".into(),
                text: "Acompanhe: https://balcao.example/tickets/X?k=Y".into(),
                html: "<p><a href=\"https://balcao.example/tickets/X?k=Y\">Acompanhe</a></p>"
                    .into(),
            },
            attachments: vec![MailAttachment {
                name: "atendimento.ics".into(),
                content_type: "text/calendar; method=REQUEST; charset=UTF-8".into(),
                content: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".into(),
            }],
        },
        request_id: None,
        created_at: now,
        attempts: 1,
        next_attempt_at: now,
        leased_until: None,
        sent_at: None,
        provider_id: None,
        last_error: None,
        undelivered_at: None,
    }
}

async fn sent_messages() -> Vec<Value> {
    let data: Value = reqwest::get(format!("{}/moto-api/data.json", moto_endpoint()))
        .await
        .expect("moto data")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    // moto keeps SES v2 sends in its SES backend: ses → sent_messages, per account and region.
    fn walk(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("destinations") || m.contains_key("destination") {
                    out.push(v.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(data.get("ses").unwrap_or(&Value::Null), &mut out);
    out
}

#[tokio::test]
async fn sends_through_ses_v2_from_a_verified_identity() {
    let client = ses_client();
    let sender = format!(
        "balcao-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    client
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("create identity");
    let mailer = SesMailer::new(client, &sender, None);
    let to = format!(
        "cidadao-{}@example.com",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let id = mailer.send(&mail(&to)).await.expect("sent");
    assert!(!id.is_empty(), "SES answers a message id");
    let sent = sent_messages().await;
    let mine: Vec<_> = sent
        .iter()
        .filter(|m| m.to_string().contains(&to))
        .collect();
    assert_eq!(mine.len(), 1, "exactly one message to {to} in {sent:?}");
    let text = mine[0].to_string();
    assert!(text.contains(&sender), "from the configured sender");
    assert!(text.contains("Solicita"), "with the subject");
    assert!(text.contains("tickets/X?k=Y"), "with the body");
}

#[tokio::test]
async fn an_unverified_sender_is_refused() {
    let mailer = SesMailer::new(ses_client(), "nao-verificado@example.org", None);
    let err = mailer
        .send(&mail("alguem@example.com"))
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("recusado") || err.to_string().contains("indisponível"),
        "{err}"
    );
}

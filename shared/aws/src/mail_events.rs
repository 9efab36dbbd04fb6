//! The mail-events function: SES reports what became of each mail (through
//! the configuration set's EventBridge destination). A bounce, a complaint or
//! a rejection gives the mail up, stops the address when that calls for it,
//! and tells the request's staff (`balcao_app::mail_failures`); a delivery is
//! only counted. The mail is found by the `mail` tag the mailer sets.

use balcao_app::App;
use balcao_app::mail_failures::{self, Undelivered};
use balcao_app::ports::{MailId, Outbox};
use serde_json::{Value, json};

/// What an SES event means for its mail; `None` when nothing is to be done.
pub fn meaning(detail: &Value) -> Option<Undelivered> {
    match detail["eventType"].as_str()? {
        "Bounce" => Some(match detail["bounce"]["bounceType"].as_str() {
            Some("Permanent") => Undelivered::Bounced,
            _ => Undelivered::SoftBounced,
        }),
        "Complaint" => Some(Undelivered::Complaint),
        "Reject" | "Rendering Failure" | "RenderingFailure" => Some(Undelivered::Rejected),
        _ => None,
    }
}

/// The outbox mail an SES event is about.
pub fn mail_of(detail: &Value) -> Option<MailId> {
    detail["mail"]["tags"]["mail"]
        .as_array()?
        .first()?
        .as_str()?
        .parse()
        .ok()
        .map(MailId)
}

pub async fn handle(
    app: &App,
    outbox: &dyn Outbox,
    event: Value,
) -> Result<Value, lambda_runtime::Error> {
    let detail = &event["detail"];
    let kind = detail["eventType"].as_str().unwrap_or("?").to_owned();
    let Some(id) = mail_of(detail) else {
        tracing::warn!(kind, "SES event without a mail tag");
        return Ok(json!({ "ignored": "no mail tag" }));
    };
    let Some(why) = meaning(detail) else {
        tracing::info!(kind, mail = %id, "mail event");
        return Ok(json!({ "mail": id.to_string(), "event": kind }));
    };
    let Some(mail) = outbox.get_mail(id).await? else {
        tracing::warn!(kind, mail = %id, "SES event for a mail no longer kept");
        return Ok(json!({ "ignored": "unknown mail" }));
    };
    mail_failures::record(app, outbox, &mail, why).await?;
    Ok(json!({ "mail": id.to_string(), "undelivered": why.key() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounces_complaints_and_rejections_are_told_apart() {
        let bounce = |t: &str| json!({"eventType": "Bounce", "bounce": {"bounceType": t}});
        assert_eq!(meaning(&bounce("Permanent")), Some(Undelivered::Bounced));
        assert_eq!(
            meaning(&bounce("Transient")),
            Some(Undelivered::SoftBounced)
        );
        assert_eq!(
            meaning(&bounce("Undetermined")),
            Some(Undelivered::SoftBounced)
        );
        assert_eq!(
            meaning(&json!({"eventType": "Complaint"})),
            Some(Undelivered::Complaint)
        );
        assert_eq!(
            meaning(&json!({"eventType": "Reject"})),
            Some(Undelivered::Rejected)
        );
        assert_eq!(meaning(&json!({"eventType": "Delivery"})), None);
        assert_eq!(meaning(&json!({"eventType": "Open"})), None);
        let id = "01JD0000000000000000000000";
        let d = json!({"mail": {"tags": {"mail": [id], "ses:from-domain": ["x"]}}});
        assert_eq!(mail_of(&d).map(|m| m.to_string()), Some(id.to_owned()));
        assert_eq!(mail_of(&json!({"mail": {"tags": {}}})), None);
    }
}

//! Emails to citizens, from compiled templates (HTML and text bodies).

use askama::Template;
use balcao_core::Request;

pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<crate::ports::MailAttachment>,
}

/// What an email shows of a ticket; personal data already masked.
pub struct TicketSummary<'a> {
    pub r: &'a Request,
    pub link: &'a str,
    pub document: Option<String>,
    pub mobile: Option<String>,
    pub appointment: Option<String>,
}

impl<'a> TicketSummary<'a> {
    pub fn new(r: &'a Request, link: &'a str) -> Self {
        Self {
            r,
            link,
            document: r
                .citizen
                .document
                .as_ref()
                .map(|d| format!("{}: {}", d.kind_label(), d.masked())),
            mobile: r.citizen.mobile.as_ref().map(ToString::to_string),
            appointment: r.appointment.as_ref().map(|a| {
                format!(
                    "{} às {} ({})",
                    a.date.strftime("%d/%m/%Y"),
                    a.time.strftime("%H:%M"),
                    a.mode.label()
                )
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "emails/ticket_opened.html")]
struct TicketOpenedHtml<'a> {
    t: TicketSummary<'a>,
}

#[derive(Template)]
#[template(path = "emails/ticket_opened.txt")]
struct TicketOpenedText<'a> {
    t: TicketSummary<'a>,
}

/// The confirmation email (SPEC C6): the ticket link first, then ticket, office and citizen.
pub fn ticket_opened(r: &Request, link: &str) -> Letter {
    let subject = format!("Solicitação nº {} recebida – {}", r.number, r.office.name);
    // Rendering only fails on a template bug, caught by the tests below.
    let html = TicketOpenedHtml {
        t: TicketSummary::new(r, link),
    }
    .render()
    .unwrap_or_default();
    let text = TicketOpenedText {
        t: TicketSummary::new(r, link),
    }
    .render()
    .unwrap_or_default();
    Letter {
        subject,
        text,
        html,
        attachments: vec![],
    }
}

#[derive(Template)]
#[template(path = "emails/office_notice.html")]
struct OfficeNoticeHtml<'a> {
    r: &'a Request,
    headline: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "emails/office_notice.txt")]
struct OfficeNoticeText<'a> {
    r: &'a Request,
    headline: &'a str,
    body: &'a str,
}

/// To the office: something happened on one of its requests (SPEC S10).
pub fn office_notice(r: &Request, headline: &str, body: &str) -> Letter {
    let html = OfficeNoticeHtml { r, headline, body }
        .render()
        .unwrap_or_default();
    let text = OfficeNoticeText { r, headline, body }
        .render()
        .unwrap_or_default();
    Letter {
        subject: format!("{headline} – {}", r.service_name),
        text,
        html,
        attachments: vec![],
    }
}

#[derive(Template)]
#[template(path = "emails/my_requests.html")]
struct MyRequestsHtml<'a> {
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/my_requests.txt")]
struct MyRequestsText<'a> {
    link: &'a str,
}

/// The link to a citizen's requests (SPEC C10).
pub fn my_requests(link: &str) -> Letter {
    let html = MyRequestsHtml { link }.render().unwrap_or_default();
    let text = MyRequestsText { link }.render().unwrap_or_default();
    Letter {
        subject: "Suas solicitações no Balcão".into(),
        text,
        html,
        attachments: vec![],
    }
}

#[derive(Template)]
#[template(path = "emails/office_reply.html")]
struct OfficeReplyHtml<'a> {
    r: &'a Request,
    link: &'a str,
    staff: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "emails/office_reply.txt")]
struct OfficeReplyText<'a> {
    r: &'a Request,
    link: &'a str,
    staff: &'a str,
    body: &'a str,
}

/// To the citizen: the office answered (SPEC C9), with the ticket link first.
pub fn office_reply(r: &Request, link: &str, staff: &str, body: &str) -> Letter {
    let html = OfficeReplyHtml {
        r,
        link,
        staff,
        body,
    }
    .render()
    .unwrap_or_default();
    let text = OfficeReplyText {
        r,
        link,
        staff,
        body,
    }
    .render()
    .unwrap_or_default();
    Letter {
        subject: format!("Resposta do cartório – solicitação nº {}", r.number),
        text,
        html,
        attachments: vec![],
    }
}

#[derive(Template)]
#[template(path = "emails/ticket_update.html")]
struct TicketUpdateHtml<'a> {
    r: &'a Request,
    link: &'a str,
    headline: &'a str,
    paragraphs: &'a [String],
    record: &'a [String],
}

#[derive(Template)]
#[template(path = "emails/ticket_update.txt")]
struct TicketUpdateText<'a> {
    r: &'a Request,
    link: &'a str,
    headline: &'a str,
    paragraphs: &'a [String],
    record: &'a [String],
}

/// To the citizen: a decision, an appointment or the conclusion (SPEC C9), with
/// the ticket link first and, for the conclusion, the whole record.
pub fn ticket_update(
    r: &Request,
    link: &str,
    subject: String,
    headline: &str,
    paragraphs: &[String],
    record: &[String],
) -> Letter {
    let html = TicketUpdateHtml {
        r,
        link,
        headline,
        paragraphs,
        record,
    }
    .render()
    .unwrap_or_default();
    let text = TicketUpdateText {
        r,
        link,
        headline,
        paragraphs,
        record,
    }
    .render()
    .unwrap_or_default();
    Letter {
        subject,
        text,
        html,
        attachments: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_with_escaping() {
        let office = balcao_core::OfficeSnapshot {
            id: balcao_core::OfficeId::parse("o").unwrap(),
            name: "Cartório <1>".into(),
            uf: balcao_core::Uf::SP,
            city: "São Paulo".into(),
            cns: "123456".into(),
            address: "Rua A".into(),
            cep: "01000-000".into(),
            phone: "11".into(),
            email: balcao_core::Email::parse("o@example.com").unwrap(),
            whatsapp: None,
            timezone: "America/Sao_Paulo".into(),
        };
        let now = jiff::Timestamp::UNIX_EPOCH;
        let r = Request {
            id: balcao_core::RequestId(ulid::Ulid::nil()),
            citizen_key: balcao_core::CitizenKey::default(),
            office_notice: None,
            number: balcao_core::TicketNumber(7),
            office,
            service_id: balcao_core::ServiceId::parse("contato").unwrap(),
            service_kind: balcao_core::ServiceKind::Contact,
            service_name: "Contato".into(),
            status: balcao_core::Status::Received,
            version: 1,
            created_at: now,
            updated_at: now,
            citizen: balcao_core::Citizen {
                name: balcao_core::PersonName::parse("Ana Lima").unwrap(),
                email: balcao_core::Email::parse("ana@example.com").unwrap(),
                document: Some(balcao_core::Document::parse("529.982.247-25").unwrap()),
                mobile: None,
            },
            details: Default::default(),
            appointment: None,
            consent: balcao_core::Consent {
                version: "v1".into(),
                accepted_at: now,
            },
            token_hashes: vec![],
            awaiting_office: true,
            unread_replies: 0,
            assignee: None,
            checklist: vec![],
            decided_at: None,
            rating: None,
            start_by: None,
            slot: None,
            reply_by: None,
        };
        let l = ticket_opened(&r, "https://x/tickets/1?k=s");
        assert!(
            l.text
                .starts_with("Acompanhe sua solicitação nº 7:\nhttps://x/tickets/1?k=s")
        );
        assert!(l.html.contains("Cartório &#60;1&#62;") || l.html.contains("Cartório &lt;1&gt;"));
        assert!(l.text.contains("***.982.247-**") && !l.text.contains("529.982.247-25"));
        let n = office_notice(&r, "Nova mensagem na solicitação nº 7", "<b>oi</b>");
        assert!(
            n.text.contains("<b>oi</b>"),
            "text bodies are not HTML-escaped"
        );
        assert!(!n.html.contains("<b>oi</b>"), "HTML bodies are escaped");
    }
}

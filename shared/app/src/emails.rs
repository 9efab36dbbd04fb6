//! Emails, kept as data and rendered from compiled templates (HTML and text)
//! when they are delivered: the outbox holds what a letter says, not its ~4 KB
//! of markup, so each outbox item costs one write unit.

use askama::Template;
use balcao_core::{Email, OfficeSnapshot, Request, RequestDetails, Status, TicketNumber};
use serde::{Deserialize, Serialize};

/// What a letter says about its request, copied when it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub number: TicketNumber,
    pub office: OfficeSnapshot,
    pub service_name: String,
    pub status: Status,
    pub citizen: CitizenFacts,
    pub details: RequestDetails,
}

/// The citizen as letters show them: the document already masked, so the
/// outbox never holds it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenFacts {
    pub name: String,
    /// `None` once the citizen's data was erased.
    pub email: Option<Email>,
    pub document: Option<String>,
    pub mobile: Option<String>,
}

impl Facts {
    pub fn of(r: &Request) -> Self {
        let c = r.citizen.as_ref();
        Self {
            number: r.number,
            office: r.office.clone(),
            service_name: r.service_name.clone(),
            status: r.status,
            citizen: CitizenFacts {
                name: r.citizen_name().to_owned(),
                email: c.map(|c| c.email.clone()),
                document: c
                    .and_then(|c| c.document.as_ref())
                    .map(|d| format!("{}: {}", d.kind_label(), d.masked())),
                mobile: c.and_then(|c| c.mobile.as_ref()).map(ToString::to_string),
            },
            details: r.details.clone(),
        }
    }
}

/// One email, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub content: Content,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::ports::MailAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Content {
    TicketOpened {
        r: Facts,
        link: String,
        appointment: Option<String>,
    },
    OfficeNotice {
        r: Facts,
        headline: String,
        body: String,
        /// The request's staff page (mail written before it has none).
        #[serde(default)]
        link: Option<String>,
    },
    MyRequests {
        link: String,
    },
    MyData {
        link: String,
    },
    DataErased {
        requests: usize,
        offices: Vec<String>,
    },
    OfficeReply {
        r: Facts,
        link: String,
        staff: String,
        body: String,
    },
    TicketUpdate {
        r: Facts,
        link: String,
        subject: String,
        headline: String,
        paragraphs: Vec<String>,
        record: Vec<String>,
    },
    /// A letter written before letters were kept as data (outbox items from
    /// before the change are still delivered).
    Rendered {
        subject: String,
        text: String,
        html: String,
    },
}

/// A letter ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<crate::ports::MailAttachment>,
}

fn letter(content: Content) -> Letter {
    Letter {
        content,
        attachments: vec![],
    }
}

/// What an email shows of a ticket; personal data already masked.
pub struct TicketSummary<'a> {
    pub r: &'a Facts,
    pub link: &'a str,
    pub document: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub appointment: Option<&'a str>,
}

impl<'a> TicketSummary<'a> {
    fn new(r: &'a Facts, link: &'a str, appointment: Option<&'a str>) -> Self {
        Self {
            r,
            link,
            document: r.citizen.document.as_deref(),
            mobile: r.citizen.mobile.as_deref(),
            appointment,
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
    letter(Content::TicketOpened {
        r: Facts::of(r),
        link: link.to_owned(),
        appointment: r.appointment.as_ref().map(|a| {
            format!(
                "{} às {} ({})",
                a.date.strftime("%d/%m/%Y"),
                a.time.strftime("%H:%M"),
                a.mode.label()
            )
        }),
    })
}

#[derive(Template)]
#[template(path = "emails/office_notice.html")]
struct OfficeNoticeHtml<'a> {
    r: &'a Facts,
    headline: &'a str,
    body: &'a str,
    link: &'a Option<String>,
}

#[derive(Template)]
#[template(path = "emails/office_notice.txt")]
struct OfficeNoticeText<'a> {
    r: &'a Facts,
    headline: &'a str,
    body: &'a str,
    link: &'a Option<String>,
}

/// To the office: something happened on one of its requests (SPEC S10).
/// A notice to the office, linking to the request's staff page at `base` (the public URL).
pub fn office_notice(r: &Request, headline: &str, body: &str, base: &str) -> Letter {
    letter(Content::OfficeNotice {
        r: Facts::of(r),
        headline: headline.to_owned(),
        body: body.to_owned(),
        link: Some(format!("{base}/staff/requests/{}", r.id)),
    })
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
    letter(Content::MyRequests {
        link: link.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "emails/my_data.html")]
struct MyDataHtml<'a> {
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/my_data.txt")]
struct MyDataText<'a> {
    link: &'a str,
}

/// The link to what Balcão holds about an address (LGPD).
pub fn my_data(link: &str) -> Letter {
    letter(Content::MyData {
        link: link.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "emails/data_erased.html")]
struct DataErasedHtml<'a> {
    requests: usize,
    offices: &'a [String],
}

#[derive(Template)]
#[template(path = "emails/data_erased.txt")]
struct DataErasedText<'a> {
    requests: usize,
    offices: &'a [String],
}

/// The last email to an address whose data was erased at its request.
pub fn data_erased(requests: usize, offices: Vec<String>) -> Letter {
    letter(Content::DataErased { requests, offices })
}

#[derive(Template)]
#[template(path = "emails/office_reply.html")]
struct OfficeReplyHtml<'a> {
    r: &'a Facts,
    link: &'a str,
    staff: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "emails/office_reply.txt")]
struct OfficeReplyText<'a> {
    r: &'a Facts,
    link: &'a str,
    staff: &'a str,
    body: &'a str,
}

/// To the citizen: the office answered (SPEC C9), with the ticket link first.
pub fn office_reply(r: &Request, link: &str, staff: &str, body: &str) -> Letter {
    letter(Content::OfficeReply {
        r: Facts::of(r),
        link: link.to_owned(),
        staff: staff.to_owned(),
        body: body.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "emails/ticket_update.html")]
struct TicketUpdateHtml<'a> {
    r: &'a Facts,
    link: &'a str,
    headline: &'a str,
    paragraphs: &'a [String],
    record: &'a [String],
}

#[derive(Template)]
#[template(path = "emails/ticket_update.txt")]
struct TicketUpdateText<'a> {
    r: &'a Facts,
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
    letter(Content::TicketUpdate {
        r: Facts::of(r),
        link: link.to_owned(),
        subject,
        headline: headline.to_owned(),
        paragraphs: paragraphs.to_vec(),
        record: record.to_vec(),
    })
}

impl Letter {
    /// A letter stored already rendered (outbox mail from before letters were data).
    pub fn rendered(
        subject: String,
        text: String,
        html: String,
        attachments: Vec<crate::ports::MailAttachment>,
    ) -> Self {
        Self {
            content: Content::Rendered {
                subject,
                text,
                html,
            },
            attachments,
        }
    }

    /// What is kept of a sent letter: its subject. The body carries the
    /// ticket's secret link and the citizen's words.
    pub fn forget_body(&mut self) {
        let subject = self.subject();
        self.content = Content::Rendered {
            subject,
            text: String::new(),
            html: String::new(),
        };
        self.attachments.clear();
    }

    /// The subject line, without rendering the bodies.
    pub fn subject(&self) -> String {
        match &self.content {
            Content::TicketOpened { r, .. } => {
                format!("Solicitação nº {} recebida – {}", r.number, r.office.name)
            }
            Content::OfficeNotice { r, headline, .. } => {
                format!("{headline} – {}", r.service_name)
            }
            Content::MyRequests { .. } => "Suas solicitações no Balcão".to_owned(),
            Content::MyData { .. } => "Seus dados no Balcão".to_owned(),
            Content::DataErased { .. } => "Seus dados foram apagados do Balcão".to_owned(),
            Content::OfficeReply { r, .. } => {
                format!("Resposta do cartório – solicitação nº {}", r.number)
            }
            Content::TicketUpdate { subject, .. } | Content::Rendered { subject, .. } => {
                subject.clone()
            }
        }
    }

    /// Subject and bodies. Rendering only fails on a template bug, which the
    /// tests below would catch; an empty body is then sent rather than nothing.
    pub fn render(&self) -> Rendered {
        let (text, html) = match &self.content {
            Content::TicketOpened {
                r,
                link,
                appointment,
            } => (
                TicketOpenedText {
                    t: TicketSummary::new(r, link, appointment.as_deref()),
                }
                .render(),
                TicketOpenedHtml {
                    t: TicketSummary::new(r, link, appointment.as_deref()),
                }
                .render(),
            ),
            Content::OfficeNotice {
                r,
                headline,
                body,
                link,
            } => (
                OfficeNoticeText {
                    r,
                    headline,
                    body,
                    link,
                }
                .render(),
                OfficeNoticeHtml {
                    r,
                    headline,
                    body,
                    link,
                }
                .render(),
            ),
            Content::MyRequests { link } => (
                MyRequestsText { link }.render(),
                MyRequestsHtml { link }.render(),
            ),
            Content::MyData { link } => {
                (MyDataText { link }.render(), MyDataHtml { link }.render())
            }
            Content::DataErased { requests, offices } => (
                DataErasedText {
                    requests: *requests,
                    offices,
                }
                .render(),
                DataErasedHtml {
                    requests: *requests,
                    offices,
                }
                .render(),
            ),
            Content::OfficeReply {
                r,
                link,
                staff,
                body,
            } => (
                OfficeReplyText {
                    r,
                    link,
                    staff,
                    body,
                }
                .render(),
                OfficeReplyHtml {
                    r,
                    link,
                    staff,
                    body,
                }
                .render(),
            ),
            Content::TicketUpdate {
                r,
                link,
                headline,
                paragraphs,
                record,
                ..
            } => (
                TicketUpdateText {
                    r,
                    link,
                    headline,
                    paragraphs,
                    record,
                }
                .render(),
                TicketUpdateHtml {
                    r,
                    link,
                    headline,
                    paragraphs,
                    record,
                }
                .render(),
            ),
            Content::Rendered { text, html, .. } => (Ok(text.clone()), Ok(html.clone())),
        };
        Rendered {
            subject: self.subject(),
            text: text.unwrap_or_default(),
            html: html.unwrap_or_default(),
            attachments: self.attachments.clone(),
        }
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
            erase_on: None,
            erased_at: None,
            windows: Default::default(),
            citizen: Some(balcao_core::Citizen {
                name: balcao_core::PersonName::parse("Ana Lima").unwrap(),
                email: balcao_core::Email::parse("ana@example.com").unwrap(),
                document: Some(balcao_core::Document::parse("529.982.247-25").unwrap()),
                mobile: None,
            }),
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
        let letter = ticket_opened(&r, "https://x/tickets/1?k=s");
        let stored = serde_json::to_string(&letter).expect("letter as data");
        assert!(
            !stored.contains("529.982.247-25"),
            "the outbox holds the document masked: {stored}"
        );
        let mut sent = letter.clone();
        sent.forget_body();
        assert_eq!(sent.render().subject, letter.render().subject);
        assert!(
            sent.render().text.is_empty()
                && !serde_json::to_string(&sent).expect("json").contains("k=s")
        );
        let l = letter.render();
        assert!(
            l.text
                .starts_with("Acompanhe sua solicitação nº 7:\nhttps://x/tickets/1?k=s")
        );
        assert!(l.html.contains("Cartório &#60;1&#62;") || l.html.contains("Cartório &lt;1&gt;"));
        assert!(l.text.contains("***.982.247-**") && !l.text.contains("529.982.247-25"));
        let n = office_notice(
            &r,
            "Nova mensagem na solicitação nº 7",
            "<b>oi</b>",
            "https://balcao.example.gov.br",
        )
        .render();
        assert!(
            n.text.contains(
                "https://balcao.example.gov.br/staff/requests/00000000000000000000000000"
            ),
            "the office opens the request from the notice: {}",
            n.text
        );
        assert!(
            n.text.contains("<b>oi</b>"),
            "text bodies are not HTML-escaped"
        );
        assert!(!n.html.contains("<b>oi</b>"), "HTML bodies are escaped");
    }
}

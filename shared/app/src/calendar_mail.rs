//! Calendars stay true (SPEC C9): when a request whose appointment the citizen
//! was sent ends before it happens (cancelled, rejected, expired, closed), the
//! citizen's email carries a `METHOD:CANCEL` `.ics` with the same UID and a higher
//! SEQUENCE, so the event leaves their calendar.

use crate::emails;
use crate::ports::{Change, MailAttachment, OutboxMail};
use crate::secrets::TicketSecret;
use crate::{App, open_request};
use balcao_core::ics::{Invite, Method};
use balcao_core::{Request, Status};
use jiff::Timestamp;

/// Adds the cancellation to `change` when it ends a future appointment that was sent.
pub fn cancel_if_ended(app: &App, before: &Request, change: &mut Change, now: Timestamp) {
    let after = &change.request;
    let ends =
        !before.status.is_closed() && after.status.is_closed() && after.status != Status::Concluded;
    let Some(a) = before
        .appointment
        .as_ref()
        .filter(|a| a.sequence > 0 && ends)
    else {
        return;
    };
    let Some(start) = a.starts_at(&before.office.timezone).filter(|s| *s > now) else {
        return;
    };
    // No one left to tell once the citizen's data was erased.
    let Some(citizen) = before.citizen_email().cloned() else {
        return;
    };
    let sequence = a.sequence + 1;
    if let Some(kept) = change.request.appointment.as_mut() {
        kept.sequence = sequence;
    }
    let invite = Invite {
        method: Method::Cancel,
        uid: &format!("{}@balcao", before.id),
        sequence,
        start,
        end: start
            .checked_add(crate::staff_workflow::APPOINTMENT_LENGTH)
            .unwrap_or(start),
        stamp: now,
        summary: &format!("{} – {}", before.service_name, before.office.name),
        description: &format!("Solicitação nº {}: atendimento cancelado.", before.number),
        location: "",
        organizer_name: &before.office.name,
        organizer_email: before.office.email.as_str(),
        attendee_name: before.citizen_name(),
        attendee_email: citizen.as_str(),
    };
    let file = MailAttachment {
        name: "atendimento-cancelado.ics".into(),
        content_type: invite.content_type().into(),
        content: invite.render(),
    };
    if let Some(mail) = change.mails.iter_mut().find(|m| m.to == citizen) {
        mail.letter.attachments.push(file);
        return;
    }
    // The change emails only the office (the citizen cancelled): tell the citizen too.
    let secret = TicketSecret::generate();
    change.request.add_secret_hash(secret.hash());
    let link = open_request::ticket_url(app, before.id, &secret.encode());
    let mut letter = emails::ticket_update(
        &change.request,
        &link,
        format!("Atendimento cancelado – solicitação nº {}", before.number),
        "Seu atendimento foi cancelado",
        &[format!(
            "O atendimento de {} às {} não vai acontecer; o convite anexo o retira da sua agenda.",
            a.date.strftime("%d/%m/%Y"),
            a.time.strftime("%H:%M")
        )],
        &[],
    );
    letter.attachments.push(file);
    change.mails.push(OutboxMail::new(
        citizen.clone(),
        letter,
        Some(before.id),
        now,
    ));
}

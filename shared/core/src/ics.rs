//! Calendar invitations (RFC 5545) for appointments (SPEC S5, C9). One UID per
//! request and a SEQUENCE that grows with each change, so a calendar updates the
//! event instead of adding a second one. Times are written in UTC, converted from
//! the office's own time zone, so no VTIMEZONE is needed.

use jiff::Timestamp;

/// What the invitation does to the event in the citizen's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Adds or updates it.
    Request,
    /// Removes it: the appointment will not happen.
    Cancel,
}

/// One appointment as a calendar sees it.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    pub method: Method,
    pub uid: &'a str,
    pub sequence: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    /// When this version of the invitation was made.
    pub stamp: Timestamp,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values escape backslash, semicolon, comma and line breaks.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Parameter values (the CN of a person) are quoted, without quotes inside.
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control() && *c != '"').collect();
    format!("\"{clean}\"")
}

/// Lines longer than 75 octets continue on the next line after a space,
/// never splitting a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

impl Invite<'_> {
    /// The MIME type of the attachment, with the method calendars act on.
    pub fn content_type(&self) -> &'static str {
        match self.method {
            Method::Request => "text/calendar; method=REQUEST; charset=UTF-8",
            Method::Cancel => "text/calendar; method=CANCEL; charset=UTF-8",
        }
    }

    pub fn render(&self) -> String {
        let (method, status) = match self.method {
            Method::Request => ("REQUEST", "CONFIRMED"),
            Method::Cancel => ("CANCEL", "CANCELLED"),
        };
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//Balcao//Atendimento//PT-BR".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            format!("METHOD:{method}"),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", text(self.uid)),
            format!("SEQUENCE:{}", self.sequence),
            format!("DTSTAMP:{}", utc(self.stamp)),
            format!("DTSTART:{}", utc(self.start)),
            format!("DTEND:{}", utc(self.end)),
            format!("SUMMARY:{}", text(self.summary)),
            format!("DESCRIPTION:{}", text(self.description)),
            format!("LOCATION:{}", text(self.location)),
            format!(
                "ORGANIZER;CN={}:mailto:{}",
                param(self.organizer_name),
                self.organizer_email
            ),
            format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{}",
                param(self.attendee_name),
                self.attendee_email
            ),
            format!("STATUS:{status}"),
        ];
        if self.method == Method::Request {
            lines.extend(
                [
                    "BEGIN:VALARM",
                    "ACTION:DISPLAY",
                    "DESCRIPTION:Lembrete do atendimento",
                    "TRIGGER:-PT1H",
                    "END:VALARM",
                ]
                .map(str::to_owned),
            );
        }
        lines.extend(["END:VEVENT", "END:VCALENDAR"].map(str::to_owned));
        let mut out = String::new();
        for l in &lines {
            fold(l, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(sequence: u32) -> String {
        Invite {
            method: Method::Request,
            uid: "01JD0000000000000000000000@balcao",
            sequence,
            start: "2026-11-25T13:30:00Z".parse().unwrap(),
            end: "2026-11-25T14:00:00Z".parse().unwrap(),
            stamp: "2026-11-22T10:00:00Z".parse().unwrap(),
            summary: "Atendimento: escritura, procuração; dúvidas",
            description: "Linha 1\nLinha 2 com acentuação e um texto bem comprido que precisa ser dobrado em várias linhas",
            location: "Rua A, 1 – São Paulo/SP",
            organizer_name: "1º Tabelião \"Notas\"",
            organizer_email: "atendimento@example.com",
            attendee_name: "Maria da Silva",
            attendee_email: "maria@example.com",
        }
        .render()
    }

    #[test]
    fn an_invitation_is_valid_icalendar() {
        let ics = invite(2);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(ics.contains("\r\nUID:01JD0000000000000000000000@balcao\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:2\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261125T133000Z\r\n"));
        assert!(ics.contains("\r\nDTEND:20261125T140000Z\r\n"));
        assert!(ics.contains("SUMMARY:Atendimento: escritura\\, procuração\\; dúvidas"));
        assert!(ics.contains("DESCRIPTION:Linha 1\\nLinha 2"));
        assert!(ics.contains("ORGANIZER;CN=\"1º Tabelião Notas\":mailto:atendimento@example.com"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.contains('\n'));
        }
        // Unfolded, the description is whole again.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("dobrado em várias linhas"));
    }

    #[test]
    fn a_cancellation_removes_the_same_event() {
        let req = invite(2);
        let cancel = Invite {
            method: Method::Cancel,
            uid: "01JD0000000000000000000000@balcao",
            sequence: 3,
            start: "2026-11-25T13:30:00Z".parse().unwrap(),
            end: "2026-11-25T14:00:00Z".parse().unwrap(),
            stamp: "2026-11-23T10:00:00Z".parse().unwrap(),
            summary: "Atendimento",
            description: "Cancelado",
            location: "",
            organizer_name: "Cartório",
            organizer_email: "atendimento@example.com",
            attendee_name: "Maria",
            attendee_email: "maria@example.com",
        };
        assert_eq!(
            cancel.content_type(),
            "text/calendar; method=CANCEL; charset=UTF-8"
        );
        let ics = cancel.render();
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:3\r\n"));
        assert!(!ics.contains("VALARM"));
        let uid = |s: &str| s.lines().find(|l| l.starts_with("UID:")).map(str::to_owned);
        assert_eq!(uid(&ics), uid(&req));
    }

    #[test]
    fn a_change_keeps_the_uid_and_raises_the_sequence() {
        let (a, b) = (invite(1), invite(2));
        let uid = |s: &str| s.lines().find(|l| l.starts_with("UID:")).map(str::to_owned);
        assert_eq!(uid(&a), uid(&b));
        assert!(a.contains("SEQUENCE:1\r\n") && b.contains("SEQUENCE:2\r\n"));
    }
}

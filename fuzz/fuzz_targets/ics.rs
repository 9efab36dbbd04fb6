//! The `.ics` invitation: whatever the texts (accents, commas, semicolons,
//! quotes, line breaks, control characters), every line ends in CRLF, is at
//! most 75 octets and never splits a character; unfolded and unescaped, the
//! summary, description and location are the texts given (line breaks kept,
//! other control characters dropped); names stay inside their quotes.
#![no_main]

use arbitrary::Arbitrary;
use balcao_core::Email;
use balcao_core::ics::{Invite, Method};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    cancel: bool,
    uid: &'a str,
    sequence: u32,
    start: u32,
    minutes: u16,
    summary: &'a str,
    description: &'a str,
    location: &'a str,
    organizer_name: &'a str,
    organizer_email: &'a str,
    attendee_name: &'a str,
    attendee_email: &'a str,
}

fn email(s: &str, fallback: &str) -> String {
    Email::parse(s).map_or_else(|_| fallback.to_owned(), |e| e.as_str().to_owned())
}

/// What a TEXT value should read as once unescaped.
fn expected(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a dangling backslash in {v:?}"),
            }
        } else {
            assert!(!matches!(c, ';' | ','), "an unescaped {c:?} in {v:?}");
            out.push(c);
        }
    }
    out
}

fuzz_target!(|i: Input| {
    let start = balcao_fuzz::instant(i.start);
    let end = start + jiff::SignedDuration::from_mins(i64::from(i.minutes.max(1)));
    let (organizer, attendee) = (
        email(i.organizer_email, "cartorio@example.com"),
        email(i.attendee_email, "maria@example.com"),
    );
    let invite = Invite {
        method: if i.cancel {
            Method::Cancel
        } else {
            Method::Request
        },
        uid: i.uid,
        sequence: i.sequence,
        start,
        end,
        stamp: start,
        summary: i.summary,
        description: i.description,
        location: i.location,
        organizer_name: i.organizer_name,
        organizer_email: &organizer,
        attendee_name: i.attendee_name,
        attendee_email: &attendee,
    };
    let text = invite.render();
    assert!(text.ends_with("\r\n"));
    for line in text.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(
            !line.contains(['\r', '\n']),
            "a bare line break in {line:?}"
        );
    }
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split_terminator("\r\n").collect();
    let value =
        |name: &str| -> Vec<&str> { lines.iter().filter_map(|l| l.strip_prefix(name)).collect() };
    assert_eq!(value("BEGIN:VEVENT").len(), 1);
    assert_eq!(value("END:VCALENDAR").len(), 1);
    for (name, given) in [
        ("SUMMARY:", i.summary),
        ("DESCRIPTION:", i.description),
        ("LOCATION:", i.location),
        ("UID:", i.uid),
    ] {
        let found = value(name);
        // A request's alarm has a description of its own, after the event's.
        let alarm = usize::from(name == "DESCRIPTION:" && !i.cancel);
        assert_eq!(found.len(), 1 + alarm, "{name}");
        assert_eq!(unescape(found[0]), expected(given), "{name}");
    }
    for (name, mail) in [
        ("ORGANIZER;CN=\"", &organizer),
        ("ATTENDEE;CN=\"", &attendee),
    ] {
        let found = value(name);
        assert_eq!(found.len(), 1, "{name}");
        let (cn, rest) = found[0].split_once('"').expect("a closing quote");
        assert!(!cn.chars().any(char::is_control));
        assert!(rest.ends_with(&format!("mailto:{mail}")), "{rest:?}");
    }
    assert_eq!(value("SEQUENCE:"), vec![i.sequence.to_string().as_str()]);
});

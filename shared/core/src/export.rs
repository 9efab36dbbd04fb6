//! The office's requests as a spreadsheet (issue 15): one line per request,
//! UTF-8 with a byte-order mark and `;` between columns, so Excel as used in
//! Brazil opens it as is. No citizen's personal data: the office's record.

use crate::office::Office;
use crate::rating::Verdict;
use crate::request::Request;
use thiserror::Error;

/// The most lines one export holds (a Lambda answers at most 6 MB; a line
/// is under 200 bytes): a longer range is refused, asking for a shorter one.
pub const MAX_ROWS: usize = 20_000;

#[derive(Debug, Error)]
#[error("a planilha não pôde ser escrita: {0}")]
pub struct ExportError(String);

const HEADER: [&str; 11] = [
    "Número",
    "Aberta em",
    "Última alteração",
    "Atendimento",
    "Situação",
    "Responsável",
    "Agendamento",
    "Prazo de início",
    "Respostas no prazo",
    "Respostas fora do prazo",
    "Avaliação",
];

/// The spreadsheet of `requests` (in the order given); `office` names the
/// attendants. Dates are the office's local time.
pub fn requests_csv(requests: &[Request], office: &Office) -> Result<Vec<u8>, ExportError> {
    let fail = |e: &dyn std::fmt::Display| ExportError(e.to_string());
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(HEADER).map_err(|e| fail(&e))?;
        for r in requests {
            w.write_record(line(r, office).iter().map(|c| cell(c).into_owned()))
                .map_err(|e| fail(&e))?;
        }
        w.flush().map_err(|e| fail(&e))?;
    }
    Ok(out)
}

fn line(r: &Request, office: &Office) -> [String; 11] {
    let tz = r.office.time_zone();
    let when = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%d/%m/%Y %H:%M")
            .to_string()
    };
    let assignee = r.assignee.as_deref().map_or_else(String::new, |id| {
        office
            .attendants
            .iter()
            .find(|a| a.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |a| a.name.clone())
    });
    let appointment = r.appointment.as_ref().map_or_else(String::new, |a| {
        format!(
            "{} {}",
            a.date.strftime("%d/%m/%Y"),
            a.time.strftime("%H:%M")
        )
    });
    let start = match r.windows.start {
        Some(true) => "cumprido",
        Some(false) => "perdido",
        None => "",
    };
    let rating = match r.rating.as_ref().map(|x| x.verdict) {
        Some(Verdict::Approved) => "aprovou",
        Some(Verdict::Rejected) => "reprovou",
        None => "",
    };
    [
        r.number.to_string(),
        when(r.created_at),
        when(r.updated_at),
        r.service_name.clone(),
        r.status.label().to_owned(),
        assignee,
        appointment,
        start.to_owned(),
        r.windows.replies_met.to_string(),
        r.windows.replies_missed.to_string(),
        rating.to_owned(),
    ]
}

/// A cell a spreadsheet shows as text: one starting like a formula
/// (`=`, `+`, `-`, `@`) gets a leading apostrophe (OWASP's CSV injection advice).
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Tally, WindowsKept};

    #[test]
    fn a_request_is_one_line_excel_opens_with_accents_and_no_formula() {
        let (mut r, _) = crate::request::test_request();
        let office = crate::office::test_office();
        r.service_name = "=HYPERLINK(\"x\");Certidão".into();
        r.assignee = office.attendants.first().map(|a| a.id.to_string());
        let mut w = WindowsKept::default();
        let tally = |k: &str| Tally {
            counts: vec![(k.to_owned(), 1)],
            ..Tally::default()
        };
        w.add(&tally("start_met"));
        w.add(&tally("reply_met"));
        w.add(&tally("reply_missed"));
        w.add(&tally("reply_met"));
        r.windows = w;
        let bytes = requests_csv(&[r.clone()], &office).expect("csv");
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        assert!(text.ends_with("\r\n"));
        let mut read = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let head: Vec<String> = read
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(head, HEADER);
        let rows: Vec<csv::StringRecord> = read.records().collect::<Result<_, _>>().expect("rows");
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(&row[0], r.number.to_string());
        assert_eq!(&row[3], "'=HYPERLINK(\"x\");Certidão");
        assert_eq!(&row[4], r.status.label());
        assert_eq!(
            &row[5],
            office
                .attendants
                .first()
                .map(|a| a.name.as_str())
                .unwrap_or("")
        );
        assert_eq!(&row[6], "01/12/2026 10:00");
        assert_eq!(&row[7], "cumprido");
        assert_eq!((&row[8], &row[9]), ("2", "1"));
        assert_eq!(&row[10], "aprovou");
        // Local time: the opening's instant in the office's zone.
        let local = r
            .created_at
            .to_zoned(r.office.time_zone())
            .strftime("%d/%m/%Y %H:%M")
            .to_string();
        assert_eq!(&row[1], local);
    }
}

//! Registry protocols an office publishes for lookup (SPEC C11): number, the
//! holder's CPF, the current status and its history. Published one at a time or
//! from a CSV file; citizens find one by number and CPF.

use crate::document::Cpf;
use crate::text::{FreeText, ProtocolNumber};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How the lookup finds a number however it was typed: `123.456/2026-1` and
/// `12345620261` are the same protocol.
pub fn protocol_key(number: &str) -> String {
    number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolStep {
    pub date: Date,
    pub text: String,
}

/// A protocol as staff publish it; the CPF is only used to check lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolUpdate {
    pub number: ProtocolNumber,
    pub cpf: Cpf,
    pub status: String,
    pub history: Vec<ProtocolStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("linha {line}: {message}")]
    Row { line: usize, message: String },
    #[error("o arquivo não tem as colunas protocolo, cpf, situacao, data e andamento")]
    Header,
    #[error("o arquivo está vazio")]
    Empty,
    #[error("no máximo {max} linhas por arquivo")]
    TooManyRows { max: usize },
}

pub const MAX_ROWS: usize = 5000;

impl ProtocolUpdate {
    /// One protocol from a form: `history` has one step per line, `DD/MM/AAAA texto`
    /// (or `AAAA-MM-DD texto`).
    pub fn parse(
        number: &str,
        cpf: &str,
        status: &str,
        history: &str,
    ) -> Result<Self, (&'static str, String)> {
        let number = ProtocolNumber::parse(number).map_err(|e| ("number", e.to_string()))?;
        let cpf = Cpf::parse(cpf).map_err(|e| ("cpf", e.to_string()))?;
        let status = FreeText::parse(status).map_err(|e| ("status", e.to_string()))?;
        let mut steps = Vec::new();
        // Any line break ends a step, a lone CR too (old Macs, spreadsheet
        // cells): kept inside a text, it would read as a second step later.
        for (i, line) in history
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let (date, text) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let date = parse_date(date).ok_or((
                "history",
                format!("linha {}: comece com a data (DD/MM/AAAA)", i + 1),
            ))?;
            let text =
                FreeText::parse(text).map_err(|e| ("history", format!("linha {}: {e}", i + 1)))?;
            steps.push(ProtocolStep {
                date,
                text: text.as_str().to_owned(),
            });
        }
        steps.sort_by_key(|s| s.date);
        Ok(Self {
            number,
            cpf,
            status: status.as_str().to_owned(),
            history: steps,
        })
    }

    /// Protocols from a CSV file with the columns `protocolo`, `cpf`, `situacao`,
    /// `data` and `andamento` (`;` or `,` between them). Each row is one step of
    /// a protocol's history; the situation of its latest step is its status.
    /// Every bad row is reported; nothing is published if any is bad.
    pub fn parse_csv(text: &str) -> Result<Vec<Self>, Vec<ProtocolError>> {
        let text = text.trim_start_matches('\u{feff}');
        let first = text
            .lines()
            .next()
            .ok_or_else(|| vec![ProtocolError::Empty])?;
        let delimiter = if first.matches(';').count() >= first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(fold).collect(),
            Err(_) => return Err(vec![ProtocolError::Header]),
        };
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(n), Some(c), Some(s), Some(d), Some(a)) = (
            col("protocolo"),
            col("cpf"),
            col("situacao"),
            col("data"),
            col("andamento"),
        ) else {
            return Err(vec![ProtocolError::Header]);
        };
        let mut out: Vec<Self> = Vec::new();
        let mut errors = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            if i >= MAX_ROWS {
                return Err(vec![ProtocolError::TooManyRows { max: MAX_ROWS }]);
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(ProtocolError::Row {
                        line,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let get = |k: usize| record.get(k).unwrap_or("");
            // Each row is one step of a history: without its date it is no step.
            if get(d).is_empty() {
                errors.push(ProtocolError::Row {
                    line,
                    message: "data: informe a data do andamento (DD/MM/AAAA)".into(),
                });
                continue;
            }
            // A cell written on several lines (Alt+Enter) is one step's text.
            let step: Vec<&str> = get(a)
                .split(['\n', '\r'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let history = format!("{} {}", get(d), step.join(" "));
            match Self::parse(get(n), get(c), get(s), &history) {
                Err((field, message)) => errors.push(ProtocolError::Row {
                    line,
                    message: format!("{field}: {}", message.trim_start_matches("linha 1: ")),
                }),
                Ok(row) => match out
                    .iter_mut()
                    .find(|p| protocol_key(p.number.as_str()) == protocol_key(row.number.as_str()))
                {
                    Some(p) if p.cpf != row.cpf => errors.push(ProtocolError::Row {
                        line,
                        message: format!(
                            "o protocolo {} aparece com outro CPF",
                            row.number.as_str()
                        ),
                    }),
                    Some(p) => {
                        let latest = p.history.last().map(|s| s.date);
                        let this = row.history.first().map(|s| s.date);
                        if latest.is_none_or(|l| this.is_some_and(|t| t >= l)) {
                            p.status = row.status.clone();
                        }
                        p.history.extend(row.history);
                        p.history.sort_by_key(|s| s.date);
                    }
                    None => out.push(row),
                },
            }
        }
        if out.is_empty() && errors.is_empty() {
            return Err(vec![ProtocolError::Empty]);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// Column names compared without case or accents ("Situação" is "situacao").
fn fold(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

/// A date as people type it here: `DD/MM/AAAA`, or ISO `AAAA-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let mut parts = s.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPF: &str = "529.982.247-25";

    #[test]
    fn keys_ignore_punctuation_and_case() {
        assert_eq!(protocol_key("123.456/2026-a"), "1234562026A");
    }

    #[test]
    fn a_form_update_has_dated_steps_in_order() {
        let p = ProtocolUpdate::parse(
            "123.456",
            CPF,
            "Em qualificação",
            "20/11/2026 Prenotado\n2026-11-10 Recebido",
        )
        .unwrap();
        assert_eq!(
            p.history
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            ["Recebido", "Prenotado"]
        );
        assert_eq!(
            ProtocolUpdate::parse("123", "111.111.111-11", "x", "")
                .unwrap_err()
                .0,
            "cpf"
        );
        assert_eq!(
            ProtocolUpdate::parse("123", CPF, "x", "ontem algo")
                .unwrap_err()
                .0,
            "history"
        );
    }

    /// Found by the fuzzer (issue 17): a second row of a protocol with no
    /// date and no step panicked reading its first step.
    #[test]
    fn a_row_without_a_date_is_refused_not_a_crash() {
        let csv = "protocolo;cpf;situacao;data;andamento\n\
                   2026/000123;529.982.247-25;Em análise;01/12/2026;Recebido\n\
                   2026/000123;529.982.247-25;Registrado;;\n";
        let errors = ProtocolUpdate::parse_csv(csv).expect_err("refused");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("linha 3") && errors[0].to_string().contains("data"),
            "{}",
            errors[0]
        );
    }

    /// Found by the fuzzer: a step's text with a lone CR was kept with a line
    /// break, which publishing the protocol again read as a second step.
    #[test]
    fn a_cell_on_several_lines_is_one_step_and_publishes_again() {
        let csv = "protocolo;cpf;situacao;data;andamento\n\
                   2026/000123;529.982.247-25;Pronto;01/12/2026;\"Pronto\rpara\r\nretirada\"\n";
        let protocols = ProtocolUpdate::parse_csv(csv).expect("one protocol");
        assert_eq!(protocols[0].history.len(), 1);
        assert_eq!(protocols[0].history[0].text, "Pronto para retirada");
        let form = "01/12/2026 Recebido\r02/12/2026 Pronto";
        let p =
            ProtocolUpdate::parse("2026/000123", "52998224725", "Pronto", form).expect("two steps");
        assert_eq!(p.history.len(), 2, "{:?}", p.history);
        assert_eq!(p.history[1].text, "Pronto");
    }

    #[test]
    fn a_csv_groups_rows_by_protocol_and_reports_every_bad_row() {
        let csv = "\u{feff}Protocolo;CPF;Situação;Data;Andamento\n\
                   123.456;529.982.247-25;Recebido;10/11/2026;Título recebido\n\
                   123.456;52998224725;Em exigência;20/11/2026;Falta certidão de casamento\n\
                   999;529.982.247-25;Registrado;01/11/2026;Registro concluído\n";
        let ps = ProtocolUpdate::parse_csv(csv).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].status, "Em exigência");
        assert_eq!(ps[0].history.len(), 2);
        let bad = "protocolo,cpf,situacao,data,andamento\n1,111.111.111-11,x,01/01/2026,y\n2,529.982.247-25,x,32/01/2026,y\n3,529.982.247-25,x,01/01/2026,ok\n";
        let errors = ProtocolUpdate::parse_csv(bad).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].to_string().starts_with("linha 2: cpf"));
        assert!(errors[1].to_string().starts_with("linha 3: history"));
        assert_eq!(
            ProtocolUpdate::parse_csv("a;b\n1;2\n").unwrap_err(),
            vec![ProtocolError::Header]
        );
        assert_eq!(
            ProtocolUpdate::parse_csv("").unwrap_err(),
            vec![ProtocolError::Empty]
        );
    }
}

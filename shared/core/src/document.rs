//! CPF and CNPJ (numeric and the alphanumeric format issued since July 2026),
//! with their check digits.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error("campo obrigatório")]
    Empty,
    #[error("informe um CPF (11 dígitos) ou CNPJ (14 caracteres)")]
    WrongLength,
    #[error("contém caracteres não permitidos")]
    BadCharacters,
    #[error("dígitos verificadores não conferem")]
    CheckDigits,
}

fn strip_mask(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Check digit by the mod-11 rule shared by CPF and CNPJ.
fn mod11(values: &[u32], weights: impl Iterator<Item = u32>) -> u32 {
    let sum: u32 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    let r = sum % 11;
    if r < 2 { 0 } else { 11 - r }
}

/// A CPF with valid check digits, kept as 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpf(String);

impl Cpf {
    pub fn parse(input: &str) -> Result<Self, DocumentError> {
        let s = strip_mask(input);
        if s.is_empty() {
            return Err(DocumentError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DocumentError::BadCharacters);
        }
        if s.len() != 11 {
            return Err(DocumentError::WrongLength);
        }
        let d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
        // Repeated digits pass the arithmetic but are never issued.
        if d.iter().all(|x| *x == d[0]) {
            return Err(DocumentError::CheckDigits);
        }
        let dv1 = mod11(&d[..9], (2..=10).rev());
        let dv2 = mod11(&d[..10], (2..=11).rev());
        if d[9] != dv1 || d[10] != dv2 {
            return Err(DocumentError::CheckDigits);
        }
        Ok(Self(s))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `***.456.789-**`: what pages, emails and logs show.
    pub fn masked(&self) -> String {
        format!("***.{}.{}-**", &self.0[3..6], &self.0[6..9])
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{}.{}.{}-{}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }
}

impl TryFrom<String> for Cpf {
    type Error = DocumentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Cpf> for String {
    fn from(v: Cpf) -> Self {
        v.0
    }
}

/// A CNPJ with valid check digits: 12 characters in `[0-9A-Z]` then two digits.
/// Numeric CNPJs are the special case where all 12 are digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cnpj(String);

impl Cnpj {
    pub fn parse(input: &str) -> Result<Self, DocumentError> {
        let s = strip_mask(input);
        if s.is_empty() {
            return Err(DocumentError::Empty);
        }
        if s.len() != 14 {
            return Err(DocumentError::WrongLength);
        }
        let bytes = s.as_bytes();
        let base_ok = bytes[..12]
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        let dv_ok = bytes[12..].iter().all(u8::is_ascii_digit);
        if !base_ok || !dv_ok {
            return Err(DocumentError::BadCharacters);
        }
        // Each character counts as its ASCII code minus 48 ('0' = 0, 'A' = 17).
        let v: Vec<u32> = bytes.iter().map(|b| u32::from(*b) - 48).collect();
        if v.iter().all(|x| *x == v[0]) {
            return Err(DocumentError::CheckDigits);
        }
        let weights = |n: usize| (0..n).map(move |i| [2, 3, 4, 5, 6, 7, 8, 9][(n - 1 - i) % 8]);
        let dv1 = mod11(&v[..12], weights(12));
        let dv2 = mod11(&v[..13], weights(13));
        if v[12] != dv1 || v[13] != dv2 {
            return Err(DocumentError::CheckDigits);
        }
        Ok(Self(s))
    }

    pub fn chars(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(
            f,
            "{}.{}.{}/{}-{}",
            &s[..2],
            &s[2..5],
            &s[5..8],
            &s[8..12],
            &s[12..]
        )
    }
}

impl TryFrom<String> for Cnpj {
    type Error = DocumentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Cnpj> for String {
    fn from(v: Cnpj) -> Self {
        v.0
    }
}

/// The `document` field: a person's CPF or a company's CNPJ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Document {
    Cpf(Cpf),
    Cnpj(Cnpj),
}

impl Document {
    pub fn parse(input: &str) -> Result<Self, DocumentError> {
        let s = strip_mask(input);
        match s.len() {
            0 => Err(DocumentError::Empty),
            11 => Cpf::parse(&s).map(Self::Cpf),
            14 => Cnpj::parse(&s).map(Self::Cnpj),
            _ if s.chars().all(|c| c.is_ascii_alphanumeric()) => Err(DocumentError::WrongLength),
            _ => Err(DocumentError::BadCharacters),
        }
    }

    /// A CPF is personal data and is masked; a CNPJ is public and shown whole.
    pub fn masked(&self) -> String {
        match self {
            Self::Cpf(c) => c.masked(),
            Self::Cnpj(c) => c.to_string(),
        }
    }

    pub fn kind_label(&self) -> &'static str {
        match self {
            Self::Cpf(_) => "CPF",
            Self::Cnpj(_) => "CNPJ",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_cpfs() {
        assert!(Cpf::parse("529.982.247-25").is_ok());
        assert!(Cpf::parse("52998224725").is_ok());
        assert_eq!(
            Cpf::parse("529.982.247-26"),
            Err(DocumentError::CheckDigits)
        );
        assert_eq!(
            Cpf::parse("111.111.111-11"),
            Err(DocumentError::CheckDigits)
        );
        assert_eq!(Cpf::parse("5299822472"), Err(DocumentError::WrongLength));
        assert_eq!(Cpf::parse("5299822472a"), Err(DocumentError::BadCharacters));
        assert_eq!(
            Cpf::parse("52998224725").unwrap().masked(),
            "***.982.247-**"
        );
        assert_eq!(
            Cpf::parse("52998224725").unwrap().to_string(),
            "529.982.247-25"
        );
    }

    #[test]
    fn known_numeric_cnpjs() {
        assert!(Cnpj::parse("11.222.333/0001-81").is_ok());
        assert!(Cnpj::parse("11222333000181").is_ok());
        assert_eq!(
            Cnpj::parse("11.222.333/0001-82"),
            Err(DocumentError::CheckDigits)
        );
        assert_eq!(
            Cnpj::parse("00000000000000"),
            Err(DocumentError::CheckDigits)
        );
    }

    #[test]
    fn alphanumeric_cnpj_from_the_receita_example() {
        let c = Cnpj::parse("12.ABC.345/01DE-35").unwrap();
        assert_eq!(c.chars(), "12ABC34501DE35");
        assert_eq!(c.to_string(), "12.ABC.345/01DE-35");
        assert!(
            Cnpj::parse("12.abc.345/01de-35").is_ok(),
            "lower case is accepted and normalised"
        );
        assert_eq!(
            Cnpj::parse("12.ABC.345/01DE-36"),
            Err(DocumentError::CheckDigits)
        );
        assert_eq!(
            Cnpj::parse("12.ABC.345/01DE-3A"),
            Err(DocumentError::BadCharacters)
        );
    }

    #[test]
    fn document_picks_by_length() {
        assert!(matches!(
            Document::parse("529.982.247-25"),
            Ok(Document::Cpf(_))
        ));
        assert!(matches!(
            Document::parse("12.ABC.345/01DE-35"),
            Ok(Document::Cnpj(_))
        ));
        assert_eq!(Document::parse("123"), Err(DocumentError::WrongLength));
        assert_eq!(Document::parse("12#"), Err(DocumentError::BadCharacters));
        assert_eq!(Document::parse(" "), Err(DocumentError::Empty));
    }

    fn cpf_with_digits(base: &[u32]) -> String {
        let dv1 = mod11(base, (2..=10).rev());
        let mut all = base.to_vec();
        all.push(dv1);
        let dv2 = mod11(&all, (2..=11).rev());
        all.push(dv2);
        all.iter()
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect()
    }

    proptest! {
        /// An independent computation of the rule is the oracle. (A substituted base
        /// digit can yield another valid CPF: remainders 0 and 1 share a check digit.)
        #[test]
        fn cpf_parse_agrees_with_the_check_digit_rule(digits in proptest::collection::vec(0u32..10, 11)) {
            let s: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            let repeated = digits.iter().all(|d| *d == digits[0]);
            let expected = !repeated && cpf_with_digits(&digits[..9]) == s;
            prop_assert_eq!(Cpf::parse(&s).is_ok(), expected);
        }

        #[test]
        fn computed_cpfs_parse_and_a_changed_check_digit_fails(
            base in proptest::collection::vec(0u32..10, 9), which in 9usize..11, delta in 1u32..10
        ) {
            prop_assume!(!base.iter().all(|d| *d == base[0]));
            let good = cpf_with_digits(&base);
            prop_assert!(Cpf::parse(&good).is_ok());
            let mut bad: Vec<u32> = good.bytes().map(|b| u32::from(b - b'0')).collect();
            bad[which] = (bad[which] + delta) % 10;
            let bad: String = bad.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            prop_assert!(Cpf::parse(&bad).is_err());
        }

        #[test]
        fn cnpj_parse_never_panics_and_round_trips(s in "[0-9A-Za-z./ -]{0,20}") {
            if let Ok(c) = Cnpj::parse(&s) {
                prop_assert_eq!(Cnpj::parse(&c.to_string()), Ok(c));
            }
        }
    }
}

//! How the office reaches a citizen: email and Brazilian mobile number.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContactError {
    #[error("campo obrigatório")]
    Empty,
    #[error("e-mail inválido")]
    BadEmail,
    #[error("celular inválido: informe DDD e número com 9 dígitos, por exemplo (11) 98765-4321")]
    BadMobile,
    #[error("DDD inexistente")]
    BadAreaCode,
}

/// An email address with a dotted domain, at most 254 characters, domain in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ContactError::Empty);
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactError::BadEmail);
        }
        let parsed =
            email_address::EmailAddress::from_str(s).map_err(|_| ContactError::BadEmail)?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        // Literal IP domains and dotless hosts are valid RFC 5322 but never a citizen's mailbox.
        if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
            return Err(ContactError::BadEmail);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `m***@example.com`: what logs show.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(v: Email) -> Self {
        v.0
    }
}

/// Area codes (DDD) in use in Brazil.
const AREA_CODES: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// A Brazilian mobile number: DDD plus nine digits starting with 9. Kept as 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ContactError::Empty);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ' | '.'))
        {
            return Err(ContactError::BadMobile);
        }
        let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 13 && digits.starts_with("55") {
            digits.drain(..2);
        }
        if digits.len() != 11 || digits.as_bytes()[2] != b'9' {
            return Err(ContactError::BadMobile);
        }
        let ddd: u8 = digits[..2].parse().map_err(|_| ContactError::BadMobile)?;
        if !AREA_CODES.contains(&ddd) {
            return Err(ContactError::BadAreaCode);
        }
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `5511987654321`, as `wa.me` links want it.
    pub fn international(&self) -> String {
        format!("55{}", self.0)
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "({}) {}-{}", &s[..2], &s[2..7], &s[7..])
    }
}
impl TryFrom<String> for Mobile {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Mobile> for String {
    fn from(v: Mobile) -> Self {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ana.Silva@Example.COM ").unwrap().as_str(),
            "Ana.Silva@example.com"
        );
        assert_eq!(Email::parse("ana@localhost"), Err(ContactError::BadEmail));
        assert_eq!(
            Email::parse("ana silva@example.com"),
            Err(ContactError::BadEmail)
        );
        assert_eq!(Email::parse("@example.com"), Err(ContactError::BadEmail));
        assert_eq!(Email::parse(""), Err(ContactError::Empty));
        assert_eq!(
            Email::parse("ana@example.com").unwrap().masked(),
            "a***@example.com"
        );
    }

    #[test]
    fn mobiles() {
        let m = Mobile::parse("+55 (11) 98765-4321").unwrap();
        assert_eq!(m.digits(), "11987654321");
        assert_eq!(m.to_string(), "(11) 98765-4321");
        assert_eq!(m.international(), "5511987654321");
        assert_eq!(
            Mobile::parse("69 99999-0000").unwrap().digits(),
            "69999990000"
        );
        assert_eq!(
            Mobile::parse("(11) 3876-4321"),
            Err(ContactError::BadMobile),
            "landline"
        );
        assert_eq!(
            Mobile::parse("(20) 98765-4321"),
            Err(ContactError::BadAreaCode)
        );
        assert_eq!(Mobile::parse("11 98765-432a"), Err(ContactError::BadMobile));
    }

    proptest! {
        #[test]
        fn parsed_mobiles_round_trip(s in "[0-9()+ -]{0,20}") {
            if let Ok(m) = Mobile::parse(&s) {
                prop_assert_eq!(Mobile::parse(&m.to_string()), Ok(m.clone()));
                prop_assert_eq!(m.digits().len(), 11);
            }
        }

        #[test]
        fn parsed_emails_round_trip(s in "[a-zA-Z0-9.@_+-]{0,40}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e));
            }
        }
    }
}

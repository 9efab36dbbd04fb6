//! Free-form text a person types: names, messages, protocol numbers.
//! Each type can only hold text that passed its rules.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("campo obrigatório")]
    Empty,
    #[error("deve ter no máximo {max} caracteres")]
    TooLong { max: usize },
    #[error("deve ter pelo menos {min} caracteres")]
    TooShort { min: usize },
    #[error("contém caracteres não permitidos")]
    ForbiddenCharacters,
}

/// Control characters are refused everywhere; line breaks and tabs only in free text.
fn has_forbidden_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        if allow_newlines && (c == '\n' || c == '\t') {
            return false;
        }
        c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

/// A person's name: 2 to 120 characters of letters, spaces and `.'-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 120;

    pub fn parse(input: &str) -> Result<Self, TextError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(TextError::Empty);
        }
        let len = collapsed.chars().count();
        if len > Self::MAX {
            return Err(TextError::TooLong { max: Self::MAX });
        }
        if len < 2 {
            return Err(TextError::TooShort { min: 2 });
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '.' | '\'' | '-' | '’');
        if !collapsed.chars().all(allowed) || !collapsed.chars().any(char::is_alphabetic) {
            return Err(TextError::ForbiddenCharacters);
        }
        Ok(Self(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<PersonName> for String {
    fn from(v: PersonName) -> Self {
        v.0
    }
}

/// A message: up to 4000 characters, line breaks kept, other control characters refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FreeText(String);

impl FreeText {
    pub const MAX: usize = 4000;

    pub fn parse(input: &str) -> Result<Self, TextError> {
        let normalized = input.replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = normalized.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > Self::MAX {
            return Err(TextError::TooLong { max: Self::MAX });
        }
        if has_forbidden_control(trimmed, true) {
            return Err(TextError::ForbiddenCharacters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FreeText {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<FreeText> for String {
    fn from(v: FreeText) -> Self {
        v.0
    }
}

/// A registry protocol number as offices print it: digits and letters with `./-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProtocolNumber(String);

impl ProtocolNumber {
    pub const MAX: usize = 40;

    pub fn parse(input: &str) -> Result<Self, TextError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > Self::MAX {
            return Err(TextError::TooLong { max: Self::MAX });
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-');
        if !trimmed.chars().all(allowed) || !trimmed.chars().any(|c| c.is_ascii_digit()) {
            return Err(TextError::ForbiddenCharacters);
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProtocolNumber {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ProtocolNumber> for String {
    fn from(v: ProtocolNumber) -> Self {
        v.0
    }
}

/// A short label configured by a manager (office name, service name, sector).
pub fn parse_label(input: &str, max: usize) -> Result<String, TextError> {
    let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(TextError::Empty);
    }
    if collapsed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if has_forbidden_control(&collapsed, false) {
        return Err(TextError::ForbiddenCharacters);
    }
    Ok(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_collapsed() {
        assert_eq!(
            PersonName::parse("  Maria   da  Silva ").unwrap().as_str(),
            "Maria da Silva"
        );
        assert_eq!(
            PersonName::parse("D'Ávila-Souza Jr.").unwrap().as_str(),
            "D'Ávila-Souza Jr."
        );
    }

    #[test]
    fn names_refuse_digits_controls_and_extremes() {
        assert_eq!(PersonName::parse(""), Err(TextError::Empty));
        assert_eq!(PersonName::parse("A"), Err(TextError::TooShort { min: 2 }));
        assert_eq!(
            PersonName::parse("Maria 2"),
            Err(TextError::ForbiddenCharacters)
        );
        assert_eq!(
            PersonName::parse("Ma\u{0}ria"),
            Err(TextError::ForbiddenCharacters)
        );
        assert_eq!(
            PersonName::parse(&"a".repeat(121)),
            Err(TextError::TooLong { max: 120 })
        );
    }

    #[test]
    fn free_text_keeps_line_breaks_and_refuses_controls() {
        assert_eq!(
            FreeText::parse(" linha 1\r\nlinha 2 ").unwrap().as_str(),
            "linha 1\nlinha 2"
        );
        assert_eq!(
            FreeText::parse("olá\u{7}"),
            Err(TextError::ForbiddenCharacters)
        );
        assert_eq!(
            FreeText::parse("olá\u{202E}"),
            Err(TextError::ForbiddenCharacters)
        );
        assert_eq!(FreeText::parse("   "), Err(TextError::Empty));
        assert!(FreeText::parse(&"x".repeat(4000)).is_ok());
        assert_eq!(
            FreeText::parse(&"x".repeat(4001)),
            Err(TextError::TooLong { max: 4000 })
        );
    }

    #[test]
    fn protocol_numbers() {
        assert_eq!(
            ProtocolNumber::parse(" 123.456/2026-a ").unwrap().as_str(),
            "123.456/2026-A"
        );
        assert_eq!(
            ProtocolNumber::parse("abc"),
            Err(TextError::ForbiddenCharacters)
        );
        assert_eq!(
            ProtocolNumber::parse("12 34"),
            Err(TextError::ForbiddenCharacters)
        );
    }

    proptest! {
        #[test]
        fn accepted_text_never_holds_control_characters(s in "\\PC*|.*") {
            if let Ok(t) = FreeText::parse(&s) {
                prop_assert!(!t.as_str().chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                prop_assert!(t.as_str().chars().count() <= FreeText::MAX);
            }
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert!(!n.as_str().chars().any(char::is_control));
                prop_assert!(n.as_str().chars().count() <= PersonName::MAX);
            }
        }
    }
}

/// A word as people type it, compared without case or accents: "São Paulo"
/// and "sao paulo" fold to the same key. Runs of spaces become one.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let folded: String = s
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod fold_tests {
    use super::fold;

    #[test]
    fn case_accents_and_spaces_do_not_matter() {
        assert_eq!(fold("  São   Paulo "), "sao paulo");
        assert_eq!(fold("JOÃO Conceição"), "joao conceicao");
        assert_eq!(fold("Itaú"), fold("itau"));
    }
}

//! The validators of what people type: CPF, CNPJ (numeric and alphanumeric),
//! e-mail, mobile, names, free text and protocol numbers. Whatever one
//! accepts is accepted again in the form it is shown or kept in, unchanged.
#![no_main]

use balcao_core::{Cnpj, Cpf, Document, Email, FreeText, Mobile, PersonName, ProtocolNumber};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(cpf) = Cpf::parse(input) {
        assert_eq!(Cpf::parse(&cpf.to_string()).as_ref(), Ok(&cpf));
        assert_eq!(Cpf::parse(cpf.digits()).as_ref(), Ok(&cpf));
        assert_eq!(cpf.digits().len(), 11);
        let masked = cpf.masked();
        assert!(
            masked.starts_with("***.") && masked.ends_with("-**"),
            "{masked}"
        );
        assert!(matches!(Document::parse(input), Ok(Document::Cpf(ref c)) if *c == cpf));
    }
    if let Ok(cnpj) = Cnpj::parse(input) {
        assert_eq!(Cnpj::parse(&cnpj.to_string()).as_ref(), Ok(&cnpj));
        assert_eq!(cnpj.chars().len(), 14);
        assert!(matches!(Document::parse(input), Ok(Document::Cnpj(ref c)) if *c == cnpj));
    }
    if let Ok(doc) = Document::parse(input) {
        let again = match &doc {
            Document::Cpf(c) => Document::parse(c.digits()),
            Document::Cnpj(c) => Document::parse(c.chars()),
        };
        assert_eq!(again.as_ref(), Ok(&doc));
    }
    if let Ok(email) = Email::parse(input) {
        assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
        assert!(email.as_str().len() <= 254);
        assert!(
            !email
                .as_str()
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        );
        assert!(
            email
                .masked()
                .ends_with(email.as_str().rsplit('@').next().unwrap_or(""))
        );
    }
    if let Ok(mobile) = Mobile::parse(input) {
        assert_eq!(Mobile::parse(&mobile.to_string()).as_ref(), Ok(&mobile));
        assert_eq!(Mobile::parse(&mobile.international()).as_ref(), Ok(&mobile));
    }
    if let Ok(name) = PersonName::parse(input) {
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(text) = FreeText::parse(input) {
        assert_eq!(FreeText::parse(text.as_str()).as_ref(), Ok(&text));
    }
    if let Ok(p) = ProtocolNumber::parse(input) {
        assert_eq!(ProtocolNumber::parse(p.as_str()).as_ref(), Ok(&p));
        assert_eq!(
            balcao_core::protocol_key(p.as_str()),
            balcao_core::protocol_key(&p.as_str().to_lowercase())
        );
    }
});

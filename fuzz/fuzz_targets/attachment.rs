//! The attachment check: a file's name, size and first bytes. An accepted file
//! is what its name says (or a text that is a statement), its name survives
//! being read again, and a PDF that opens has at least one page.
//!
//! Input: the file's name, a NUL byte, then its content.
#![no_main]

use balcao_core::attachment::{self, FileName, FileType, UploadRef};
use libfuzzer_sys::fuzz_target;
use std::str::FromStr;

fuzz_target!(|data: &[u8]| {
    let (name, content) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"arquivo.pdf"[..], data),
    };
    let name = String::from_utf8_lossy(name);
    if let Ok(n) = FileName::parse(&name) {
        assert!(n.as_str().chars().count() <= FileName::MAX);
        assert!(!n.as_str().contains(['/', '\\']));
        assert!(!n.as_str().chars().any(char::is_control));
        assert_eq!(
            FileName::parse(n.as_str()).as_ref(),
            Ok(&n),
            "read again, unchanged"
        );
        let size = content.len() as u64;
        match attachment::check(n.as_str(), size, content, balcao_core::DEFAULT_MAX_BYTES) {
            Ok(t) => {
                let claimed = FileType::from_name(n.as_str()).expect("accepted names have a type");
                let sniffed = FileType::sniff(content).expect("accepted content is recognised");
                assert!(
                    t == claimed
                        && (sniffed == t || (t == FileType::Txt && sniffed == FileType::Ofx)),
                    "{t:?} {claimed:?} {sniffed:?}"
                );
                assert!(size > 0 && size <= balcao_core::DEFAULT_MAX_BYTES);
                let declared = attachment::check_declared(&n, size, balcao_core::DEFAULT_MAX_BYTES);
                assert_eq!(declared.ok(), Some(claimed));
            }
            Err(_) => {}
        }
        let r = format!("01J0000000000000000000000A.tag_1:{n}");
        let parsed = UploadRef::from_str(&r).expect("a reference to a valid name");
        assert_eq!(parsed.name, n);
        assert_eq!(UploadRef::from_str(&parsed.encode()).ok(), Some(parsed));
    }
    if let Ok(pages) = attachment::check_pdf(content) {
        assert!(pages >= 1);
    }
    let _ = UploadRef::from_str(&String::from_utf8_lossy(content));
});

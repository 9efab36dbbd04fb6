//! Which files may be attached (SPEC C8): JPEG, JPG, MP4, OFX, PDF, PNG and TXT,
//! up to a size limit (2 MB unless the office sets another). The content decides,
//! not the name: the name's extension must agree with what the bytes are.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use ulid::Ulid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
    Mp4,
    Ofx,
    Txt,
}

impl FileType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Jpeg => "imagem JPEG",
            Self::Png => "imagem PNG",
            Self::Pdf => "documento PDF",
            Self::Mp4 => "vídeo MP4",
            Self::Ofx => "extrato OFX",
            Self::Txt => "texto",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
            Self::Mp4 => "video/mp4",
            Self::Ofx => "application/x-ofx",
            Self::Txt => "text/plain",
        }
    }

    /// What the name claims, by its extension.
    pub fn from_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "pdf" => Some(Self::Pdf),
            "mp4" => Some(Self::Mp4),
            "ofx" => Some(Self::Ofx),
            "txt" => Some(Self::Txt),
            _ => None,
        }
    }

    /// What the first bytes of the file are; `None` if none of the accepted types.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Self::Jpeg);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if head.starts_with(b"%PDF-") {
            return Some(Self::Pdf);
        }
        if head.len() >= 12 && &head[4..8] == b"ftyp" {
            return Some(Self::Mp4);
        }
        // Text from here on: no NUL bytes, and valid UTF-8 up to a possibly cut last character.
        if head.contains(&0) {
            return None;
        }
        let text = match std::str::from_utf8(head) {
            Ok(t) => t,
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&head[..e.valid_up_to()]).ok()?
            }
            // Latin-1 statements are common in OFX; anything else binary is refused.
            Err(_) => return looks_like_ofx(&String::from_utf8_lossy(head)).then_some(Self::Ofx),
        };
        if looks_like_ofx(text) {
            return Some(Self::Ofx);
        }
        let controls = text
            .chars()
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
            .count();
        (controls == 0).then_some(Self::Txt)
    }
}

fn looks_like_ofx(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("OFXHEADER:")
        || (t.starts_with("<?xml") && t.contains("<?OFX"))
        || t.starts_with("<OFX>")
}

pub const DEFAULT_MAX_BYTES: u64 = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttachmentError {
    #[error("o arquivo está vazio")]
    Empty,
    #[error("o arquivo tem {size_kb} KB; o máximo é {max_kb} KB")]
    TooLarge { size_kb: u64, max_kb: u64 },
    #[error("tipo de arquivo não aceito: envie JPEG, JPG, MP4, OFX, PDF, PNG ou TXT")]
    NotAccepted,
    #[error("o nome diz {claimed}, mas o conteúdo é {actual}")]
    Mismatch {
        claimed: &'static str,
        actual: &'static str,
    },
    #[error("o nome diz {claimed}, mas o conteúdo não é de nenhum tipo aceito")]
    Unrecognised { claimed: &'static str },
    #[error("o arquivo precisa de um nome")]
    NoName,
    #[error("referência de anexo inválida: use o valor `attachment` devolvido pelo envio")]
    BadReference,
    #[error("o conteúdo não é um documento PDF legível ({0})")]
    NotAPdf(String),
}

/// A document staff conclude with must open as a PDF: parsed whole by a PDF
/// library, with at least one page. A PDF header followed by anything else fails.
pub fn check_pdf(bytes: &[u8]) -> Result<usize, AttachmentError> {
    let doc =
        lopdf::Document::load_mem(bytes).map_err(|e| AttachmentError::NotAPdf(pdf_reason(&e)))?;
    match doc.get_pages().len() {
        0 => Err(AttachmentError::NotAPdf("nenhuma página".into())),
        n => Ok(n),
    }
}

fn pdf_reason(e: &lopdf::Error) -> String {
    match e {
        lopdf::Error::Parse(_) => "o arquivo não segue o formato PDF".into(),
        lopdf::Error::Xref(_) | lopdf::Error::MissingXrefEntry | lopdf::Error::InvalidOffset(_) => {
            "estrutura do arquivo danificada".into()
        }
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => "documento protegido por senha".into(),
        _ => "estrutura inválida".into(),
    }
}

/// Checks a file by its name, size and first bytes (at least the first 1 KB).
pub fn check(
    name: &str,
    size: u64,
    head: &[u8],
    max_bytes: u64,
) -> Result<FileType, AttachmentError> {
    if size == 0 {
        return Err(AttachmentError::Empty);
    }
    if size > max_bytes {
        return Err(AttachmentError::TooLarge {
            size_kb: size.div_ceil(1024),
            max_kb: max_bytes / 1024,
        });
    }
    let claimed = FileType::from_name(name).ok_or(AttachmentError::NotAccepted)?;
    match FileType::sniff(head) {
        Some(actual) if actual == claimed => Ok(actual),
        // A statement is text too: an .ofx that is plain text is not an OFX, a .txt that is an OFX is fine.
        Some(FileType::Ofx) if claimed == FileType::Txt => Ok(FileType::Txt),
        Some(actual) => Err(AttachmentError::Mismatch {
            claimed: claimed.label(),
            actual: actual.label(),
        }),
        None => Err(AttachmentError::Unrecognised {
            claimed: claimed.label(),
        }),
    }
}

/// A file's name as shown to people: the last path segment, without control or
/// direction-changing characters, at most 120 characters, keeping its extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

impl FileName {
    pub const MAX: usize = 120;

    pub fn parse(input: &str) -> Result<Self, AttachmentError> {
        // Browsers on Windows may send the whole path.
        let base = input.rsplit(['/', '\\']).next().unwrap_or("");
        let clean: String = base
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
            .collect();
        let clean = clean.trim();
        if clean.chars().count() <= Self::MAX {
            return Self::named(clean);
        }
        // Too long: keep the start and the extension, which decides the type.
        let (stem, ext) = clean.rsplit_once('.').unwrap_or((clean, ""));
        let ext: String = ext.chars().take(8).collect();
        let keep = Self::MAX - ext.chars().count() - 1;
        let stem: String = stem.chars().take(keep).collect();
        // Cut where a space was, the name must read the same when parsed again.
        let name = format!("{}.{}", stem.trim_end(), ext.trim());
        // No dot or space left at its end (a second reading trims spaces), and
        // checked as any other: a blank extension may leave only a hidden name
        // (".abc"), which a second reading refuses.
        Self::named(name.trim_end_matches(|c: char| c == '.' || c.is_whitespace()))
    }

    /// A name is more than a dot and an extension (".pdf" names no file).
    fn named(clean: &str) -> Result<Self, AttachmentError> {
        if clean.is_empty() || clean.starts_with('.') && clean.matches('.').count() == 1 {
            return Err(AttachmentError::NoName);
        }
        Ok(Self(clean.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FileName {
    type Error = AttachmentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<FileName> for String {
    fn from(n: FileName) -> Self {
        n.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a sender declares before uploading: refuses at once what could never
/// pass (`.exe`, over the limit, empty) and gives the content type the upload
/// must carry. The content itself is checked after the upload, by [`check`].
pub fn check_declared(
    name: &FileName,
    size: u64,
    max_bytes: u64,
) -> Result<FileType, AttachmentError> {
    if size == 0 {
        return Err(AttachmentError::Empty);
    }
    if size > max_bytes {
        return Err(AttachmentError::TooLarge {
            size_kb: size.div_ceil(1024),
            max_kb: max_bytes / 1024,
        });
    }
    FileType::from_name(name.as_str()).ok_or(AttachmentError::NotAccepted)
}

/// An uploaded file as the sender names it when attaching: `<upload id>.<tag>:<name>`,
/// the `attachment` value the upload slot returned. The tag is the application's
/// signature binding the upload to whoever asked for it; it is checked there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRef {
    pub id: Ulid,
    pub tag: String,
    pub name: FileName,
}

impl UploadRef {
    pub fn encode(&self) -> String {
        format!("{}.{}:{}", self.id, self.tag, self.name)
    }
}

impl FromStr for UploadRef {
    type Err = AttachmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (head, name) = s.split_once(':').ok_or(AttachmentError::BadReference)?;
        let (id, tag) = head
            .trim()
            .split_once('.')
            .ok_or(AttachmentError::BadReference)?;
        let tag_ok = (1..=64).contains(&tag.len())
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !tag_ok {
            return Err(AttachmentError::BadReference);
        }
        Ok(Self {
            id: Ulid::from_str(id).map_err(|_| AttachmentError::BadReference)?,
            tag: tag.to_owned(),
            name: FileName::parse(name)?,
        })
    }
}

/// A checked file in a history entry: downloadable by whoever can see the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Ulid,
    pub name: FileName,
    pub size: u64,
    pub file_type: FileType,
}

impl Attachment {
    /// Size for people: "812 KB", "1,5 MB".
    pub fn size_label(&self) -> String {
        if self.size < 1024 * 1024 {
            format!("{} KB", self.size.div_ceil(1024))
        } else {
            let tenths = (self.size * 10).div_ceil(1024 * 1024);
            format!("{},{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// Most files in one message or opening.
pub const MAX_PER_MESSAGE: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const MAX: u64 = DEFAULT_MAX_BYTES;

    /// Found by the fuzzer (issue 17): a long name cut where a space was read
    /// differently the second time (the stored name changed when read back).
    #[test]
    fn a_long_name_cut_reads_the_same_when_parsed_again() {
        let long = format!("{}.pd2 0 R >>", "d".repeat(200));
        let once = FileName::parse(&long).expect("name");
        assert_eq!(FileName::parse(once.as_str()), Ok(once.clone()));
        assert!(once.as_str().ends_with(".pd2 0 R"), "{once}");
        let no_extension = format!("{} x", "a".repeat(200));
        let once = FileName::parse(&no_extension).expect("name");
        assert_eq!(FileName::parse(once.as_str()), Ok(once.clone()));
        assert!(!once.as_str().ends_with('.'));
    }

    /// Found by the fuzzer: a long hidden name whose extension is blank was
    /// cut to ".���…", accepted once and refused when read again; a cut
    /// name could end in a space a second reading trims.
    #[test]
    fn a_long_name_cut_to_a_hidden_name_is_refused_at_once() {
        let hidden = format!(".{}. ", "\u{FFFD}".repeat(130));
        assert_eq!(FileName::parse(&hidden), Err(AttachmentError::NoName));
        let named = format!("a.{}. ", "b".repeat(130));
        let once = FileName::parse(&named).expect("name");
        assert_eq!(FileName::parse(once.as_str()), Ok(once.clone()));
        // Also found: a stem ending in " ." lost its dot and kept the space.
        let spaced = format!("{}ent .zzzz.", "d".repeat(114));
        let once = FileName::parse(&spaced).expect("name");
        assert_eq!(FileName::parse(once.as_str()), Ok(once.clone()));
        assert!(once.as_str().ends_with("ent"), "{once}");
    }

    #[test]
    fn accepted_files_by_content_and_name() {
        assert_eq!(check("foto.PNG", 10, PNG, MAX), Ok(FileType::Png));
        assert_eq!(
            check("foto.jpg", 10, b"\xFF\xD8\xFF\xE0\0\x10JFIF", MAX),
            Ok(FileType::Jpeg)
        );
        assert_eq!(check("doc.pdf", 10, b"%PDF-1.7\n", MAX), Ok(FileType::Pdf));
        assert_eq!(
            check("v.mp4", 20, b"\0\0\0\x18ftypmp42\0\0\0\0", MAX),
            Ok(FileType::Mp4)
        );
        assert_eq!(
            check("extrato.ofx", 20, b"OFXHEADER:100\nDATA:OFXSGML", MAX),
            Ok(FileType::Ofx)
        );
        assert_eq!(
            check("nota.txt", 20, "Olá, cartório!\n".as_bytes(), MAX),
            Ok(FileType::Txt)
        );
        assert_eq!(
            check("extrato.ofx", 20, b"OFXHEADER:100\nCHARSET:1252\n\xe9", MAX),
            Ok(FileType::Ofx),
            "Latin-1 OFX"
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            check("contrato.pdf", 10, PNG, MAX),
            Err(AttachmentError::Mismatch {
                claimed: "documento PDF",
                actual: "imagem PNG"
            }),
            "a PNG renamed .pdf"
        );
        assert_eq!(
            check("grande.pdf", 3 * 1024 * 1024, b"%PDF-", MAX),
            Err(AttachmentError::TooLarge {
                size_kb: 3072,
                max_kb: 2048
            })
        );
        assert_eq!(
            check("setup.exe", 10, b"MZ\x90\0", MAX),
            Err(AttachmentError::NotAccepted)
        );
        assert_eq!(
            check("programa.pdf", 10, b"MZ\x90\0\x03\0", MAX),
            Err(AttachmentError::Unrecognised {
                claimed: "documento PDF"
            })
        );
        assert_eq!(check("vazio.txt", 0, b"", MAX), Err(AttachmentError::Empty));
        assert_eq!(
            check("sem-extensao", 10, PNG, MAX),
            Err(AttachmentError::NotAccepted)
        );
        assert!(
            check("grande.pdf", 3 * 1024 * 1024, b"%PDF-", 4 * 1024 * 1024).is_ok(),
            "the office's own limit"
        );
        assert_eq!(
            check("x.pdf", 10, b"%PDF-", MAX).map(FileType::content_type),
            Ok("application/pdf")
        );
    }

    #[test]
    fn a_cut_utf8_character_at_the_end_of_the_head_is_still_text() {
        let mut head = "ação ".repeat(10).into_bytes();
        head.push(0xC3);
        assert_eq!(FileType::sniff(&head), Some(FileType::Txt));
    }

    #[test]
    fn file_names_are_cleaned_and_keep_their_extension() {
        let n = FileName::parse("C:\\Users\\ana\\foto\u{202E}gnp.exe").unwrap();
        assert_eq!(n.as_str(), "fotognp.exe");
        assert_eq!(
            FileName::parse("../../etc/passwd").unwrap().as_str(),
            "passwd"
        );
        assert_eq!(FileName::parse("  "), Err(AttachmentError::NoName));
        assert_eq!(FileName::parse(".pdf"), Err(AttachmentError::NoName));
        let long = FileName::parse(&format!("{}.pdf", "a".repeat(300))).unwrap();
        assert_eq!(long.as_str().chars().count(), FileName::MAX);
        assert!(long.as_str().ends_with(".pdf"));
    }

    #[test]
    fn declared_files_are_refused_before_upload() {
        let n = |s: &str| FileName::parse(s).unwrap();
        assert_eq!(check_declared(&n("a.png"), 10, MAX), Ok(FileType::Png));
        assert_eq!(
            check_declared(&n("setup.exe"), 10, MAX),
            Err(AttachmentError::NotAccepted)
        );
        assert!(matches!(
            check_declared(&n("a.pdf"), 3 << 20, MAX),
            Err(AttachmentError::TooLarge { .. })
        ));
        assert_eq!(
            check_declared(&n("a.pdf"), 0, MAX),
            Err(AttachmentError::Empty)
        );
    }

    #[test]
    fn upload_references_round_trip() {
        let r = UploadRef {
            id: Ulid::generate(),
            tag: "AbC-_9".into(),
            name: FileName::parse("nota: fiscal.pdf").unwrap(),
        };
        assert_eq!(r.encode().parse::<UploadRef>(), Ok(r.clone()));
        let untagged = format!("{}:a.pdf", r.id);
        assert_eq!(
            untagged.parse::<UploadRef>(),
            Err(AttachmentError::BadReference)
        );
        let bad_tag = format!("{}.a/b:a.pdf", r.id);
        assert_eq!(
            bad_tag.parse::<UploadRef>(),
            Err(AttachmentError::BadReference)
        );
        assert_eq!(
            "nada".parse::<UploadRef>(),
            Err(AttachmentError::BadReference)
        );
        assert_eq!(
            "x:a.pdf".parse::<UploadRef>(),
            Err(AttachmentError::BadReference)
        );
    }

    #[test]
    fn a_conclusion_pdf_must_parse_with_pages() {
        let real = include_bytes!("../fixtures/one-page.pdf");
        assert_eq!(check_pdf(real), Ok(1));
        // The header alone passes the magic-byte check, not this one.
        assert!(matches!(
            check_pdf(b"%PDF-1.7\nisto nao e um documento\n%%EOF\n"),
            Err(AttachmentError::NotAPdf(_))
        ));
        assert!(matches!(check_pdf(b""), Err(AttachmentError::NotAPdf(_))));
        // Cut before its pages: nothing a reader could open.
        assert!(check_pdf(&real[..60]).is_err());
    }

    #[test]
    fn sizes_for_people() {
        let a = |size| Attachment {
            id: Ulid::nil(),
            name: FileName::parse("a.txt").unwrap(),
            size,
            file_type: FileType::Txt,
        };
        assert_eq!(a(1).size_label(), "1 KB");
        assert_eq!(a(1536 * 1024).size_label(), "1,5 MB");
    }

    proptest! {
        #[test]
        fn nothing_over_the_limit_and_nothing_unnamed_passes(name in "[a-z]{1,8}(\\.[a-zA-Z0-9]{0,4})?", size in 0u64..10_000_000, head in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(t) = check(&name, size, &head, MAX) {
                prop_assert!(size > 0 && size <= MAX);
                prop_assert_eq!(FileType::from_name(&name), Some(t));
                prop_assert!(FileType::sniff(&head).is_some());
            }
        }

        #[test]
        fn binary_with_nul_bytes_is_never_text(mut head in proptest::collection::vec(any::<u8>(), 1..64), at in 0usize..64) {
            let i = at % head.len();
            head[i] = 0;
            prop_assert_ne!(FileType::sniff(&head), Some(FileType::Txt));
        }
    }
}

use crate::ports::{BlobError, StoreError, TimerError};
use balcao_core::FieldErrors;
use thiserror::Error;

/// Every way an operation can fail, mapped to HTTP in one place (`balcao-web`).
#[derive(Debug, Error)]
pub enum AppError {
    #[error("há campos com problemas")]
    Invalid(FieldErrors),
    /// What was not found, as a noun phrase ("solicitação", "link (peça um novo)").
    #[error("{}", not_found(.0))]
    NotFound(&'static str),
    #[error("a chave de idempotência já foi usada com outros dados")]
    IdempotencyMismatch,
    #[error(transparent)]
    NotAllowed(#[from] balcao_core::TransitionError),
    #[error(
        "os dados foram alterados ao mesmo tempo por outra pessoa; recarregue a página e tente de novo"
    )]
    Conflict,
    /// The request is not in a state that allows this (and no status change is involved).
    #[error("{0}")]
    Refused(&'static str),
    /// Someone else took the slot's last place (SPEC C4).
    #[error("este horário acabou de ser preenchido; escolha outro")]
    SlotFull,
    /// The same citizen sent the same request moments ago (back and submit
    /// again): that one stands; its link went to their email.
    #[error("{message}")]
    AlreadyOpened {
        number: balcao_core::TicketNumber,
        message: String,
        /// The form field the message belongs beside.
        field: &'static str,
    },
    /// An abuse limit was reached; it lifts in `retry_after` seconds.
    #[error("{message}")]
    TooMany {
        message: String,
        /// The form field the message belongs beside.
        field: &'static str,
        retry_after: u64,
    },
    /// Signed in, but this role may not do it.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blobs(#[from] BlobError),
    #[error(transparent)]
    Timers(#[from] TimerError),
    /// The change was written, but a timer it needs could not be set: sending
    /// the same action again sets it (and changes nothing else).
    #[error("a ação foi registrada, mas um aviso programado não pôde ser agendado: {0}")]
    TimerPending(TimerError),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Export(#[from] balcao_core::export::ExportError),
}

impl AppError {
    /// The form errors a person sees beside the fields.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            Self::Invalid(e) => Some(e.clone()),
            Self::SlotFull => {
                let mut e = FieldErrors::default();
                e.add("date", self.to_string());
                Some(e)
            }
            Self::AlreadyOpened { message, field, .. } => {
                let mut e = FieldErrors::default();
                e.add(field, message.clone());
                Some(e)
            }
            Self::TooMany { message, field, .. } => {
                let mut e = FieldErrors::default();
                e.add(field, message.clone());
                Some(e)
            }
            _ => None,
        }
    }

    /// A limit reached at `now` that lifts at `until`, said in Portuguese.
    pub fn too_many(
        field: &'static str,
        what: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Self {
        let secs = until.duration_since(now).as_secs().max(1).unsigned_abs();
        let minutes = secs.div_ceil(60);
        Self::TooMany {
            message: format!("{what} Tente de novo em {minutes} minuto(s)."),
            field,
            retry_after: secs,
        }
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, message);
        Self::Invalid(e)
    }
}

/// "Solicitação não encontrada.", "Link não encontrado (peça um novo).": the
/// noun's gender decides the ending; a parenthesis stays at the end.
fn not_found(what: &str) -> String {
    const FEMININE: &[&str] = &["solicitação", "serventia", "agenda"];
    let (noun, note) = match what.split_once(" (") {
        Some((noun, note)) => (noun, format!(" ({note}")),
        None => (what, String::new()),
    };
    let ending = if FEMININE.iter().any(|f| noun.starts_with(f)) {
        "encontrada"
    } else {
        "encontrado"
    };
    let mut chars = noun.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    format!("{first}{} não {ending}{note}.", chars.as_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn not_found_agrees_with_its_noun() {
        assert_eq!(
            super::not_found("solicitação"),
            "Solicitação não encontrada."
        );
        assert_eq!(super::not_found("anexo"), "Anexo não encontrado.");
        assert_eq!(
            super::not_found("link (peça um novo)"),
            "Link não encontrado (peça um novo)."
        );
    }
}

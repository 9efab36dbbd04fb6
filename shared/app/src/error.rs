use crate::ports::{BlobError, StoreError, TimerError};
use balcao_core::FieldErrors;
use thiserror::Error;

/// Every way an operation can fail, mapped to HTTP in one place (`balcao-web`).
#[derive(Debug, Error)]
pub enum AppError {
    #[error("há campos com problemas")]
    Invalid(FieldErrors),
    #[error("{0} não encontrado(a)")]
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
    /// Signed in, but this role may not do it.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blobs(#[from] BlobError),
    #[error(transparent)]
    Timers(#[from] TimerError),
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
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, message);
        Self::Invalid(e)
    }
}

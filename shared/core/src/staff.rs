//! Office staff as the identity provider vouches for them (SPEC S1).

use crate::contact::Email;
use crate::office::OfficeId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the office.
    Manager,
    /// Works requests.
    Attendant,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manager" => Some(Self::Manager),
            "attendant" => Some(Self::Attendant),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Manager => "manager",
            Self::Attendant => "attendant",
        }
    }

    /// As people in the office say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Manager => "gestor(a)",
            Self::Attendant => "atendente",
        }
    }
}

/// A signed-in member of one office's staff. Every staff operation is scoped to `office`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub office: OfficeId,
    pub role: Role,
    pub name: String,
    pub email: Email,
}

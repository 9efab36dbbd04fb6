//! The citizen's rating of a concluded request and its moderation (SPEC C7, S7):
//! approved or not, with a comment that shows on the office card only after
//! staff approve it (sensitive data and abuse stay hidden).

use crate::request::RequestId;
use crate::status::Status;
use crate::text::FreeText;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Did the service solve it?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

impl Verdict {
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim() {
            "approve" | "approved" | "aprovar" => Some(Self::Approved),
            "reject" | "rejected" | "reprovar" => Some(Self::Rejected),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Approved => "Aprovou o atendimento",
            Self::Rejected => "Reprovou o atendimento",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    Pending,
    Shown,
    Hidden,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub verdict: Verdict,
    pub comment: Option<FreeText>,
    pub at: Timestamp,
    pub moderation: Moderation,
    #[serde(default)]
    pub moderated_by: Option<String>,
}

impl Rating {
    /// Only a finished service is rated.
    pub fn allowed(status: Status) -> bool {
        matches!(status, Status::Concluded | Status::ClosedByCitizen)
    }
}

/// A comment as the office card shows it: no name, no contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicReview {
    pub request_id: RequestId,
    pub verdict: Verdict,
    pub comment: String,
    pub at: Timestamp,
}

impl PublicReview {
    /// What the card shows for a rating, if anything: a shown comment.
    pub fn of(request_id: RequestId, rating: &Rating) -> Option<Self> {
        match (&rating.comment, rating.moderation) {
            (Some(c), Moderation::Shown) => Some(Self {
                request_id,
                verdict: rating.verdict,
                comment: c.as_str().to_owned(),
                at: rating.at,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shown_comments_are_public() {
        let id = RequestId(ulid::Ulid::nil());
        let mut r = Rating {
            verdict: Verdict::Approved,
            comment: Some(FreeText::parse("Ótimo atendimento").unwrap()),
            at: Timestamp::UNIX_EPOCH,
            moderation: Moderation::Pending,
            moderated_by: None,
        };
        assert_eq!(PublicReview::of(id, &r), None);
        r.moderation = Moderation::Hidden;
        assert_eq!(PublicReview::of(id, &r), None);
        r.moderation = Moderation::Shown;
        assert_eq!(
            PublicReview::of(id, &r).map(|p| p.comment),
            Some("Ótimo atendimento".into())
        );
        r.comment = None;
        assert_eq!(
            PublicReview::of(id, &r),
            None,
            "a verdict without a comment shows nothing"
        );
        assert!(Rating::allowed(Status::Concluded) && !Rating::allowed(Status::InProgress));
        assert_eq!(Verdict::parse("reprovar"), Some(Verdict::Rejected));
    }
}

//! The request's statuses and the complete table of what moves it between them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    InAnalysis,
    InProgress,
    AwaitingCitizen,
    Scheduled,
    Concluded,
    ClosedByCitizen,
    Rejected,
    Cancelled,
    Expired,
    Released,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Self::Received,
        Self::InAnalysis,
        Self::InProgress,
        Self::AwaitingCitizen,
        Self::Scheduled,
        Self::Concluded,
        Self::ClosedByCitizen,
        Self::Rejected,
        Self::Cancelled,
        Self::Expired,
        Self::Released,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InAnalysis => "in_analysis",
            Self::InProgress => "in_progress",
            Self::AwaitingCitizen => "awaiting_citizen",
            Self::Scheduled => "scheduled",
            Self::Concluded => "concluded",
            Self::ClosedByCitizen => "closed_by_citizen",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Released => "released",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Received => "Recebida",
            Self::InAnalysis => "Em análise",
            Self::InProgress => "Em andamento",
            Self::AwaitingCitizen => "Aguardando o cidadão",
            Self::Scheduled => "Agendada",
            Self::Concluded => "Concluída",
            Self::ClosedByCitizen => "Encerrada pelo cidadão",
            Self::Rejected => "Rejeitada",
            Self::Cancelled => "Cancelada",
            Self::Expired => "Expirada",
            Self::Released => "Liberada para outros cartórios",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.key() == key)
    }

    /// No action leaves a terminal status.
    pub fn is_terminal(self) -> bool {
        Action::ALL.iter().all(|a| self.apply(*a).is_err())
    }

    /// The office no longer works on it: terminal, or expired or released
    /// (another office may take it up as a new request).
    pub fn is_closed(self) -> bool {
        self.is_terminal() || matches!(self, Self::Expired | Self::Released)
    }

    /// The request's steps (its checklist) can be answered: from the analysis
    /// on, through the service, until it closes (seed 002).
    pub fn checklist_open(self) -> bool {
        matches!(
            self,
            Self::InAnalysis | Self::InProgress | Self::AwaitingCitizen | Self::Scheduled
        )
    }

    /// The single source of truth for transitions.
    pub fn apply(self, action: Action) -> Result<Status, TransitionError> {
        use Action as A;
        use Status as S;
        let next = match (self, action) {
            (S::Received, A::StartAnalysis) => S::InAnalysis,
            // Seed 002: approving or rejecting follows the analysis.
            (S::InAnalysis, A::Approve) => S::InProgress,
            (S::InAnalysis, A::Reject) => S::Rejected,
            (S::InAnalysis | S::InProgress | S::AwaitingCitizen | S::Scheduled, A::Schedule) => {
                S::Scheduled
            }
            (S::InProgress | S::Scheduled, A::AskCitizen) => S::AwaitingCitizen,
            (S::AwaitingCitizen, A::CitizenReply) => S::InProgress,
            (S::InProgress | S::AwaitingCitizen | S::Scheduled, A::Conclude) => S::Concluded,
            (
                S::Received | S::InAnalysis | S::InProgress | S::AwaitingCitizen | S::Scheduled,
                A::CloseByCitizen,
            ) => S::ClosedByCitizen,
            (
                S::Received
                | S::InAnalysis
                | S::InProgress
                | S::AwaitingCitizen
                | S::Scheduled
                | S::Expired
                | S::Released,
                A::Cancel,
            ) => S::Cancelled,
            (S::Received, A::Expire) => S::Expired,
            (S::Expired, A::Release) => S::Released,
            (S::Released, A::Take) => S::Received,
            (from, action) => return Err(TransitionError { from, action }),
        };
        Ok(next)
    }
}

/// What staff, the citizen or a timer can do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Staff: "Iniciar análise".
    StartAnalysis,
    /// Staff: approve and assign, or for certificates create / use a registry record.
    Approve,
    /// Staff: reject with a justification.
    Reject,
    /// Staff: set or change the appointment.
    Schedule,
    /// Staff: ask the citizen for something.
    AskCitizen,
    /// Citizen: answer what was asked.
    CitizenReply,
    /// Staff: conclude with a note and a PDF.
    Conclude,
    /// Citizen: "Concluir Atendimento".
    CloseByCitizen,
    /// Citizen: cancel.
    Cancel,
    /// Timer: not started within the window.
    Expire,
    /// Citizen: release to the other offices of the UF.
    Release,
    /// Staff of another office: "Pegar solicitação".
    Take,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Self::StartAnalysis,
        Self::Approve,
        Self::Reject,
        Self::Schedule,
        Self::AskCitizen,
        Self::CitizenReply,
        Self::Conclude,
        Self::CloseByCitizen,
        Self::Cancel,
        Self::Expire,
        Self::Release,
        Self::Take,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("a solicitação está \"{}\" e não permite esta ação ({action:?})", from.label())]
pub struct TransitionError {
    pub from: Status,
    pub action: Action,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn keys_match_the_public_contract_and_serde() {
        for s in Status::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.key())
            );
            assert_eq!(Status::parse(s.key()), Some(*s));
        }
        let labels: BTreeSet<_> = Status::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), Status::ALL.len(), "labels are distinct");
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = Status::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .copied()
            .collect();
        assert_eq!(
            terminal,
            vec![
                Status::Concluded,
                Status::ClosedByCitizen,
                Status::Rejected,
                Status::Cancelled
            ]
        );
    }

    #[test]
    fn every_status_is_reachable_from_received() {
        let mut seen = BTreeSet::from([Status::Received]);
        let mut frontier = vec![Status::Received];
        while let Some(s) = frontier.pop() {
            for a in Action::ALL {
                if let Ok(n) = s.apply(*a)
                    && seen.insert(n)
                {
                    frontier.push(n);
                }
            }
        }
        assert_eq!(seen.len(), Status::ALL.len());
    }

    #[test]
    fn certificate_rule_only_unstarted_requests_expire() {
        assert_eq!(Status::Received.apply(Action::Expire), Ok(Status::Expired));
        assert!(Status::InAnalysis.apply(Action::Expire).is_err());
        assert_eq!(Status::Expired.apply(Action::Release), Ok(Status::Released));
        assert_eq!(Status::Released.apply(Action::Take), Ok(Status::Received));
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL)
    }

    proptest! {
        /// No sequence of actions leaves the status set, a refused action changes nothing,
        /// and once terminal a request stays where it is.
        #[test]
        fn sequences_stay_inside_the_table(actions in proptest::collection::vec(any_action(), 0..64)) {
            let mut s = Status::Received;
            for a in actions {
                let before = s;
                match s.apply(a) {
                    Ok(next) => {
                        prop_assert!(Status::ALL.contains(&next));
                        prop_assert!(!before.is_terminal());
                        s = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(e.from, before);
                        prop_assert_eq!(e.action, a);
                    }
                }
            }
        }
    }
}

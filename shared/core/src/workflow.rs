//! What staff decide on a request (SPEC S3, S5, S6): the analysis checklist, the
//! decision (approve with an attendant, the certificate decisions of seed 004, or
//! reject with a justification) and the appointment. Pure rules; the use cases in
//! `balcao-app` write them.

use crate::office::{Office, Service, ServiceKind};
use crate::request::AppointmentMode;
use crate::status::Action;
use crate::text::FreeText;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    #[error("escolha o atendente que fará o atendimento")]
    AttendantRequired,
    #[error("atendente desconhecido nesta serventia")]
    UnknownAttendant,
    #[error("a justificativa da rejeição é obrigatória")]
    JustificationRequired,
    #[error("decisão desconhecida: use {0}")]
    UnknownDecision(&'static str),
    #[error("este atendimento não tem a etapa {0}")]
    UnknownStep(usize),
    #[error("responda sim ou não")]
    YesOrNo,
    #[error("informe o link da reunião (https://...) ou escolha a videochamada por WhatsApp")]
    MeetingLinkRequired,
    #[error("o link da reunião deve começar com https://")]
    BadMeetingLink,
}

/// The decision after analysis. Certificates decide about the registry record
/// (CCN); every other service approves with an attendant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approve { attendant: String },
    CreateRecord,
    UseRecord,
    Reject { justification: FreeText },
}

impl Decision {
    /// Reads a decision as staff send it, against what this service allows.
    pub fn parse(
        service: &Service,
        office: &Office,
        decision: &str,
        attendant: Option<&str>,
        justification: Option<&str>,
    ) -> Result<Self, WorkflowError> {
        let certificate = service.kind == ServiceKind::Certificate;
        match decision.trim() {
            "reject" => {
                let text = justification.unwrap_or("");
                FreeText::parse(text)
                    .map(|justification| Self::Reject { justification })
                    .map_err(|_| WorkflowError::JustificationRequired)
            }
            "create_record" if certificate => Ok(Self::CreateRecord),
            "use_record" if certificate => Ok(Self::UseRecord),
            "approve" if !certificate => {
                let id = attendant
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .ok_or(WorkflowError::AttendantRequired)?;
                let known = office.attendants.iter().find(|a| a.id.as_str() == id);
                known
                    .map(|a| Self::Approve {
                        attendant: a.id.to_string(),
                    })
                    .ok_or(WorkflowError::UnknownAttendant)
            }
            _ if certificate => Err(WorkflowError::UnknownDecision(
                "create_record, use_record ou reject",
            )),
            _ => Err(WorkflowError::UnknownDecision("approve ou reject")),
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Self::Reject { .. } => Action::Reject,
            _ => Action::Approve,
        }
    }

    /// The history line, naming the attendant when there is one.
    pub fn history_text(&self, office: &Office) -> String {
        match self {
            Self::Approve { attendant } => {
                let name = office
                    .attendants
                    .iter()
                    .find(|a| a.id.as_str() == attendant)
                    .map_or(attendant.as_str(), |a| a.name.as_str());
                format!("Solicitação aprovada. Atendimento com {name}.")
            }
            Self::CreateRecord => "Decisão: criar registro no CCN.".into(),
            Self::UseRecord => "Decisão: usar o registro existente no CCN.".into(),
            Self::Reject { justification } => {
                format!(
                    "Solicitação rejeitada. Justificativa: {}",
                    justification.as_str()
                )
            }
        }
    }
}

/// One yes/no answer to a step of the service's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistAnswer {
    /// Index in the service's checklist.
    pub step: usize,
    pub yes: bool,
}

impl ChecklistAnswer {
    pub fn parse(service: &Service, step: &str, answer: &str) -> Result<Self, WorkflowError> {
        let step: usize = step
            .trim()
            .parse()
            .map_err(|_| WorkflowError::UnknownStep(0))?;
        if step == 0 || step > service.checklist.len() {
            return Err(WorkflowError::UnknownStep(step));
        }
        let yes = match answer.trim() {
            "yes" | "sim" | "true" => true,
            "no" | "nao" | "não" | "false" => false,
            _ => return Err(WorkflowError::YesOrNo),
        };
        Ok(Self {
            step: step - 1,
            yes,
        })
    }

    pub fn history_text(&self, service: &Service) -> String {
        let step = service.checklist.get(self.step).map_or("", String::as_str);
        let answer = if self.yes { "sim" } else { "não" };
        format!("Etapa {} – {step}: {answer}", self.step + 1)
    }
}

/// Where a virtual appointment happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Meeting {
    /// A video meeting at this https link.
    Link { url: String },
    /// A WhatsApp video call to the citizen's mobile.
    Whatsapp,
}

impl Meeting {
    pub fn parse(link: Option<&str>, whatsapp: bool) -> Result<Self, WorkflowError> {
        if whatsapp {
            return Ok(Self::Whatsapp);
        }
        let url = link
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .ok_or(WorkflowError::MeetingLinkRequired)?;
        let valid = url.starts_with("https://")
            && url.len() <= 500
            && url.len() > "https://".len()
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<');
        if valid {
            Ok(Self::Link {
                url: url.to_owned(),
            })
        } else {
            Err(WorkflowError::BadMeetingLink)
        }
    }

    pub fn label(&self) -> String {
        match self {
            Self::Link { url } => format!("Videoconferência: {url}"),
            Self::Whatsapp => "Videochamada pelo WhatsApp no seu celular".into(),
        }
    }
}

/// An appointment as staff set it, before it is written on the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentPlan {
    pub date: Date,
    pub time: Time,
    pub mode: AppointmentMode,
    pub subject: FreeText,
    pub meeting: Option<Meeting>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::{Attendant, FieldRules, ServiceId};

    fn service(kind: ServiceKind) -> Service {
        Service {
            id: ServiceId::parse("s").unwrap(),
            kind,
            name: "s".into(),
            description: String::new(),
            fields: FieldRules::for_kind(kind, &[]).unwrap(),
            checklist: vec!["Documento conferido".into(), "Dados completos".into()],
            start_window_minutes: None,
            response_window_hours: None,
        }
    }

    fn office() -> Office {
        let mut o = crate::office::test_office();
        o.attendants = vec![Attendant {
            id: ServiceId::parse("paula").unwrap(),
            name: "Paula Lima".into(),
            email: crate::Email::parse("paula@example.com").unwrap(),
        }];
        o
    }

    #[test]
    fn decisions_follow_the_kind_of_service() {
        let (o, contact, cert) = (
            office(),
            service(ServiceKind::Contact),
            service(ServiceKind::Certificate),
        );
        assert_eq!(
            Decision::parse(&contact, &o, "approve", Some("paula"), None),
            Ok(Decision::Approve {
                attendant: "paula".into()
            })
        );
        assert_eq!(
            Decision::parse(&contact, &o, "approve", None, None),
            Err(WorkflowError::AttendantRequired)
        );
        assert_eq!(
            Decision::parse(&contact, &o, "approve", Some("ze"), None),
            Err(WorkflowError::UnknownAttendant)
        );
        assert!(matches!(
            Decision::parse(&contact, &o, "create_record", None, None),
            Err(WorkflowError::UnknownDecision(_))
        ));
        assert_eq!(
            Decision::parse(&cert, &o, "create_record", None, None),
            Ok(Decision::CreateRecord)
        );
        assert_eq!(
            Decision::parse(&cert, &o, "use_record", None, None),
            Ok(Decision::UseRecord)
        );
        assert!(matches!(
            Decision::parse(&cert, &o, "approve", Some("paula"), None),
            Err(WorkflowError::UnknownDecision(_))
        ));
        assert_eq!(
            Decision::parse(&cert, &o, "reject", None, Some("  ")),
            Err(WorkflowError::JustificationRequired)
        );
        let r = Decision::parse(&cert, &o, "reject", None, Some("CPF divergente")).unwrap();
        assert_eq!(r.action(), Action::Reject);
        assert_eq!(
            r.history_text(&o),
            "Solicitação rejeitada. Justificativa: CPF divergente"
        );
        let a = Decision::parse(&contact, &o, "approve", Some("paula"), None).unwrap();
        assert_eq!(
            a.history_text(&o),
            "Solicitação aprovada. Atendimento com Paula Lima."
        );
    }

    #[test]
    fn checklist_answers_name_a_step_of_the_service() {
        let s = service(ServiceKind::Contact);
        let a = ChecklistAnswer::parse(&s, "2", "não").unwrap();
        assert_eq!(
            a,
            ChecklistAnswer {
                step: 1,
                yes: false
            }
        );
        assert_eq!(a.history_text(&s), "Etapa 2 – Dados completos: não");
        assert_eq!(
            ChecklistAnswer::parse(&s, "3", "sim"),
            Err(WorkflowError::UnknownStep(3))
        );
        assert_eq!(
            ChecklistAnswer::parse(&s, "0", "sim"),
            Err(WorkflowError::UnknownStep(0))
        );
        assert_eq!(
            ChecklistAnswer::parse(&s, "1", "talvez"),
            Err(WorkflowError::YesOrNo)
        );
    }

    #[test]
    fn meetings_are_https_links_or_whatsapp() {
        assert_eq!(Meeting::parse(None, true), Ok(Meeting::Whatsapp));
        assert_eq!(
            Meeting::parse(None, false),
            Err(WorkflowError::MeetingLinkRequired)
        );
        assert_eq!(
            Meeting::parse(Some("http://x.y"), false),
            Err(WorkflowError::BadMeetingLink)
        );
        assert_eq!(
            Meeting::parse(Some("https://x y"), false),
            Err(WorkflowError::BadMeetingLink)
        );
        assert_eq!(
            Meeting::parse(Some(" https://meet.example.com/abc "), false),
            Ok(Meeting::Link {
                url: "https://meet.example.com/abc".into()
            })
        );
    }
}

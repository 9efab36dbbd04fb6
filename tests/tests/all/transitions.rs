//! Every staff action from every status, over HTTP on the local runtime: what
//! the transition table allows happens and lands where the table says; what it
//! refuses is a clear 409 that changes nothing. Uses the protocol-lookup service
//! (the other kinds have their own journeys in `workflow.rs`).

use balcao_core::{Action, Status};
use balcao_tests::{CPF, SP_OFFICE, TestApp, days_ahead};
use serde_json::{Value, json};

const ATTENDANT: &str = "rafael@1-tabeliao-notas-sao-paulo.example.com";
const PDF: &[u8] = balcao_tests::ONE_PAGE_PDF;

struct Desk {
    app: TestApp,
    token: String,
}

impl Desk {
    async fn post(&self, id: &str, path: &str, body: Value) -> (u16, Value) {
        self.app
            .post_json(
                &format!("/staff/requests/{id}/{path}"),
                Some(&self.token),
                &body,
            )
            .await
    }

    async fn must(&self, id: &str, path: &str, body: Value) {
        let (status, t) = self.post(id, path, body).await;
        assert_eq!(status, 200, "{path}: {t}");
    }

    /// The request (path, body) for one staff action.
    async fn action(&self, a: Action) -> (&'static str, Value) {
        match a {
            Action::StartAnalysis => ("analysis", json!({})),
            Action::Approve => (
                "decision",
                json!({"decision": "approve", "attendant": "atendente-2"}),
            ),
            Action::Reject => (
                "decision",
                json!({"decision": "reject", "justification": "Protocolo de outra serventia."}),
            ),
            Action::Schedule => (
                "appointment",
                json!({"date": days_ahead(20), "time": "14:00", "mode": "in_person", "subject": "Conferência de documentos"}),
            ),
            Action::AskCitizen => (
                "messages",
                json!({"message": "Envie a certidão.", "ask": true}),
            ),
            Action::Conclude => {
                let pdf = self
                    .app
                    .upload("/staff/attachments", Some(&self.token), "nota.pdf", PDF)
                    .await
                    .expect("upload");
                (
                    "conclusion",
                    json!({"message": "Concluído.", "attachments": [pdf]}),
                )
            }
            other => panic!("{other:?} is not a staff action"),
        }
    }

    /// A new request brought to `status` through the API.
    async fn request_in(&self, status: Status) -> String {
        let (code, opened) = self
            .app
            .open_json(
                SP_OFFICE,
                &json!({
                    "service": "acompanhamento-registral", "name": "Carla Nunes",
                    // One address per request: at most 5 new requests per email an hour.
                    "email": format!("carla-{}@example.com", ulid::Ulid::generate()),
                    "document": CPF, "protocol": "77.123/2026",
                    "consent": true,
                }),
            )
            .await;
        assert_eq!(code, 201, "{opened}");
        let id = opened["id"].as_str().expect("id").to_owned();
        let path: &[Action] = match status {
            Status::Received => &[],
            Status::InAnalysis => &[Action::StartAnalysis],
            Status::InProgress => &[Action::StartAnalysis, Action::Approve],
            Status::AwaitingCitizen => {
                &[Action::StartAnalysis, Action::Approve, Action::AskCitizen]
            }
            Status::Scheduled => &[Action::StartAnalysis, Action::Approve, Action::Schedule],
            Status::Concluded => &[Action::StartAnalysis, Action::Approve, Action::Conclude],
            Status::Rejected => &[Action::StartAnalysis, Action::Reject],
            _ => unreachable!("not reachable by staff"),
        };
        for a in path {
            let (p, body) = self.action(*a).await;
            self.must(&id, p, body).await;
        }
        id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_staff_action_from_every_status_follows_the_table() {
    let app = TestApp::spawn().await;
    let token = app.staff_login(ATTENDANT).await;
    let desk = Desk { app, token };
    let statuses = [
        Status::Received,
        Status::InAnalysis,
        Status::InProgress,
        Status::AwaitingCitizen,
        Status::Scheduled,
        Status::Concluded,
        Status::Rejected,
    ];
    let actions = [
        Action::StartAnalysis,
        Action::Approve,
        Action::Reject,
        Action::Schedule,
        Action::AskCitizen,
        Action::Conclude,
    ];
    let mut walked = 0;
    for from in statuses {
        for action in actions {
            let id = desk.request_in(from).await;
            let (path, body) = desk.action(action).await;
            let (code, t) = desk.post(&id, path, body).await;
            match from.apply(action) {
                Ok(to) => {
                    assert_eq!(code, 200, "{from:?} + {action:?}: {t}");
                    assert_eq!(t["status"], to.key(), "{from:?} + {action:?}");
                    walked += 1;
                }
                Err(_) => {
                    assert_eq!(code, 409, "{from:?} + {action:?} must be refused: {t}");
                    assert_eq!(t["error"]["code"], "not_allowed");
                }
            }
        }
    }
    assert_eq!(walked, 12, "every staff edge of the table");
}

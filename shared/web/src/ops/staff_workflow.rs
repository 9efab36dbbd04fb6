//! `POST /staff/requests/{id}/analysis`, `/checklist`, `/decision`, `/appointment`
//! and `/conclusion` (SPEC S3, S5, S6): staff working a request of their office.

use crate::Response;
use crate::forms::{Fields, body, path_param};
use crate::respond::{Failure, Format, finish, json, see_other};
use crate::staff::staff;
use crate::views::TicketView;
use balcao_app::ports::Ticket;
use balcao_app::staff_workflow::{self, AppointmentInput, DecisionInput};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, AppError, attachments};
use balcao_core::StaffMember;
use http::StatusCode;
use lambda_http::Request;
use ulid::Ulid;

pub async fn start_analysis(app: &App, req: Request) -> Response {
    run(app, req, "analise", async |me, id, _, key| {
        staff_workflow::start_analysis(app, me, id, key).await
    })
    .await
}

pub async fn checklist(app: &App, req: Request) -> Response {
    run(app, req, "etapa", async |me, id, f, key| {
        let step = f.get("step").unwrap_or("");
        let answer = f.get("answer").unwrap_or("");
        staff_workflow::answer_checklist(app, me, id, step, answer, key).await
    })
    .await
}

pub async fn decision(app: &App, req: Request) -> Response {
    run(app, req, "decisao", async |me, id, f, key| {
        let input = DecisionInput {
            decision: f.get("decision").unwrap_or("").to_owned(),
            attendant: f.get("attendant").map(ToOwned::to_owned),
            justification: f.get("justification").map(ToOwned::to_owned),
        };
        staff_workflow::decide(app, me, id, &input, key).await
    })
    .await
}

pub async fn appointment(app: &App, req: Request) -> Response {
    run(app, req, "agendamento", async |me, id, f, key| {
        let text = |k: &str| f.get(k).map(ToOwned::to_owned);
        let input = AppointmentInput {
            date: text("date"),
            time: text("time"),
            mode: text("mode"),
            subject: text("subject"),
            meeting_link: text("meeting_link"),
            whatsapp: matches!(f.get("whatsapp"), Some("true" | "on" | "1")),
        };
        staff_workflow::schedule(app, me, id, &input, key).await
    })
    .await
}

pub async fn conclusion(app: &App, req: Request) -> Response {
    run(app, req, "conclusao", async |me, id, f, key| {
        let files = attachments::parse_refs(f.all("attachments"))?;
        let note = f.get("message").unwrap_or("");
        staff_workflow::conclude(app, me, id, note, &files, key).await
    })
    .await
}

/// Reads the caller, the request id, the fields and the action key; answers the
/// request as it is after the action (JSON) or goes back to its page (HTML).
pub(crate) async fn run(
    app: &App,
    req: Request,
    done: &str,
    act: impl AsyncFnOnce(&StaffMember, &str, &Fields, Ulid) -> Result<Ticket, AppError>,
) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let key = parse_action_key(fields.get("action_key"))?;
        let t = act(&me, &id, &fields, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::for_staff(&t)),
            Format::Html => see_other(&format!("/staff/requests/{}?feito={done}", t.request.id)),
        })
    }
    .await;
    match result {
        // A refused form comes back on the request's page, saying why.
        Err(Failure::App(e)) if format == Format::Html => {
            match (staff(&req), path_param(&req, "id")) {
                (Ok(me), Ok(id)) => {
                    let sent = body(&req).await.unwrap_or_default();
                    let form = match done {
                        "analise" => "analysis".to_owned(),
                        "etapa" => "checklist".to_owned(),
                        "agendamento" => "schedule".to_owned(),
                        "conclusao" => "conclusion".to_owned(),
                        "nota" => "note".to_owned(),
                        "atribuida" => "assign".to_owned(),
                        // Approving and rejecting are two forms.
                        _ => format!("decision-{}", sent.get("decision").unwrap_or("")),
                    };
                    crate::ops::staff_requests::refused_page(app, &me, &id, e, &form, sent).await
                }
                (Err(f), _) | (_, Err(f)) => finish(format, Err(f)),
            }
        }
        other => finish(format, other),
    }
}

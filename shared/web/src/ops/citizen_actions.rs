//! `POST /tickets/{id}/messages`, `/cancel` and `/close` (SPEC C7): the
//! citizen's actions. The link's secret comes as the `k` field or query parameter.

use crate::Response;
use crate::forms::{Fields, body, message_text, path_param, query};
use crate::ops::ticket::full_page;
use crate::pages::{Confirm, TicketForm};
use crate::respond::{Failure, Format, finish, html, json, see_other, ticket_location};
use crate::views::TicketView;
use balcao_app::citizen_actions::{CitizenAction, act};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, AppError, attachments, ticket};
use balcao_core::FreeText;
use http::StatusCode;
use lambda_http::Request;

pub async fn message(app: &App, req: Request) -> Response {
    run(app, req, Kind::Message, |f| {
        let files = attachments::parse_refs(f.all("attachments"))?;
        let text = message_text(f.get("message"), !files.is_empty())?;
        Ok(CitizenAction::Message { text, files })
    })
    .await
}

pub async fn read(app: &App, req: Request) -> Response {
    run(app, req, Kind::Read, |_| Ok(CitizenAction::Read)).await
}

pub async fn release(app: &App, req: Request) -> Response {
    run(app, req, Kind::Release, |_| Ok(CitizenAction::Release)).await
}

pub async fn cancel(app: &App, req: Request) -> Response {
    run(app, req, Kind::Cancel, |_| Ok(CitizenAction::Cancel)).await
}

pub async fn close(app: &App, req: Request) -> Response {
    run(app, req, Kind::Close, |f| {
        match f.get("message").filter(|m| !m.trim().is_empty()) {
            None => Ok(CitizenAction::Close(None)),
            Some(m) => FreeText::parse(m)
                .map(|t| CitizenAction::Close(Some(t)))
                .map_err(|e| AppError::invalid("message", &e.to_string())),
        }
    })
    .await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Read,
    Release,
    Cancel,
    Close,
}

impl Kind {
    /// What the ticket page says once it is done.
    fn done(self) -> &'static str {
        match self {
            Self::Message => "mensagem",
            Self::Read => "lidas",
            Self::Release => "liberada",
            Self::Cancel => "cancelada",
            Self::Close => "concluida",
        }
    }

    /// Pages ask before what cannot be undone; API clients say what they mean.
    fn confirmation(self) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
        match self {
            Self::Cancel => Some((
                "cancel",
                "Cancelar esta solicitação?",
                "O cartório será avisado e um horário agendado, liberado. Não é possível desfazer.",
                "Sim, cancelar a solicitação",
            )),
            Self::Close => Some((
                "close",
                "Concluir o atendimento?",
                "Use quando sua dúvida ou pedido estiver resolvido. Depois você poderá avaliar o atendimento; não será possível enviar novas mensagens.",
                "Sim, concluir o atendimento",
            )),
            Self::Message | Self::Read | Self::Release => None,
        }
    }
}

async fn run(
    app: &App,
    req: Request,
    kind: Kind,
    what: impl FnOnce(&Fields) -> Result<CitizenAction, AppError>,
) -> Response {
    let format = Format::of(req.headers());
    let id = path_param(&req, "id");
    let fields = body(&req).await;
    let q = query(&req);
    let (id, fields) = match (id, fields) {
        (Ok(id), Ok(fields)) => (id, fields),
        (Err(e), _) | (_, Err(e)) => return finish(format, Err(e)),
    };
    let token = fields.get("k").or(q.get("k")).map(ToOwned::to_owned);
    let confirmed = matches!(fields.get("confirm"), Some("true" | "on" | "1"));
    if format == Format::Html
        && !confirmed
        && let Some((action, question, detail, button)) = kind.confirmation()
    {
        // The page again, asking; nothing is done until the citizen confirms.
        let shown = async {
            let t = ticket::read(app, &id, token.as_deref()).await?;
            let token = token.as_deref().unwrap_or_default();
            let mut p = full_page(app, &t, token, TicketForm::default(), &q).await?;
            p.confirm = Some(Confirm {
                action,
                question,
                detail,
                button,
                action_key: fields.get("action_key").unwrap_or_default().to_owned(),
                message: fields.get("message").unwrap_or_default().to_owned(),
            });
            Ok::<_, AppError>(html(StatusCode::OK, &p))
        }
        .await;
        return finish(format, shown.map_err(Failure::from));
    }
    let result = async {
        let key = parse_action_key(fields.get("action_key"))?;
        let action = what(&fields)?;
        let ticket = act(app, &id, token.as_deref(), action, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::from(&ticket)),
            Format::Html => see_other(&ticket_location(
                ticket.request.id,
                token.as_deref().unwrap_or_default(),
                &format!("&feito={}", kind.done()),
            )),
        })
    }
    .await;
    match result {
        // A refused form comes back on its own page, with what was typed.
        Err(Failure::App(e)) if format == Format::Html && refused_here(&e) => {
            let status = if matches!(e, AppError::Invalid(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            let shown = async {
                let t = ticket::read(app, &id, token.as_deref()).await?;
                let form = refused_form(&e, &fields);
                let token = token.as_deref().unwrap_or_default();
                full_page(app, &t, token, form, &Default::default()).await
            }
            .await;
            match shown {
                Ok(p) => html(status, &p),
                Err(other) => finish(format, Err(other.into())),
            }
        }
        other => finish(format, other),
    }
}

/// Refusals a person can fix or understand on the ticket page itself.
fn refused_here(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_)
            | AppError::NotAllowed(_)
            | AppError::Refused(_)
            | AppError::Conflict
            | AppError::TooMany { .. }
    )
}

fn refused_form(e: &AppError, fields: &Fields) -> TicketForm {
    let mut form = TicketForm {
        message: fields.get("message").unwrap_or_default().to_owned(),
        files: fields
            .all("attachments")
            .filter_map(|v| {
                v.parse::<balcao_core::UploadRef>()
                    .ok()
                    .map(|r| (v.to_owned(), r.name.to_string()))
            })
            .collect(),
        ..TicketForm::default()
    };
    match e.field_errors() {
        Some(errors) => {
            form.message_error = errors.get("message").map(ToOwned::to_owned);
            form.files_error = errors.get("attachments").map(ToOwned::to_owned);
            if form.files_error.is_some() {
                // A refused file is not offered again.
                form.files.clear();
            }
            if form.message_error.is_none() && form.files_error.is_none() {
                form.error = errors.iter().next().map(|(_, m)| m.to_owned());
            }
        }
        None => form.error = Some(e.to_string()),
    }
    form
}

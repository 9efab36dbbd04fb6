//! `GET /tickets/{id}?k=...` (SPEC C7).

use crate::Response;
use crate::forms::{path_param, query};
use crate::pages::{AttachWidget, HistoryLine, TicketForm, TicketPage};
use crate::respond::{Format, finish};
use crate::views::{TicketView, appointment_label, local_time, running_windows};
use balcao_app::ports::Ticket;
use balcao_app::{App, AppError, ticket};
use balcao_core::{Action, Status};
use http::StatusCode;
use lambda_http::Request;

pub async fn show(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let id = path_param(&req, "id")?;
        let q = query(&req);
        let t = ticket::read(app, &id, q.get("k")).await?;
        let token = q.get("k").unwrap_or_default().to_owned();
        if format == Format::Json {
            return Ok(crate::respond::json(StatusCode::OK, &TicketView::from(&t)));
        }
        let mut p = full_page(app, &t, &token, TicketForm::default(), &q).await?;
        p.just_created = q.get("novo") == Some("1");
        p.notice = q.get("feito").and_then(done_notice);
        Ok(crate::respond::html(StatusCode::OK, &p))
    }
    .await;
    finish(format, result)
}

/// What a done action tells the citizen, from the `feito` the redirect carries.
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "mensagem" => "Mensagem enviada. O cartório foi avisado.",
        "cancelada" => "Solicitação cancelada. O cartório foi avisado.",
        "concluida" => "Atendimento concluído. Obrigado! Você pode avaliar o atendimento abaixo.",
        "avaliada" => "Avaliação registrada. Obrigado!",
        "liberada" => "Solicitação liberada para os outros cartórios do estado.",
        "lidas" => "Respostas marcadas como lidas.",
        _ => return None,
    })
}

/// [`page`] with its file picker completed for posts with and without
/// JavaScript; `q` is the page's query (files a post brought back).
pub async fn full_page(
    app: &App,
    t: &Ticket,
    token: &str,
    form: TicketForm,
    q: &crate::forms::Fields,
) -> Result<TicketPage, AppError> {
    let mut p = page(t, token, form);
    let id = t.request.id.to_string();
    let office = t.request.office.id.to_string();
    let sender = crate::ops::attachments::Sender::Citizen {
        office: &office,
        ticket: Some((&id, token)),
    };
    let back = format!(
        "/tickets/{id}?{}",
        serde_urlencoded::to_string([("k", token)]).unwrap_or_default()
    );
    if p.can_message {
        crate::ops::attachments::complete(app, &mut p.attach, sender, &back, q).await?;
    }
    Ok(p)
}

/// The ticket page for the link's holder, with what a refused form kept.
pub fn page(t: &Ticket, token: &str, form: TicketForm) -> TicketPage {
    let tz = t.request.office.timezone.clone();
    let token = token.to_owned();
    let (start_by, reply_by) = running_windows(&t.request);
    TicketPage {
        t: TicketView::from(t),
        token: token.clone(),
        message_key: ulid::Ulid::generate().to_string(),
        close_key: ulid::Ulid::generate().to_string(),
        cancel_key: ulid::Ulid::generate().to_string(),
        read_key: ulid::Ulid::generate().to_string(),
        can_message: !t.request.status.is_terminal()
            && !matches!(t.request.status, Status::Expired | Status::Released),
        // The office's own limit is not in the ticket: the slot answers with it.
        attach: AttachWidget {
            ticket: Some((t.request.id.to_string(), token.clone())),
            error: form.files_error.clone(),
            kept: form.files.clone(),
            ..AttachWidget::new(
                format!("/offices/{}/attachments", t.request.office.id),
                balcao_core::attachment::DEFAULT_MAX_BYTES,
            )
        },
        start_by,
        reply_by,
        can_release: t.request.status.apply(Action::Release).is_ok(),
        release_key: ulid::Ulid::generate().to_string(),
        can_rate: t.request.rating.is_none() && balcao_core::Rating::allowed(t.request.status),
        rate_key: ulid::Ulid::generate().to_string(),
        rating: t.request.rating.as_ref().map(|r| {
            let state = match r.moderation {
                balcao_core::Moderation::Pending => "comentário aguardando moderação",
                balcao_core::Moderation::Shown => "comentário publicado no cartão da serventia",
                balcao_core::Moderation::Hidden => "comentário não publicado",
            };
            match &r.comment {
                Some(c) => format!("{}: “{}” ({state})", r.verdict.label(), c.as_str()),
                None => r.verdict.label().to_owned(),
            }
        }),
        can_close: t.request.status.apply(Action::CloseByCitizen).is_ok(),
        can_cancel: t.request.status.apply(Action::Cancel).is_ok(),
        just_created: false,
        appointment: appointment_label(&t.request),
        created_at: local_time(t.request.created_at, &tz),
        history: HistoryLine::all(t, false, |a| {
            format!("/tickets/{}/attachments/{}?k={token}", t.request.id, a.id)
        }),
        notice: None,
        form,
        confirm: None,
    }
}

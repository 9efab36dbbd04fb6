//! `GET /staff/requests`, `GET /staff/requests/{id}`,
//! `POST /staff/requests/{id}/messages` (SPEC S2, S4): scoped to the caller's office.

use crate::Response;
use crate::forms::{body, message_text, next_page_href, page_request, path_param, query};
use crate::pages::{
    AppointmentDraft, AttachWidget, DecisionChoices, HistoryLine, QueueLine, Refusal,
    StaffQueuePage, StaffRequestPage, WorkPanel,
};
use crate::respond::{Failure, Format, finish, json, see_other};
use crate::staff::staff;
use crate::views::{List, TicketView, appointment_label, local_time, running_windows};
use balcao_app::staff_requests::{self, QueueFilter};
use balcao_app::ticket::parse_action_key;
use balcao_app::{App, AppError, attachments};
use balcao_core::{Action, AppointmentMode, Meeting, Request as Ticketed, ServiceKind, Status};
use http::StatusCode;
use lambda_http::Request;

fn filter(req: &Request) -> Result<QueueFilter, AppError> {
    let q = query(req);
    let nonempty = |k: &str| {
        q.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(ToOwned::to_owned)
    };
    let shelf = nonempty("status");
    Ok(QueueFilter {
        closed: shelf.as_deref() == Some("closed"),
        status: match shelf.filter(|s| s != "closed" && s != "open") {
            None => None,
            Some(s) => Some(
                Status::parse(&s)
                    .ok_or_else(|| AppError::invalid("status", "situação desconhecida"))?,
            ),
        },
        service: nonempty("service"),
        sector: nonempty("sector"),
        date: match nonempty("date") {
            None => None,
            Some(d) => Some(
                jiff::civil::Date::strptime("%Y-%m-%d", &d)
                    .map_err(|_| AppError::invalid("date", "data inválida: use AAAA-MM-DD"))?,
            ),
        },
        priority: match nonempty("priority").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(AppError::invalid("priority", "use true ou false")),
        },
        assigned: nonempty("assigned").map(|a| match a.as_str() {
            "none" => balcao_app::assignment::Assignee::Nobody,
            other => balcao_app::assignment::Assignee::parse(other),
        }),
    })
}

fn line(r: &Ticketed, now: jiff::Timestamp) -> QueueLine {
    // The countdown runs until staff decide (seed 004).
    let pending = r
        .start_by
        .as_ref()
        .filter(|_| r.status == Status::Received && r.decided_at.is_none());
    QueueLine {
        start_by: pending.map(|d| local_time(d.at, &r.office.timezone)),
        minutes_left: pending.map(|d| now.duration_until(d.at).as_mins()),
        reply_by: r
            .reply_by
            .as_ref()
            .map(|w| local_time(w.deadline.at, &r.office.timezone)),
        reply_minutes_left: r
            .reply_by
            .as_ref()
            .map(|w| now.duration_until(w.deadline.at).as_mins()),
        id: r.id.to_string(),
        number: r.number.0,
        assignee: r.assignee.clone(),
        assignee_name: None,
        status: r.status.key(),
        status_label: r.status.label(),
        service: r.service_name.clone(),
        sector: r.details.sector.clone(),
        priority: r.details.priority,
        created_at: local_time(r.created_at, &r.office.timezone),
        citizen: r.citizen_name().to_owned(),
        unread: r.awaiting_office,
    }
}

pub async fn queue(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        Ok::<_, Failure>(match format {
            Format::Json => {
                let found = found(app, &req, &me).await?;
                let items: Vec<QueueLine> = found
                    .items
                    .iter()
                    .map(|r| line(r, app.clock.now()))
                    .collect();
                json(StatusCode::OK, &List::page(items, found.next.as_ref()))
            }
            Format::Html => queue_page(app, &req, &me, StatusCode::OK, Refusal::default()).await?,
        })
    }
    .await;
    finish(format, result)
}

/// What the search box holds, if anything.
fn searched(req: &Request) -> Option<String> {
    query(req)
        .get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(ToOwned::to_owned)
}

/// The page `req` asks for: what `q` finds (in every status), or the queue
/// as its filters say.
async fn found(
    app: &App,
    req: &Request,
    me: &balcao_core::StaffMember,
) -> Result<balcao_app::ports::Page<balcao_core::Request>, Failure> {
    let page = page_request(req)?;
    // The filters are checked even when a search leaves them aside.
    let filter = filter(req)?;
    Ok(match searched(req) {
        Some(q) => staff_requests::search(app, me, &q, &page).await?,
        None => staff_requests::queue(app, me, &filter, &page).await?,
    })
}

/// The queue's page as `req` asks for it; a refused protocol form (posted to
/// another address) comes back here inside its form, with what was typed.
pub async fn queue_page(
    app: &App,
    req: &Request,
    me: &balcao_core::StaffMember,
    status: StatusCode,
    refused: Refusal,
) -> Result<Response, Failure> {
    let filter = filter(req)?;
    let searched = searched(req);
    let found = found(app, req, me).await?;
    let office = app
        .offices
        .get_office(&me.office)
        .await
        .map_err(AppError::from)?;
    let attendants: Vec<(String, String)> = office
        .iter()
        .flat_map(|o| &o.attendants)
        .map(|a| (a.id.to_string(), a.name.clone()))
        .collect();
    let items: Vec<QueueLine> = found
        .items
        .iter()
        .map(|r| {
            let mut l = line(r, app.clock.now());
            l.assignee_name = attendants
                .iter()
                .find(|(id, _)| Some(id) == l.assignee.as_ref())
                .map(|(_, name)| name.clone());
            l
        })
        .collect();
    Ok(crate::respond::html(
        status,
        &StaffQueuePage {
            notice: query(req)
                .get("protocolos")
                .and_then(|n| n.parse::<usize>().ok())
                .map(|n| format!("{n} protocolo(s) publicado(s) para consulta.")),
            staff_name: me.name.clone(),
            statuses: Status::ALL.iter().map(|s| (s.key(), s.label())).collect(),
            status: match filter.status {
                Some(s) => s.key(),
                None if filter.closed => "closed",
                None => "",
            },
            items,
            next: next_page_href(req, found.next.as_ref()),
            refused,
            attendants,
            assigned: query(req).get("assigned").unwrap_or("").to_owned(),
            searched,
        },
    ))
}

pub async fn show(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let (t, office) = staff_requests::workbench(app, &me, &path_param(&req, "id")?).await?;
        let q = query(&req);
        if format == Format::Json {
            return Ok(crate::respond::json(
                StatusCode::OK,
                &TicketView::for_staff(&t),
            ));
        }
        let mut p = StaffRequestPage {
            notice: q.get("feito").and_then(done_notice),
            ..page(&t, office.as_ref(), &me)
        };
        // A saved reply chosen without JavaScript comes back in the text.
        if let Some(i) = q.get("resposta").and_then(|i| i.parse::<usize>().ok())
            && let Some((_, _, text)) = p.saved_replies.iter().find(|(n, _, _)| *n == i)
        {
            p.reply_draft = text.clone();
        }
        complete_pickers(app, &mut p, &me, &q).await?;
        Ok::<_, Failure>(crate::respond::html(StatusCode::OK, &p))
    }
    .await;
    finish(format, result)
}

/// What a done action tells staff, from the `feito` the redirect carries.
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "resposta" => "Resposta enviada ao cidadão.",
        "analise" => "Análise iniciada.",
        "etapa" => "Etapa registrada.",
        "decisao" => "Decisão registrada; o cidadão foi avisado quando cabia.",
        "agendamento" => "Agendamento salvo; o cidadão recebeu o convite.",
        "conclusao" => "Atendimento concluído; o cidadão foi avisado.",
        "assumida" => "Solicitação assumida pelo seu cartório.",
        "nota" => "Nota interna registrada.",
        "atribuida" => "Responsável atualizado.",
        _ => return None,
    })
}

/// The request's page for staff.
pub fn page(
    t: &balcao_app::ports::Ticket,
    office: Option<&balcao_core::Office>,
    me: &balcao_core::StaffMember,
) -> StaffRequestPage {
    let (start_by, reply_by) = running_windows(&t.request);
    StaffRequestPage {
        t: TicketView::for_staff(t),
        staff_name: me.name.clone(),
        action_key: ulid::Ulid::generate().to_string(),
        can_reply: !t.request.status.is_terminal(),
        can_ask: t.request.status.apply(Action::AskCitizen).is_ok(),
        attach: AttachWidget::new(
            "/staff/attachments".into(),
            balcao_core::attachment::DEFAULT_MAX_BYTES,
        ),
        work: work_panel(t, office, me),
        appointment: appointment_label(&t.request),
        history: HistoryLine::all(t, true, |a| {
            format!("/staff/requests/{}/attachments/{}", t.request.id, a.id)
        }),
        created_at: local_time(t.request.created_at, &t.request.office.timezone),
        start_by,
        reply_by,
        notice: None,
        refused: Refusal::default(),
        saved_replies: office
            .map(|o| {
                o.saved_replies
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i, s.title.clone(), s.fill(&t.request)))
                    .collect()
            })
            .unwrap_or_default(),
        reply_draft: String::new(),
    }
}

/// A refused staff action in a page: the request's page again, the reason on
/// top and inside the form that was sent (`form`), with what was typed in it.
/// Refusals of another kind keep their own page.
pub async fn refused_page(
    app: &App,
    me: &balcao_core::StaffMember,
    id: &str,
    e: AppError,
    form: &str,
    sent: crate::forms::Fields,
) -> Response {
    let status = match &e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotAllowed(_) | AppError::Refused(_) | AppError::Conflict => StatusCode::CONFLICT,
        _ => return crate::respond::failure(Format::Html, e.into()),
    };
    let why = crate::respond::reason(&e);
    let shown = async {
        let (t, office) = staff_requests::workbench(app, me, id).await?;
        let refused = Refusal::of(form, "", why, sent);
        let mut p = StaffRequestPage {
            ..page(&t, office.as_ref(), me)
        };
        // The files the refused form carried stay in its picker.
        p.attach.kept = refused.files("reply");
        p.work.conclude_attach.kept = refused.files("conclusion");
        p.work.note_attach.kept = refused.files("note");
        p.refused = refused;
        complete_pickers(app, &mut p, me, &Default::default()).await?;
        Ok::<_, AppError>(p)
    }
    .await;
    match shown {
        Ok(p) => crate::respond::html(status, &p),
        Err(other) => crate::respond::failure(Format::Html, other.into()),
    }
}

/// The reply's and the conclusion's file pickers, for posts with and without
/// JavaScript; `q` is the page's query (files a post brought back).
async fn complete_pickers(
    app: &App,
    p: &mut StaffRequestPage,
    me: &balcao_core::StaffMember,
    q: &crate::forms::Fields,
) -> Result<(), AppError> {
    use crate::ops::attachments::{Sender, complete};
    let back = format!("/staff/requests/{}", p.t.id);
    if p.can_reply {
        complete(app, &mut p.attach, Sender::Staff(me), &back, q).await?;
    }
    if p.work.can_conclude {
        complete(
            app,
            &mut p.work.conclude_attach,
            Sender::Staff(me),
            &back,
            q,
        )
        .await?;
    }
    Ok(())
}

/// The forms for what can happen next, from the transition table.
fn work_panel(
    t: &balcao_app::ports::Ticket,
    office: Option<&balcao_core::Office>,
    me: &balcao_core::StaffMember,
) -> WorkPanel {
    let r = &t.request;
    let key = || ulid::Ulid::generate().to_string();
    let allows = |a: Action| r.status.apply(a).is_ok();
    let service = office.and_then(|o| o.service(r.service_id.as_str()));
    let analysing = r.status.checklist_open();
    let checklist = match (service, analysing) {
        (Some(s), true) => s
            .checklist
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let answer = r.checklist.iter().find(|a| a.step == i).map(|a| a.yes);
                (i + 1, step.clone(), answer, key())
            })
            .collect(),
        _ => vec![],
    };
    let appointment = r.appointment.as_ref();
    let mut conclude_attach = AttachWidget::new(
        "/staff/attachments".into(),
        office.map_or(balcao_core::DEFAULT_MAX_BYTES, |o| o.max_attachment_bytes),
    );
    conclude_attach.id = "conclusion-files";
    conclude_attach.pdf_only = true;
    let mut note_attach = AttachWidget::new(
        "/staff/attachments".into(),
        office.map_or(balcao_core::DEFAULT_MAX_BYTES, |o| o.max_attachment_bytes),
    );
    note_attach.id = "note-files";
    WorkPanel {
        can_start: allows(Action::StartAnalysis),
        start_key: key(),
        checklist,
        decide: allows(Action::Approve).then(|| DecisionChoices {
            certificate: r.service_kind == ServiceKind::Certificate,
            attendants: office
                .map(|o| {
                    o.attendants
                        .iter()
                        .map(|a| (a.id.to_string(), a.name.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        decide_key: key(),
        can_schedule: allows(Action::Schedule),
        schedule_key: key(),
        appointment: AppointmentDraft {
            date: appointment.map(|a| a.date.to_string()).unwrap_or_default(),
            time: appointment
                .map(|a| a.time.strftime("%H:%M").to_string())
                .unwrap_or_default(),
            virtual_mode: appointment.is_some_and(|a| a.mode == AppointmentMode::Virtual),
            subject: appointment
                .and_then(|a| a.subject.clone())
                .unwrap_or_default(),
            meeting_link: match appointment.and_then(|a| a.meeting.as_ref()) {
                Some(Meeting::Link { url }) => url.clone(),
                _ => String::new(),
            },
            whatsapp: matches!(
                appointment.and_then(|a| a.meeting.as_ref()),
                Some(Meeting::Whatsapp)
            ),
            timezone: balcao_core::office::zone_label(&r.office.timezone),
        },
        can_conclude: allows(Action::Conclude),
        conclude_key: key(),
        conclude_attach,
        attendants: office
            .map(|o| {
                o.attendants
                    .iter()
                    .map(|a| {
                        let has = r.assignee.as_deref() == Some(a.id.as_str());
                        (a.id.to_string(), a.name.clone(), has)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        assign_key: key(),
        can_take: office
            .and_then(|o| balcao_app::assignment::attendant_of(o, me))
            .is_some_and(|a| r.assignee.as_deref() != Some(a.id.as_str())),
        note_key: key(),
        note_attach,
    }
}

pub async fn message(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let id = path_param(&req, "id")?;
        let fields = body(&req).await?;
        let files = attachments::parse_refs(fields.all("attachments"))?;
        let text = message_text(fields.get("message"), !files.is_empty())?;
        let key = parse_action_key(fields.get("action_key"))?;
        let ask = matches!(fields.get("ask"), Some("true" | "on" | "1"));
        let t = staff_requests::reply(app, &me, &id, text, &files, ask, key).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &TicketView::for_staff(&t)),
            Format::Html => see_other(&format!("/staff/requests/{}?feito=resposta", t.request.id)),
        })
    }
    .await;
    match result {
        Err(Failure::App(e)) if format == Format::Html => {
            let (me, id) = match (staff(&req), path_param(&req, "id")) {
                (Ok(me), Ok(id)) => (me, id),
                (Err(f), _) | (_, Err(f)) => return finish(format, Err(f)),
            };
            let sent = body(&req).await.unwrap_or_default();
            refused_page(app, &me, &id, e, "reply", sent).await
        }
        other => finish(format, other),
    }
}

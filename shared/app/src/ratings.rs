//! Ratings (SPEC C7, S7): once a request is concluded the citizen approves or
//! rejects the service, once, with a comment; staff show or hide each comment
//! before it appears on the office card.

use crate::ports::{Change, Page, PageRequest, Ticket};
use crate::staff_requests::view;
use crate::{App, AppError, ticket};
use balcao_core::{
    Author, Event, EventKind, FreeText, Moderation, OfficeId, PublicReview, Rating, Request,
    StaffMember, Verdict,
};
use ulid::Ulid;

/// Comments shown on an office card.
const CARD_REVIEWS: usize = 10;

pub async fn rate(
    app: &App,
    id: &str,
    token: Option<&str>,
    verdict: &str,
    comment: Option<&str>,
    key: Ulid,
) -> Result<Ticket, AppError> {
    let current = ticket::read(app, id, token).await?;
    if ticket::done_before(&current, key) {
        return Ok(current);
    }
    let verdict = Verdict::parse(verdict)
        .ok_or_else(|| AppError::invalid("verdict", "escolha aprovar ou reprovar o atendimento"))?;
    let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            Some(FreeText::parse(c).map_err(|e| AppError::invalid("comment", &e.to_string()))?)
        }
    };
    let rid = current.request.id;
    ticket::change(
        app,
        rid,
        key,
        Some(current),
        |_| Ok(()),
        |t, now| {
            let r = &t.request;
            if !Rating::allowed(r.status) {
                return Err(AppError::Refused(
                    "a avaliação fica disponível quando o atendimento é concluído",
                ));
            }
            if r.rating.is_some() {
                return Err(AppError::Refused("este atendimento já foi avaliado"));
            }
            let mut n = r.clone();
            n.version = r.version + 1;
            n.updated_at = now;
            n.rating = Some(Rating {
                verdict,
                comment: comment.clone(),
                at: now,
                moderation: Moderation::Pending,
                moderated_by: None,
            });
            let text = match &comment {
                Some(c) => format!("Avaliação: {}. Comentário: {}", verdict.label(), c.as_str()),
                None => format!("Avaliação: {}.", verdict.label()),
            };
            let event = Event {
                id: key,
                seq: n.version,
                at: now,
                kind: EventKind::Rating,
                author: Author::Citizen,
                text,
                status: None,
                attachments: vec![],
            };
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await
}

/// One page of the office's rated requests, newest rating first.
pub async fn office_ratings(
    app: &App,
    staff: &StaffMember,
    page: &PageRequest,
) -> Result<Page<Request>, AppError> {
    Ok(app.tickets.office_ratings(&staff.office, page).await?)
}

/// Shows or hides a comment; the office card follows. Safe to repeat: the card
/// is set from the request's state each time.
pub async fn moderate(
    app: &App,
    staff: &StaffMember,
    id: &str,
    decision: &str,
    key: Ulid,
) -> Result<Ticket, AppError> {
    // Another office's request is not found before anything else is said.
    let first = view(app, staff, id).await?;
    let show = match decision.trim() {
        "show" => true,
        "hide" => false,
        _ => {
            return Err(AppError::invalid(
                "decision",
                "use show (exibir) ou hide (ocultar)",
            ));
        }
    };
    let rid = first.request.id;
    let t = ticket::change(
        app,
        rid,
        key,
        Some(first),
        |_| Ok(()),
        |t, now| {
            let r = &t.request;
            let rating =
                r.rating
                    .as_ref()
                    .filter(|x| x.comment.is_some())
                    .ok_or(AppError::Refused(
                        "esta solicitação não tem comentário para moderar",
                    ))?;
            let mut n = r.clone();
            n.version = r.version + 1;
            n.updated_at = now;
            n.rating = Some(Rating {
                moderation: if show {
                    Moderation::Shown
                } else {
                    Moderation::Hidden
                },
                moderated_by: Some(staff.name.clone()),
                ..rating.clone()
            });
            let event = Event {
                id: key,
                seq: n.version,
                at: now,
                kind: EventKind::Rating,
                author: Author::Staff {
                    name: staff.name.clone(),
                },
                text: if show {
                    "Comentário aprovado para exibição.".into()
                } else {
                    "Comentário ocultado.".into()
                },
                status: None,
                attachments: vec![],
            };
            Ok(Change {
                request: n,
                expected_version: r.version,
                event,
                mails: vec![],
                give_back: None,
                tally: None,
            })
        },
    )
    .await?;
    let review = t
        .request
        .rating
        .as_ref()
        .and_then(|x| PublicReview::of(t.request.id, x));
    app.publications
        .set_review(&t.request.office.id, t.request.id, review.as_ref())
        .await?;
    Ok(t)
}

/// What the office card shows.
pub async fn reviews(app: &App, office: &OfficeId) -> Result<Vec<PublicReview>, AppError> {
    Ok(app
        .publications
        .office_reviews(office, CARD_REVIEWS)
        .await?)
}

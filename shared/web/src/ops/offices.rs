//! `GET /`, `GET /offices`, `GET /offices/{office}` (SPEC C1, C2).

use crate::Response;
use crate::forms::{next_page_href, page_request, path_param, query};
use crate::pages::{HomePage, OfficePage, OfficesPage, PrivacyPage, ServiceLink};
use crate::respond::{Failure, Format, finish, html, json, negotiate};
use crate::views::{List, OfficeCardView, OfficeView, ReviewView, hours};
use balcao_app::{App, AppError, offices, ratings};
use balcao_core::{ServiceKind, Uf};
use http::StatusCode;
use lambda_http::Request;

fn uf_options() -> Vec<(&'static str, &'static str)> {
    Uf::ALL.iter().map(|u| (u.code(), u.name())).collect()
}

pub async fn list(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let q = query(&req);
    // Bad paging is refused before anything else, the chooser page included.
    let page = match page_request(&req) {
        Ok(p) => p,
        Err(e) => return finish(format, Err(e.into())),
    };
    let uf = match q.get("uf").filter(|s| !s.is_empty()) {
        None if format == Format::Html => {
            return html(StatusCode::OK, &HomePage { ufs: uf_options() });
        }
        None => {
            return finish(
                format,
                Err(AppError::invalid("uf", "informe a UF, por exemplo ?uf=SP").into()),
            );
        }
        Some(uf) => Uf::parse(uf),
    };
    let result = async {
        let uf = uf.map_err(|e| AppError::invalid("uf", &e.to_string()))?;
        // The page lists the state's cities; API clients ask for what they mean.
        let cities = match format {
            Format::Html => offices::cities(app, uf).await?,
            Format::Json => vec![],
        };
        let asked = q.get("city").unwrap_or("").trim().to_owned();
        // On the page, a city of another state (the UF changed, the old city
        // stayed in the form) is dropped: the new state's offices, all cities.
        let known = asked.is_empty()
            || format == Format::Json
            || cities
                .iter()
                .any(|c| balcao_core::fold(c) == balcao_core::fold(&asked));
        let city = if known { asked.clone() } else { String::new() };
        let found = offices::list(app, uf, Some(&city), &page).await?;
        let views: Vec<OfficeView> = found.items.iter().map(OfficeView::from).collect();
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &List::page(views, found.next.as_ref())),
            Format::Html => html(
                StatusCode::OK,
                &OfficesPage {
                    ufs: uf_options(),
                    uf: uf.code(),
                    uf_name: uf.name(),
                    uf_in: uf.in_name(),
                    cities,
                    dropped_city: (!known).then_some(asked),
                    city,
                    offices: views,
                    next: next_page_href(&req, found.next.as_ref()),
                },
            ),
        })
    }
    .await;
    finish(format, result)
}

pub async fn card(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let id = path_param(&req, "office")?;
        let office = offices::card(app, &id).await?;
        let reviews: Vec<ReviewView> = ratings::reviews(app, &office.id)
            .await?
            .iter()
            .map(|r| ReviewView::new(r, &office.timezone))
            .collect();
        Ok(negotiate(
            format,
            StatusCode::OK,
            || OfficeCardView {
                reviews: reviews.clone(),
                ..OfficeCardView::from(&office)
            },
            || OfficePage {
                reviews: reviews.clone(),
                o: OfficeView::from(&office),
                hours: hours(&office),
                services: office
                    .services
                    .iter()
                    .map(|s| {
                        let whatsapp = office
                            .whatsapp_link()
                            .filter(|_| s.kind == ServiceKind::Whatsapp);
                        ServiceLink {
                            name: s.name.clone(),
                            kind_label: s.kind.label(),
                            description: s.description.clone(),
                            external: whatsapp.is_some(),
                            href: whatsapp.unwrap_or_else(|| {
                                format!("/offices/{}/requests/new?service={}", office.id, s.id)
                            }),
                        }
                    })
                    .collect(),
            },
        ))
    }
    .await;
    finish(format, result)
}

/// `GET /offices/{office}/privacy`: the notice citizens accept, with the version
/// their consent records (LGPD).
pub async fn privacy(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let id = path_param(&req, "office")?;
        let office = offices::card(app, &id).await?;
        Ok(negotiate(
            format,
            StatusCode::OK,
            || {
                serde_json::json!({
                    "office": { "id": office.id, "name": office.name },
                    "version": office.privacy.version,
                    "text": office.privacy.text,
                })
            },
            || PrivacyPage {
                office_id: office.id.to_string(),
                office_name: office.name.clone(),
                version: office.privacy.version.clone(),
                text: office.privacy.text.clone(),
            },
        ))
    }
    .await;
    finish(format, result)
}

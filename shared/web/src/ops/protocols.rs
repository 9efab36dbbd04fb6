//! `GET /offices/{office}/protocols/{number}?cpf=` (SPEC C11) and the office's
//! publishing: `POST /staff/protocols` (one) and `POST /staff/protocols/import` (CSV).

use crate::Response;
use crate::forms::{body, path_param, query};
use crate::pages::ProtocolPage;
use crate::respond::{Failure, Format, finish, json, negotiate, see_other};
use crate::staff::staff;
use balcao_app::ports::PublishedProtocol;
use balcao_app::{App, protocols};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;

/// A plain HTML form cannot fill a path: `{number}` = `busca` takes `?numero=`.
const FORM_SEGMENT: &str = "busca";

fn view(p: &PublishedProtocol) -> serde_json::Value {
    json!({
        "number": p.number,
        "status": p.status,
        "history": p.history.iter().map(|s| json!({"date": s.date.to_string(), "text": s.text})).collect::<Vec<_>>(),
        "updated_at": p.updated_at.to_string(),
    })
}

pub async fn lookup(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let office = path_param(&req, "office")?;
        let q = query(&req);
        let path_number = path_param(&req, "number")?;
        let number = if path_number == FORM_SEGMENT {
            q.get("numero").unwrap_or("").to_owned()
        } else {
            path_number
        };
        let p = protocols::lookup(app, &office, &number, q.get("cpf").unwrap_or("")).await?;
        Ok::<_, Failure>(negotiate(
            format,
            StatusCode::OK,
            || view(&p),
            || ProtocolPage {
                office_id: office.clone(),
                number: p.number.clone(),
                status: p.status.clone(),
                history: p
                    .history
                    .iter()
                    .map(|s| (s.date.strftime("%d/%m/%Y").to_string(), s.text.clone()))
                    .collect(),
            },
        ))
    }
    .await;
    finish(format, result)
}

pub async fn publish(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let f = body(&req).await?;
        let get = |k: &str| f.get(k).unwrap_or("");
        let p = protocols::publish(
            app,
            &me,
            get("number"),
            get("cpf"),
            get("status"),
            get("history"),
        )
        .await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &view(&p)),
            Format::Html => see_other("/staff/requests?protocolos=1"),
        })
    }
    .await;
    finish(format, result)
}

pub async fn import(app: &App, req: Request) -> Response {
    let format = Format::of(req.headers());
    let result = async {
        let me = staff(&req)?;
        let f = body(&req).await?;
        let count = protocols::import(app, &me, f.get("csv").unwrap_or("")).await?;
        Ok::<_, Failure>(match format {
            Format::Json => json(StatusCode::OK, &json!({ "imported": count })),
            Format::Html => see_other(&format!("/staff/requests?protocolos={count}")),
        })
    }
    .await;
    finish(format, result)
}

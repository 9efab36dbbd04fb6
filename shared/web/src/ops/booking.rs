//! `GET /offices/{office}/services/{service}/slots?from=YYYY-MM-DD&days=N`:
//! the appointment slots still open (SPEC C4), in the office's local time.

use crate::Response;
use crate::forms::{path_param, query};
use crate::respond::{Failure, Format, finish, json};
use balcao_app::{App, AppError, booking, offices};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;

pub async fn slots(app: &App, req: Request) -> Response {
    let result = async {
        let office = offices::card(app, &path_param(&req, "office")?).await?;
        let service_id = path_param(&req, "service")?;
        let service = office
            .service(&service_id)
            .ok_or(AppError::NotFound("atendimento"))?;
        let q = query(&req);
        let from = match q.get("from").map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(
                jiff::civil::Date::strptime("%Y-%m-%d", v)
                    .map_err(|_| AppError::invalid("from", "data inválida: use AAAA-MM-DD"))?,
            ),
        };
        let days = match q.get("days").map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(v.parse::<u16>().map_err(|_| {
                AppError::invalid("days", "informe um número de dias entre 1 e 62")
            })?),
        };
        let list = booking::open_slots(app, &office, service, from, days).await?;
        Ok::<_, Failure>(json(
            StatusCode::OK,
            &json!({
                "office": office.id.as_str(),
                "service": service.id.as_str(),
                "timezone": office.timezone,
                "slot_minutes": office.slot_minutes,
                "capacity": list.capacity,
                "from": list.from.to_string(),
                "days": list.days,
                "slots": list.slots.iter().map(|s| json!({
                    "date": s.key.date.to_string(),
                    "time": s.key.time.strftime("%H:%M").to_string(),
                    "starts_at": s.starts_at.to_string(),
                    "left": s.left,
                })).collect::<Vec<_>>(),
            }),
        ))
    }
    .await;
    // Machine-readable only: people pick slots on the request form.
    finish(Format::Json, result)
}

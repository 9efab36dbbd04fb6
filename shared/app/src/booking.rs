//! The slots an office offers for a service (SPEC C4): its grid less what is
//! already booked. Taking one happens when the request opens (`open_request`).

use crate::{App, AppError};
use balcao_core::booking::{Booking, MAX_LISTED_DAYS};
use balcao_core::{FormField, Office, OpenSlot, Service};
use jiff::ToSpan;
use jiff::civil::Date;

/// Days listed when the caller does not say.
pub const DEFAULT_DAYS: u16 = 14;

#[derive(Debug, Clone)]
pub struct SlotList {
    pub from: Date,
    pub days: u16,
    pub capacity: u32,
    pub slots: Vec<OpenSlot>,
}

/// A service is booked when its form asks for a date.
pub fn books(service: &Service) -> bool {
    service.fields.shows(FormField::Date)
}

/// Open slots from `from` (today in the office's zone when absent or past) for `days` days.
pub async fn open_slots(
    app: &App,
    office: &Office,
    service: &Service,
    from: Option<Date>,
    days: Option<u16>,
) -> Result<SlotList, AppError> {
    if !books(service) {
        return Err(AppError::NotFound("agenda deste atendimento"));
    }
    let now = app.clock.now();
    let today = now.to_zoned(office.time_zone()).date();
    let from = from.filter(|d| *d > today).unwrap_or(today);
    let last = balcao_core::booking::latest(now)
        .to_zoned(office.time_zone())
        .date();
    if from > last {
        return Err(AppError::invalid(
            "from",
            &format!(
                "a agenda vai só até {} ({} dias à frente)",
                last.strftime("%d/%m/%Y"),
                balcao_core::booking::HORIZON_DAYS
            ),
        ));
    }
    let days = days.unwrap_or(DEFAULT_DAYS).clamp(1, MAX_LISTED_DAYS);
    let to = from
        .checked_add(i32::from(days - 1).days())
        .map_err(|_| AppError::invalid("from", "data fora do calendário"))?;
    let taken = app.tickets.taken_slots(&office.id, from, to).await?;
    let booking = Booking::for_office(office);
    Ok(SlotList {
        from,
        days,
        capacity: booking.capacity(),
        slots: booking.offer(from, days, now, &taken),
    })
}

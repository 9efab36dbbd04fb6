//! Booking (SPEC C4): the slots an office offers, cut from its business hours
//! (time zone, holidays and closures included) by its slot length, limited by
//! its lead time; and the check of a slot a citizen chose. Capacity is counted
//! by the store, in the same write that opens the request.

use crate::calendar::BusinessCalendar;
use crate::office::{Office, weekday_label};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use thiserror::Error;

/// How far ahead a citizen may book.
pub const HORIZON_DAYS: i64 = 365;

/// The last moment anything may be booked or scheduled from `now`.
pub fn latest(now: Timestamp) -> Timestamp {
    now.checked_add((HORIZON_DAYS * 24).hours())
        .unwrap_or(Timestamp::MAX)
}

/// Most days one listing of slots covers.
pub const MAX_LISTED_DAYS: u16 = 62;

/// One slot of an office's grid: a local date and start time. Its text,
/// `YYYY-MM-DDTHH:MM`, is how stores key its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct SlotKey {
    pub date: Date,
    pub time: Time,
}

impl SlotKey {
    pub fn parse(input: &str) -> Option<Self> {
        let (d, t) = input.trim().split_once('T')?;
        Some(Self {
            date: Date::strptime("%Y-%m-%d", d).ok()?,
            time: Time::strptime("%H:%M", t).ok()?,
        })
    }
}

impl fmt::Display for SlotKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{}",
            self.date.strftime("%Y-%m-%d"),
            self.time.strftime("%H:%M")
        )
    }
}

impl From<SlotKey> for String {
    fn from(k: SlotKey) -> Self {
        k.to_string()
    }
}

impl TryFrom<String> for SlotKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("horário inválido: {s}"))
    }
}

/// A slot with room left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenSlot {
    pub key: SlotKey,
    pub starts_at: Timestamp,
    pub left: u32,
}

/// Why a chosen date and time cannot be booked, in the citizen's words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SlotError {
    #[error("escolha uma data e hora futuras")]
    Past,
    #[error("agende com pelo menos {0} de antecedência")]
    TooSoon(String),
    #[error("agendamentos são aceitos para até um ano")]
    TooFar,
    #[error("o cartório não atende neste dia ({0})")]
    Closed(String),
    #[error("fora do horário de atendimento do cartório")]
    OutsideHours,
    #[error("escolha um dos horários oferecidos (a cada {0} minutos)")]
    OffGrid(u32),
    #[error("hora inexistente neste fuso horário")]
    Nonexistent,
}

impl SlotError {
    /// The form field the error belongs beside.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Past | Self::TooSoon(_) | Self::TooFar | Self::Closed(_) => "date",
            Self::OutsideHours | Self::OffGrid(_) | Self::Nonexistent => "time",
        }
    }
}

/// "2 horas", "30 minutos", "1 dia e 2 horas": a lead time as a person says it.
pub fn duration_label(minutes: u32) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let part = |n: u32, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        part(d, "dia", "dias"),
        part(h, "hora", "horas"),
        part(m, "minuto", "minutos"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.as_slice() {
        [] => "0 minutos".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} e {last}", init.join(", ")),
    }
}

pub struct Booking {
    calendar: BusinessCalendar,
    tz: jiff::tz::TimeZone,
    slot: SignedDuration,
    slot_minutes: u32,
    capacity: u32,
    lead_minutes: u32,
}

impl Booking {
    pub fn for_office(o: &Office) -> Self {
        Self {
            calendar: BusinessCalendar::for_office(o),
            tz: o.time_zone(),
            slot: SignedDuration::from_mins(i64::from(o.slot_minutes.max(1))),
            slot_minutes: o.slot_minutes.max(1),
            capacity: o.slot_capacity,
            lead_minutes: o.booking_lead_minutes,
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The slots of one local day, in order: each business period is cut into
    /// whole slots from its opening; a slot never runs past the closing time.
    pub fn day(&self, date: Date) -> Vec<(SlotKey, Timestamp)> {
        let mut out = Vec::new();
        for (open, close) in self.calendar.periods(date) {
            let mut start = open;
            // Checked: a date at the end of the calendar must not overflow.
            while let Ok(end) = start.checked_add(self.slot)
                && end <= close
            {
                let local = start.to_zoned(self.tz.clone());
                out.push((
                    SlotKey {
                        date: local.date(),
                        time: local.time(),
                    },
                    start,
                ));
                start = end;
            }
        }
        out
    }

    fn earliest(&self, now: Timestamp) -> Timestamp {
        now + SignedDuration::from_mins(i64::from(self.lead_minutes))
    }

    fn latest(&self, now: Timestamp) -> Timestamp {
        latest(now)
    }

    /// A date and time a citizen chose, if the office offers it then.
    pub fn check(&self, date: Date, time: Time, now: Timestamp) -> Result<OpenSlot, SlotError> {
        let starts_at = date
            .to_datetime(time)
            .to_zoned(self.tz.clone())
            .map_err(|_| SlotError::Nonexistent)?
            .timestamp();
        if starts_at <= now {
            return Err(SlotError::Past);
        }
        if starts_at > self.latest(now) {
            return Err(SlotError::TooFar);
        }
        let key = SlotKey { date, time };
        let grid = self.day(date);
        if grid.is_empty() {
            let why = self
                .calendar
                .closed_because(date)
                .unwrap_or_else(|| weekday_label(date.weekday()).to_lowercase());
            return Err(SlotError::Closed(why));
        }
        if !grid.iter().any(|(k, _)| *k == key) {
            let inside = self
                .calendar
                .periods(date)
                .iter()
                .any(|(open, close)| *open <= starts_at && starts_at < *close);
            return Err(if inside {
                SlotError::OffGrid(self.slot_minutes)
            } else {
                SlotError::OutsideHours
            });
        }
        if starts_at < self.earliest(now) {
            return Err(SlotError::TooSoon(duration_label(self.lead_minutes)));
        }
        Ok(OpenSlot {
            key,
            starts_at,
            left: self.capacity,
        })
    }

    /// The slots with room from `from` for `days` days, `taken` counting the
    /// bookings already held.
    pub fn offer(
        &self,
        from: Date,
        days: u16,
        now: Timestamp,
        taken: &HashMap<SlotKey, u32>,
    ) -> Vec<OpenSlot> {
        let (earliest, latest) = (self.earliest(now), self.latest(now));
        (0..i32::from(days.min(MAX_LISTED_DAYS)))
            .filter_map(|d| from.checked_add(d.days()).ok())
            .flat_map(|date| self.day(date))
            .filter(|(_, at)| *at > now && *at >= earliest && *at <= latest)
            .filter_map(|(key, starts_at)| {
                let left = self
                    .capacity
                    .saturating_sub(taken.get(&key).copied().unwrap_or(0));
                (left > 0).then_some(OpenSlot {
                    key,
                    starts_at,
                    left,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office::{OpeningHours, test_office};
    use jiff::civil::Weekday;

    fn t(h: i8, m: i8) -> Time {
        Time::constant(h, m, 0, 0)
    }

    fn at(office: &Office, s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(office.time_zone())
            .unwrap()
            .timestamp()
    }

    fn office() -> Office {
        let mut o = test_office();
        o.hours = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ]
        .into_iter()
        .flat_map(|d| {
            [
                OpeningHours::new(d, t(8, 0), t(12, 0)).unwrap(),
                OpeningHours::new(d, t(13, 0), t(17, 15)).unwrap(),
            ]
        })
        .collect();
        o.slot_minutes = 30;
        o.slot_capacity = 3;
        o.booking_lead_minutes = 120;
        o
    }

    #[test]
    fn a_day_is_cut_into_whole_slots_around_lunch() {
        let o = office();
        let day = Booking::for_office(&o).day(Date::constant(2026, 11, 24));
        let times: Vec<String> = day
            .iter()
            .map(|(k, _)| k.to_string()[11..].into())
            .collect();
        assert_eq!(times.len(), 8 + 8, "{times:?}");
        assert_eq!(times.first().unwrap(), "08:00");
        assert!(times.contains(&"11:30".to_owned()));
        assert!(!times.contains(&"12:00".to_owned()), "lunch");
        // The afternoon closes at 17:15: a 17:00 slot would run past it.
        assert_eq!(times.last().unwrap(), "16:30");
        assert_eq!(day[0].1, at(&o, "2026-11-24T08:00"));
    }

    #[test]
    fn holidays_closures_and_weekends_offer_nothing() {
        let mut o = office();
        o.holidays.push(crate::office::Closure {
            date: Date::constant(2026, 11, 26),
            name: "Inventário".into(),
        });
        let b = Booking::for_office(&o);
        let now = at(&o, "2026-11-18T10:00");
        assert!(
            b.day(Date::constant(2026, 11, 20)).is_empty(),
            "Consciência Negra"
        );
        assert!(b.day(Date::constant(2026, 11, 21)).is_empty(), "Saturday");
        assert!(b.day(Date::constant(2026, 11, 26)).is_empty(), "closure");
        let e = b
            .check(Date::constant(2026, 11, 20), t(9, 0), now)
            .unwrap_err();
        assert_eq!(e.field(), "date");
        assert!(e.to_string().contains("Consciência Negra"), "{e}");
        let e = b
            .check(Date::constant(2026, 11, 21), t(9, 0), now)
            .unwrap_err();
        assert_eq!(e.to_string(), "o cartório não atende neste dia (sábado)");
        let e = b
            .check(Date::constant(2026, 11, 26), t(9, 0), now)
            .unwrap_err();
        assert!(e.to_string().contains("Inventário"), "{e}");
    }

    #[test]
    fn a_chosen_time_must_be_on_the_grid_inside_hours_and_after_the_lead_time() {
        let o = office();
        let b = Booking::for_office(&o);
        let now = at(&o, "2026-11-24T09:10");
        let day = Date::constant(2026, 11, 24);
        assert_eq!(b.check(day, t(9, 0), now), Err(SlotError::Past));
        assert_eq!(
            b.check(day, t(11, 0), now),
            Err(SlotError::TooSoon("2 horas".into()))
        );
        assert_eq!(b.check(day, t(11, 30), now).unwrap().left, 3);
        assert_eq!(b.check(day, t(12, 0), now), Err(SlotError::OutsideHours));
        assert_eq!(b.check(day, t(13, 10), now), Err(SlotError::OffGrid(30)));
        assert_eq!(b.check(day, t(16, 45), now), Err(SlotError::OffGrid(30)));
        assert_eq!(b.check(day, t(18, 0), now), Err(SlotError::OutsideHours));
        let far = Date::constant(2027, 12, 1);
        assert_eq!(b.check(far, t(9, 0), now), Err(SlotError::TooFar));
    }

    #[test]
    fn the_offer_leaves_out_full_slots_and_counts_what_is_left() {
        let o = office();
        let b = Booking::for_office(&o);
        let now = at(&o, "2026-11-24T15:00");
        let key = |s: &str| SlotKey::parse(s).unwrap();
        let taken = HashMap::from([(key("2026-11-25T08:00"), 3), (key("2026-11-25T08:30"), 1)]);
        let offer = b.offer(Date::constant(2026, 11, 24), 2, now, &taken);
        let first: Vec<(String, u32)> = offer
            .iter()
            .take(3)
            .map(|s| (s.key.to_string(), s.left))
            .collect();
        // Today after 17:00 is past closing; tomorrow 08:00 is full.
        assert_eq!(
            first,
            [
                ("2026-11-25T08:30".into(), 2),
                ("2026-11-25T09:00".into(), 3),
                ("2026-11-25T09:30".into(), 3)
            ]
        );
        assert!(offer.iter().all(|s| s.starts_at >= now + 2.hours()));
    }

    #[test]
    fn slots_follow_the_office_time_zone() {
        let mut o = office();
        o.timezone = "America/Porto_Velho".into();
        let b = Booking::for_office(&o);
        let (key, at) = b.day(Date::constant(2026, 11, 24))[0];
        assert_eq!(key.to_string(), "2026-11-24T08:00");
        assert_eq!(at.to_string(), "2026-11-24T12:00:00Z");
    }

    #[test]
    fn keys_read_back_and_lead_times_read_well() {
        let k = SlotKey::parse("2026-11-25T08:30").unwrap();
        assert_eq!(SlotKey::parse(&k.to_string()), Some(k));
        assert_eq!(SlotKey::parse("2026-11-25 08:30"), None);
        assert_eq!(duration_label(30), "30 minutos");
        assert_eq!(duration_label(60), "1 hora");
        assert_eq!(duration_label(1440 + 150), "1 dia, 2 horas e 30 minutos");
    }
}

//! The booking grid: an office's hours cut into slots of its length. A day's
//! slots are in order and inside business periods; every slot offered is one
//! the check accepts, and every time the check accepts is on the grid, in the
//! future and past the booking lead.
#![no_main]

use arbitrary::Arbitrary;
use balcao_core::booking::Booking;
use balcao_core::calendar::BusinessCalendar;
use balcao_core::{Closure, OpeningHours};
use jiff::civil::{Time, Weekday};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

#[derive(Arbitrary, Debug)]
struct Input {
    hours: Vec<(u8, u16, u16)>,
    closures: Vec<u16>,
    slot_minutes: u8,
    capacity: u8,
    lead_minutes: u16,
    now: u32,
    day: u16,
    time: u16,
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn time(minutes: u16) -> Time {
    let m = minutes % (24 * 60);
    Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).expect("time")
}

fn hours(raw: &[(u8, u16, u16)]) -> Vec<OpeningHours> {
    let mut kept: Vec<OpeningHours> = Vec::new();
    for (day, open, close) in raw.iter().take(20) {
        let Ok(h) = OpeningHours::new(WEEK[usize::from(*day) % 7], time(*open), time(*close))
        else {
            continue;
        };
        if !kept
            .iter()
            .any(|k| k.weekday == h.weekday && k.open < h.close && h.open < k.close)
        {
            kept.push(h);
        }
    }
    kept
}

fuzz_target!(|i: Input| {
    let mut office = balcao_fuzz::office();
    let now = balcao_fuzz::instant(i.now);
    let today = now.to_zoned(office.time_zone()).date();
    office.hours = hours(&i.hours);
    office.holidays = i
        .closures
        .iter()
        .take(20)
        .filter_map(|d| {
            Some(Closure {
                date: today
                    .checked_add(jiff::Span::new().days(i64::from(*d % 120)))
                    .ok()?,
                name: String::new(),
            })
        })
        .collect();
    // Within what the settings check allows: slots of 5 to 480 minutes,
    // 1 to 100 places, a lead of up to 30 days.
    office.slot_minutes = 5 + u32::from(i.slot_minutes) % 476;
    office.slot_capacity = 1 + u32::from(i.capacity) % 100;
    office.booking_lead_minutes = u32::from(i.lead_minutes) % (30 * 24 * 60 + 1);
    let grid = Booking::for_office(&office);
    let calendar = BusinessCalendar::for_office(&office);
    let date = today
        .checked_add(jiff::Span::new().days(i64::from(i.day % 90)))
        .expect("date");
    let slots = grid.day(date);
    let periods = calendar.periods(date);
    let length = jiff::SignedDuration::from_mins(i64::from(office.slot_minutes));
    for w in slots.windows(2) {
        assert!(w[0].1 + length <= w[1].1, "slots overlap");
    }
    for (key, at) in &slots {
        assert_eq!(key.date, date);
        assert!(
            periods.iter().any(|(o, c)| o <= at && *at + length <= *c),
            "the slot at {at} fits a business period"
        );
    }
    // Each check rebuilds the day's grid: sixteen offered slots spread over
    // the day (the first and last among them) keep an input fast.
    let offered = grid.offer(date, 1, now, &HashMap::new());
    let step = offered.len().div_ceil(16).max(1);
    for slot in offered.iter().step_by(step).chain(offered.last()) {
        let checked = grid.check(slot.key.date, slot.key.time, now);
        assert!(
            checked.is_ok(),
            "offered {:?} but refused: {checked:?}",
            slot.key
        );
    }
    let t = time(i.time);
    if let Ok(open) = grid.check(date, t, now) {
        assert!(
            slots.iter().any(|(k, _)| *k == open.key),
            "accepted off the grid"
        );
        assert!(open.starts_at > now);
        assert!(
            open.starts_at
                >= now + jiff::SignedDuration::from_mins(i64::from(office.booking_lead_minutes)),
            "accepted inside the booking lead"
        );
        assert_eq!(open.left, office.slot_capacity);
    }
});

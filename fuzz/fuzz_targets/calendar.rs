//! The business calendar: opening hours (non-overlapping, as the settings
//! check keeps them), closures and national holidays, in a Brazilian zone.
//! A deadline is never before its start, lies in business time, grows with
//! the minutes asked, is exactly that many business minutes away, and its
//! explanation says so.
#![no_main]

use arbitrary::Arbitrary;
use balcao_core::OpeningHours;
use balcao_core::calendar::BusinessCalendar;
use jiff::civil::{Time, Weekday};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
pub struct Input {
    zone: u8,
    hours: Vec<(u8, u16, u16)>,
    closures: Vec<(u16, bool)>,
    start: u32,
    minutes: u16,
    more: u16,
}

const ZONES: [&str; 5] = [
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Rio_Branco",
    "America/Noronha",
    "America/Porto_Velho",
];

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

/// Opening hours as the settings check allows them: open before close, no
/// two periods of a day overlapping.
pub fn hours(raw: &[(u8, u16, u16)]) -> Vec<OpeningHours> {
    let mut kept: Vec<OpeningHours> = Vec::new();
    for (day, open, close) in raw.iter().take(20) {
        let Ok(h) = OpeningHours::new(WEEK[usize::from(*day) % 7], time(*open), time(*close))
        else {
            continue;
        };
        let overlaps = kept
            .iter()
            .any(|k| k.weekday == h.weekday && k.open < h.close && h.open < k.close);
        if !overlaps {
            kept.push(h);
        }
    }
    kept
}

fuzz_target!(|i: Input| {
    let tz = jiff::tz::TimeZone::get(ZONES[usize::from(i.zone) % ZONES.len()]).expect("zone");
    let start = balcao_fuzz::instant(i.start);
    let first = start.to_zoned(tz.clone()).date();
    let closures = i.closures.iter().take(30).filter_map(|(d, named)| {
        let date = first
            .checked_add(jiff::Span::new().days(i64::from(*d % 400)))
            .ok()?;
        Some((
            date,
            if *named {
                "Aniversário da cidade".to_owned()
            } else {
                String::new()
            },
        ))
    });
    let hours = hours(&i.hours);
    // Deadlines up to about eight weeks of the office's hours away: beyond,
    // every call walks years of days and the fuzzer learns nothing new. An
    // office with no hours at all is tried on one input in 64.
    let weekly: i64 = hours
        .iter()
        .map(|h| h.open.duration_until(h.close).as_mins())
        .sum();
    if weekly == 0 && i.zone % 64 != 0 {
        return;
    }
    let bound = (weekly * 8).clamp(1, 5000);
    let calendar = BusinessCalendar::new(tz.clone(), hours, closures);
    let m = i64::from(i.minutes) % bound;
    let later = m + i64::from(i.more) % bound;
    let Some(d) = calendar.add_minutes(start, m) else {
        // No business time within the horizon: no larger deadline either.
        assert!(calendar.add_minutes(start, later).is_none());
        return;
    };
    assert!(d.at >= start, "{} before {start}", d.at);
    assert_eq!(
        calendar.minutes_between(start, d.at),
        m,
        "{}",
        d.explanation
    );
    assert!(
        d.explanation.starts_with(&format!("{m} minutos úteis")),
        "{}",
        d.explanation
    );
    let day = d.at.to_zoned(tz).date();
    let inside = calendar
        .periods(day)
        .iter()
        .chain(calendar.periods(day.yesterday().unwrap_or(day)).iter())
        .any(|(open, close)| *open <= d.at && d.at <= *close);
    assert!(inside, "the deadline {} is in business time", d.at);
    if let Some(e) = calendar.add_minutes(start, later) {
        assert!(
            e.at >= d.at,
            "monotonic: {m} → {}, {later} → {}",
            d.at,
            e.at
        );
    }
});

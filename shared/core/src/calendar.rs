//! Business time (SPEC S9): an office's hours (more than one period a day), its
//! own IANA time zone (from the bundled tz database, never the OS), the national
//! holidays, Easter-based ones included, and the office's closures. Deadlines are
//! exact to the minute and carry an explanation a person can read.

use crate::office::{Office, OpeningHours, weekday_label};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher).
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // Always a valid date in March or April.
    Date::new(year, month as i8, day as i8).unwrap_or(Date::constant(2000, 4, 23))
}

/// The days offices close nationwide: the national holidays (Leis 662/1949,
/// 6.802/1980, 14.759/2023) plus Carnival and Corpus Christi, which courts and
/// registry offices observe. Moves with Easter where it must.
pub fn national_holidays(year: i16) -> Vec<(Date, &'static str)> {
    let fixed = |m: i8, d: i8, name| {
        (
            Date::new(year, m, d).unwrap_or(Date::constant(2000, 1, 1)),
            name,
        )
    };
    let e = easter(year);
    let from_easter = |days: i32, name| (e.saturating_add(days.days()), name);
    let mut days = vec![
        fixed(1, 1, "Confraternização Universal"),
        from_easter(-48, "Carnaval"),
        from_easter(-47, "Carnaval"),
        from_easter(-2, "Sexta-feira Santa"),
        fixed(4, 21, "Tiradentes"),
        fixed(5, 1, "Dia do Trabalho"),
        from_easter(60, "Corpus Christi"),
        fixed(9, 7, "Independência do Brasil"),
        fixed(10, 12, "Nossa Senhora Aparecida"),
        fixed(11, 2, "Finados"),
        fixed(11, 15, "Proclamação da República"),
        fixed(12, 25, "Natal"),
    ];
    if year >= 2024 {
        days.push(fixed(
            11,
            20,
            "Dia Nacional de Zumbi e da Consciência Negra",
        ));
    }
    days.sort();
    days
}

/// The national holiday on `date`, if any: [`national_holidays`] for one day,
/// without building the year's list (deadlines ask it of every day they walk).
pub fn national_holiday(date: Date) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Confraternização Universal"),
        (4, 21) => Some("Tiradentes"),
        (5, 1) => Some("Dia do Trabalho"),
        (9, 7) => Some("Independência do Brasil"),
        (10, 12) => Some("Nossa Senhora Aparecida"),
        (11, 2) => Some("Finados"),
        (11, 15) => Some("Proclamação da República"),
        (11, 20) if date.year() >= 2024 => Some("Dia Nacional de Zumbi e da Consciência Negra"),
        (12, 25) => Some("Natal"),
        _ => None,
    };
    // Carnival, Good Friday and Corpus Christi fall from February to June.
    let moving = if (2..=6).contains(&date.month()) {
        let days = date
            .since(easter(date.year()))
            .map_or(i32::MAX, |s| s.get_days());
        match days {
            -48 | -47 => Some("Carnaval"),
            -2 => Some("Sexta-feira Santa"),
            60 => Some("Corpus Christi"),
            _ => None,
        }
    } else {
        None
    };
    // Both on one day: the name the year's sorted list gives first.
    match (fixed, moving) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A moment a window ends, and why, in the office's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub at: Timestamp,
    pub explanation: String,
}

#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    tz: TimeZone,
    hours: Vec<OpeningHours>,
    closures: BTreeMap<Date, String>,
}

/// How far ahead a deadline is looked for before giving up (an office with no hours).
const HORIZON_DAYS: i32 = 3 * 366;

fn short_day(d: Weekday) -> String {
    weekday_label(d)
        .chars()
        .take(3)
        .collect::<String>()
        .to_lowercase()
}

impl BusinessCalendar {
    pub fn new(
        tz: TimeZone,
        hours: Vec<OpeningHours>,
        closures: impl IntoIterator<Item = (Date, String)>,
    ) -> Self {
        Self {
            tz,
            hours,
            closures: closures.into_iter().collect(),
        }
    }

    pub fn for_office(o: &Office) -> Self {
        Self::new(
            o.time_zone(),
            o.hours.clone(),
            o.holidays.iter().map(|c| (c.date, c.name.clone())),
        )
    }

    /// Why the office is closed all day, if it is.
    pub fn closed_because(&self, date: Date) -> Option<String> {
        if let Some(name) = self.closures.get(&date) {
            return Some(if name.is_empty() {
                "fechamento da serventia".into()
            } else {
                name.clone()
            });
        }
        national_holiday(date).map(|n| format!("feriado: {n}"))
    }

    /// The business periods of one local day, as instants, in order.
    pub fn periods(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.closed_because(date).is_some() {
            return vec![];
        }
        let mut out: Vec<(Timestamp, Timestamp)> = self
            .hours
            .iter()
            .filter(|h| h.weekday == date.weekday())
            .filter_map(|h| {
                // A time that does not exist (a DST gap) moves forward, as clocks do.
                let open = date.to_datetime(h.open).to_zoned(self.tz.clone()).ok()?;
                let close = date.to_datetime(h.close).to_zoned(self.tz.clone()).ok()?;
                (open.timestamp() < close.timestamp())
                    .then(|| (open.timestamp(), close.timestamp()))
            })
            .collect();
        out.sort();
        out
    }

    fn local(&self, t: Timestamp) -> Zoned {
        t.to_zoned(self.tz.clone())
    }

    fn label(&self, t: Timestamp) -> String {
        let z = self.local(t);
        format!("{} {}", short_day(z.weekday()), z.strftime("%d/%m %H:%M"))
    }

    /// The moment `minutes` business minutes after `start`.
    pub fn add_minutes(&self, start: Timestamp, minutes: i64) -> Option<Deadline> {
        let mut left = minutes.max(0);
        let first_day = self.local(start).date();
        let mut skipped: Vec<String> = Vec::new();
        for offset in 0..HORIZON_DAYS {
            let day = first_day.checked_add(offset.days()).ok()?;
            let periods = self.periods(day);
            if periods.is_empty() {
                let why = self
                    .closed_because(day)
                    .map(|r| {
                        format!("{} {}", short_day(day.weekday()), day.strftime("%d/%m")) + " " + &r
                    })
                    .unwrap_or_else(|| weekday_label(day.weekday()).to_lowercase());
                // Only days between the start and the deadline are worth naming.
                if offset > 0 && !skipped.contains(&why) {
                    skipped.push(why);
                }
                continue;
            }
            for (open, close) in periods {
                if close <= start {
                    continue;
                }
                let from = open.max(start);
                let available = from.duration_until(close).as_mins();
                if left <= available {
                    let at = from + SignedDuration::from_mins(left);
                    let mut explanation = format!(
                        "{minutes} minutos úteis a partir de {} → {}",
                        self.label(start),
                        self.label(at)
                    );
                    if !skipped.is_empty() {
                        explanation
                            .push_str(&format!("; {} fora do expediente", skipped.join(", ")));
                    }
                    return Some(Deadline { at, explanation });
                }
                left -= available;
            }
        }
        None
    }

    /// Business minutes in `[from, to)`; 0 if `to` is not after `from`.
    pub fn minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let (first, last) = (self.local(from).date(), self.local(to).date());
        let mut total = 0;
        let mut day = first;
        while day <= last {
            for (open, close) in self.periods(day) {
                let (a, b) = (open.max(from), close.min(to));
                if a < b {
                    total += a.duration_until(b).as_mins();
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Time;
    use proptest::prelude::*;

    #[test]
    fn one_day_s_holiday_is_the_year_s_list_for_that_day() {
        for year in 1990..2100_i16 {
            let list = national_holidays(year);
            let mut day = Date::new(year, 1, 1).expect("date");
            while day.year() == year {
                let expected = list.iter().find(|(d, _)| *d == day).map(|(_, n)| *n);
                assert_eq!(national_holiday(day), expected, "{day}");
                day = day.tomorrow().expect("date");
            }
        }
    }

    fn week(lunch: bool) -> Vec<OpeningHours> {
        use Weekday::*;
        let t = |h, m| Time::constant(h, m, 0, 0);
        [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .flat_map(|d| {
                if lunch {
                    vec![
                        OpeningHours::new(d, t(8, 0), t(12, 0)).unwrap(),
                        OpeningHours::new(d, t(13, 0), t(17, 0)).unwrap(),
                    ]
                } else {
                    vec![OpeningHours::new(d, t(8, 0), t(17, 0)).unwrap()]
                }
            })
            .collect()
    }

    fn cal(tz: &str, closures: &[(Date, &str)]) -> BusinessCalendar {
        BusinessCalendar::new(
            TimeZone::get(tz).unwrap(),
            week(false),
            closures.iter().map(|(d, n)| (*d, (*n).to_owned())),
        )
    }

    fn at(tz: &str, s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(tz).unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn easter_and_the_holidays_that_follow_it() {
        assert_eq!(easter(2024), Date::constant(2024, 3, 31));
        assert_eq!(easter(2025), Date::constant(2025, 4, 20));
        assert_eq!(easter(2026), Date::constant(2026, 4, 5));
        assert_eq!(
            easter(2038),
            Date::constant(2038, 4, 25),
            "the latest possible"
        );
        assert_eq!(
            easter(2285),
            Date::constant(2285, 3, 22),
            "the earliest possible"
        );
        let h = national_holidays(2026);
        let names = |d| {
            h.iter()
                .filter(|(x, _)| *x == d)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Date::constant(2026, 2, 16)), ["Carnaval"]);
        assert_eq!(names(Date::constant(2026, 4, 3)), ["Sexta-feira Santa"]);
        assert_eq!(names(Date::constant(2026, 6, 4)), ["Corpus Christi"]);
        assert_eq!(
            names(Date::constant(2026, 11, 20)),
            ["Dia Nacional de Zumbi e da Consciência Negra"]
        );
        assert!(
            national_holidays(2023)
                .iter()
                .all(|(d, _)| *d != Date::constant(2023, 11, 20))
        );
    }

    #[test]
    fn friday_afternoon_plus_fifteen_minutes_is_monday_morning() {
        let sp = "America/Sao_Paulo";
        let d = cal(sp, &[])
            .add_minutes(at(sp, "2026-11-27T16:55"), 15)
            .unwrap();
        assert_eq!(d.at, at(sp, "2026-11-30T08:10"));
        assert_eq!(
            d.explanation,
            "15 minutos úteis a partir de sex 27/11 16:55 → seg 30/11 08:10; sábado, domingo fora do expediente"
        );
        // An office closure on that Monday moves it to Tuesday, and says so.
        let closed = cal(sp, &[(Date::constant(2026, 11, 30), "Dedetização")]);
        let d = closed.add_minutes(at(sp, "2026-11-27T16:55"), 15).unwrap();
        assert_eq!(d.at, at(sp, "2026-12-01T08:10"));
        assert!(
            d.explanation
                .ends_with("sábado, domingo, seg 30/11 Dedetização fora do expediente"),
            "{}",
            d.explanation
        );
        // A national holiday too: Thursday 19/11 16:55 + 15 → Monday 23/11 (Friday 20/11 is Consciência Negra).
        let d = cal(sp, &[])
            .add_minutes(at(sp, "2026-11-19T16:55"), 15)
            .unwrap();
        assert_eq!(d.at, at(sp, "2026-11-23T08:10"));
        assert!(
            d.explanation
                .contains("sex 20/11 feriado: Dia Nacional de Zumbi"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn each_office_keeps_its_own_time_zone() {
        let (sp, pvh) = ("America/Sao_Paulo", "America/Porto_Velho");
        let start = at(sp, "2026-11-27T16:55");
        // 16:55 in São Paulo is 15:55 in Porto Velho: still two hours of work there.
        let d = cal(pvh, &[]).add_minutes(start, 15).unwrap();
        assert_eq!(d.at, at(pvh, "2026-11-27T16:10"));
    }

    #[test]
    fn lunch_breaks_are_not_business_time() {
        let sp = "America/Sao_Paulo";
        let c = BusinessCalendar::new(TimeZone::get(sp).unwrap(), week(true), []);
        let d = c.add_minutes(at(sp, "2026-11-24T11:50"), 20).unwrap();
        assert_eq!(d.at, at(sp, "2026-11-24T13:10"));
        assert_eq!(
            c.minutes_between(at(sp, "2026-11-24T11:00"), at(sp, "2026-11-24T14:00")),
            120
        );
        assert_eq!(
            c.minutes_between(at(sp, "2026-11-24T14:00"), at(sp, "2026-11-24T11:00")),
            0
        );
    }

    #[test]
    fn twenty_four_business_hours_span_days() {
        let sp = "America/Sao_Paulo";
        // 9 business hours a day: Monday 10:00 + 24 h → Wednesday 16:00.
        let d = cal(sp, &[])
            .add_minutes(at(sp, "2026-11-23T10:00"), 24 * 60)
            .unwrap();
        assert_eq!(d.at, at(sp, "2026-11-25T16:00"));
    }

    #[test]
    fn an_office_with_no_hours_has_no_deadline() {
        let c = BusinessCalendar::new(TimeZone::UTC, vec![], []);
        assert_eq!(c.add_minutes(Timestamp::UNIX_EPOCH, 1), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn adding_then_measuring_gives_the_same_minutes(
            start in 1_767_225_600i64..1_893_456_000, // 2026-01-01 .. 2030-01-01
            minutes in 0i64..20_000,
            lunch in any::<bool>(),
            zone in prop::sample::select(vec!["America/Sao_Paulo", "America/Porto_Velho", "America/Manaus", "America/Noronha", "America/Rio_Branco"]),
        ) {
            let c = BusinessCalendar::new(TimeZone::get(zone).unwrap(), week(lunch), []);
            let start = Timestamp::from_second(start).unwrap();
            let d = c.add_minutes(start, minutes).unwrap();
            prop_assert!(d.at >= start);
            prop_assert_eq!(c.minutes_between(start, d.at), minutes);
            // Monotonic: one more minute never ends earlier.
            let next = c.add_minutes(start, minutes + 1).unwrap();
            prop_assert!(next.at > d.at);
        }
    }
}

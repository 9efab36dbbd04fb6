//! How an office is doing (issue 15): each change adds to its office's day,
//! and a report adds the days of a range. Counting is pure: the stores write
//! a change's [`Tally`] in the same write as the change, so a year's report
//! reads at most 366 small items.

use crate::request::{Author, Event, EventKind, Request};
use crate::{Status, Verdict};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one write adds to its office's day (the office's local date).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub day: Date,
    /// Counter name and how much to add.
    pub counts: Vec<(String, i64)>,
    /// Business minutes from opening to the office's first reply, when this is it.
    pub first_reply_minutes: Option<i64>,
}

impl Tally {
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.first_reply_minutes.is_none()
    }
}

const OPENED: &str = "opened";

/// A request opened (and received).
pub fn opened(r: &Request, day: Date) -> Tally {
    Tally {
        day,
        counts: vec![
            (OPENED.into(), 1),
            (format!("{OPENED}:{}", r.service_id), 1),
            (format!("status:{}", r.status.key()), 1),
        ],
        first_reply_minutes: None,
    }
}

/// What a change adds: the status entered, windows met or missed, a rating
/// given. `first_reply_minutes` is given by the caller when `event` is the
/// office's first reply (it knows the history and the office's calendar).
pub fn changed(
    before: &Request,
    after: &Request,
    event: &Event,
    now: Timestamp,
    day: Date,
    first_reply_minutes: Option<i64>,
) -> Tally {
    let mut counts: Vec<(String, i64)> = Vec::new();
    if after.status != before.status {
        counts.push((format!("status:{}", after.status.key()), 1));
    }
    // The start window: the office started in time, or the request expired.
    if let Some(deadline) = &before.start_by
        && before.status == Status::Received
        && after.status != Status::Received
    {
        let missed = after.status == Status::Expired || now > deadline.at;
        counts.push((if missed { "start_missed" } else { "start_met" }.into(), 1));
    }
    // The reply window: answered by the office in time or not.
    let by_staff = matches!(event.author, Author::Staff { .. });
    if let Some(w) = &before.reply_by
        && by_staff
        && event.kind == EventKind::Message
    {
        let missed = now > w.deadline.at;
        counts.push((if missed { "reply_missed" } else { "reply_met" }.into(), 1));
    }
    if before.rating.is_none()
        && let Some(r) = &after.rating
    {
        let v = match r.verdict {
            Verdict::Approved => "rating:approved",
            Verdict::Rejected => "rating:rejected",
        };
        counts.push((v.into(), 1));
    }
    Tally {
        day,
        counts,
        first_reply_minutes,
    }
}

/// How one request kept its windows, as its changes counted them (the
/// export's columns): the same counts its office's days add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WindowsKept {
    /// Started in time (`Some(true)`), late or expired (`Some(false)`).
    #[serde(default)]
    pub start: Option<bool>,
    #[serde(default)]
    pub replies_met: u32,
    #[serde(default)]
    pub replies_missed: u32,
}

impl WindowsKept {
    /// Adds what a change counted.
    pub fn add(&mut self, t: &Tally) {
        for (k, n) in &t.counts {
            let n = u32::try_from(*n).unwrap_or(0);
            match k.as_str() {
                "start_met" => self.start = Some(true),
                "start_missed" => self.start = Some(false),
                "reply_met" => self.replies_met += n,
                "reply_missed" => self.replies_missed += n,
                _ => {}
            }
        }
    }
}

/// Whether `event` is the office's first reply on a request whose history
/// (before it) is `history`.
pub fn is_first_reply(event: &Event, history: &[Event]) -> bool {
    let reply =
        |e: &Event| e.kind == EventKind::Message && matches!(e.author, Author::Staff { .. });
    reply(event) && !history.iter().any(reply)
}

/// One day of an office as stored: its counters and first-reply times.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DayCounts {
    pub day: Date,
    pub counts: BTreeMap<String, i64>,
    pub first_reply_minutes: Vec<i64>,
}

/// A range of days added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub from: Date,
    pub to: Date,
    /// Requests opened each day of the range (every day, zeros included).
    pub opened_per_day: Vec<(Date, i64)>,
    /// Requests opened per service id.
    pub opened_per_service: BTreeMap<String, i64>,
    /// Requests that entered each status in the range.
    pub by_status: BTreeMap<String, i64>,
    pub start_met: i64,
    pub start_missed: i64,
    pub reply_met: i64,
    pub reply_missed: i64,
    /// Median business minutes to the office's first reply; `None` with none.
    pub first_reply_median_minutes: Option<i64>,
    pub first_replies: usize,
    pub ratings_approved: i64,
    pub ratings_rejected: i64,
}

/// The most days a report covers.
pub const MAX_DAYS: i64 = 366;

impl Report {
    /// Adds up `days` (any order, missing days counted as none) over `[from, to]`.
    pub fn of(from: Date, to: Date, days: &[DayCounts]) -> Self {
        let get = |d: &DayCounts, k: &str| d.counts.get(k).copied().unwrap_or(0);
        let sum = |k: &str| days.iter().map(|d| get(d, k)).sum::<i64>();
        let mut opened_per_day = Vec::new();
        let mut day = from;
        while day <= to {
            let n = days
                .iter()
                .filter(|d| d.day == day)
                .map(|d| get(d, OPENED))
                .sum();
            opened_per_day.push((day, n));
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        let mut opened_per_service = BTreeMap::new();
        let mut by_status = BTreeMap::new();
        for d in days {
            for (k, n) in &d.counts {
                if let Some(service) = k.strip_prefix("opened:") {
                    *opened_per_service.entry(service.to_owned()).or_insert(0) += n;
                } else if let Some(status) = k.strip_prefix("status:") {
                    *by_status.entry(status.to_owned()).or_insert(0) += n;
                }
            }
        }
        let mut times: Vec<i64> = days
            .iter()
            .flat_map(|d| d.first_reply_minutes.iter().copied())
            .collect();
        times.sort_unstable();
        let median = match times.len() {
            0 => None,
            n if n % 2 == 1 => Some(times[n / 2]),
            n => Some((times[n / 2 - 1] + times[n / 2]) / 2),
        };
        Self {
            from,
            to,
            opened_per_day,
            opened_per_service,
            by_status,
            start_met: sum("start_met"),
            start_missed: sum("start_missed"),
            reply_met: sum("reply_met"),
            reply_missed: sum("reply_missed"),
            first_reply_median_minutes: median,
            first_replies: times.len(),
            ratings_approved: sum("rating:approved"),
            ratings_rejected: sum("rating:rejected"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn days_add_up_and_the_median_is_of_every_first_reply() {
        let day = |d: Date, counts: &[(&str, i64)], times: &[i64]| DayCounts {
            day: d,
            counts: counts.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect(),
            first_reply_minutes: times.to_vec(),
        };
        let days = [
            day(
                date(2026, 11, 2),
                &[
                    ("opened", 2),
                    ("opened:contato", 2),
                    ("status:received", 2),
                    ("start_met", 1),
                ],
                &[30, 90],
            ),
            day(
                date(2026, 11, 4),
                &[
                    ("opened", 1),
                    ("opened:agendamento", 1),
                    ("rating:approved", 1),
                    ("reply_missed", 1),
                ],
                &[10],
            ),
        ];
        let r = Report::of(date(2026, 11, 1), date(2026, 11, 5), &days);
        assert_eq!(
            r.opened_per_day.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            vec![0, 2, 0, 1, 0]
        );
        assert_eq!(r.opened_per_service["contato"], 2);
        assert_eq!(r.by_status["received"], 2);
        assert_eq!((r.start_met, r.reply_missed, r.ratings_approved), (1, 1, 1));
        assert_eq!(r.first_reply_median_minutes, Some(30));
        assert_eq!(
            Report::of(date(2026, 11, 1), date(2026, 11, 1), &[]).first_reply_median_minutes,
            None
        );
    }

    #[test]
    fn a_change_counts_what_it_did() {
        let (r, history) = crate::request::test_request();
        let mut before = r.clone();
        before.status = Status::Received;
        before.rating = None;
        before.start_by = Some(crate::calendar::Deadline {
            at: Timestamp::from_second(1_000).expect("t"),
            explanation: String::new(),
        });
        let mut after = before.clone();
        after.status = Status::InAnalysis;
        let event = history[0].clone();
        let t = changed(
            &before,
            &after,
            &event,
            Timestamp::from_second(500).expect("t"),
            date(2026, 1, 1),
            None,
        );
        assert!(
            t.counts.contains(&("status:in_analysis".into(), 1)),
            "{t:?}"
        );
        assert!(t.counts.contains(&("start_met".into(), 1)), "{t:?}");
        let late = changed(
            &before,
            &after,
            &event,
            Timestamp::from_second(2_000).expect("t"),
            date(2026, 1, 1),
            None,
        );
        assert!(
            late.counts.contains(&("start_missed".into(), 1)),
            "{late:?}"
        );
    }
}

//! The orders lists are read in, as sort keys both stores keep beside the item
//! and index: a page continues after the last key it gave ([`super::Position`]).
//! Each key ends with the item's id, so two items never share one.

use balcao_core::{Office, Request, Status, fold};

/// An office's requests are kept on two shelves: those it still works on, and
/// the rest. The queue reads one shelf, open by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shelf {
    #[default]
    Open,
    Closed,
}

impl Shelf {
    pub fn of(status: Status) -> Self {
        if status.is_closed() {
            Self::Closed
        } else {
            Self::Open
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond().max(0)
}

/// The staff queue: legal priority first, then oldest (SPEC S2).
pub fn queue_key(r: &Request) -> String {
    let rank = if r.details.priority { 0 } else { 1 };
    format!("{rank}#{:015}#{}", ms(r.created_at), r.id)
}

/// The office's rated requests, read newest rating first.
pub fn rated_key(r: &Request) -> Option<String> {
    r.rating
        .as_ref()
        .map(|x| format!("{:015}#{}", ms(x.at), r.id))
}

/// The UF's pool, oldest first: only released requests are in it (SPEC S8).
pub fn pool_key(r: &Request) -> Option<String> {
    (r.status == Status::Released).then(|| format!("{:015}#{}", ms(r.created_at), r.id))
}

/// A city as a key: case, accents and spacing do not matter ("sao paulo").
pub fn city_key(city: &str) -> String {
    fold(city).replace('#', " ")
}

/// The directory of a UF: by city, then name.
pub fn office_key(o: &Office) -> String {
    format!(
        "{}#{}#{}",
        city_key(&o.city),
        fold(&o.name).replace('#', " "),
        o.id
    )
}

/// A request among those a search term finds: newest first, read descending.
pub fn search_key(r: &Request) -> String {
    format!("{:015}#{}", r.created_at.as_millisecond().max(0), r.id)
}

/// The first and last [`search_key`] of requests opened in `[from, to)`,
/// both included: a ranged read of the office's every-request term.
pub fn opened_range(from: jiff::Timestamp, to: jiff::Timestamp) -> (String, String) {
    let ms = |t: jiff::Timestamp| t.as_millisecond().max(0);
    // '$' sorts after '#': every id of the range's last millisecond is in.
    (
        format!("{:015}", ms(from)),
        format!("{:015}$", (ms(to) - 1).max(0)),
    )
}

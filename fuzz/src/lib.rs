//! What the fuzz targets share: the demo office they act on (São Paulo's
//! first notary, as the local runtime seeds it) and a fixed "now".

use balcao_core::Office;
use std::sync::OnceLock;

/// The demo office, read once.
pub fn office() -> Office {
    static OFFICE: OnceLock<Office> = OnceLock::new();
    OFFICE
        .get_or_init(|| serde_json::from_str(include_str!("../office.json")).expect("office.json"))
        .clone()
}

/// 1 December 2026, 13:00 UTC, plus up to a few years: inside the zone
/// database and the calendar's range.
pub fn instant(seconds: u32) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_130_000 + i64::from(seconds) % (4 * 366 * 86_400))
        .expect("in range")
}

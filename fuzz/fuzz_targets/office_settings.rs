//! The office settings document managers send (JSON). A document that passes
//! the checks gives an office whose own settings pass them again, read back
//! unchanged, apply again to the same office, and whose calendar and booking
//! grid work.
#![no_main]

use balcao_core::OfficeSettings;
use balcao_core::booking::Booking;
use balcao_core::calendar::BusinessCalendar;
use balcao_fuzz::office;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(settings) = serde_json::from_slice::<OfficeSettings>(data) else {
        return;
    };
    if !settings.check().is_empty() {
        return;
    }
    let base = office();
    let today = jiff::civil::date(2026, 12, 1);
    let applied = settings.apply(&base, today);
    let own = OfficeSettings::of(&applied);
    assert_eq!(own.check(), vec![], "what was accepted stays acceptable");
    let json = serde_json::to_string(&own).expect("serialises");
    let read: OfficeSettings = serde_json::from_str(&json).expect("reads back");
    assert_eq!(read, own);
    let mut again = read.apply(&applied, today);
    again.version = applied.version;
    assert_eq!(
        again, applied,
        "applying an office's own settings changes nothing"
    );
    let grid = Booking::for_office(&applied);
    let calendar = BusinessCalendar::for_office(&applied);
    let start = jiff::Timestamp::from_second(1_796_130_000).expect("instant");
    for day in 0..8 {
        let date = today
            .checked_add(jiff::Span::new().days(day))
            .expect("date");
        let slots = grid.day(date);
        assert!(slots.windows(2).all(|w| w[0].1 < w[1].1), "slots in order");
    }
    if let Some(d) = calendar.add_minutes(start, 60) {
        assert!(d.at >= start);
    }
});

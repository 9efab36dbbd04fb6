//! Lists read a page at a time: a bounded number of items from where the last
//! page stopped, so no read grows with an office's history.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How many items a page holds: 1 to 100, 50 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u8);

impl PageSize {
    pub const DEFAULT: Self = Self(50);
    pub const MAX: u8 = 100;

    pub fn new(n: u32) -> Option<Self> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(Self)
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where a list goes on: the sort key (see [`super::order`]) of the last item
/// given. Clients see it only encoded, as an opaque `cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position(String);

impl Position {
    /// Longest sort key any list uses, with room to spare.
    const MAX_LEN: usize = 400;

    pub fn new(sort_key: String) -> Self {
        Self(sort_key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id the sort key ends with (`…#<id>`): the item the page stopped at.
    pub fn id(&self) -> &str {
        self.0.rsplit('#').next().unwrap_or_default()
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// `None` for anything no page ever handed out.
    pub fn decode(cursor: &str) -> Option<Self> {
        if cursor.len() > Self::MAX_LEN * 2 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
        let key = String::from_utf8(bytes).ok()?;
        let shaped = key.len() <= Self::MAX_LEN
            && key.contains('#')
            && !key.chars().any(char::is_control)
            && !key.rsplit('#').next().unwrap_or_default().is_empty();
        shaped.then_some(Self(key))
    }
}

/// Which page to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub size: PageSize,
    /// Start after this item; the first page when `None`.
    pub after: Option<Position>,
}

impl PageRequest {
    pub fn first(size: PageSize) -> Self {
        Self { size, after: None }
    }
}

/// One page of a list, and where the next one starts (`None` on the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Position>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let p = Position::new("1#000001732000000000#01JD0000000000000000000000".into());
        assert_eq!(Position::decode(&p.encode()), Some(p.clone()));
        assert_eq!(p.id(), "01JD0000000000000000000000");
        for bad in ["", "!!!", "bm8taGFzaA", &"A".repeat(2000)] {
            assert_eq!(Position::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(PageSize::new(0), None);
        assert_eq!(PageSize::new(101), None);
        assert_eq!(PageSize::new(100).map(PageSize::get), Some(100));
        assert_eq!(PageSize::default().get(), 50);
    }
}

//! Finding an office's request by what a citizen says on the phone (issue 15):
//! its number, a word of the name, the e-mail, the CPF/CNPJ or the protocol,
//! in any format. A request is written with its terms; a search reads one term
//! and, for a name of several words, keeps the requests with all of them.

use crate::request::Request;
use crate::text::fold;

/// Letters and digits only, upper case: how numbers, documents and protocols
/// compare ("529.982.247-25" and "52998224725" meet).
fn code(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The term every request of an office has, whose items are in opening order:
/// the export reads a range of days as one ranged read of it.
pub const EVERY: &str = "o:";

/// The terms a request is found by (without its office). An erased request
/// keeps only its number (and [`EVERY`]).
pub fn terms(r: &Request) -> Vec<String> {
    let mut t = vec![format!("k:{}", r.number.0), EVERY.to_owned()];
    if let Some(c) = &r.citizen {
        t.push(format!("e:{}", c.email.as_str().to_lowercase()));
        match &c.document {
            Some(crate::Document::Cpf(d)) => t.push(format!("k:{}", code(&d.to_string()))),
            Some(crate::Document::Cnpj(d)) => t.push(format!("k:{}", code(&d.to_string()))),
            None => {}
        }
        for w in fold(c.name.as_str()).split(' ').filter(|w| !w.is_empty()) {
            t.push(format!("w:{w}"));
        }
        if let Some(p) = &r.details.protocol {
            t.push(format!("k:{}", code(p.as_str())));
        }
    }
    t.sort();
    t.dedup();
    t
}

/// A search as typed: the one term read, and the name's words all must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub term: String,
    pub words: Vec<String>,
}

impl SearchQuery {
    /// `None` for a query with nothing to find.
    pub fn parse(input: &str) -> Option<Self> {
        let q = input.trim();
        if q.contains('@') {
            return Some(Self {
                term: format!("e:{}", q.to_lowercase()),
                words: vec![],
            });
        }
        if q.chars().any(|c| c.is_ascii_digit()) {
            // "nº 123", "n. 123", "#123": the number's own marks go.
            let folded = fold(q);
            let rest = ["numero", "num", "no", "nº", "n°", "n", "#"]
                .iter()
                .find_map(|p| {
                    folded.strip_prefix(p).filter(|r| {
                        r.starts_with([' ', '.', '#', 'º', '°'])
                            || r.starts_with(|c: char| c.is_ascii_digit())
                    })
                })
                .unwrap_or(&folded);
            let k = code(rest);
            return (!k.is_empty()).then(|| Self {
                term: format!("k:{k}"),
                words: vec![],
            });
        }
        let words: Vec<String> = fold(q)
            .split(' ')
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
            .filter(|w| !w.is_empty())
            .collect();
        let first = words.first()?.clone();
        Some(Self {
            term: format!("w:{first}"),
            words,
        })
    }

    /// Whether `r` has every word of the query (the term itself found it).
    pub fn matches(&self, r: &Request) -> bool {
        if self.words.len() < 2 {
            return true;
        }
        let Some(c) = &r.citizen else {
            return false;
        };
        let name = fold(c.name.as_str());
        let have: Vec<&str> = name.split(' ').collect();
        self.words.iter().all(|w| have.contains(&w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Option<String> {
        SearchQuery::parse(s).map(|q| q.term)
    }

    #[test]
    fn each_way_of_saying_it_finds_the_same_term() {
        assert_eq!(q("123"), Some("k:123".into()));
        assert_eq!(q("nº 123"), Some("k:123".into()));
        assert_eq!(q("n° 123"), Some("k:123".into()));
        assert_eq!(q("#123"), Some("k:123".into()));
        assert_eq!(q("529.982.247-25"), Some("k:52998224725".into()));
        assert_eq!(q("12.ABC.345/01DE-35"), Some("k:12ABC34501DE35".into()));
        assert_eq!(q(" Maria@Example.COM "), Some("e:maria@example.com".into()));
        assert_eq!(q("joao"), Some("w:joao".into()));
        assert_eq!(q("JOÃO"), Some("w:joao".into()));
        assert_eq!(q("   "), None);
        assert_eq!(q("??"), None);
        // A name that starts like "nº" stays a name.
        assert_eq!(q("Nogueira"), Some("w:nogueira".into()));
    }

    #[test]
    fn a_request_is_found_by_its_terms_and_all_the_words_of_a_name() {
        let (r, _) = crate::request::test_request();
        let t = terms(&r);
        let name = r
            .citizen
            .as_ref()
            .expect("citizen")
            .name
            .as_str()
            .to_owned();
        for word in fold(&name).split(' ') {
            assert!(t.contains(&format!("w:{word}")), "{t:?}");
        }
        assert!(t.contains(&format!("k:{}", r.number.0)), "{t:?}");
        let two = SearchQuery::parse(&name).expect("query");
        assert!(t.contains(&two.term));
        assert!(two.matches(&r));
        let wrong = SearchQuery::parse(&format!("{name} Xavier")).expect("query");
        assert!(!wrong.matches(&r));
        let mut erased = r.clone();
        erased.citizen = None;
        erased.details.protocol = None;
        let mut kept = vec![format!("k:{}", r.number.0), EVERY.to_owned()];
        kept.sort();
        assert_eq!(terms(&erased), kept);
        // No query reads the export's term.
        assert!(["o:", "o", "O:"].iter().all(|s| q(s) != Some(EVERY.into())));
    }
}

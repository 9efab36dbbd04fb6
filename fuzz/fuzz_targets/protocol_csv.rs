//! The protocol CSV import (`;` or `,`, any header order, a BOM or not): never
//! more protocols than rows, each one valid when published again one at a time.
#![no_main]

use balcao_core::ProtocolUpdate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match ProtocolUpdate::parse_csv(text) {
        Ok(protocols) => {
            // A record ends at LF, CRLF or a lone CR (as the csv reader reads).
            let rows = text
                .replace("\r\n", "\n")
                .split(['\n', '\r'])
                .count()
                .saturating_sub(1);
            assert!(
                protocols.len() <= rows.max(1),
                "{} protocols from {rows} rows",
                protocols.len()
            );
            let mut keys = std::collections::BTreeSet::new();
            for p in &protocols {
                assert!(
                    keys.insert(balcao_core::protocol_key(p.number.as_str())),
                    "one per number"
                );
                assert!(
                    p.history.windows(2).all(|w| w[0].date <= w[1].date),
                    "history in order"
                );
                let history: String = p
                    .history
                    .iter()
                    .map(|s| format!("{} {}\n", s.date.strftime("%d/%m/%Y"), s.text))
                    .collect();
                let again =
                    ProtocolUpdate::parse(p.number.as_str(), p.cpf.digits(), &p.status, &history);
                assert_eq!(
                    again.as_ref().map(|a| &a.history),
                    Ok(&p.history),
                    "{again:?}"
                );
            }
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal says why"),
    }
});

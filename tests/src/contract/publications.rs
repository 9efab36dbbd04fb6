//! The `Publications` role: reviews and protocols.

#[allow(unused_imports)]
use super::*;

fn rand_bits() -> u128 {
    u128::from(Ulid::generate()) & ((1 << 80) - 1)
}

/// Published comments (SPEC S7): upsert and withdraw by request, newest first,
/// per office.
pub async fn reviews_are_published_per_office_and_withdrawn(store: Shared) {
    let (sp, ro) = (demo(0), demo(2));
    // Ids a millisecond apart: ULIDs made within one millisecond have no order.
    let review = |text: &str, ms: u64| {
        let id = RequestId(Ulid::from_parts(1_795_000_000_000 + ms, rand_bits()));
        balcao_core::PublicReview {
            request_id: id,
            verdict: balcao_core::Verdict::Approved,
            comment: text.into(),
            at: now(),
        }
    };
    let (a, b, c) = (
        review("primeiro", 1),
        review("segundo", 2),
        review("de outra serventia", 3),
    );
    store
        .set_review(&sp.id, a.request_id, Some(&a))
        .await
        .expect("a");
    store
        .set_review(&sp.id, b.request_id, Some(&b))
        .await
        .expect("b");
    store
        .set_review(&ro.id, c.request_id, Some(&c))
        .await
        .expect("c");
    let texts =
        |v: Vec<balcao_core::PublicReview>| v.into_iter().map(|r| r.comment).collect::<Vec<_>>();
    assert_eq!(
        texts(store.office_reviews(&sp.id, 10).await.expect("list")),
        vec!["segundo", "primeiro"],
        "newest request first, this office only"
    );
    assert_eq!(
        texts(store.office_reviews(&sp.id, 1).await.expect("list")),
        vec!["segundo"]
    );
    let edited = balcao_core::PublicReview {
        comment: "segundo, revisto".into(),
        ..b.clone()
    };
    store
        .set_review(&sp.id, b.request_id, Some(&edited))
        .await
        .expect("again");
    store
        .set_review(&sp.id, a.request_id, None)
        .await
        .expect("withdraw");
    store
        .set_review(&sp.id, a.request_id, None)
        .await
        .expect("withdrawing twice is fine");
    assert_eq!(
        texts(store.office_reviews(&sp.id, 10).await.expect("list")),
        vec!["segundo, revisto"]
    );
}

/// Published protocols (SPEC C11): put in a batch (more than one DynamoDB
/// batch), replaced by number, read back per office.
pub async fn protocols_are_published_in_batches_and_replaced(store: Shared) {
    let (sp, ro) = (demo(0), demo(2));
    let protocol = |office: &Office, n: usize, status: &str| balcao_app::ports::PublishedProtocol {
        office: office.id.clone(),
        key: format!("P{n}"),
        number: format!("P-{n}"),
        cpf_hash: "h".repeat(64),
        status: status.into(),
        history: vec![balcao_core::ProtocolStep {
            date: jiff::civil::date(2026, 11, 20),
            text: "Recebido".into(),
        }],
        updated_at: now(),
        updated_by: "Paula".into(),
    };
    let many: Vec<_> = (0..60).map(|n| protocol(&sp, n, "Recebido")).collect();
    store.put_protocols(&many).await.expect("batch");
    store
        .put_protocols(&[protocol(&sp, 7, "Registrado")])
        .await
        .expect("replace");
    let got = |office: &Office, key: &str| {
        let (store, office, key) = (store.clone(), office.id.clone(), key.to_owned());
        async move { store.get_protocol(&office, &key).await.expect("get") }
    };
    assert_eq!(got(&sp, "P59").await.map(|p| p.number), Some("P-59".into()));
    assert_eq!(
        got(&sp, "P7").await.map(|p| p.status),
        Some("Registrado".into())
    );
    assert_eq!(got(&ro, "P7").await, None, "per office");
    assert_eq!(got(&sp, "P99").await, None);
}

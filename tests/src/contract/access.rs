//! The `AccessLinks` role, with a citizen's requests.

#[allow(unused_imports)]
use super::*;

pub async fn a_citizen_s_requests_newest_first_and_access_links_throttled(store: Shared) {
    use balcao_app::ports::AccessLink;
    let (a, b) = (demo(0), demo(2));
    store.put_office(&a).await.expect("put");
    store.put_office(&b).await.expect("put");
    let mut ids = Vec::new();
    for (i, o) in [&a, &b, &a].into_iter().enumerate() {
        let compose = draft(o, now() + SignedDuration::from_mins(i as i64), None);
        let r = created(&store, o, &compose).await;
        ids.push(r.id);
    }
    let citizen = citizen_of(&Email::parse("cidadao@example.com").expect("email")).0;
    let mine: Vec<RequestId> = store
        .citizen_requests(&citizen, 20)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        mine,
        ids.iter().rev().copied().collect::<Vec<_>>(),
        "across offices, newest first"
    );
    assert_eq!(
        store
            .citizen_requests(&citizen, 2)
            .await
            .expect("list")
            .len(),
        2
    );
    let stranger = citizen_of(&Email::parse("outra@example.com").expect("email")).0;
    assert!(
        store
            .citizen_requests(&stranger, 20)
            .await
            .expect("list")
            .is_empty()
    );

    let mail = draft(&a, now(), None)(TicketNumber(1)).mails.remove(0);
    let link = AccessLink {
        token_hash: "h1".into(),
        citizen: citizen.clone(),
        expires_at: now() + SignedDuration::from_hours(24),
    };
    assert!(
        store
            .put_access_link(
                &link,
                &mail,
                &link.citizen,
                now() - SignedDuration::from_mins(2)
            )
            .await
            .expect("put")
    );
    assert_eq!(
        store.get_access_link("h1").await.expect("get"),
        Some(link.clone())
    );
    assert_eq!(store.get_access_link("nope").await.expect("get"), None);
    let mut again = mail.clone();
    again.id = MailId(Ulid::generate());
    again.created_at = now() + SignedDuration::from_secs(30);
    let second = AccessLink {
        token_hash: "h2".into(),
        ..link.clone()
    };
    assert!(
        !store
            .put_access_link(
                &second,
                &again,
                &second.citizen,
                now() + SignedDuration::from_secs(30) - SignedDuration::from_mins(2)
            )
            .await
            .expect("put"),
        "a second link within the window is refused"
    );
    assert_eq!(
        store.get_access_link("h2").await.expect("get"),
        None,
        "and nothing of it was written"
    );
    again.created_at = now() + SignedDuration::from_mins(3);
    assert!(
        store
            .put_access_link(
                &second,
                &again,
                &second.citizen,
                now() + SignedDuration::from_mins(1)
            )
            .await
            .expect("put")
    );
}

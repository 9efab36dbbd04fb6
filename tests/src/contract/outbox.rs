//! The `Outbox` role: due mail, leases, sending.

#[allow(unused_imports)]
use super::*;

pub async fn outbox_lifecycle(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let mail_id = compose(TicketNumber(1)).mails[0].id;
    store.open_request(&o.id, &compose).await.expect("open");

    assert!(
        store
            .due_mail(now() - SignedDuration::from_secs(1), 10)
            .await
            .expect("due")
            .is_empty(),
        "not yet due"
    );
    assert_eq!(store.due_mail(now(), 10).await.expect("due"), vec![mail_id]);

    let t0 = now() + SignedDuration::from_secs(1);
    let claimed = store
        .claim_mail(mail_id, t0, t0 + SignedDuration::from_secs(60))
        .await
        .expect("claim");
    let claimed = claimed.expect("free mail can be claimed");
    assert_eq!(claimed.attempts, 1);
    assert!(claimed.render().text.contains("k=segredo1"));
    assert_eq!(claimed.letter.attachments.len(), 1);
    assert!(
        store
            .claim_mail(mail_id, t0, t0 + SignedDuration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "leased"
    );

    let retry_at = t0 + SignedDuration::from_secs(30);
    store
        .mail_failed(mail_id, retry_at, "caixa fora do ar")
        .await
        .expect("failed");
    assert!(
        store
            .due_mail(t0 + SignedDuration::from_secs(5), 10)
            .await
            .expect("due")
            .is_empty(),
        "waits its backoff"
    );
    assert_eq!(
        store.due_mail(retry_at, 10).await.expect("due"),
        vec![mail_id]
    );
    let again = store.get_mail(mail_id).await.expect("get").expect("exists");
    assert_eq!(again.last_error.as_deref(), Some("caixa fora do ar"));
    assert_eq!(
        again.letter.attachments.first().map(|a| a.name.as_str()),
        Some("convite.ics"),
        "files of the email are kept with it"
    );
    assert_eq!(again.leased_until, None);

    let t1 = retry_at + SignedDuration::from_secs(1);
    let second = store
        .claim_mail(mail_id, t1, t1 + SignedDuration::from_secs(60))
        .await
        .expect("claim")
        .expect("claimed");
    assert_eq!(second.attempts, 2);
    store
        .mail_sent(mail_id, t1, "provider-123")
        .await
        .expect("sent");
    let sent = store.get_mail(mail_id).await.expect("get").expect("exists");
    assert_eq!(sent.sent_at, Some(t1));
    assert_eq!(sent.provider_id.as_deref(), Some("provider-123"));
    assert!(
        !sent.render().text.contains("segredo") && sent.letter.attachments.is_empty(),
        "the body with the ticket secret is dropped once sent"
    );
    assert!(
        store
            .due_mail(t1 + SignedDuration::from_hours(2), 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert!(
        store
            .claim_mail(
                mail_id,
                t1 + SignedDuration::from_hours(2),
                t1 + SignedDuration::from_hours(3)
            )
            .await
            .expect("claim")
            .is_none(),
        "sent mail is never claimed again"
    );
    assert!(
        store
            .claim_mail(MailId(Ulid::generate()), t1, t1)
            .await
            .expect("claim")
            .is_none()
    );
}

pub async fn an_expired_lease_can_be_taken_over(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let mail_id = compose(TicketNumber(1)).mails[0].id;
    store.open_request(&o.id, &compose).await.expect("open");
    let lease_end = now() + SignedDuration::from_secs(60);
    assert!(
        store
            .claim_mail(mail_id, now(), lease_end)
            .await
            .expect("claim")
            .is_some()
    );
    // The first sender died: once its lease ends another may send.
    let taken = store
        .claim_mail(
            mail_id,
            lease_end,
            lease_end + SignedDuration::from_secs(60),
        )
        .await
        .expect("claim");
    assert_eq!(taken.expect("lease expired").attempts, 2);
}

/// Mail given up leaves the retry list, cannot be claimed, and drops its body;
/// a suppressed address is remembered by its key.
pub async fn undelivered_mail_and_suppressed_addresses(store: Shared) {
    let o = demo(0);
    store.put_office(&o).await.expect("put");
    let compose = draft(&o, now(), None);
    let mail_id = compose(TicketNumber(1)).mails[0].id;
    store.open_request(&o.id, &compose).await.expect("open");
    assert_eq!(store.due_mail(now(), 10).await.expect("due"), vec![mail_id]);

    for _ in 0..2 {
        store
            .mail_undelivered(mail_id, now(), "bounced: devolvido")
            .await
            .expect("undelivered, twice as harmless as once");
    }
    let later = now() + SignedDuration::from_hours(48);
    assert!(store.due_mail(later, 10).await.expect("due").is_empty());
    assert!(
        store
            .claim_mail(mail_id, later, later + SignedDuration::from_secs(60))
            .await
            .expect("claim")
            .is_none(),
        "a mail given up is never sent"
    );
    let kept = store.get_mail(mail_id).await.expect("get").expect("kept");
    assert!(kept.undelivered_at.is_some());
    assert_eq!(kept.last_error.as_deref(), Some("bounced: devolvido"));
    assert!(
        !kept.render().text.contains("segredo"),
        "the ticket secret is gone with the body"
    );

    assert_eq!(store.suppressed("abc123").await.expect("read"), None);
    store
        .suppress("abc123", "bounced", now())
        .await
        .expect("suppress");
    store
        .suppress("abc123", "complaint", now())
        .await
        .expect("again");
    assert_eq!(
        store.suppressed("abc123").await.expect("read").as_deref(),
        Some("complaint")
    );
    assert_eq!(store.suppressed("outro").await.expect("read"), None);
    // Its owner's data erased, the address is forgotten; forgetting twice is harmless.
    store.unsuppress("abc123").await.expect("unsuppress");
    store.unsuppress("abc123").await.expect("unsuppress again");
    assert_eq!(store.suppressed("abc123").await.expect("read"), None);
}

//! Abuse-limit counters (the `Limits` port), on the same stores.

#[allow(unused_imports)]
use super::*;

/// Abuse-limit counters (the `Limits` port), on the same stores.
pub type SharedLimits = Arc<dyn balcao_app::limits::Limits>;

pub async fn limits_admit_distinct_members_up_to_the_max_per_window(limits: SharedLimits) {
    use balcao_app::limits::Admission;
    let key = format!("test#{}", Ulid::generate());
    let other = format!("test#{}", Ulid::generate());
    let t0: Timestamp = "2026-11-23T13:00:00Z".parse().expect("instant");
    let hour = SignedDuration::from_hours(1);
    let at = |s: i64| t0 + SignedDuration::from_secs(s);
    assert_eq!(limits.count(&key, t0).await.expect("count"), None);
    for i in 0..5 {
        let a = limits
            .admit(&key, &format!("m{i}"), 5, hour, at(i))
            .await
            .expect("admit");
        assert_eq!(a, Admission::Admitted, "member {i}");
    }
    // A member counted before (a retry) is admitted again without counting.
    assert_eq!(
        limits
            .admit(&key, "m0", 5, hour, at(8))
            .await
            .expect("admit"),
        Admission::Admitted
    );
    // A sixth waits for the end of the window, which started at the first member.
    assert_eq!(
        limits
            .admit(&key, "m5", 5, hour, at(10))
            .await
            .expect("admit"),
        Admission::Limited { until: t0 + hour }
    );
    assert_eq!(
        limits.count(&key, at(10)).await.expect("count"),
        Some((5, t0 + hour))
    );
    // Keys spread: another is untouched.
    assert_eq!(
        limits
            .admit(&other, "m5", 5, hour, at(10))
            .await
            .expect("admit"),
        Admission::Admitted
    );
    // After the window, a new one starts with the next member.
    let later = t0 + hour + SignedDuration::from_secs(1);
    assert_eq!(limits.count(&key, later).await.expect("count"), None);
    assert_eq!(
        limits
            .admit(&key, "m6", 5, hour, later)
            .await
            .expect("admit"),
        Admission::Admitted
    );
    assert_eq!(
        limits.count(&key, later).await.expect("count"),
        Some((1, later + hour))
    );
}

pub async fn concurrent_admissions_never_exceed_the_limit(limits: SharedLimits) {
    use balcao_app::limits::Admission;
    let key = format!("race#{}", Ulid::generate());
    let t0: Timestamp = "2026-11-23T13:00:00Z".parse().expect("instant");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (limits, key) = (limits.clone(), key.clone());
            tokio::spawn(async move {
                limits
                    .admit(&key, &format!("m{i}"), 5, SignedDuration::from_hours(1), t0)
                    .await
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(Admission::Admitted) => admitted += 1,
            Ok(Admission::Limited { .. }) | Err(balcao_app::ports::StoreError::Contention) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(admitted, 5, "exactly the limit, under any concurrency");
}

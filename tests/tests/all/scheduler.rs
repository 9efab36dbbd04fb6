//! The EventBridge Scheduler adapter against moto_server: what it creates, that
//! creating twice is harmless, and cancelling. (moto never fires schedules; the
//! timer handler is exercised by `timers.rs`.)

use aws_sdk_scheduler::types::ActionAfterCompletion;
use balcao_app::Timers;
use balcao_app::ports::Timer;
use balcao_aws::{SchedulerConfig, SchedulerTimers};
use balcao_core::RequestId;

fn client() -> aws_sdk_scheduler::Client {
    aws_sdk_scheduler::Client::new(&balcao_tests::moto_sdk("sa-east-1"))
}

#[tokio::test]
async fn schedules_are_one_time_in_the_office_zone_idempotent_and_cancellable() {
    let client = client();
    let group = format!(
        "balcao-{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    client
        .create_schedule_group()
        .name(&group)
        .send()
        .await
        .expect("group");
    let timers = SchedulerTimers::new(
        client.clone(),
        SchedulerConfig {
            group: group.clone(),
            target_arn: "arn:aws:lambda:sa-east-1:123456789012:function:balcao-timer".into(),
            role_arn: "arn:aws:iam::123456789012:role/balcao-scheduler".into(),
            dead_letter_arn: "arn:aws:sqs:sa-east-1:123456789012:balcao-timers-dlq".into(),
        },
    );
    let request = RequestId(ulid::Ulid::generate());
    let timer = Timer::start_window(
        request,
        "2026-11-30T11:10:00Z".parse().expect("due"),
        "America/Sao_Paulo",
    );
    timers.schedule(&timer).await.expect("create");
    timers
        .schedule(&timer)
        .await
        .expect("creating again is harmless");
    // A reminder for a changed appointment replaces the earlier one under the same id.
    let first = Timer::reminder(
        request,
        "2026-12-01T12:00:00Z".parse().expect("due"),
        "America/Porto_Velho",
        2,
    );
    timers.schedule(&first).await.expect("first version");
    let later = Timer::reminder(
        request,
        "2026-12-02T12:00:00Z".parse().expect("due"),
        "America/Porto_Velho",
        3,
    );
    timers.schedule(&later).await.expect("replaced");
    let r = client
        .get_schedule()
        .name(&later.id)
        .group_name(&group)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.schedule_expression(),
        Some("at(2026-12-02T08:00:00)"),
        "the newer one, in Porto Velho time"
    );
    let input: Timer =
        serde_json::from_str(r.target().and_then(|t| t.input()).expect("input")).expect("timer");
    assert_eq!(input.sequence, 3);

    let s = client
        .get_schedule()
        .name(&timer.id)
        .group_name(&group)
        .send()
        .await
        .expect("get");
    assert_eq!(
        s.schedule_expression(),
        Some("at(2026-11-30T08:10:00)"),
        "local time"
    );
    assert_eq!(s.schedule_expression_timezone(), Some("America/Sao_Paulo"));
    assert_eq!(
        s.action_after_completion(),
        Some(&ActionAfterCompletion::Delete)
    );
    let target = s.target().expect("target");
    assert_eq!(
        target.arn(),
        "arn:aws:lambda:sa-east-1:123456789012:function:balcao-timer"
    );
    let input: Timer = serde_json::from_str(target.input().expect("input")).expect("timer JSON");
    assert_eq!(input, timer, "the handler receives the timer itself");
    assert!(target.dead_letter_config().is_some());
    assert!(target.retry_policy().is_some());

    timers.cancel(&timer.id).await.expect("cancel");
    timers
        .cancel(&timer.id)
        .await
        .expect("cancelling twice is harmless");
    let gone = client
        .get_schedule()
        .name(&timer.id)
        .group_name(&group)
        .send()
        .await;
    assert!(gone.is_err(), "deleted");
}

/// The keyed-hash secret on AWS: Secrets Manager (on moto), read once.
#[tokio::test]
async fn the_hash_key_comes_from_secrets_manager() {
    use balcao_app::keys::{KeySource, Keys};
    let client = aws_sdk_secretsmanager::Client::new(&balcao_tests::moto_sdk("sa-east-1"));
    let name = format!("balcao-hash-{}", ulid::Ulid::generate());
    let value = "k".repeat(64);
    let created = client
        .create_secret()
        .name(&name)
        .secret_string(&value)
        .send()
        .await
        .expect("secret");
    let arn = created.arn().expect("arn").to_owned();
    let source = balcao_aws::SecretsManagerKey::new(client.clone(), &arn);
    assert_eq!(source.load().await.expect("load"), value.as_bytes());
    let keys = Keys::new(std::sync::Arc::new(source));
    let a = keys.get().await.expect("key").mac_hex("t", &["x"]);
    // An unknown secret is a clear failure, not a weak key.
    let missing = balcao_aws::SecretsManagerKey::new(client, "nao-existe");
    assert!(missing.load().await.is_err());
    assert_eq!(a.len(), 64);
}

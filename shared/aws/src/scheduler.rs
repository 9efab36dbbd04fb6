//! [`Timers`] over EventBridge Scheduler: one-time `at()` schedules in the
//! office's time zone, in one group, deleted after they run, retried, with a
//! dead-letter queue, all targeting the timer function with the timer as input.

use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::{DisplayErrorContext, SdkError};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, Target,
};
use balcao_app::ports::{Timer, TimerError, Timers};

/// Where schedules go and what they call (from `template.yaml`).
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub group: String,
    pub target_arn: String,
    pub role_arn: String,
    pub dead_letter_arn: String,
}

pub struct SchedulerTimers {
    client: Client,
    config: SchedulerConfig,
}

impl SchedulerTimers {
    pub fn new(client: Client, config: SchedulerConfig) -> Self {
        Self { client, config }
    }
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> TimerError {
    TimerError::Unavailable(DisplayErrorContext(&e).to_string())
}

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, TimerError> {
    r.map_err(|e| TimerError::Unavailable(e.to_string()))
}

/// `at(2026-11-30T08:10:00)` in the office's zone: what a person reading the
/// console expects, and exact because Scheduler resolves it with the same zone.
pub fn expression(timer: &Timer) -> Result<(String, String), TimerError> {
    let tz = jiff::tz::TimeZone::get(&timer.timezone)
        .map_err(|e| TimerError::Unavailable(e.to_string()))?;
    let local = timer.due.to_zoned(tz);
    Ok((
        format!("at({})", local.strftime("%Y-%m-%dT%H:%M:%S")),
        timer.timezone.clone(),
    ))
}

#[async_trait]
impl Timers for SchedulerTimers {
    async fn schedule(&self, timer: &Timer) -> Result<(), TimerError> {
        let (at, zone) = expression(timer)?;
        let input =
            serde_json::to_string(timer).map_err(|e| TimerError::Unavailable(e.to_string()))?;
        let target = build(
            Target::builder()
                .arn(&self.config.target_arn)
                .role_arn(&self.config.role_arn)
                .input(input)
                .retry_policy(
                    RetryPolicy::builder()
                        .maximum_retry_attempts(10)
                        .maximum_event_age_in_seconds(6 * 3600)
                        .build(),
                )
                .dead_letter_config(
                    DeadLetterConfig::builder()
                        .arn(&self.config.dead_letter_arn)
                        .build(),
                )
                .build(),
        )?;
        let window = build(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build(),
        )?;
        let created = self
            .client
            .create_schedule()
            .name(&timer.id)
            .group_name(&self.config.group)
            .schedule_expression(&at)
            .schedule_expression_timezone(&zone)
            .flexible_time_window(window.clone())
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            // Already there (a retry, or a changed appointment's reminder): set it to this timer.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conflict_exception()) =>
            {
                self.client
                    .update_schedule()
                    .name(&timer.id)
                    .group_name(&self.config.group)
                    .schedule_expression(at)
                    .schedule_expression_timezone(zone)
                    .flexible_time_window(window)
                    .action_after_completion(ActionAfterCompletion::Delete)
                    .target(target)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(unavailable)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn cancel(&self, id: &str) -> Result<(), TimerError> {
        match self
            .client
            .delete_schedule()
            .name(id)
            .group_name(&self.config.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

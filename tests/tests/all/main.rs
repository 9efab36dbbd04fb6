//! Every black-box test in one binary: one link step instead of twenty.

mod apigw_events;
mod attachments;
mod aws_mailer;
mod booking;
mod citizen_actions;
mod contracts_in_step;
mod journey;
mod mail_failures;
mod metrics;
mod migrations;
mod my_requests;
mod office_settings;
mod paging;
mod permissions;
mod pool_race;
mod protocols;
mod s3;
mod scheduler;
mod ses;
mod sign_in;
mod staff;
mod store_contract;
mod timers;
mod transitions;
mod workflow;
mod workflow_race;

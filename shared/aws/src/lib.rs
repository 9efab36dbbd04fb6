//! Balcão on AWS: the DynamoDB store, S3 files, the SES v2 mailer and the wiring each
//! Lambda's `main` calls.

pub mod cognito;
pub mod dynamo;
pub mod lambda;
pub mod mail_events;
pub mod mailer_fn;
pub mod needs;
pub mod s3;
pub mod scheduler;
pub mod secret_key;
pub mod ses;

pub use balcao_web::{Op, ops};
pub use cognito::{CognitoAuth, CognitoConfig};
pub use dynamo::DynamoStore;
pub use lambda::{
    Error, Handler, serve, serve_mail_events, serve_mailer, serve_no_route, serve_retention,
    serve_timer,
};
pub use s3::S3Blobs;
pub use scheduler::{SchedulerConfig, SchedulerTimers};
pub use secret_key::SecretsManagerKey;
pub use ses::SesMailer;

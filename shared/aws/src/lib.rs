//! Balcão on AWS: the DynamoDB store, the SES v2 mailer and the wiring each
//! Lambda's `main` calls.

pub mod dynamo;
pub mod lambda;
pub mod mailer_fn;
pub mod ses;

pub use balcao_web::Op;
pub use dynamo::DynamoStore;
pub use lambda::{Error, serve, serve_mailer};
pub use ses::SesMailer;

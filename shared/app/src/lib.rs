//! Balcão's use cases. Each operation is a module here, written against the
//! small ports of [`ports`]; the AWS and embedded adapters implement them.

pub mod assignment;
pub mod attachments;
pub mod booking;
pub mod calendar_mail;
pub mod citizen_actions;
pub mod courier;
pub mod emails;
pub mod error;
pub mod keys;
pub mod limits;
pub mod mail_failures;
pub mod my_data;
pub mod my_requests;
pub mod notes;
pub mod office_settings;
pub mod offices;
pub mod open_request;
pub mod pool;
pub mod ports;
pub mod protocols;
pub mod ratings;
pub mod reports;
pub mod secrets;
pub mod staff_requests;
pub mod staff_workflow;
pub mod ticket;
pub mod timers;

pub use error::AppError;
pub use ports::{
    AccessLinks, Blobs, Clock, Mailer, Offices, Outbox, Publications, Reports, StaffAuth, Store,
    SystemClock, Tickets, Timers,
};

use std::sync::Arc;

/// Settings that differ between deployments.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where citizens reach the site, e.g. `https://balcao.example.gov.br`; used in email links.
    pub public_base_url: String,
    /// Where browsers post files (S3's bucket URL on AWS); allowed by the pages' CSP.
    pub upload_origin: String,
}

impl Config {
    pub fn new(public_base_url: &str) -> Self {
        let base = public_base_url.trim_end_matches('/').to_owned();
        Self {
            upload_origin: base.clone(),
            public_base_url: base,
        }
    }

    pub fn with_upload_origin(mut self, origin: &str) -> Self {
        self.upload_origin = origin.trim_end_matches('/').to_owned();
        self
    }
}

/// What every citizen and staff operation needs; built once per process.
#[derive(Clone)]
pub struct App {
    pub offices: Arc<dyn Offices>,
    pub tickets: Arc<dyn Tickets>,
    /// The offices' counted days (issue 15).
    pub reports: Arc<dyn Reports>,
    pub links: Arc<dyn AccessLinks>,
    pub publications: Arc<dyn Publications>,
    /// For what an erasure removes from it (a suppressed address); the courier
    /// holds its own.
    pub outbox: Arc<dyn Outbox>,
    pub blobs: Arc<dyn Blobs>,
    pub timers: Arc<dyn Timers>,
    pub limits: Arc<dyn limits::Limits>,
    pub staff_auth: Arc<dyn StaffAuth>,
    pub clock: Arc<dyn Clock>,
    pub keys: keys::Keys,
    pub config: Config,
}

//! The local mailbox: "sending" stores the email where a person can read it
//! (`/_dev/mailbox`). It can be told to fail, to exercise the outbox retries.

use crate::exec;
use crate::store::SqliteStore;
use async_trait::async_trait;
use balcao_app::ports::{MailAttachment, MailError, OutboxMail, StoreError};
use balcao_app::{Clock, Mailer};
use rusqlite::params;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MailboxEntry {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<MailAttachment>,
    pub sent_at: String,
}

#[derive(Clone)]
pub struct LocalMailbox {
    db: SqliteStore,
    clock: Arc<dyn Clock>,
    failures_left: Arc<AtomicU32>,
}

impl LocalMailbox {
    pub fn new(db: SqliteStore, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            failures_left: Arc::new(AtomicU32::new(0)),
        }
    }

    /// The next `n` sends fail as if the mail service were down.
    pub fn fail_next(&self, n: u32) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    /// Every email, newest first.
    pub async fn list(&self) -> Result<Vec<MailboxEntry>, StoreError> {
        self.db
            .with(|c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT id, to_addr, subject, text, html, sent_at, attachments FROM mailbox ORDER BY id DESC",
                    )
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(MailboxEntry {
                            id: r.get(0)?,
                            to: r.get(1)?,
                            subject: r.get(2)?,
                            text: r.get(3)?,
                            html: r.get(4)?,
                            sent_at: r.get(5)?,
                            attachments: serde_json::from_str(&r.get::<_, String>(6)?)
                                .unwrap_or_default(),
                        })
                    })
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                rows.collect::<Result<_, _>>().map_err(|e| StoreError::Unavailable(e.to_string()))
            })
            .await
    }
}

#[async_trait]
impl Mailer for LocalMailbox {
    async fn send(&self, mail: &OutboxMail) -> Result<String, MailError> {
        let take_failure = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if take_failure {
            return Err(MailError::Unavailable(
                "falha simulada da caixa local".into(),
            ));
        }
        let m = mail.render();
        let to = mail.to.clone();
        // The outbox mail's own id: a delivery repeated after a crash (sent,
        // not yet marked sent) is the same mail, kept once; two mails the
        // application wrote are two ids and show twice.
        let id = mail.id.to_string();
        let sent_at = self.clock.now().to_string();
        let files = serde_json::to_string(&m.attachments)
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        self.db
            .with(move |c| {
                exec(c,
                    "INSERT OR IGNORE INTO mailbox (id, to_addr, subject, text, html, sent_at, attachments) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, to.as_str(), m.subject, m.text, m.html, sent_at, files],
                )
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                Ok(id)
            })
            .await
            .map_err(|e| MailError::Unavailable(e.to_string()))
    }
}

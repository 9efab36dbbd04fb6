//! Tables as of schema version 8: each aggregate as JSON beside the columns
//! queries need. Never edited: changes are migrations.

/// The version [`SCHEMA`] creates; later ones come from the store's
/// numbered migrations (`store/migrations.rs`).
pub const BASE_VERSION: i64 = 8;

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS offices (
    id          TEXT PRIMARY KEY,
    uf          TEXT NOT NULL,
    city        TEXT NOT NULL,
    name        TEXT NOT NULL,
    next_number INTEGER NOT NULL DEFAULT 0,
    body        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS offices_by_uf ON offices (uf, city, name);

CREATE TABLE IF NOT EXISTS requests (
    id         TEXT PRIMARY KEY,
    office_id  TEXT NOT NULL REFERENCES offices (id),
    number     INTEGER NOT NULL,
    status     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    citizen    TEXT NOT NULL,
    body       TEXT NOT NULL,
    UNIQUE (office_id, number)
);
CREATE INDEX IF NOT EXISTS requests_by_citizen ON requests (citizen, created_at);

CREATE TABLE IF NOT EXISTS events (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (request_id, seq),
    UNIQUE (request_id, id)
);

CREATE TABLE IF NOT EXISTS idempotency (
    key_hash   TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS outbox (
    id              TEXT PRIMARY KEY,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    body            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE IF NOT EXISTS access_links (
    token_hash TEXT PRIMARY KEY,
    citizen    TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS access_throttle (
    citizen      TEXT PRIMARY KEY,
    last_sent_at INTEGER NOT NULL
);

-- Comments shown on an office's card (SPEC S7), one per request.
CREATE TABLE IF NOT EXISTS reviews (
    office_id  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (office_id, request_id)
);

-- Registry protocols published for lookup (SPEC C11).
CREATE TABLE IF NOT EXISTS protocols (
    office_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (office_id, key)
);

-- How many open requests hold each booked slot (SPEC C4).
CREATE TABLE IF NOT EXISTS slots (
    office_id TEXT NOT NULL,
    slot      TEXT NOT NULL,
    taken     INTEGER NOT NULL,
    PRIMARY KEY (office_id, slot)
);

-- One-time timers the local runtime fires (SPEC P1).
CREATE TABLE IF NOT EXISTS timers (
    id     TEXT PRIMARY KEY,
    due_ms INTEGER NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_ms);

-- Abuse limits: members counted in a window that ends at `until_ms`.
CREATE TABLE IF NOT EXISTS limits (
    key      TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL,
    members  TEXT NOT NULL
);
-- Ended windows are swept at each admission: by this index, not a scan.
CREATE INDEX IF NOT EXISTS limits_until ON limits (until_ms);

CREATE TABLE IF NOT EXISTS mailbox (
    id      TEXT PRIMARY KEY,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    text    TEXT NOT NULL,
    html    TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    sent_at TEXT NOT NULL
);
"#;

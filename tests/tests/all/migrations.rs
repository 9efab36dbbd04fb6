//! A `data/` folder written by an earlier Balcão opens and is brought forward
//! by the numbered migrations, its data kept and its lists readable.

use balcao_app::ports::{PageRequest, QueueQuery};
use balcao_app::{Offices, Reports, Tickets, open_request};
use balcao_core::{RawRequestForm, Uf};
use balcao_embedded::SqliteStore;
use std::sync::Arc;

fn temp_db() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("balcao-migration-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).expect("folder");
    dir.join("balcao.db")
}

fn version(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version")
}

/// Takes the database back to the tables of version 8 (before lists were read
/// by key): what a data folder of that release holds.
fn back_to_version_8(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).expect("open");
    c.execute_batch(
        "DROP INDEX requests_erase_on; ALTER TABLE requests DROP COLUMN erase_on;
         DROP INDEX outbox_finished;
         DROP INDEX requests_queue; DROP INDEX requests_rated; DROP INDEX requests_pool;
         DROP INDEX offices_listing;
         ALTER TABLE requests DROP COLUMN shelf; ALTER TABLE requests DROP COLUMN queue_key;
         ALTER TABLE requests DROP COLUMN rated_key; ALTER TABLE requests DROP COLUMN pool_uf;
         ALTER TABLE requests DROP COLUMN pool_key; ALTER TABLE requests DROP COLUMN created_ms;
         ALTER TABLE offices DROP COLUMN listing_key; ALTER TABLE offices DROP COLUMN listing;
         CREATE INDEX offices_by_uf ON offices (uf, city, name);
         ALTER TABLE outbox DROP COLUMN undelivered_at; DROP TABLE suppressions;
         DROP TABLE search_terms; DROP TABLE daily_counts; DROP TABLE daily_first_replies;
         PRAGMA user_version = 8;",
    )
    .expect("version 8 tables");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_8_data_folder_is_migrated_with_its_requests() {
    let path = temp_db();
    let office = balcao_local::seed::demo_offices().remove(0);
    let mut opened = Vec::new();
    let closed;
    {
        let store = Arc::new(SqliteStore::open(&path).expect("new database"));
        store.put_office(&office).await.expect("office");
        let app = balcao_tests::app_over(store.clone());
        for i in 0..3 {
            let raw = RawRequestForm {
                service: Some("contato".into()),
                name: Some("Antiga Versão".into()),
                email: Some(format!("antiga{i}@example.com")),
                message: Some("Aberta antes da migração.".into()),
                consent: Some("true".into()),
                ..Default::default()
            };
            let t = open_request::open(&app, office.id.as_str(), &raw, &[], None)
                .await
                .expect("open");
            opened.push(t.id);
        }
        // One closed before retention existed.
        let t = store
            .get_ticket(opened[2])
            .await
            .expect("read")
            .expect("ticket");
        let shared: balcao_tests::contract::Shared = store.clone();
        closed = balcao_tests::contract::tickets::move_to(
            &shared,
            &t.request,
            balcao_core::Status::Cancelled,
            false,
        )
        .await;
    }
    back_to_version_8(&path);
    assert_eq!(version(&path), 8);

    let store = SqliteStore::open(&path).expect("a version 8 folder opens");
    assert!(version(&path) > 8, "and is brought forward");
    // Requests from before search are found by their terms (schema 12).
    let found = store
        .search(&office.id, "e:antiga1@example.com", &PageRequest::default())
        .await
        .expect("search");
    assert_eq!(
        found.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![opened[1]]
    );
    let queue = store
        .office_queue(&office.id, &QueueQuery::default(), &PageRequest::default())
        .await
        .expect("queue");
    assert_eq!(
        queue.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        opened[..2],
        "its open requests are in the queue, oldest first"
    );
    let listed = store
        .list_offices(Uf::SP, Some(&office.city), &PageRequest::default())
        .await
        .expect("directory");
    assert!(listed.items.iter().any(|o| o.id == office.id));
    // A request closed before retention existed is erased a year after its close.
    let day = closed
        .updated_at
        .to_zoned(jiff::tz::TimeZone::get("America/Sao_Paulo").expect("zone"))
        .date()
        .checked_add(jiff::Span::new().days(365))
        .expect("day");
    assert_eq!(
        store.due_for_erasure(day, 10).await.expect("due"),
        vec![closed.id]
    );
    assert!(
        store
            .due_for_erasure(day.yesterday().expect("day"), 10)
            .await
            .expect("due")
            .is_empty()
    );
    // A version 13 folder gains the export's term for every request (schema 14).
    drop(store);
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("DELETE FROM search_terms WHERE term = 'o:'; PRAGMA user_version = 13;")
            .expect("version 13");
    }
    let store = SqliteStore::open(&path).expect("a version 13 folder opens");
    let everything = store
        .opened_between(
            &office.id,
            jiff::Timestamp::UNIX_EPOCH,
            jiff::Timestamp::MAX,
            &PageRequest::default(),
        )
        .await
        .expect("export");
    assert_eq!(
        everything.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        opened
    );
    // Opening again changes nothing.
    drop(store);
    let again = SqliteStore::open(&path).expect("reopens");
    assert_eq!(
        again
            .get_ticket(opened[0])
            .await
            .expect("read")
            .map(|t| t.request.id),
        Some(opened[0])
    );
}

#[test]
fn a_folder_of_an_unknown_version_is_refused_with_a_reason() {
    for v in [5, 999] {
        let path = temp_db();
        drop(SqliteStore::open(&path).expect("new database"));
        rusqlite::Connection::open(&path)
            .expect("open")
            .pragma_update(None, "user_version", v)
            .expect("set version");
        let refused = SqliteStore::open(&path).err().expect("refused").to_string();
        assert!(refused.contains(&format!("esquema {v}")), "{refused}");
        assert_eq!(version(&path), v, "left as it was");
    }
}

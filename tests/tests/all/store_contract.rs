//! One contract, two stores: SQLite and DynamoDB Local.

use balcao_tests::contract;

macro_rules! contract_suite {
    ($store:ident, $make:expr) => {
        mod $store {
            use super::*;

            async fn store() -> contract::Shared {
                std::sync::Arc::new($make)
            }

            async fn limits() -> contract::limits::SharedLimits {
                std::sync::Arc::new($make)
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn limits_admit_distinct_members_up_to_the_max_per_window() {
                contract::limits::limits_admit_distinct_members_up_to_the_max_per_window(
                    limits().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_admissions_never_exceed_the_limit() {
                contract::limits::concurrent_admissions_never_exceed_the_limit(limits().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn offices_round_trip() {
                contract::offices::offices_round_trip(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn numbers_are_sequential_per_office_and_tickets_read_back() {
                contract::tickets::numbers_are_sequential_per_office_and_tickets_read_back(
                    store().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_reused_key_replays_the_first_ticket() {
                contract::tickets::a_reused_key_replays_the_first_ticket(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_opens_get_distinct_numbers() {
                contract::tickets::concurrent_opens_get_distinct_numbers(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_opens_with_one_key_open_one_ticket() {
                contract::tickets::concurrent_opens_with_one_key_open_one_ticket(store().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_erased_request_keeps_only_its_record() {
                contract::erasure::an_erased_request_keeps_only_its_record(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn outbox_lifecycle() {
                contract::outbox::outbox_lifecycle(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn undelivered_mail_and_suppressed_addresses() {
                contract::outbox::undelivered_mail_and_suppressed_addresses(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_change_applies_once_and_a_stale_one_changes_nothing() {
                contract::tickets::a_change_applies_once_and_a_stale_one_changes_nothing(
                    store().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_citizen_s_requests_newest_first_and_access_links_throttled() {
                contract::access::a_citizen_s_requests_newest_first_and_access_links_throttled(
                    store().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reviews_are_published_per_office_and_withdrawn() {
                contract::publications::reviews_are_published_per_office_and_withdrawn(
                    store().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn protocols_are_published_in_batches_and_replaced() {
                contract::publications::protocols_are_published_in_batches_and_replaced(
                    store().await,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn office_changes_are_conditional_on_the_version() {
                contract::offices::office_changes_are_conditional_on_the_version(store().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_slot_holds_its_capacity_and_is_given_back() {
                contract::tickets::a_slot_holds_its_capacity_and_is_given_back(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_hundred_bookings_of_a_capacity_three_slot_give_three() {
                contract::tickets::concurrent_bookings_never_exceed_capacity(store().await, 200)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_directory_lists_a_city_a_page_at_a_time() {
                contract::offices::the_directory_lists_a_city_a_page_at_a_time(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_queue_ratings_and_pool_read_a_page_at_a_time() {
                contract::tickets::the_queue_ratings_and_pool_read_a_page_at_a_time(store().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn requests_are_found_by_each_term_newest_first() {
                contract::tickets::requests_are_found_by_each_term_newest_first(store().await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn changes_count_on_their_office_s_day() {
                contract::tickets::changes_count_on_their_office_s_day(store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_expired_lease_can_be_taken_over() {
                contract::outbox::an_expired_lease_can_be_taken_over(store().await).await;
            }
        }
    };
}

contract_suite!(
    sqlite,
    balcao_embedded::SqliteStore::in_memory().expect("in-memory SQLite")
);
contract_suite!(dynamodb, balcao_tests::fresh_dynamo_store().await);

/// Two warm functions on one table: the one that shows the settings page caches
/// offices for the public pages, yet a manager's change made through the other
/// is what the editor reads next, so their next save is not refused as stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_a_manager_edits_is_read_fresh_on_dynamodb() {
    use balcao_app::Offices;
    let shows = balcao_tests::fresh_dynamo_store().await;
    let saves = balcao_aws::DynamoStore::new(balcao_tests::dynamo_client(), shows.table_name());
    let office = balcao_local::seed::demo_offices().remove(0);
    shows.put_office(&office).await.expect("put");
    let cached = shows
        .get_office(&office.id)
        .await
        .expect("get")
        .expect("office");
    let mut changed = cached.clone();
    changed.version = cached.version + 1;
    changed.slot_minutes = 45;
    assert!(
        saves
            .replace_office(&changed, cached.version)
            .await
            .expect("save")
    );

    let public = shows
        .get_office(&office.id)
        .await
        .expect("get")
        .expect("office");
    assert_eq!(
        public.version, cached.version,
        "public pages may be 30 s behind"
    );
    let edited = shows
        .get_office_now(&office.id)
        .await
        .expect("get")
        .expect("office");
    assert_eq!((edited.version, edited.slot_minutes), (changed.version, 45));
}

/// On DynamoDB, the items themselves: after an erasure no attribute of any
/// item under the request holds the citizen's name, email, CPF or mobile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_item_of_an_erased_request_holds_personal_data_on_dynamodb() {
    use balcao_app::{Offices, Tickets};
    use balcao_core::erasure::{self, ErasureReason};
    let store = balcao_tests::fresh_dynamo_store().await;
    let office = balcao_local::seed::demo_offices().remove(0);
    store.put_office(&office).await.expect("put");
    let compose = contract::draft(&office, jiff::Timestamp::now(), None);
    let opened = match store
        .open_request(&office.id, &compose)
        .await
        .expect("open")
    {
        balcao_app::ports::Opened::Created(r) => *r,
        other => panic!("{other:?}"),
    };
    let raw = || async {
        let out = balcao_tests::dynamo_client()
            .query()
            .table_name(store.table_name())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("REQ#{}", opened.id)),
            )
            .send()
            .await
            .expect("query");
        format!("{:?}", out.items())
    };
    assert!(
        raw().await.contains("João Souza"),
        "the raw read sees the data"
    );
    let t = store
        .get_ticket(opened.id)
        .await
        .expect("get")
        .expect("ticket");
    let erased = erasure::erase(
        &t.request,
        &t.events,
        ErasureReason::Requested,
        ulid::Ulid::generate(),
        jiff::Timestamp::now(),
    )
    .expect("erase");
    assert!(store.erase_request(&erased, &[]).await.expect("erase"));
    let items = raw().await;
    for personal in [
        "João Souza",
        "cidadao@example.com",
        "52998224725",
        "98765",
        "GSI3PK",
    ] {
        assert!(!items.contains(personal), "{personal} remains in {items}");
    }
}

//! Every black-box test in one binary: one link step instead of twenty.

mod apigw_events;
mod attachments;
mod aws_mailer;
mod booking;
mod citizen_actions;
mod contracts_in_step;
mod crash;
mod desk;
mod faults;
mod journey;
mod mail_failures;
mod metrics;
mod migrations;
mod my_data;
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

/// Runs `test` on a thread with room, its spawned local tasks too: the
/// journeys' preparations are deep futures, and a debug build's frames for
/// them outgrow a test thread's 2 MiB.
fn on_a_deep_stack<F>(test: fn() -> F)
where
    F: std::future::Future<Output = ()> + 'static,
{
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_stack_size(32 << 20)
                .build()
                .expect("runtime")
                .block_on(tokio::task::LocalSet::new().run_until(test()))
        })
        .expect("thread")
        .join()
        .expect("the test");
}

//! `balcao-bench`: the figures of issue 6 in one run, printed as Markdown.
//! Run it with `./scripts/bench` (release build, DynamoDB Local and moto_server).

mod aws_ops;
mod cold;
mod cost;
mod env;
mod events;
mod local;
mod size;
mod stats;

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Where the release binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    #[arg(long, env = "BALCAO_TEST_DYNAMODB_ENDPOINT")]
    dynamodb: String,
    #[arg(long, env = "BALCAO_TEST_MOTO_ENDPOINT")]
    moto: String,
    /// Cold starts per function.
    #[arg(long, default_value_t = 21)]
    starts: usize,
    /// Warm iterations per operation.
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// Seconds of load per throughput figure.
    #[arg(long, default_value_t = 4)]
    seconds: u64,
}

pub const FUNCTIONS: &[&str] = &[
    "list-offices",
    "get-office",
    "request-form",
    "open-request",
    "get-ticket",
    "post-message",
    "cancel-ticket",
    "close-ticket",
    "mark-read",
    "ask-my-requests",
    "my-requests",
    "staff-queue",
    "staff-request",
    "staff-message",
    "mailer",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!("# Balcão benchmark\n");
    println!("{}\n", machine());

    let fixture = aws_ops::Fixture::new(&args.dynamodb, &args.moto).await?;

    println!("## 1. Cold start (exec → first invocation answered, fake Runtime API on loopback)\n");
    let cold = cold::run(&args.bin_dir, &fixture, args.starts).await?;
    cold::print(&cold);

    println!("\n## 2. AWS round trips per operation (SDK interceptor)\n");
    let trips = aws_ops::round_trips(&fixture).await?;
    aws_ops::print_round_trips(&trips);

    println!("\n## 3. Warm latency: handler vs the raw SDK calls it needs (DynamoDB Local)\n");
    let latency = aws_ops::latency(&fixture, args.iterations).await?;
    aws_ops::print_latency(&latency);

    println!("\n## 4. Local runtime throughput (loopback) vs raw SQLite\n");
    let tp = local::run(args.seconds).await?;
    local::print(&tp);

    println!("\n## 5. Size\n");
    let sizes = size::run(&args.bin_dir)?;
    size::print(&sizes);

    println!("\n## 6. Cost per 10,000 tickets\n");
    cost::print(&latency, &trips);
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "Machine: {cores} cores, {cpu}; {} {}; release profile of the workspace.",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

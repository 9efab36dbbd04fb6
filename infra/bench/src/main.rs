//! `balcao-bench`: the figures of issue 6 in one run, printed as Markdown.
//! Run it with `./scripts/bench` (release build, DynamoDB Local and moto_server).

use balcao_bench::{cold, cost, fixture, local, measure, scale, size, soak};
use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Where the release binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// DynamoDB Local (sections 1–7; `./scripts/bench` starts it).
    #[arg(long, env = "BALCAO_TEST_DYNAMODB_ENDPOINT")]
    dynamodb: Option<String>,
    /// moto_server (sections 1–7).
    #[arg(long, env = "BALCAO_TEST_MOTO_ENDPOINT")]
    moto: Option<String>,
    /// Cold starts per function.
    #[arg(long, default_value_t = 21)]
    starts: usize,
    /// Warm iterations per function.
    #[arg(long, default_value_t = 100)]
    iterations: usize,
    /// Sections to run (1 cold start, 2–3 calls and latency, 4 local, 5 size, 6 cost,
    /// 7 national scale, 8 soak: asked by name, it runs for `--soak-minutes`).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5,6,7")]
    sections: Vec<u8>,
    /// Only these functions (all when empty), for a quick look at one or two.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Seconds of load per throughput figure.
    #[arg(long, default_value_t = 4)]
    seconds: u64,
    /// Stored requests at which section 7 times the operations.
    #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
    scale_sizes: Vec<usize>,
    /// Calls per operation and size in section 7.
    #[arg(long, default_value_t = 30)]
    scale_iterations: usize,
    /// Minutes of mixed load in section 8 (the soak).
    #[arg(long, default_value_t = 10)]
    soak_minutes: u64,
    /// Simulated seconds of the national peak in section 7.
    #[arg(long, default_value_t = 3)]
    peak_seconds: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!("# Balcão benchmark\n");
    println!("{}\n", machine());

    // The soak alone needs no AWS stand-in.
    if args.sections == [8] {
        return soak_section(&args).await;
    }
    let (Some(dynamodb), Some(moto)) = (&args.dynamodb, &args.moto) else {
        return Err(
            "sections 1 to 7 need --dynamodb and --moto (./scripts/bench starts both)".into(),
        );
    };
    let fixture = fixture::Fixture::new(dynamodb, moto).await?;

    let on = |n: u8| args.sections.contains(&n);
    if on(1) {
        println!(
            "## 1. Cold start (exec → first invocation answered, fake Runtime API on loopback)\n"
        );
        let cold = cold::run(&args.bin_dir, &fixture, args.starts).await?;
        cold::print(&cold);
    }
    let rows = if on(2) || on(3) || on(6) {
        measure::run_all(&fixture, args.iterations, &args.only).await?
    } else {
        Vec::new()
    };
    if on(2) {
        println!("\n## 2. AWS calls per function (SDK interceptor), against the floor\n");
        measure::print_round_trips(&rows);
    }
    if on(3) {
        println!(
            "\n## 3. Warm latency and capacity: handler vs its own requests replayed raw (DynamoDB Local, moto_server)\n"
        );
        measure::print_latency(&rows);
    }
    if on(4) {
        println!("\n## 4. Local runtime throughput (loopback) vs raw SQLite\n");
        let tp = local::run(args.seconds).await?;
        local::print(&tp);
    }
    if on(5) {
        println!("\n## 5. Size\n");
        let sizes = size::run(&args.bin_dir)?;
        size::print(&sizes);
    }
    if on(6) {
        println!("\n## 6. Cost per 10,000 tickets\n");
        cost::print(&rows);
    }
    if on(7) {
        println!(
            "\n## 7. National scale (issue 12): history size and the national peak, per partition key\n"
        );
        let report = scale::run(
            &fixture,
            &args.scale_sizes,
            args.scale_iterations,
            args.peak_seconds,
        )
        .await?;
        scale::print(&report);
    }
    if on(8) {
        soak_section(&args).await?;
    }
    Ok(())
}

async fn soak_section(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "\n## 8. Soak: {} minutes of mixed load on the local runtime (its release binary, a manual clock)\n",
        args.soak_minutes
    );
    let report = soak::run(&args.bin_dir.join("balcao-local"), args.soak_minutes)
        .await
        .map_err(|e| e.to_string())?;
    soak::print(&report);
    if !report.problems.is_empty() {
        return Err("the soak found lost or doubled work".into());
    }
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

use balcao_local::{Options, start};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Balcão on this machine: the same handlers as on AWS, over SQLite, a local
/// mailbox (/_dev/mailbox) and timers.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "BALCAO_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Folder for the SQLite database.
    #[arg(long, env = "BALCAO_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Start a manual clock at this instant (RFC 3339, or "now"); only POST /_dev/clock moves it.
    #[arg(long, value_name = "INSTANT")]
    manual_clock: Option<String>,
    /// Base URL for links in emails (default: http://<addr>).
    #[arg(long, env = "BALCAO_PUBLIC_BASE_URL")]
    public_base_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let manual_clock = match args.manual_clock.as_deref() {
        None => None,
        Some("now") => Some(jiff::Timestamp::now()),
        Some(s) => match s.parse() {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!(
                    "--manual-clock: data inválida ({e}); use RFC 3339, por exemplo 2026-11-20T19:55:00Z"
                );
                return ExitCode::from(2);
            }
        },
    };
    let opts = Options {
        addr: args.addr,
        data_dir: Some(args.data_dir),
        manual_clock,
        public_base_url: args.public_base_url,
        ..Options::default()
    };
    match start(opts).await {
        Ok(running) => {
            println!(
                "Balcão local em {} (caixa de e-mails: {}/_dev/mailbox)",
                running.base_url(),
                running.base_url()
            );
            running.wait().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

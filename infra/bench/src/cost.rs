//! Section 6: what 10,000 tickets of a typical life cost on AWS, from the
//! measured calls, capacity and durations. Operations not built yet are
//! estimated from their nearest built twin and marked so.

use crate::aws_ops::{LatencyReport, Trips, ses_calls};

/// On-demand list prices, us-east-1, USD (edit and re-run for another region).
const LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
const DYNAMODB_WRU: f64 = 0.625 / 1e6;
const DYNAMODB_RRU: f64 = 0.125 / 1e6;
const SES_EMAIL: f64 = 0.10 / 1e3;
const SCHEDULER_INVOCATION: f64 = 1.00 / 1e6;
const MEMORY_GB: f64 = 0.25;
const TICKETS: f64 = 10_000.0;

struct Step {
    what: &'static str,
    per_ticket: f64,
    /// Which measured operation it costs like.
    like: &'static str,
    http: bool,
    emails: f64,
    timers: f64,
    estimated: bool,
}

const LIFE: &[Step] = &[
    Step {
        what: "open the request",
        per_ticket: 1.0,
        like: "open-request",
        http: true,
        emails: 1.0,
        timers: 0.0,
        estimated: false,
    },
    Step {
        what: "ticket page views",
        per_ticket: 8.0,
        like: "get-ticket",
        http: true,
        emails: 0.0,
        timers: 0.0,
        estimated: false,
    },
    Step {
        what: "citizen messages (office emailed)",
        per_ticket: 3.0,
        like: "open-request",
        http: true,
        emails: 1.0,
        timers: 0.0,
        estimated: true,
    },
    Step {
        what: "staff messages (citizen emailed)",
        per_ticket: 3.0,
        like: "open-request",
        http: true,
        emails: 1.0,
        timers: 0.0,
        estimated: true,
    },
    Step {
        what: "schedule (email with .ics)",
        per_ticket: 1.0,
        like: "open-request",
        http: true,
        emails: 1.0,
        timers: 0.0,
        estimated: true,
    },
    Step {
        what: "reminder (timer)",
        per_ticket: 1.0,
        like: "get-ticket",
        http: false,
        emails: 1.0,
        timers: 1.0,
        estimated: true,
    },
    Step {
        what: "conclude (email with the record)",
        per_ticket: 1.0,
        like: "open-request",
        http: true,
        emails: 1.0,
        timers: 0.0,
        estimated: true,
    },
];

pub fn print(latency: &LatencyReport, trips: &[Trips]) {
    let find = |op: &str| latency.rows.iter().find(|l| l.op == op);
    let mailer_wcu = latency.mailer_wcu;
    let ses_per_mail = f64::from(ses_calls(trips).max(1));
    let (mut invocations, mut gb_s, mut http, mut rru, mut wru, mut emails, mut timers) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    println!("Typical life of one ticket, and what each step costs like:\n");
    println!("| step | per ticket | measured as | billed ms each | RCU / WCU each |");
    println!("|---|---:|---|---:|---:|");
    for s in LIFE {
        let Some(l) = find(s.like) else { continue };
        // Lambda bills whole milliseconds; the runtime adds about one.
        let ms = (l.handler_p50 + 1.0).ceil();
        let n = s.per_ticket * TICKETS;
        invocations += n;
        gb_s += n * ms / 1000.0 * MEMORY_GB;
        if s.http {
            http += n;
        }
        rru += n * l.capacity.0;
        wru += n * l.capacity.1;
        emails += n * s.emails;
        timers += n * s.timers;
        let how = if s.estimated {
            format!("{} (estimate: not built yet)", s.like)
        } else {
            s.like.to_owned()
        };
        println!(
            "| {} | {} | {} | {ms:.0} | {:.1} / {:.1} |",
            s.what, s.per_ticket, how, l.capacity.0, l.capacity.1
        );
    }
    // Each email is one mailer invocation: claim and record (UpdateItem) around one SES send.
    let mailer_ms = find("open-request")
        .map(|l| (l.handler_p50 + 1.0).ceil())
        .unwrap_or(10.0);
    invocations += emails;
    gb_s += emails * mailer_ms / 1000.0 * MEMORY_GB;
    wru += emails * mailer_wcu;
    let rows = [
        ("Lambda requests", invocations, LAMBDA_REQUEST),
        (
            "Lambda GB-seconds (arm64, 256 MB)",
            gb_s,
            LAMBDA_GB_SECOND_ARM,
        ),
        ("HTTP API requests", http, HTTP_API_REQUEST),
        ("DynamoDB read request units", rru, DYNAMODB_RRU),
        ("DynamoDB write request units", wru, DYNAMODB_WRU),
        ("SES emails", emails * ses_per_mail, SES_EMAIL),
        ("Scheduler invocations", timers, SCHEDULER_INVOCATION),
    ];
    println!("\n| component | units per 10,000 tickets | unit price (USD) | cost (USD) |");
    println!("|---|---:|---:|---:|");
    let mut total = 0.0;
    for (name, units, price) in rows {
        total += units * price;
        println!(
            "| {name} | {units:.0} | {price:.10} | {:.4} |",
            units * price
        );
    }
    println!("| **total** | | | **{total:.2}** |");
    println!(
        "\nPrices: AWS on-demand list prices for us-east-1 (free tiers ignored; storage, logs and data transfer not counted). \
         Durations are the warm handler p50 against DynamoDB Local plus 1 ms, so on AWS they are longer by DynamoDB's own latency."
    );
}

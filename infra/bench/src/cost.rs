//! Section 6: what 10,000 tickets of a typical life cost on AWS. Every step is
//! a function measured in section 3 (its duration, capacity, mail and
//! schedules); each mail is one mailer delivery, measured the same way.

use crate::measure::Row;

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

/// A ticket's typical life: (step, times per ticket, the function measured).
const LIFE: &[(&str, f64, &str)] = &[
    ("open the request", 1.0, "open-request"),
    ("citizen views the ticket page", 8.0, "get-ticket"),
    ("citizen messages (office notified)", 3.0, "post-message"),
    ("citizen marks replies read", 3.0, "mark-read"),
    ("staff open the queue", 4.0, "staff-queue"),
    ("staff open the request", 4.0, "staff-request"),
    ("staff start the analysis", 1.0, "staff-start-analysis"),
    ("staff tick the checklist", 1.0, "staff-checklist"),
    ("staff decide (approve)", 1.0, "staff-decide"),
    ("staff reply (citizen emailed)", 3.0, "staff-message"),
    (
        "staff schedule (email with .ics, reminder timer)",
        1.0,
        "staff-schedule",
    ),
    ("reminder the day before (timer)", 1.0, "timer"),
    (
        "staff conclude (email with the record)",
        1.0,
        "staff-conclude",
    ),
    ("citizen rates", 1.0, "rate-ticket"),
];

fn billed_ms(r: &Row) -> f64 {
    // Lambda bills whole milliseconds; the runtime adds about one.
    (r.handler_p50 + 1.0).ceil()
}

pub fn print(rows: &[Row]) {
    let find = |f: &str| {
        rows.iter()
            .find(|r| r.case.function == f && r.case.variant.is_none())
    };
    let Some(mailer) = find("mailer") else {
        println!("(no mailer row: cost not computed)");
        return;
    };
    // The mailer's event carried the opening's mail: its figures per mail.
    let mailer_calls = |k: &str| {
        mailer
            .warm_calls
            .iter()
            .filter(|(name, _)| name.contains(k))
            .map(|(_, v)| f64::from(*v))
            .sum::<f64>()
    };
    let opening_mails = find("open-request").map_or(1.0, |r| r.mails.max(1.0));
    let ses_per_mail = mailer_calls("SendEmail") / opening_mails;
    let (mut invocations, mut gb_s, mut http, mut rru, mut wru) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut emails, mut timers) = (0.0, 0.0);
    println!("Typical life of one ticket, every step measured in section 3:\n");
    println!("| step | per ticket | function | billed ms each | RCU / WCU each | mail each |");
    println!("|---|---:|---|---:|---:|---:|");
    for (what, times, function) in LIFE {
        let Some(r) = find(function) else { continue };
        let ms = billed_ms(r);
        let n = times * TICKETS;
        invocations += n;
        gb_s += n * ms / 1000.0 * MEMORY_GB;
        if *function != "timer" {
            http += n;
        } else {
            timers += n;
        }
        rru += n * r.capacity.read;
        wru += n * (r.capacity.write + r.capacity.index_write);
        emails += n * r.mails;
        println!(
            "| {what} | {times} | {function} | {ms:.0} | {:.1} / {:.1} | {:.1} |",
            r.capacity.read,
            r.capacity.write + r.capacity.index_write,
            r.mails
        );
    }
    // Each mail: one mailer invocation's share (the stream batches the mail of one write).
    let mail_ms = billed_ms(mailer) / opening_mails;
    let mail_wcu = (mailer.capacity.write + mailer.capacity.index_write) / opening_mails;
    let mail_rcu = mailer.capacity.read / opening_mails;
    println!(
        "| mailer, per mail ({opening_mails:.0} mail per measured event) | {:.1} | mailer | {mail_ms:.1} | {mail_rcu:.1} / {mail_wcu:.1} | |",
        emails / TICKETS
    );
    invocations += emails / opening_mails;
    gb_s += emails * mail_ms / 1000.0 * MEMORY_GB;
    rru += emails * mail_rcu;
    wru += emails * mail_wcu;
    let rows = [
        ("Lambda requests", invocations, LAMBDA_REQUEST),
        (
            "Lambda GB-seconds (arm64, 256 MB)",
            gb_s,
            LAMBDA_GB_SECOND_ARM,
        ),
        ("HTTP API requests", http, HTTP_API_REQUEST),
        ("DynamoDB read request units", rru, DYNAMODB_RRU),
        (
            "DynamoDB write request units (table and indexes)",
            wru,
            DYNAMODB_WRU,
        ),
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

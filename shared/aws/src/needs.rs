//! What each function needs from its environment, in one place. A function
//! builds only the clients its operation uses (the flags are constants, so the
//! others are not even linked into its binary), and reads only their variables.
//! `template.yaml` must give each function these variables and the benchmark
//! sets exactly them: `tests/tests/contracts_in_step.rs` checks both.

use balcao_web::Op;

/// Files on S3 (`BUCKET_NAME`).
pub const FILES: u8 = 1;
/// One-time timers on EventBridge Scheduler (`SCHEDULE_GROUP` and its three ARNs).
pub const TIMERS: u8 = 2;
/// The keyed-hash secret in Secrets Manager (`HASH_KEY_SECRET_ARN`).
pub const HASH_KEY: u8 = 4;
/// Sending email with SES (`SENDER_ADDRESS`; `SES_CONFIGURATION_SET` optional).
pub const MAIL: u8 = 8;
/// Staff sessions: Cognito's ID tokens checked, or its managed login used.
pub const STAFF: u8 = 16;

/// Every function reads these.
pub const ALWAYS: &[&str] = &["TABLE_NAME", "PUBLIC_BASE_URL"];

/// The variables behind each flag.
pub const VARIABLES: &[(u8, &[&str])] = &[
    (FILES, &["BUCKET_NAME"]),
    (
        TIMERS,
        &[
            "SCHEDULE_GROUP",
            "TIMER_FUNCTION_ARN",
            "SCHEDULER_ROLE_ARN",
            "TIMER_DLQ_ARN",
        ],
    ),
    (HASH_KEY, &["HASH_KEY_SECRET_ARN"]),
    (MAIL, &["SENDER_ADDRESS"]),
    (
        STAFF,
        &["STAFF_ISSUER", "STAFF_CLIENT_ID", "STAFF_LOGIN_URL"],
    ),
];

/// Every request change may open or close the reply window, whose warning is a timer.
const CHANGES: u8 = TIMERS;

/// What one HTTP operation uses.
pub const fn of(op: Op) -> u8 {
    uses(op) | signed_in(op)
}

/// Staff operations, and signing in and out, read the pool's settings.
const fn signed_in(op: Op) -> u8 {
    match op {
        Op::StaffQueue
        | Op::StaffRequest
        | Op::StaffMessage
        | Op::StaffNewUpload
        | Op::StaffAttachment
        | Op::StaffStartAnalysis
        | Op::StaffChecklist
        | Op::StaffDecide
        | Op::StaffSchedule
        | Op::StaffConclude
        | Op::StaffRatings
        | Op::StaffModerate
        | Op::StaffPublishProtocol
        | Op::StaffImportProtocols
        | Op::StaffOfficeSettings
        | Op::StaffUpdateOffice
        | Op::StaffPool
        | Op::StaffTake
        | Op::StaffSignIn
        | Op::StaffCallback
        | Op::StaffSignOut
        | Op::StaffCheckUpload
        | Op::StaffNote
        | Op::StaffAssign
        | Op::StaffReports
        | Op::StaffExportRequests => STAFF,
        _ => 0,
    }
}

const fn uses(op: Op) -> u8 {
    match op {
        Op::ListOffices
        | Op::GetOffice
        | Op::ListSlots
        | Op::StaffQueue
        | Op::MyRequests
        | Op::StaffRatings
        | Op::StaffOfficeSettings
        | Op::StaffUpdateOffice
        | Op::StaffPool
        // Changes that never open or close the reply window (the permission test
        // proves each function's scheduler calls against its policy).
        | Op::MarkRead
        | Op::RateTicket
        | Op::StaffModerate
        | Op::ReleaseTicket
        | Op::StaffStartAnalysis
        | Op::StaffChecklist
        | Op::StaffSignIn
        | Op::StaffCallback
        | Op::StaffSignOut
        | Op::GetPrivacy
        // Neither opens nor closes the reply window.
        | Op::StaffAssign
        | Op::StaffReports
        | Op::StaffExportRequests => 0,
        // A note's files are checked and kept like a reply's.
        Op::StaffNote => FILES | HASH_KEY,
        // The export's five-minute file links (JSON clients get it on `/my-data`).
        Op::MyData | Op::ExportMyData => FILES,
        // Open requests are cancelled first (their timers too), files are
        // deleted, the confirmation is written, the address's bounce record goes.
        Op::EraseMyData => FILES | CHANGES | HASH_KEY,
        Op::OpenRequest => FILES | TIMERS | HASH_KEY,
        Op::PostMessage | Op::StaffMessage | Op::StaffConclude => FILES | CHANGES | HASH_KEY,
        Op::NewUpload | Op::StaffNewUpload => FILES | HASH_KEY,
        // A page with a file picker signs a form that posts without JavaScript.
        Op::RequestForm | Op::GetTicket | Op::StaffRequest => FILES | HASH_KEY,
        // A posted file is read, moved (posted without JavaScript) or deleted.
        Op::CheckUpload | Op::StaffCheckUpload => FILES | HASH_KEY,
        Op::GetAttachment | Op::StaffAttachment => FILES,
        Op::CancelTicket
        | Op::CloseTicket
        | Op::StaffDecide
        | Op::StaffSchedule
        | Op::StaffTake => CHANGES,
        Op::AskMyRequests
        | Op::AskMyData
        | Op::ProtocolLookup
        | Op::StaffPublishProtocol
        | Op::StaffImportProtocols => HASH_KEY,
    }
}

/// The timer function acts on requests (expiry, warnings, reminders, notices).
pub const TIMER_FUNCTION: u8 = CHANGES;
/// The mailer delivers the outbox, and skips addresses that bounced (by their keyed hash).
pub const MAILER_FUNCTION: u8 = MAIL | HASH_KEY;
/// SES's bounces and complaints: the mail, the address's keyed hash, the request.
pub const MAIL_EVENTS_FUNCTION: u8 = HASH_KEY;

/// The daily retention sweep erases requests and their files.
pub const RETENTION_FUNCTION: u8 = FILES;

/// What the function crate `name` needs, by its name (`functions/<name>`).
pub fn of_function(name: &str) -> Option<u8> {
    match name {
        "timer" => Some(TIMER_FUNCTION),
        "mailer" => Some(MAILER_FUNCTION),
        "mail-events" => Some(MAIL_EVENTS_FUNCTION),
        "retention" => Some(RETENTION_FUNCTION),
        // Answers what no route took: reads nothing.
        "no-route" => Some(0),
        _ => Op::ALL
            .iter()
            .find(|op| op.function() == name)
            .map(|op| of(*op)),
    }
}

/// The environment variables a function with `needs` reads.
pub fn variables(needs: u8) -> Vec<&'static str> {
    let mut vars: Vec<&'static str> = ALWAYS.to_vec();
    for (flag, names) in VARIABLES {
        if needs & flag != 0 {
            vars.extend_from_slice(names);
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_function_has_its_needs() {
        for op in balcao_web::Op::ALL {
            assert!(super::of_function(op.function()).is_some());
        }
        assert_eq!(
            super::variables(super::FILES),
            ["TABLE_NAME", "PUBLIC_BASE_URL", "BUCKET_NAME"]
        );
    }

    #[test]
    fn every_staff_function_and_only_they_read_the_pool() {
        for op in balcao_web::Op::ALL {
            assert_eq!(
                super::of(*op) & super::STAFF != 0,
                op.function().starts_with("staff-"),
                "{op:?}"
            );
        }
    }
}

//! The environment each function gets in the cold-start runner: exactly the
//! variables `balcao_aws::needs` says it reads (what `template.yaml` gives it on
//! AWS, which a test checks), with values pointing at the local stand-ins.

use crate::fixture::{self, Fixture};

/// Local values of the variables functions read; `TABLE_NAME` is the fixture's.
const VALUES: &[(&str, &str)] = &[
    ("PUBLIC_BASE_URL", fixture::PUBLIC_BASE_URL),
    ("BUCKET_NAME", fixture::BUCKET),
    ("SCHEDULE_GROUP", fixture::GROUP),
    ("TIMER_FUNCTION_ARN", fixture::TIMER_ARN),
    ("SCHEDULER_ROLE_ARN", fixture::SCHEDULER_ROLE),
    ("TIMER_DLQ_ARN", fixture::TIMER_DLQ),
    ("HASH_KEY_SECRET_ARN", fixture::SECRET),
    ("SENDER_ADDRESS", fixture::SENDER),
    (
        "STAFF_ISSUER",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
    ),
    ("STAFF_CLIENT_ID", "bench"),
    (
        "STAFF_LOGIN_URL",
        "https://balcao-bench.auth.us-east-1.amazoncognito.com",
    ),
];

fn value(var: &str) -> Option<&'static str> {
    VALUES.iter().find(|(k, _)| *k == var).map(|(_, v)| *v)
}

/// `(name, value)` of every variable `function` reads.
pub fn for_function(function: &str, fixture: &Fixture) -> Result<Vec<(String, String)>, String> {
    let needs = balcao_aws::needs::of_function(function)
        .ok_or_else(|| format!("{function}: no needs declared in balcao_aws::needs"))?;
    balcao_aws::needs::variables(needs)
        .into_iter()
        .map(|var| match var {
            "TABLE_NAME" => Ok((var.to_owned(), fixture.table.clone())),
            _ => value(var)
                .map(|v| (var.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("{function} reads {var}, which the benchmark does not set")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_benchmark_gives_every_function_every_variable_it_reads() {
        let functions: Vec<&str> = balcao_web::Op::ALL
            .iter()
            .map(|op| op.function())
            .chain(["timer", "mailer", "mail-events"])
            .collect();
        for f in functions {
            let needs = balcao_aws::needs::of_function(f).expect("declared");
            for var in balcao_aws::needs::variables(needs) {
                assert!(
                    var == "TABLE_NAME" || super::value(var).is_some(),
                    "{f} reads {var}: give it a bench value"
                );
            }
        }
    }
}

//! Every permission proven (issue 13): each function's operation runs against
//! DynamoDB Local, moto_server (Scheduler, SES, Secrets Manager) and s3s-fs, with
//! an SDK interceptor recording every call and every link it presigns. Each call
//! is mapped to the IAM actions and resources AWS checks for it, and compared
//! with that function's policy in `template.yaml`: every call is granted, and
//! every grant is used by some call (or by Lambda itself on the function's
//! behalf, for its failure destinations).
//!
//! Each case runs twice, as any handler may be called twice: the second run takes
//! the paths a retry takes (a schedule that exists is updated, a kept file found).

use balcao_bench::fixture::{self, Fixture, S3};
use balcao_bench::journey::{self, CASES, Input};
use balcao_bench::recorder::{Call, Recorder};
use balcao_web::Op;
use serde_json::Value;
use serde_norway::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const STACK: &str = "balcao";
const MAIL_DLQ: &str = "arn:aws:sqs:us-east-1:123456789012:balcao-mail-dlq";
const CONFIGURATION_SET: &str = "balcao-mail";

/// What the template's references stand for in this test's world.
fn resolve_name(name: &str, table: &str) -> String {
    match name {
        "AWS::Partition" => "aws".into(),
        "AWS::Region" => REGION.into(),
        "AWS::AccountId" => ACCOUNT.into(),
        "AWS::StackName" => STACK.into(),
        "Table" => table.into(),
        "Table.Arn" => format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"),
        "FilesBucket" => fixture::BUCKET.into(),
        "FilesBucket.Arn" => format!("arn:aws:s3:::{}", fixture::BUCKET),
        "TimerScheduleGroup" => fixture::GROUP.into(),
        "SchedulerRole.Arn" => fixture::SCHEDULER_ROLE.into(),
        "HashKeySecret" => secret_arn(fixture::SECRET),
        "MailConfigurationSet" => CONFIGURATION_SET.into(),
        "SenderAddress" => fixture::SENDER.into(),
        "MailDeadLetterQueue.Arn" => MAIL_DLQ.into(),
        "TimerDeadLetterQueue.Arn" => fixture::TIMER_DLQ.into(),
        "TimerFailureQueue.Arn" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:balcao-timer-failures"),
        other => panic!("the permission test does not know what {other} stands for: add it"),
    }
}

fn secret_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        name.to_owned()
    } else {
        format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}")
    }
}

/// A string of the template with `!Sub`, `!Ref` and `!GetAtt` worked out.
fn resolve(v: &Yaml, table: &str) -> Vec<String> {
    match v {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(list) => list.iter().flat_map(|x| resolve(x, table)).collect(),
        Yaml::Tagged(t) => {
            let inner = t.value.as_str().unwrap_or_else(|| panic!("{v:?}"));
            let tag = t.tag.to_string();
            match tag.trim_start_matches('!') {
                "Ref" | "GetAtt" => vec![resolve_name(inner, table)],
                "Sub" => {
                    let mut out = String::new();
                    let mut rest = inner;
                    while let Some(start) = rest.find("${") {
                        out.push_str(&rest[..start]);
                        let end = rest[start..].find('}').expect("closing brace") + start;
                        out.push_str(&resolve_name(&rest[start + 2..end], table));
                        rest = &rest[end + 1..];
                    }
                    out.push_str(rest);
                    vec![out]
                }
                other => panic!("unexpected tag {other} in a policy"),
            }
        }
        other => panic!("unexpected policy value {other:?}"),
    }
}

/// One action on one resource pattern, as a policy statement grants it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    action: String,
    resource: String,
    /// `ses:FromAddress` the statement requires, if any.
    from: Option<String>,
}

/// One action on one resource, as a call needs it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    action: String,
    resource: String,
    from: Option<String>,
    why: String,
}

/// IAM's wildcards: `*` any run of characters, `?` one.
fn matches(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Grant {
    fn allows(&self, need: &Need) -> bool {
        self.action == need.action
            && matches(&self.resource, &need.resource)
            && self
                .from
                .as_ref()
                .is_none_or(|f| need.from.as_deref() == Some(f.as_str()))
    }
}

struct Function {
    grants: Vec<Grant>,
    /// ARNs Lambda itself sends to with the function's role (failure destinations).
    destinations: Vec<String>,
}

fn template_functions(table: &str) -> BTreeMap<String, Function> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("template.yaml");
    let template: Yaml = serde_norway::from_str(&text).expect("template.yaml parses");
    let mut out = BTreeMap::new();
    for (binary, r) in balcao_tests::template_functions(&template) {
        let mut grants = Vec::new();
        for policy in r["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let statements = policy["Statement"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{binary}: only inline statements are checked"));
            for st in statements {
                assert_eq!(st["Effect"].as_str(), Some("Allow"), "{binary}: {st:?}");
                let from = &st["Condition"]["StringEquals"]["ses:FromAddress"];
                let from = (!from.is_null()).then(|| resolve(from, table).remove(0));
                for action in resolve(&st["Action"], table) {
                    for resource in resolve(&st["Resource"], table) {
                        assert_ne!(resource, "*", "{binary}: {action} on every resource");
                        grants.push(Grant {
                            action: action.clone(),
                            resource,
                            from: from.clone(),
                        });
                    }
                }
            }
        }
        let mut destinations = Vec::new();
        for (_, e) in r["Properties"]["Events"].as_mapping().into_iter().flatten() {
            let d = &e["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
            if !d.is_null() {
                destinations.extend(resolve(d, table));
            }
        }
        let d =
            &r["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"];
        if !d.is_null() {
            destinations.extend(resolve(d, table));
        }
        out.insert(
            binary,
            Function {
                grants,
                destinations,
            },
        );
    }
    out
}

fn need(action: &str, resource: String, why: &Call) -> Need {
    Need {
        action: action.to_owned(),
        resource,
        from: None,
        why: format!("{} {}", why.op, why.uri),
    }
}

/// Bucket and key of a path-style S3 address.
fn bucket_key(uri: &str) -> (String, String) {
    let path = uri
        .split_once("://")
        .map_or(uri, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path.split('?').next().unwrap_or("");
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let key = percent_decode(key);
    (bucket.to_owned(), key)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(uri: &str, name: &str) -> Option<String> {
    uri.split_once('?')?.1.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

/// The IAM actions and resources AWS authorises a call against.
fn needs_of(call: &Call, table_arn: &dyn Fn(&str) -> String) -> Vec<Need> {
    let body: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
    let s3 = |key: &str| format!("arn:aws:s3:::{key}");
    match call.service.as_str() {
        "DynamoDB" => {
            let on = |item: &Value| {
                let t = item["TableName"].as_str().expect("TableName");
                match item["IndexName"].as_str() {
                    Some(i) => format!("{}/index/{i}", table_arn(t)),
                    None => table_arn(t),
                }
            };
            match call.op.as_str() {
                // A transaction is authorised item by item.
                "TransactWriteItems" => body["TransactItems"]
                    .as_array()
                    .expect("TransactItems")
                    .iter()
                    .flat_map(|i| i.as_object().expect("item").iter())
                    .map(|(kind, item)| {
                        let action = match kind.as_str() {
                            "Put" => "dynamodb:PutItem",
                            "Update" => "dynamodb:UpdateItem",
                            "Delete" => "dynamodb:DeleteItem",
                            "ConditionCheck" => "dynamodb:ConditionCheckItem",
                            other => panic!("transaction part {other}"),
                        };
                        need(action, on(item), call)
                    })
                    .collect(),
                "TransactGetItems" => body["TransactItems"]
                    .as_array()
                    .expect("TransactItems")
                    .iter()
                    .map(|i| need("dynamodb:GetItem", on(&i["Get"]), call))
                    .collect(),
                "BatchWriteItem" | "BatchGetItem" => body["RequestItems"]
                    .as_object()
                    .expect("RequestItems")
                    .keys()
                    .map(|t| need(&format!("dynamodb:{}", call.op), table_arn(t), call))
                    .collect(),
                op => vec![need(&format!("dynamodb:{op}"), on(&body), call)],
            }
        }
        "S3" => {
            let (bucket, key) = bucket_key(&call.uri);
            let object = s3(&format!("{bucket}/{key}"));
            let mut needs = match call.op.as_str() {
                "GetObject" | "HeadObject" => vec![need("s3:GetObject", object, call)],
                "PutObject" => vec![need("s3:PutObject", object, call)],
                "DeleteObject" => vec![need("s3:DeleteObject", object, call)],
                "CopyObject" => {
                    let source = call
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-copy-source"))
                        .map(|(_, v)| percent_decode(v.trim_start_matches('/')))
                        .expect("x-amz-copy-source");
                    vec![
                        need("s3:GetObject", s3(&source), call),
                        need("s3:PutObject", object, call),
                    ]
                }
                "ListObjectsV2" => vec![need("s3:ListBucket", s3(&bucket), call)],
                op => panic!("S3 {op}: map it to its IAM action"),
            };
            // Without s3:ListBucket, S3 answers 403 for a key that is not there.
            if call.status == 404 {
                needs.push(need("s3:ListBucket", s3(&bucket), call));
            }
            needs
        }
        "Scheduler" => {
            let name = call
                .uri
                .split("/schedules/")
                .nth(1)
                .map(|n| percent_decode(n.split('?').next().unwrap_or("")))
                .expect("schedule name");
            let group = body["GroupName"]
                .as_str()
                .map(ToOwned::to_owned)
                .or_else(|| query_param(&call.uri, "groupName"))
                .unwrap_or_else(|| "default".into());
            let arn = format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{name}");
            let mut needs = vec![need(&format!("scheduler:{}", call.op), arn.clone(), call)];
            // The adapter's `schedule` creates, or updates what a retry already created.
            if call.op == "CreateSchedule" {
                needs.push(need("scheduler:UpdateSchedule", arn, call));
            }
            if let Some(role) = body["Target"]["RoleArn"].as_str() {
                needs.push(need("iam:PassRole", role.to_owned(), call));
            }
            needs
        }
        "Secrets Manager" => vec![need(
            &format!("secretsmanager:{}", call.op),
            secret_arn(body["SecretId"].as_str().expect("SecretId")),
            call,
        )],
        "SESv2" => {
            // `Name <address>`: the condition key is the address.
            let from = body["FromEmailAddress"].as_str().expect("From");
            let from = from
                .rsplit_once('<')
                .map_or(from, |(_, a)| a.trim_end_matches('>'))
                .to_owned();
            let domain = from.rsplit('@').next().unwrap_or("").to_owned();
            let mut needs = vec![Need {
                from: Some(from.clone()),
                ..need(
                    "ses:SendEmail",
                    format!("arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}"),
                    call,
                )
            }];
            if let Some(set) = body["ConfigurationSetName"].as_str() {
                needs.push(Need {
                    from: Some(from),
                    ..need(
                        "ses:SendEmail",
                        format!("arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{set}"),
                        call,
                    )
                });
            }
            needs
        }
        other => panic!("{other} {}: map it to its IAM action", call.op),
    }
}

/// A presigned link is checked against the signer's permissions when used.
fn presigned_needs(call: &Call) -> Vec<Need> {
    let (bucket, key) = bucket_key(&call.uri);
    let action = match call.op.as_str() {
        "GetObject" => "s3:GetObject",
        "PutObject" => "s3:PutObject",
        op => panic!("presigned {op}"),
    };
    vec![need(action, format!("arn:aws:s3:::{bucket}/{key}"), call)]
}

/// The `key` field of an upload form (a browser's POST is authorised as PutObject).
fn form_key(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| k.starts_with("uploads/"))
            .map(ToOwned::to_owned)
            .or_else(|| m.values().find_map(form_key)),
        Value::Array(a) => a.iter().find_map(form_key),
        _ => None,
    }
}

/// The `key` of a page's no-JavaScript upload form, which the browser posts.
fn html_form_key(page: &str) -> Option<String> {
    let start = page.find("name=\"key\" value=\"uploads/")? + "name=\"key\" value=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

async fn s3_fixture() -> Fixture {
    let s3 = S3 {
        endpoint: balcao_tests::s3_endpoint(),
        sdk: balcao_tests::s3_sdk_config(),
    };
    Fixture::with_s3(
        &std::env::var("BALCAO_TEST_DYNAMODB_ENDPOINT").expect("DynamoDB Local"),
        &balcao_tests::moto_endpoint(),
        s3,
    )
    .await
    .expect("fixture")
}

#[test]
fn every_call_is_granted_and_every_grant_is_used() {
    crate::on_a_deep_stack(every_call_is_granted);
}

async fn every_call_is_granted() {
    let f = s3_fixture().await;
    let functions = template_functions(&f.table);
    let in_cases: BTreeSet<&str> = CASES.iter().map(|c| c.function).collect();
    let in_template: BTreeSet<&str> = functions.keys().map(String::as_str).collect();
    assert_eq!(in_cases, in_template, "every function has a case here");

    let ses = aws_sdk_sesv2::Client::new(&balcao_tests::moto_sdk(REGION));
    let _ = ses
        .create_configuration_set()
        .configuration_set_name(CONFIGURATION_SET)
        .send()
        .await;
    let table_arn = |t: &str| format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t}");
    let mut problems = Vec::new();
    for case in CASES {
        let function = &functions[case.function];
        let recorder = Recorder::default();
        let mut needs = Vec::new();
        // The measured case, then again as a retry; then the function's other paths.
        let mut runs: Vec<(&str, Input, usize)> = Vec::new();
        for times in 1..=2 {
            let input = Box::pin(journey::prepare(&f, case.function))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", case.function));
            runs.push(("the measured case", input, times));
        }
        for (name, input) in Box::pin(journey::variants(&f, case.function))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.function))
        {
            runs.push((name, input, 1));
        }
        for (name, input, times) in &runs {
            // A fresh process each time: nothing cached from the setup.
            let (mut app, store) = f.app(Some(&recorder));
            if matches!(input, Input::Timer(_)) {
                // Timers fire when they are due: a week on, every window has ended.
                let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 8);
                app.clock = std::sync::Arc::new(balcao_embedded::ManualClock::new(ahead));
            }
            let mut courier = f.courier(&app, store, Some(&recorder));
            courier.mailer = std::sync::Arc::new(balcao_aws::SesMailer::new(
                ses_recorded(&recorder),
                fixture::SENDER,
                Some(CONFIGURATION_SET.to_owned()),
            ));
            for _ in 0..*times {
                match input {
                    Input::Http(event) => {
                        let op = Op::ALL
                            .iter()
                            .find(|o| o.function() == case.function)
                            .expect("op");
                        let res = op.handle(&app, balcao_bench::events::request(event)).await;
                        eprintln!(
                            "{} / {name}: {} {}",
                            case.function,
                            res.status(),
                            String::from_utf8_lossy(res.body().as_ref())
                                .chars()
                                .take(300)
                                .collect::<String>()
                        );
                        let body = res.body().as_ref();
                        let key = match serde_json::from_slice::<Value>(body) {
                            Ok(v) => form_key(&v),
                            Err(_) => html_form_key(&String::from_utf8_lossy(body)),
                        };
                        if let Some(key) = key {
                            needs.push(Need {
                                action: "s3:PutObject".into(),
                                resource: format!("arn:aws:s3:::{}/{key}", fixture::BUCKET),
                                from: None,
                                why: "the browser's POST of the upload form".into(),
                            });
                        }
                    }
                    other => {
                        // A retry of a timer or stream record may find nothing to do.
                        let r = journey::run(case.function, &app, &courier, other).await;
                        eprintln!(
                            "{} / {name}: {:?}",
                            case.function,
                            r.map_err(|e| e.to_string())
                        );
                    }
                }
            }
        }
        for call in recorder.take() {
            needs.extend(needs_of(&call, &table_arn));
        }
        for call in recorder.take_presigned() {
            needs.extend(presigned_needs(&call));
        }
        assert!(
            !needs.is_empty() || function.grants.is_empty(),
            "{}: no AWS call was recorded",
            case.function
        );
        for n in &needs {
            if !function.grants.iter().any(|g| g.allows(n)) {
                problems.push(format!(
                    "{}: not granted {} on {} ({})",
                    case.function, n.action, n.resource, n.why
                ));
            }
        }
        for g in &function.grants {
            let by_lambda = function.destinations.contains(&g.resource)
                && ["sqs:SendMessage", "sns:Publish"].contains(&g.action.as_str());
            if !by_lambda && !needs.iter().any(|n| g.allows(n)) {
                problems.push(format!(
                    "{}: granted but never used: {} on {}",
                    case.function, g.action, g.resource
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

fn ses_recorded(recorder: &Recorder) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&balcao_tests::moto_sdk(REGION))
            .interceptor(recorder.clone())
            .build(),
    )
}

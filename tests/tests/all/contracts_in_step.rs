//! `template.yaml`, the OpenAPI document and `functions/` must say what the route table says.

use balcao_web::{Op, ROUTES};
use serde_norway::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Functions that are not behind an HTTP route.
const EVENT_FUNCTIONS: &[&str] = &["mailer", "mail-events", "no-route", "retention", "timer"];

fn route_set() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_owned(),
                r.op.function().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_function_crate_is_a_template_function_and_the_other_way_round() {
    let template = yaml("template.yaml");
    let mut in_template = BTreeSet::new();
    for (binary, r) in balcao_tests::template_functions(&template) {
        assert_eq!(
            r["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
        in_template.insert(binary);
    }
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).expect("functions/") {
        let dir = entry.expect("entry").path();
        let manifest =
            std::fs::read_to_string(dir.join("Cargo.toml")).expect("function Cargo.toml");
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "functions/{name} builds a binary named {name}"
        );
        crates.insert(name);
    }
    assert_eq!(in_template, crates);
    let mut ops: BTreeSet<String> = Op::ALL.iter().map(|o| o.function().to_owned()).collect();
    ops.extend(EVENT_FUNCTIONS.iter().map(|s| (*s).to_owned()));
    assert_eq!(ops, crates, "one function per operation");
}

/// Each function's environment in `template.yaml` (Globals and its own) holds
/// every variable its wiring reads (`balcao_aws::needs`), and each function's
/// `main` serves its own operation, so it links nothing else.
#[test]
fn every_function_gets_the_environment_it_reads() {
    let template = yaml("template.yaml");
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(ToOwned::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let globals = names(&template["Globals"]["Function"]["Environment"]["Variables"]);
    let mut checked = 0;
    for (binary, r) in balcao_tests::template_functions(&template) {
        let binary = binary.as_str();
        let mut given = globals.clone();
        given.extend(names(&r["Properties"]["Environment"]["Variables"]));
        let needs = balcao_aws::needs::of_function(binary)
            .unwrap_or_else(|| panic!("{binary}: no needs declared"));
        for var in balcao_aws::needs::variables(needs) {
            assert!(
                given.contains(var),
                "{binary} reads {var}, which template.yaml does not give it"
            );
        }
        // And it may use what it reads them for.
        let actions: BTreeSet<String> = r["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
            .flat_map(|p| p["Statement"].as_sequence().cloned().unwrap_or_default())
            .flat_map(|st| match &st["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Sequence(list) => list
                    .iter()
                    .filter_map(|a| a.as_str().map(ToOwned::to_owned))
                    .collect(),
                _ => vec![],
            })
            .collect();
        use balcao_aws::needs::{FILES, HASH_KEY, MAIL, TIMERS};
        let required: &[(u8, &[&str])] = &[(HASH_KEY, &["secretsmanager:GetSecretValue"])];
        for (flag, wanted) in required {
            for a in wanted.iter().filter(|_| needs & flag != 0) {
                assert!(actions.contains(*a), "{binary} needs {a}");
            }
        }
        // Which actions exactly: `permissions.rs` runs each function against its policy.
        for (flag, prefix) in [(FILES, "s3:"), (MAIL, "ses:"), (TIMERS, "scheduler:")] {
            if needs & flag != 0 {
                assert!(
                    actions.iter().any(|a| a.starts_with(prefix)),
                    "{binary} needs {prefix}* actions"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, Op::ALL.len() + EVENT_FUNCTIONS.len());
    for op in Op::ALL {
        let main = std::fs::read_to_string(
            root().join(format!("functions/{}/src/main.rs", op.function())),
        )
        .expect("main.rs");
        assert!(
            main.contains(&format!("http_function!({op:?},")),
            "functions/{} serves {op:?} directly: {main}",
            op.function()
        );
    }
}

#[test]
fn the_http_api_routes_are_the_route_table() {
    let template = yaml("template.yaml");
    let mut events = BTreeSet::new();
    let mut defaults = 0;
    for (binary, r) in balcao_tests::template_functions(&template) {
        if let Some(evs) = r["Properties"]["Events"].as_mapping() {
            for (_, e) in evs {
                if e["Type"].as_str() == Some("HttpApi") {
                    let p = &e["Properties"];
                    // No path nor method: API Gateway's `$default` route, what no
                    // route takes (the Portuguese 404/405, `respond::unmatched`).
                    if p["Path"].is_null() && p["Method"].is_null() {
                        assert_eq!(binary, "no-route");
                        defaults += 1;
                        continue;
                    }
                    let path = p["Path"].as_str().expect("Path");
                    // Staff functions verify the session themselves (cookie or bearer,
                    // `staff::admit`): an API Gateway authorizer reads only one header.
                    assert!(
                        p["Auth"].is_null(),
                        "{path}: no API Gateway authorizer; the function checks the session"
                    );
                    events.insert((
                        p["Method"].as_str().expect("Method").to_uppercase(),
                        p["Path"].as_str().expect("Path").to_owned(),
                        binary.clone(),
                    ));
                }
            }
        }
    }
    assert_eq!(events, route_set());
    assert_eq!(defaults, 1, "one function answers what no route takes");
}

#[test]
fn the_openapi_document_describes_every_route_and_nothing_else() {
    let doc = yaml("shared/web/openapi.yaml");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().expect("method");
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                documented.insert((
                    method.to_uppercase(),
                    path.as_str().expect("path").to_owned(),
                ));
            }
        }
    }
    let routes: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, routes);
}

/// The OpenAPI document is what the server does: schemathesis (installed by
/// `scripts/test`, path in `BALCAO_SCHEMATHESIS`) runs every one of its checks
/// against the local runtime, as a browser and as a JSON client, with a fixed seed
/// and a bounded number of examples per operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_difference_between_the_document_and_the_server() {
    let st = std::env::var("BALCAO_SCHEMATHESIS")
        .expect("BALCAO_SCHEMATHESIS: run through ./scripts/test, which installs schemathesis");
    let app = balcao_tests::TestApp::spawn().await;
    let token = app
        .staff_login("gestor@1-tabeliao-notas-sao-paulo.example.com")
        .await;
    let base = app.url("");
    for accept in ["text/html", "application/json"] {
        let args: Vec<String> = [
            "--config-file",
            &root().join("schemathesis.toml").to_string_lossy(),
            "run",
            &root().join("shared/web/openapi.yaml").to_string_lossy(),
            "--url",
            &base,
            "--checks",
            "all",
            "--max-examples",
            "20",
            "--seed",
            "20261130",
            // One worker: CPython 3.11's `ast` can fail in threads inside Hypothesis.
            "--workers",
            "1",
            "--no-color",
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-H",
            &format!("Accept: {accept}"),
        ]
        .into_iter()
        .map(ToOwned::to_owned)
        .collect();
        let st = st.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&st)
                .args(&args)
                .output()
                .unwrap_or_else(|e| panic!("{st}: {e}"))
        })
        .await
        .expect("schemathesis ran");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis as {accept}:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(report.contains("generated"), "{report}");
    }
}

/// Staff sign in with a second factor, and only an administrator sets office and role.
#[test]
fn the_staff_pool_requires_mfa_and_keeps_office_and_role_out_of_staff_hands() {
    let template = yaml("template.yaml");
    let r = &template["Resources"];
    let pool = &r["StaffUserPool"]["Properties"];
    assert_eq!(pool["MfaConfiguration"].as_str(), Some("ON"));
    assert_eq!(
        pool["EnabledMfas"].as_sequence().map(Vec::len),
        Some(1),
        "{:?}",
        pool["EnabledMfas"]
    );
    assert_eq!(pool["EnabledMfas"][0].as_str(), Some("SOFTWARE_TOKEN_MFA"));
    assert_eq!(
        pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"].as_bool(),
        Some(true)
    );
    let client = &r["StaffUserPoolClient"]["Properties"];
    let writable: Vec<&str> = client["WriteAttributes"]
        .as_sequence()
        .expect("WriteAttributes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        writable.iter().all(|a| !a.starts_with("custom:")),
        "{writable:?}"
    );
    let readable: Vec<&str> = client["ReadAttributes"]
        .as_sequence()
        .expect("ReadAttributes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for claim in [
        balcao_web::staff::CLAIM_OFFICE,
        balcao_web::staff::CLAIM_ROLE,
        "email",
        "name",
    ] {
        assert!(readable.contains(&claim), "the ID token carries {claim}");
    }
    assert_eq!(
        client["GenerateSecret"].as_bool(),
        Some(false),
        "PKCE, no secret"
    );
    assert_eq!(client["AllowedOAuthFlows"][0].as_str(), Some("code"));
}

/// Every function has its errors-and-throttles alarm, every queue its depth
/// alarm, and every alarm reaches the topic under the key CloudWatch may use.
#[test]
fn every_function_and_every_queue_has_an_alarm_that_reaches_someone() {
    let template = yaml("template.yaml");
    let resources = template["Resources"].as_mapping().expect("Resources");
    let name = |k: &Value| k.as_str().expect("logical id").to_owned();
    let alarms: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .collect();
    let watched = |metric: &str, dimension: &str| -> BTreeSet<String> {
        alarms
            .iter()
            .flat_map(|a| {
                let mut dims = vec![];
                if a["Properties"]["MetricName"].as_str() == Some(metric) {
                    dims.extend(
                        a["Properties"]["Dimensions"]
                            .as_sequence()
                            .cloned()
                            .unwrap_or_default(),
                    );
                }
                for m in a["Properties"]["Metrics"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    if m["MetricStat"]["Metric"]["MetricName"].as_str() == Some(metric) {
                        dims.extend(
                            m["MetricStat"]["Metric"]["Dimensions"]
                                .as_sequence()
                                .cloned()
                                .unwrap_or_default(),
                        );
                    }
                }
                dims
            })
            .filter(|d| d["Name"].as_str() == Some(dimension))
            .map(|d| match &d["Value"] {
                Value::Tagged(t) => t
                    .value
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches(".QueueName")
                    .to_owned(),
                other => other.as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    };
    let errors = watched("Errors", "FunctionName");
    let throttles = watched("Throttles", "FunctionName");
    for (id, r) in resources {
        match r["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                assert!(
                    errors.contains(&name(id)),
                    "no errors alarm for {}",
                    name(id)
                );
                assert!(
                    throttles.contains(&name(id)),
                    "no throttles alarm for {}",
                    name(id)
                );
            }
            Some("AWS::SQS::Queue") => assert!(
                watched("ApproximateNumberOfMessagesVisible", "QueueName").contains(&name(id)),
                "no depth alarm for {}",
                name(id)
            ),
            _ => {}
        }
    }
    for a in alarms {
        let actions = format!("{:?}", a["Properties"]["AlarmActions"]);
        assert!(actions.contains("AlarmTopic"), "{a:?}");
    }
    let topic = &template["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"];
    assert!(
        format!("{topic:?}").contains("AlarmKey"),
        "the topic's key is one CloudWatch may use: {topic:?}"
    );
}

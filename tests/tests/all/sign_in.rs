//! Staff sign-in (issue 13). On AWS: ID tokens that moto's Cognito issues and
//! signs are verified against its JWKS, and the managed login's callback runs
//! against a stand-in token endpoint that checks the PKCE verifier. Locally: the
//! demo login, the "Sair" button and the cross-site guard, over HTTP.

use balcao_aws::{CognitoAuth, CognitoConfig};
use balcao_tests::{SP_OFFICE, TestApp};
use balcao_web::{Op, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const PUBLIC: &str = "https://balcao.example.gov.br";

/// One call to moto's Cognito (JSON protocol; moto does not check signatures).
async fn cognito(action: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(balcao_tests::moto_endpoint())
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{action}"),
        )
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("moto");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{action}: {status} {v}");
    v
}

/// A pool as the template makes it, its app client, and a clerk in it.
struct Pool {
    id: String,
    client: String,
}

async fn pool() -> Pool {
    let p = cognito(
        "CreateUserPool",
        json!({
            "PoolName": format!("balcao-{}", ulid::Ulid::generate()),
            "UsernameAttributes": ["email"],
            "Schema": [
                {"Name": "name", "AttributeDataType": "String", "Mutable": true},
                {"Name": "office_id", "AttributeDataType": "String", "Mutable": true},
                {"Name": "role", "AttributeDataType": "String", "Mutable": true}
            ]
        }),
    )
    .await;
    let id = p["UserPool"]["Id"].as_str().expect("pool id").to_owned();
    Pool {
        client: client(&id).await,
        id,
    }
}

async fn client(pool: &str) -> String {
    let c = cognito(
        "CreateUserPoolClient",
        json!({
            "UserPoolId": pool, "ClientName": "balcao",
            "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            // As template.yaml's client: staff write only their name.
            "ReadAttributes": ["email", "email_verified", "name", "custom:office_id", "custom:role"],
            "WriteAttributes": ["name"]
        }),
    )
    .await;
    c["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("client id")
        .to_owned()
}

const PASSWORD: &str = "Senha-Forte-2026";

/// A clerk with these attributes; answers their ID and access tokens from `client`.
async fn tokens(
    pool: &Pool,
    client: &str,
    email: &str,
    attrs: &[(&str, &str)],
) -> (String, String) {
    let mut attributes = vec![json!({"Name": "email", "Value": email})];
    attributes.extend(attrs.iter().map(|(k, v)| json!({"Name": k, "Value": v})));
    let _ = cognito(
        "AdminCreateUser",
        json!({"UserPoolId": pool.id, "Username": email, "UserAttributes": attributes, "MessageAction": "SUPPRESS"}),
    )
    .await;
    cognito(
        "AdminSetUserPassword",
        json!({"UserPoolId": pool.id, "Username": email, "Password": PASSWORD, "Permanent": true}),
    )
    .await;
    let auth = cognito(
        "AdminInitiateAuth",
        json!({
            "UserPoolId": pool.id, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}
        }),
    )
    .await;
    let r = &auth["AuthenticationResult"];
    (
        r["IdToken"].as_str().expect("IdToken").to_owned(),
        r["AccessToken"].as_str().expect("AccessToken").to_owned(),
    )
}

const MANAGER: &[(&str, &str)] = &[
    ("name", "Ana Gestora"),
    ("custom:office_id", SP_OFFICE),
    ("custom:role", "manager"),
];

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn verifier_for(pool: &Pool, issuer: &str, login_url: &str) -> CognitoAuth {
    CognitoAuth::new(CognitoConfig {
        issuer: issuer.to_owned(),
        client_id: pool.client.clone(),
        login_url: login_url.to_owned(),
        public_base_url: PUBLIC.to_owned(),
        jwks_url: Some(format!(
            "{}/{}/.well-known/jwks.json",
            balcao_tests::moto_endpoint(),
            pool.id
        )),
    })
    .expect("TLS settings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_from_cognito_are_verified_and_forgeries_refused() {
    use balcao_app::StaffAuth;
    let pool = pool().await;
    let email = format!("ana-{}@cartorio.example.com", ulid::Ulid::generate()).to_lowercase();
    let (id, access) = tokens(&pool, &pool.client, &email, MANAGER).await;
    let issuer = payload(&id)["iss"].as_str().expect("iss").to_owned();
    assert!(issuer.ends_with(&pool.id), "{issuer}");
    let auth = verifier_for(&pool, &issuer, "https://login.example");

    let who = auth.verify(&id).await.expect("a genuine ID token");
    assert_eq!(who.office.as_str(), SP_OFFICE);
    assert_eq!(who.role.key(), "manager");
    assert_eq!(who.email.as_str(), email);
    assert_eq!(who.name, "Ana Gestora");

    let refused = |what: &'static str| {
        move |r: Result<balcao_core::StaffMember, balcao_app::ports::AuthError>| {
            assert!(
                matches!(r, Err(balcao_app::ports::AuthError::Invalid(_))),
                "{what}: {r:?}"
            );
        }
    };
    // The signature covers the claims: raising the role breaks it.
    let mut claims = payload(&id);
    claims["custom:role"] = json!("manager");
    claims["custom:office_id"] = json!("outro-cartorio");
    let parts: Vec<&str> = id.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    refused("claims changed")(auth.verify(&forged).await);
    let mut sig = parts[2].to_owned();
    sig.replace_range(
        ..4,
        if sig.starts_with("AAAA") {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    refused("signature changed")(
        auth.verify(&format!("{}.{}.{sig}", parts[0], parts[1]))
            .await,
    );
    // No signature at all.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    refused("alg none")(auth.verify(&none).await);
    // An access token is not an ID token (and has no audience).
    refused("access token")(auth.verify(&access).await);
    // Another app client of the same pool: another audience.
    let other_client = client(&pool.id).await;
    let (foreign, _) = tokens(
        &pool,
        &other_client,
        &format!("bia-{}@cartorio.example.com", ulid::Ulid::generate()).to_lowercase(),
        MANAGER,
    )
    .await;
    refused("another client")(auth.verify(&foreign).await);
    // Another pool's issuer.
    let elsewhere = verifier_for(
        &pool,
        "https://cognito-idp.us-east-1.amazonaws.com/outro",
        "x",
    );
    refused("another issuer")(elsewhere.verify(&id).await);
    // A user the administrator gave no office or role is no one.
    let (bare, _) = tokens(
        &pool,
        &pool.client,
        &format!("sem-{}@cartorio.example.com", ulid::Ulid::generate()).to_lowercase(),
        &[("name", "Sem Serventia")],
    )
    .await;
    refused("no office")(auth.verify(&bare).await);
    refused("garbage")(auth.verify("not.a.token").await);
}

/// Codes the stand-in token endpoint accepts: code → (PKCE challenge, ID token).
type Codes = Arc<Mutex<HashMap<String, (String, String)>>>;

/// Cognito's `/oauth2/token`, as far as the callback uses it: it checks the
/// client, the redirect URI and the PKCE verifier against the challenge the
/// authorize step received, and hands out each code once.
async fn token_endpoint(codes: Codes, client_id: String) -> String {
    use axum::extract::State;
    use axum::http::StatusCode;
    let handler = move |State(codes): State<Codes>, body: String| {
        let client_id = client_id.clone();
        async move {
            let f: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
            let bad = |e: &str| (StatusCode::BAD_REQUEST, axum::Json(json!({"error": e})));
            if f.get("grant_type").map(String::as_str) != Some("authorization_code")
                || f.get("client_id") != Some(&client_id)
                || f.get("redirect_uri").map(String::as_str)
                    != Some("https://balcao.example.gov.br/staff/callback")
            {
                return bad("invalid_request");
            }
            let Some((challenge, id_token)) = f
                .get("code")
                .and_then(|c| codes.lock().expect("codes").remove(c))
            else {
                return bad("invalid_grant");
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
                return bad("invalid_grant");
            }
            (
                StatusCode::OK,
                axum::Json(json!({
                    "id_token": id_token, "access_token": "a", "refresh_token": "r",
                    "expires_in": 3600, "token_type": "Bearer"
                })),
            )
        }
    };
    let router = axum::Router::new()
        .route("/oauth2/token", axum::routing::post(handler))
        .with_state(codes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn get(path: &str, query: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
    request("GET", path, query, headers)
}

fn request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> lambda_http::Request {
    let mut h = json!({ "host": "balcao.example.gov.br" });
    for (k, v) in headers {
        h[*k] = json!(v);
    }
    let params: serde_json::Map<String, Value> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .expect("query")
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    let mut e = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path, "rawQueryString": query,
        "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "balcao.example.gov.br",
            "domainPrefix": "balcao", "requestId": "r", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "30/Nov/2026:12:00:00 +0000", "timeEpoch": 1_796_040_000_000u64,
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t" }
        },
        "isBase64Encoded": false
    });
    if !params.is_empty() {
        e["queryStringParameters"] = Value::Object(params);
    }
    lambda_http::request::from_str(&e.to_string()).expect("API Gateway event")
}

/// What the function does with the event: the gate, then the operation.
async fn run(app: &balcao_app::App, op: Op, req: lambda_http::Request) -> Response {
    match balcao_web::staff::admit(app, op, req).await {
        Ok(req) => op.handle(app, req).await,
        Err(refused) => refused,
    }
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value a `Set-Cookie` line gives `name`, and the whole line.
fn set_cookie(r: &Response, name: &str) -> (String, String) {
    let line = header(r, "set-cookie")
        .lines()
        .find(|l| l.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie: {:?}", r.headers()))
        .to_owned();
    let value = line[name.len() + 1..]
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned();
    (value, line)
}

fn query_of(url: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str(url.split_once('?').map_or("", |(_, q)| q)).expect("query")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_managed_login_callback_checks_pkce_and_sets_a_secure_session_cookie() {
    let pool = pool().await;
    let email = format!("caio-{}@cartorio.example.com", ulid::Ulid::generate()).to_lowercase();
    let (id_token, _) = tokens(&pool, &pool.client, &email, MANAGER).await;
    let issuer = payload(&id_token)["iss"].as_str().expect("iss").to_owned();
    let codes: Codes = Arc::default();
    let login = token_endpoint(codes.clone(), pool.client.clone()).await;
    let store = std::sync::Arc::new(balcao_embedded::SqliteStore::in_memory().expect("db"));
    for o in balcao_local::seed::demo_offices() {
        balcao_app::Offices::put_office(&*store, &o)
            .await
            .expect("office");
    }
    let mut app = balcao_tests::app_over(store);
    app.config = balcao_app::Config::new(PUBLIC);
    app.staff_auth = Arc::new(verifier_for(&pool, &issuer, &login));

    // 1. Sign-in: to the managed login, with a PKCE challenge and a state.
    let r = run(
        &app,
        Op::StaffSignIn,
        get("/staff/sign-in", "next=%2Fstaff%2Fratings", &[]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let to = header(&r, "location");
    assert!(
        to.starts_with(&format!("{login}/oauth2/authorize?")),
        "{to}"
    );
    let q = query_of(&to);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], pool.client);
    assert_eq!(q["redirect_uri"], format!("{PUBLIC}/staff/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    let (pending, line) = set_cookie(&r, "balcao_sign_in");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/staff/callback"] {
        assert!(line.contains(attr), "{attr} in {line}");
    }
    let pending_cookie = format!("balcao_sign_in={pending}");

    // 2. The provider comes back with a code: a wrong state is refused...
    codes.lock().expect("codes").insert(
        "code-1".into(),
        (q["code_challenge"].clone(), id_token.clone()),
    );
    let wrong = run(
        &app,
        Op::StaffCallback,
        get(
            "/staff/callback",
            "code=code-1&state=outro",
            &[("cookie", &pending_cookie), ("accept", "application/json")],
        ),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    // ...and so is a verifier that is not the one of the challenge.
    let (state, _) = pending.split_once('.').expect("state.verifier.next");
    let tampered = format!(
        "balcao_sign_in={state}.{}.{}",
        "x".repeat(43),
        URL_SAFE_NO_PAD.encode("/staff/requests")
    );
    let bad = run(
        &app,
        Op::StaffCallback,
        get(
            "/staff/callback",
            &format!("code=code-1&state={state}"),
            &[("cookie", &tampered), ("accept", "application/json")],
        ),
    )
    .await;
    assert_eq!(bad.status(), 401, "{:?}", bad.body());

    // 3. The real one: the session cookie holds the verified ID token.
    codes.lock().expect("codes").insert(
        "code-2".into(),
        (q["code_challenge"].clone(), id_token.clone()),
    );
    let r = run(
        &app,
        Op::StaffCallback,
        get(
            "/staff/callback",
            &format!("code=code-2&state={state}"),
            &[("cookie", &pending_cookie)],
        ),
    )
    .await;
    assert_eq!(r.status(), 303, "{:?}", r.body());
    assert_eq!(
        header(&r, "location"),
        "/staff/ratings",
        "back to the page asked for"
    );
    let (session, line) = set_cookie(&r, "balcao_staff");
    assert_eq!(session, id_token);
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attr), "{attr} in {line}");
    }
    let (cleared, _) = set_cookie(&r, "balcao_sign_in");
    assert!(cleared.is_empty(), "the pending sign-in is forgotten");
    // The code serves once.
    let again = run(
        &app,
        Op::StaffCallback,
        get(
            "/staff/callback",
            &format!("code=code-2&state={state}"),
            &[("cookie", &pending_cookie), ("accept", "application/json")],
        ),
    )
    .await;
    assert_eq!(again.status(), 401);

    // 4. Staff pages take the cookie; posts must come from the site itself.
    let cookie = format!("balcao_staff={session}");
    let queue = run(
        &app,
        Op::StaffQueue,
        get(
            "/staff/requests",
            "",
            &[("cookie", &cookie), ("accept", "application/json")],
        ),
    )
    .await;
    assert_eq!(queue.status(), 200, "{:?}", queue.body());
    let cross = run(
        &app,
        Op::StaffUpdateOffice,
        request(
            "POST",
            "/staff/office",
            "",
            &[
                ("cookie", &cookie),
                ("accept", "application/json"),
                ("origin", "https://evil.example"),
            ],
        ),
    )
    .await;
    assert_eq!(cross.status(), 403);
    let no_origin = run(
        &app,
        Op::StaffUpdateOffice,
        request(
            "POST",
            "/staff/office",
            "",
            &[("cookie", &cookie), ("accept", "application/json")],
        ),
    )
    .await;
    assert_eq!(no_origin.status(), 403);
    let own = run(
        &app,
        Op::StaffUpdateOffice,
        request(
            "POST",
            "/staff/office",
            "",
            &[
                ("cookie", &cookie),
                ("accept", "application/json"),
                ("origin", PUBLIC),
            ],
        ),
    )
    .await;
    assert_ne!(
        own.status(),
        403,
        "the site's own form gets through the gate"
    );
    assert_ne!(own.status(), 401);
    // A bearer token is not sent by browsers on their own: no Origin needed.
    let bearer = run(
        &app,
        Op::StaffQueue,
        get(
            "/staff/requests",
            "",
            &[
                ("authorization", &format!("Bearer {session}")),
                ("accept", "application/json"),
            ],
        ),
    )
    .await;
    assert_eq!(bearer.status(), 200);
    // Without a session a page sends the browser to sign in, and back.
    let out = run(
        &app,
        Op::StaffQueue,
        get(
            "/staff/requests",
            "status=closed",
            &[("accept", "text/html")],
        ),
    )
    .await;
    assert_eq!(out.status(), 303);
    assert_eq!(
        header(&out, "location"),
        "/staff/sign-in?next=%2Fstaff%2Frequests%3Fstatus%3Dclosed"
    );

    // 5. Signing out forgets the cookie and ends Cognito's session.
    let cross = run(
        &app,
        Op::StaffSignOut,
        request(
            "POST",
            "/staff/sign-out",
            "",
            &[("cookie", &cookie), ("origin", "https://evil.example")],
        ),
    )
    .await;
    assert_eq!(cross.status(), 403);
    let r = run(
        &app,
        Op::StaffSignOut,
        request(
            "POST",
            "/staff/sign-out",
            "",
            &[("cookie", &cookie), ("origin", PUBLIC)],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    let to = header(&r, "location");
    assert!(to.starts_with(&format!("{login}/logout?")), "{to}");
    assert_eq!(query_of(&to)["logout_uri"], format!("{PUBLIC}/"));
    let (gone, line) = set_cookie(&r, "balcao_staff");
    assert!(gone.is_empty() && line.contains("Max-Age=0"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locally_staff_sign_in_see_who_they_are_and_sign_out() {
    let app = TestApp::spawn().await;
    let base = app.url("");
    // A page asked for while signed out leads to the sign-in, then the demo login.
    let r = app
        .client
        .get(app.url("/staff/requests"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("queue");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/staff/sign-in?next=%2Fstaff%2Frequests"
    );
    let r = app
        .client
        .get(app.url("/staff/sign-in"))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/_dev/login");

    let r = app
        .client
        .post(app.url("/_dev/login"))
        .form(&[("email", "gestor@1-tabeliao-notas-sao-paulo.example.com")])
        .send()
        .await
        .expect("login");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with("balcao_staff="))
        })
        .expect("session cookie")
        .to_owned();
    let page = app
        .client
        .get(app.url("/staff/requests"))
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("html");
    assert!(page.contains(">Sair</button>"), "{page}");
    assert!(page.contains("action=\"/staff/sign-out\""));
    assert!(page.contains("Ana Beatriz Figueiredo"), "who is signed in");

    // Another site's form cannot sign the clerk out (or do anything else).
    let cross = app
        .client
        .post(app.url("/staff/sign-out"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sign-out");
    assert_eq!(cross.status(), 403);
    let r = app
        .client
        .post(app.url("/staff/sign-out"))
        .header("cookie", &cookie)
        .header("origin", base.trim_end_matches('/'))
        .send()
        .await
        .expect("sign-out");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/_dev/login");
    // The session is over: the old cookie leads to the sign-in again.
    let r = app
        .client
        .get(app.url("/staff/requests"))
        .header("cookie", &cookie)
        .header("accept", "application/json")
        .send()
        .await
        .expect("queue");
    assert_eq!(r.status(), 401);
}

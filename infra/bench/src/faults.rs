//! An SDK interceptor that makes one call fail (issue 17): the N-th attempt
//! any client makes after it is armed meets the fault chosen, every other
//! attempt goes through untouched. No store is mocked: the stand-ins answer
//! every call but the faulted one, which is cut short before or after it
//! reached them, or answered with the error a busy or failing service gives.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeDeserializationInterceptorContextRef,
    BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::sync::{Arc, Mutex};

/// How the faulted call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// It never reached the service (a connection that timed out): nothing done.
    Unreached,
    /// The service did it, but the answer was lost (a timeout while reading).
    AnswerLost,
    /// The service did it and answered 500 (the SDK retries).
    ServerError,
    /// The service refused it as too busy, doing nothing (the SDK retries).
    Throttled,
    /// A DynamoDB write refused by its condition, as if someone wrote first.
    ConditionFailed,
}

impl FaultKind {
    pub const ALL: [Self; 5] = [
        Self::Unreached,
        Self::AnswerLost,
        Self::ServerError,
        Self::Throttled,
        Self::ConditionFailed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Unreached => "timeout before",
            Self::AnswerLost => "timeout after",
            Self::ServerError => "5xx",
            Self::Throttled => "throttled",
            Self::ConditionFailed => "condition failed",
        }
    }

    /// Whether this fault means anything for `service`.`op` (a condition
    /// only fails on a DynamoDB write).
    pub fn applies_to(self, service: &str, op: &str) -> bool {
        match self {
            Self::ConditionFailed => {
                service == "DynamoDB"
                    && matches!(
                        op,
                        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems"
                    )
            }
            _ => true,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Attempts seen since armed.
    seen: usize,
    armed: Option<(usize, FaultKind)>,
    /// The call the fault met: (service, operation).
    hit: Option<(String, String)>,
}

/// The interceptor; clones share one count.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<State>>);

/// Marks the attempt the fault meets, for the later hooks of that attempt.
#[derive(Debug, Clone, Copy)]
struct Hit(FaultKind);

impl Storable for Hit {
    type Storer = StoreReplace<Self>;
}

impl Faults {
    /// The `n`-th attempt from now (1 is the next) meets `kind`.
    pub fn arm(&self, n: usize, kind: FaultKind) {
        let mut s = self.0.lock().expect("faults");
        *s = State {
            seen: 0,
            armed: Some((n, kind)),
            hit: None,
        };
    }

    /// Lets every call through again; answers the call the fault met, if any.
    pub fn disarm(&self) -> Option<(String, String)> {
        let mut s = self.0.lock().expect("faults");
        s.armed = None;
        s.hit.take()
    }
}

fn metadata(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>()
        .map(|m| (m.service().to_owned(), m.name().to_owned()))
        .unwrap_or_else(|| ("?".into(), "?".into()))
}

/// The error `service` answers when busy or failing, as its protocol writes it.
fn error_response(service: &str, op: &str, kind: FaultKind, request: &[u8]) -> HttpResponse {
    let (status, error_type, body) = match (service, kind) {
        ("DynamoDB", FaultKind::ConditionFailed) if op == "TransactWriteItems" => {
            // One reason per item, the first refused, as DynamoDB lists them.
            let items = serde_json::from_slice::<serde_json::Value>(request)
                .ok()
                .and_then(|v| v["TransactItems"].as_array().map(Vec::len))
                .unwrap_or(1);
            let reasons: Vec<serde_json::Value> = (0..items)
                .map(|i| {
                    serde_json::json!({"Code": if i == 0 { "ConditionalCheckFailed" } else { "None" }})
                })
                .collect();
            let body = serde_json::json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled (injected)",
                "CancellationReasons": reasons,
            });
            (400, "TransactionCanceledException", body.to_string())
        }
        ("DynamoDB", FaultKind::ConditionFailed) => (
            400,
            "ConditionalCheckFailedException",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed (injected)"}"#.to_owned(),
        ),
        ("DynamoDB", FaultKind::Throttled) => (
            400,
            "ProvisionedThroughputExceededException",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected"}"#.to_owned(),
        ),
        ("DynamoDB", _) => (
            500,
            "InternalServerError",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}"#.to_owned(),
        ),
        ("S3", FaultKind::Throttled) => (
            503,
            "SlowDown",
            "<Error><Code>SlowDown</Code><Message>injected</Message></Error>".to_owned(),
        ),
        ("S3", _) => (
            500,
            "InternalError",
            "<Error><Code>InternalError</Code><Message>injected</Message></Error>".to_owned(),
        ),
        ("SESv2", FaultKind::Throttled) => (
            429,
            "TooManyRequestsException",
            r#"{"message":"injected"}"#.to_owned(),
        ),
        ("Secrets Manager", FaultKind::Throttled) => (
            400,
            "ThrottlingException",
            r#"{"__type":"ThrottlingException","message":"injected"}"#.to_owned(),
        ),
        (_, FaultKind::Throttled) => (
            429,
            "ThrottlingException",
            r#"{"message":"injected"}"#.to_owned(),
        ),
        _ => (
            500,
            "InternalServerException",
            r#"{"message":"injected"}"#.to_owned(),
        ),
    };
    let mut r = HttpResponse::new(
        StatusCode::try_from(status).unwrap_or_else(|_| StatusCode::try_from(500).expect("500")),
        SdkBody::from(body),
    );
    r.headers_mut().insert("x-amzn-ErrorType", error_type);
    r.headers_mut().insert(
        "content-type",
        if service == "S3" {
            "application/xml"
        } else {
            "application/x-amz-json-1.0"
        },
    );
    r
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "balcao-fault-injector"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A presigned link is never sent by the function: not an attempt.
        if context.request().uri().contains("X-Amz-Signature=") {
            return Ok(());
        }
        let (service, op) = metadata(cfg);
        let kind = {
            let mut s = self.0.lock().expect("faults");
            let Some((n, kind)) = s.armed else {
                return Ok(());
            };
            s.seen += 1;
            if s.seen != n {
                return Ok(());
            }
            s.hit = Some((service.clone(), op.clone()));
            kind
        };
        match kind {
            FaultKind::Unreached => Err(format!("injected: {service}.{op} timed out").into()),
            FaultKind::Throttled | FaultKind::ConditionFailed => {
                // Sent where it does nothing (the DynamoDB Local or moto root
                // answers a bare GET); its answer is replaced below.
                let request = context.request_mut();
                let body = request
                    .body()
                    .bytes()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                let uri = request.uri().to_owned();
                let root = uri
                    .find("://")
                    .and_then(|i| uri[i + 3..].find('/').map(|j| &uri[..i + 3 + j]))
                    .unwrap_or(&uri)
                    .to_owned();
                request
                    .set_uri(format!("{root}/"))
                    .map_err(|e| e.to_string())?;
                request.set_method("GET").map_err(|e| e.to_string())?;
                request.headers_mut().remove("x-amz-target");
                *request.body_mut() = SdkBody::empty();
                request.headers_mut().insert("content-length", "0");
                cfg.interceptor_state().store_put(Hit(kind));
                cfg.interceptor_state().store_put(Request(body));
                Ok(())
            }
            FaultKind::AnswerLost | FaultKind::ServerError => {
                cfg.interceptor_state().store_put(Hit(kind));
                Ok(())
            }
        }
    }

    fn read_after_transmit(
        &self,
        _: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Hit>() {
            Some(Hit(FaultKind::AnswerLost)) => {
                let (service, op) = metadata(cfg);
                Err(format!("injected: {service}.{op} answer lost").into())
            }
            _ => Ok(()),
        }
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Hit(kind)) = cfg.load::<Hit>().copied() else {
            return Ok(());
        };
        let (service, op) = metadata(cfg);
        let request = cfg
            .load::<Request>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        *context.response_mut() = error_response(&service, &op, kind, &request);
        // Only this attempt: a retry of it goes through.
        cfg.interceptor_state().unset::<Hit>();
        Ok(())
    }
}

/// The faulted request's body, kept for the answer that replaces the real one.
#[derive(Debug, Clone)]
struct Request(Vec<u8>);

impl Storable for Request {
    type Storer = StoreReplace<Self>;
}

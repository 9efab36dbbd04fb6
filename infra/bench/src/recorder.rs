//! An SDK interceptor on every client the measured app uses: it records each
//! attempt sent (service, operation, the signed HTTP request) and, for DynamoDB,
//! asks for and keeps the capacity the call consumed.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One attempt, as sent.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub op: String,
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// DynamoDB's consumed capacity, as it reports it (transactions doubled).
    pub capacity: Capacity,
    /// The write was refused by its condition (DynamoDB still bills it).
    pub refused: bool,
    /// The HTTP status of the answer (0 until one is read).
    pub status: u16,
}

impl Call {
    pub fn key(&self) -> String {
        format!("{}.{}", self.service, self.op)
    }

    /// A request like this one (address, signed headers) with no body yet; the
    /// headers in `skip` are left out, and the length, which the new body sets.
    /// The stand-ins do not check signatures, so it can be sent again.
    pub fn resend(
        &self,
        http: &reqwest::Client,
        skip: &[&str],
    ) -> Result<reqwest::RequestBuilder, Box<dyn std::error::Error>> {
        let mut r = http.request(self.method.parse()?, &self.uri);
        for (k, v) in &self.headers {
            let skipped = k.eq_ignore_ascii_case("content-length")
                || skip.iter().any(|s| k.eq_ignore_ascii_case(s));
            if !skipped {
                r = r.header(k, v);
            }
        }
        Ok(r)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Links presigned for a browser: signed with the function's credentials, so
    /// its policy must allow them, but never sent by the function.
    presigned: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone, Copy)]
struct CallIndex(usize);

impl Storable for CallIndex {
    type Storer = StoreReplace<Self>;
}

const WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// Operations that accept `ReturnConsumedCapacity`.
const METERED: &[&str] = &[
    "GetItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "TransactGetItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

fn metadata(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>()
        .map(|m| (m.service().to_owned(), m.name().to_owned()))
        .unwrap_or_else(|| ("?".into(), "?".into()))
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Capacity {
    pub read: f64,
    /// Write units of the table's items.
    pub write: f64,
    /// Write units of the index entries those writes changed.
    pub index_write: f64,
}

impl std::ops::AddAssign for Capacity {
    fn add_assign(&mut self, o: Self) {
        self.read += o.read;
        self.write += o.write;
        self.index_write += o.index_write;
    }
}

/// (total, table) units in a `ConsumedCapacity` answer (an object, or a list).
fn units(v: &Value) -> (f64, f64) {
    match v {
        Value::Array(list) => list
            .iter()
            .map(units)
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Object(m) => {
            let total = m
                .get("CapacityUnits")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let table = m
                .get("Table")
                .and_then(|t| t.get("CapacityUnits"))
                .and_then(Value::as_f64)
                .unwrap_or(total);
            (total, table)
        }
        _ => (0.0, 0.0),
    }
}

impl Recorder {
    /// Everything recorded since the last take.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("recorder"))
    }

    /// Puts a call back (a test that looked at the calls before counting them).
    pub fn push(&self, call: Call) {
        self.calls.lock().expect("recorder").push(call);
    }

    /// The links presigned since the last take.
    pub fn take_presigned(&self) -> Vec<Call> {
        std::mem::take(&mut *self.presigned.lock().expect("recorder"))
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "balcao-bench-recorder"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, op) = metadata(cfg);
        if service != "DynamoDB" || !METERED.contains(&op.as_str()) {
            return Ok(());
        }
        // Ask DynamoDB for what the call consumed, as the functions never do.
        let request = context.request_mut();
        let Some(body) = request.body().bytes() else {
            return Ok(());
        };
        let mut json: Value = serde_json::from_slice(body)?;
        json["ReturnConsumedCapacity"] = Value::String("INDEXES".into());
        let bytes = serde_json::to_vec(&json)?;
        request
            .headers_mut()
            .insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, op) = metadata(cfg);
        let request = context.request();
        let call = Call {
            service,
            op,
            method: request.method().to_owned(),
            uri: request.uri().to_owned(),
            headers: request
                .headers()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            body: request
                .body()
                .bytes()
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            capacity: Capacity::default(),
            refused: false,
            status: 0,
        };
        // A presigned link runs the pipeline up to here but is never sent.
        if request.uri().contains("X-Amz-Signature=") {
            self.presigned.lock().expect("recorder").push(call);
            return Ok(());
        }
        let mut calls = self.calls.lock().expect("recorder");
        cfg.interceptor_state().store_put(CallIndex(calls.len()));
        calls.push(call);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(CallIndex(i)) = cfg.load::<CallIndex>().copied() else {
            return Ok(());
        };
        if let Some(call) = self.calls.lock().expect("recorder").get_mut(i) {
            call.status = context.response().status().as_u16();
        }
        let Some(body) = context.response().body().bytes() else {
            return Ok(());
        };
        if context.response().status().as_u16() == 400
            && String::from_utf8_lossy(body).contains("ConditionalCheckFailed")
        {
            let mut calls = self.calls.lock().expect("recorder");
            if let Some(call) = calls.get_mut(i) {
                call.refused = true;
            }
            return Ok(());
        }
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            return Ok(());
        };
        let Some(consumed) = json.get("ConsumedCapacity") else {
            return Ok(());
        };
        let mut calls = self.calls.lock().expect("recorder");
        if let Some(call) = calls.get_mut(i) {
            // DynamoDB Local doubles transactional units, as DynamoDB bills them.
            let (total, table) = units(consumed);
            call.capacity = if WRITES.contains(&call.op.as_str()) {
                Capacity {
                    read: 0.0,
                    write: table,
                    index_write: total - table,
                }
            } else {
                Capacity {
                    read: total,
                    ..Capacity::default()
                }
            };
        }
        Ok(())
    }
}

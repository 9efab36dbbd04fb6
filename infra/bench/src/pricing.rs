//! Table write units by DynamoDB's pricing rules, from the items each write
//! leaves: 1 unit per started KB of item, doubled in a transaction, and 1 for
//! a write its condition refused. DynamoDB Local's own report counts some
//! transactional items short, so the table's units are computed here (index
//! units are as DynamoDB Local reports them).

use crate::recorder::Call;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

/// Size of an attribute value in DynamoDB's wire JSON.
pub fn value_size(v: &Value) -> f64 {
    let Some((ty, inner)) = v.as_object().and_then(|m| m.iter().next()) else {
        return 0.0;
    };
    match (ty.as_str(), inner) {
        ("S", Value::String(s)) => s.len() as f64,
        ("N", Value::String(n)) => {
            (n.trim_start_matches('-').replace('.', "").len() as f64 / 2.0).ceil() + 1.0
        }
        // Base64 on the wire.
        ("B", Value::String(b)) => (b.len() as f64 * 3.0 / 4.0).floor(),
        ("BOOL" | "NULL", _) => 1.0,
        ("SS", Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.len() as f64)
            .sum(),
        ("NS", Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|n| n.len() as f64 / 2.0 + 1.0)
            .sum(),
        ("M", Value::Object(m)) => {
            3.0 + m
                .iter()
                .map(|(k, v)| k.len() as f64 + value_size(v) + 1.0)
                .sum::<f64>()
        }
        ("L", Value::Array(l)) => 3.0 + l.iter().map(|v| value_size(v) + 1.0).sum::<f64>(),
        _ => 0.0,
    }
}

/// Bytes of an item, by DynamoDB's rules (names plus values).
pub fn item_size(item: &Value) -> f64 {
    item.as_object()
        .map(|m| m.iter().map(|(k, v)| k.len() as f64 + value_size(v)).sum())
        .unwrap_or(0.0)
}

fn item_units(item: &Value) -> f64 {
    (item_size(item) / 1024.0).ceil().max(1.0)
}

/// The item under `key` as it is now (after the write), by a GetItem sent
/// like `like` (DynamoDB Local does not check signatures).
async fn item_now(
    http: &reqwest::Client,
    like: &Call,
    table: &Value,
    key: &Value,
) -> Result<Value, Error> {
    let body = json!({ "TableName": table, "Key": key, "ConsistentRead": true });
    let out: Value = like
        .resend(http, &["x-amz-target"])?
        .header("x-amz-target", "DynamoDB_20120810.GetItem")
        .body(body.to_string())
        .send()
        .await?
        .json()
        .await?;
    Ok(out.get("Item").cloned().unwrap_or(Value::Null))
}

async fn update_units(http: &reqwest::Client, call: &Call, u: &Value) -> Result<f64, Error> {
    let item = item_now(http, call, &u["TableName"], &u["Key"]).await?;
    Ok(if item.is_null() {
        1.0
    } else {
        item_units(&item)
    })
}

/// Table write units of `calls` (DynamoDB writes only).
pub async fn write_units(http: &reqwest::Client, calls: &[Call]) -> Result<f64, Error> {
    let mut total = 0.0;
    for c in calls.iter().filter(|c| c.service == "DynamoDB") {
        if c.refused {
            total += 1.0;
            continue;
        }
        let body: Value = match serde_json::from_slice(&c.body) {
            Ok(v) => v,
            Err(_) => continue,
        };
        total += match c.op.as_str() {
            "PutItem" => item_units(&body["Item"]),
            "UpdateItem" => update_units(http, c, &body).await?,
            "DeleteItem" => 1.0,
            "BatchWriteItem" => body["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|reqs| reqs.as_array().into_iter().flatten())
                .map(|r| r.get("PutRequest").map_or(1.0, |p| item_units(&p["Item"])))
                .sum(),
            "TransactWriteItems" => {
                let mut units = 0.0;
                for t in body["TransactItems"].as_array().into_iter().flatten() {
                    units += if let Some(p) = t.get("Put") {
                        item_units(&p["Item"])
                    } else if let Some(u) = t.get("Update") {
                        update_units(http, c, u).await?
                    } else {
                        1.0
                    };
                }
                2.0 * units
            }
            _ => 0.0,
        };
    }
    Ok(total)
}

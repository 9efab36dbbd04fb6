//! Capacity per partition key, from the calls the SDK sent: what DynamoDB's
//! per-partition limits (1,000 write and 3,000 read units a second) apply to.
//!
//! Reads are charged to the partition their key names (`GetItem`'s `PK`, a
//! `Query`'s key condition, on the table or the index it reads), with the units
//! DynamoDB Local reported. Writes are priced by DynamoDB's rules from the item
//! written: one unit per started KB on the table partition, doubled in a
//! transaction, and on each index the item is in, the projected part (the
//! directory projects only `listing`; mail entries are keys only). An
//! `UpdateItem` is charged what DynamoDB Local reported on the table, and a
//! mail's retry-index entry 1 unit when removed, 2 when moved.

use crate::pricing::{item_size, value_size};
use crate::recorder::Call;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, Copy)]
pub struct Load {
    pub read: f64,
    pub write: f64,
}

fn s(v: &Value) -> Option<&str> {
    v.get("S").and_then(Value::as_str)
}

fn units(bytes: f64) -> f64 {
    (bytes / 1024.0).ceil().max(1.0)
}

/// The index entries an item puts, with their write units.
fn index_writes(item: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for n in 1..=4 {
        let Some(pk) = item.get(format!("GSI{n}PK")).and_then(s) else {
            continue;
        };
        let keys = [
            "PK".to_owned(),
            "SK".to_owned(),
            format!("GSI{n}PK"),
            format!("GSI{n}SK"),
        ]
        .iter()
        .filter_map(|k| item.get(k).map(|v| k.len() as f64 + value_size(v)))
        .sum::<f64>();
        let projected = if n == 1 {
            keys + item
                .get("listing")
                .map_or(0.0, |v| "listing".len() as f64 + value_size(v))
        } else {
            item_size(item)
        };
        out.push((format!("GSI{n} {pk}"), units(projected)));
    }
    out
}

/// `table <PK>` or `<index> <partition key value>` of a query.
fn query_key(body: &Value) -> Option<String> {
    let cond = body.get("KeyConditionExpression")?.as_str()?;
    let (_, rest) = cond.split_once('=')?;
    let placeholder = rest.split_whitespace().next()?;
    let value = s(&body["ExpressionAttributeValues"][placeholder])?;
    let index = body
        .get("IndexName")
        .and_then(Value::as_str)
        .unwrap_or("table");
    Some(format!("{index} {value}"))
}

/// Units per partition key over `calls`.
pub fn per_key(calls: &[Call]) -> HashMap<String, Load> {
    let mut load: HashMap<String, Load> = HashMap::new();
    let mut write = |k: String, u: f64| load.entry(k).or_default().write += u;
    let mut reads: Vec<(String, f64)> = Vec::new();
    for c in calls.iter().filter(|c| c.service == "DynamoDB") {
        let Ok(body) = serde_json::from_slice::<Value>(&c.body) else {
            continue;
        };
        let put = |item: &Value, factor: f64, write: &mut dyn FnMut(String, f64)| {
            if let Some(pk) = item.get("PK").and_then(s) {
                write(format!("table {pk}"), factor * units(item_size(item)));
            }
            for (k, u) in index_writes(item) {
                write(k, factor * u);
            }
        };
        let update = |u: &Value, factor: f64, reported: f64, write: &mut dyn FnMut(String, f64)| {
            let Some(pk) = u["Key"].get("PK").and_then(s) else {
                return;
            };
            write(format!("table {pk}"), factor * reported.max(1.0));
            let expr = u["UpdateExpression"].as_str().unwrap_or_default();
            if let Some(id) = pk.strip_prefix("MAIL#").and_then(|i| i.parse().ok()) {
                let shard = balcao_aws::dynamo::keys::outbox_shard(balcao_app::ports::MailId(id));
                if expr.contains("GSI1SK =") {
                    write(format!("GSI1 {shard}"), 2.0);
                } else if expr.contains("GSI1PK") {
                    write(format!("GSI1 {shard}"), 1.0);
                }
            }
        };
        match c.op.as_str() {
            "GetItem" => {
                if let Some(pk) = s(&body["Key"]["PK"]) {
                    reads.push((format!("table {pk}"), c.capacity.read));
                }
            }
            "Query" => {
                if let Some(k) = query_key(&body) {
                    reads.push((k, c.capacity.read));
                }
            }
            "PutItem" if !c.refused => put(&body["Item"], 1.0, &mut write),
            "UpdateItem" if !c.refused => update(&body, 1.0, c.capacity.write, &mut write),
            "DeleteItem" => {
                if let Some(pk) = s(&body["Key"]["PK"]) {
                    write(format!("table {pk}"), 1.0);
                }
            }
            "BatchWriteItem" => {
                for reqs in body["RequestItems"]
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                {
                    for r in reqs.as_array().into_iter().flatten() {
                        if let Some(p) = r.get("PutRequest") {
                            put(&p["Item"], 1.0, &mut write);
                        }
                    }
                }
            }
            "TransactWriteItems" if !c.refused => {
                for t in body["TransactItems"].as_array().into_iter().flatten() {
                    if let Some(p) = t.get("Put") {
                        put(&p["Item"], 2.0, &mut write);
                    } else if let Some(u) = t.get("Update") {
                        // Counters, slots and the city list: small items.
                        update(u, 2.0, 1.0, &mut write);
                    } else if let Some(d) = t.get("Delete").or_else(|| t.get("ConditionCheck"))
                        && let Some(pk) = s(&d["Key"]["PK"])
                    {
                        write(format!("table {pk}"), 2.0);
                    }
                }
            }
            // A refused write is billed one unit on its item's partition.
            _ if c.refused => {
                let pk = s(&body["Key"]["PK"]).or_else(|| s(&body["Item"]["PK"]));
                if let Some(pk) = pk {
                    write(format!("table {pk}"), 1.0);
                }
            }
            _ => {}
        }
    }
    for (k, u) in reads {
        load.entry(k).or_default().read += u;
    }
    load
}

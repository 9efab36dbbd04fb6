//! Protocol lookup (SPEC C11): staff publish a registry protocol's status and
//! history, one at a time or from a CSV file; a citizen finds it with its
//! number and CPF. A wrong CPF answers exactly like an unknown number.

use crate::keys::HmacKey;
use crate::limits::{self, Admission};
use crate::ports::PublishedProtocol;
use crate::{App, AppError};
use balcao_core::{Cpf, OfficeId, ProtocolUpdate, StaffMember, protocol_key};
use subtle::ConstantTimeEq;

const NOT_FOUND: AppError = AppError::NotFound("protocolo com este número e CPF");
/// Refusals listed back to whoever sent the CSV.
const MAX_REPORTED: usize = 20;

/// Keyed: CPFs are few enough that a plain hash falls to a search of them all.
fn cpf_hash(secret: &HmacKey, office: &OfficeId, key: &str, cpf: &Cpf) -> String {
    secret.mac_hex("protocol-cpf", &[office.as_str(), key, cpf.digits()])
}

fn published(
    app: &App,
    secret: &HmacKey,
    staff: &StaffMember,
    u: ProtocolUpdate,
) -> PublishedProtocol {
    let key = protocol_key(u.number.as_str());
    PublishedProtocol {
        office: staff.office.clone(),
        cpf_hash: cpf_hash(secret, &staff.office, &key, &u.cpf),
        key,
        number: u.number.as_str().to_owned(),
        status: u.status,
        history: u.history,
        updated_at: app.clock.now(),
        updated_by: staff.name.clone(),
    }
}

/// One protocol from the staff form.
pub async fn publish(
    app: &App,
    staff: &StaffMember,
    number: &str,
    cpf: &str,
    status: &str,
    history: &str,
) -> Result<PublishedProtocol, AppError> {
    let update = ProtocolUpdate::parse(number, cpf, status, history)
        .map_err(|(field, message)| AppError::invalid(field, &message))?;
    let p = published(app, app.keys.get().await?, staff, update);
    app.publications
        .put_protocols(std::slice::from_ref(&p))
        .await?;
    Ok(p)
}

/// Every protocol of a CSV file, or none if any row is bad (each bad row is named).
pub async fn import(app: &App, staff: &StaffMember, csv: &str) -> Result<usize, AppError> {
    let updates = ProtocolUpdate::parse_csv(csv).map_err(|errors| {
        let mut lines: Vec<String> = errors
            .iter()
            .take(MAX_REPORTED)
            .map(ToString::to_string)
            .collect();
        if errors.len() > MAX_REPORTED {
            lines.push(format!(
                "e mais {} linha(s) com problemas",
                errors.len() - MAX_REPORTED
            ));
        }
        AppError::invalid("csv", &lines.join("; "))
    })?;
    let secret = app.keys.get().await?;
    let protocols: Vec<PublishedProtocol> = updates
        .into_iter()
        .map(|u| published(app, secret, staff, u))
        .collect();
    app.publications.put_protocols(&protocols).await?;
    Ok(protocols.len())
}

/// The citizen's lookup. A wrong CPF answers exactly like an unknown number, and
/// after a few misses the number answers "too many" for an hour, whatever CPF:
/// the masked CPF a page shows leaves too few candidates to allow guessing.
pub async fn lookup(
    app: &App,
    office: &str,
    number: &str,
    cpf: &str,
) -> Result<PublishedProtocol, AppError> {
    let cpf = Cpf::parse(cpf).map_err(|e| AppError::invalid("cpf", &e.to_string()))?;
    let office = OfficeId::parse(office).map_err(|_| NOT_FOUND)?;
    let key = protocol_key(number);
    if key.is_empty() {
        return Err(NOT_FOUND);
    }
    let now = app.clock.now();
    let counter = limits::protocol_key(&office, &key);
    let limit = limits::PROTOCOL_MISSES;
    let locked = |until| {
        AppError::too_many(
            "cpf",
            "Muitas consultas com CPF que não confere para este protocolo.",
            now,
            until,
        )
    };
    if let Some((misses, until)) = app.limits.count(&counter, now).await?
        && misses >= limit.max
    {
        return Err(locked(until));
    }
    let found = app.publications.get_protocol(&office, &key).await?;
    let presented = cpf_hash(app.keys.get().await?, &office, &key, &cpf);
    if let Some(p) = found
        && bool::from(presented.as_bytes().ct_eq(p.cpf_hash.as_bytes()))
    {
        return Ok(p);
    }
    // Each miss counts once, whether the number exists or not.
    let miss = ulid::Ulid::generate().to_string();
    match app
        .limits
        .admit(&counter, &miss, limit.max, limit.window, now)
        .await?
    {
        Admission::Limited { until } => Err(locked(until)),
        Admission::Admitted => Err(NOT_FOUND),
    }
}

//! AlterUserScramCredentials (key 51, v0), with the checks and messages of Kafka's
//! `ScramControlManager`: a user may appear once per request (DUPLICATE_RESOURCE), names must
//! not be empty, mechanisms must be SCRAM-SHA-256/512, iterations within 4096..=16384, and only
//! existing credentials can be deleted. The client sends a salted password; the broker keeps
//! the stored key and server key derived from it (never the salted password itself).

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::broker::logging;
use crate::broker::security::scram_store::Change;
use crate::broker::state::Broker;
use crate::protocol::scram::{Credential, Mechanism, MAX_ITERATIONS, MIN_ITERATIONS};

const UNKNOWN_SERVER_ERROR: i16 = -1;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
const DUPLICATE_RESOURCE: i16 = 92;
const RESOURCE_NOT_FOUND: i16 = 91;
const UNACCEPTABLE_CREDENTIAL: i16 = 93;

type ApiError = (i16, String);

fn error(code: i16, message: &str) -> ApiError {
    (code, message.to_string())
}

fn validate_name_and_mechanism(name: &str, mechanism: i8) -> Result<Mechanism, ApiError> {
    if name.is_empty() {
        return Err(error(UNACCEPTABLE_CREDENTIAL, "Username must not be empty"));
    }
    Mechanism::from_type_id(mechanism)
        .ok_or_else(|| error(UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"))
}

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: AlterUserScramCredentialsRequest,
) -> AlterUserScramCredentialsResponse {
    let duplicate = || {
        error(
            DUPLICATE_RESOURCE,
            "A user credential cannot be altered twice in the same request",
        )
    };
    let mut changes: BTreeMap<String, Change> = BTreeMap::new();
    let mut errors: BTreeMap<String, ApiError> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for deletion in &request.deletions {
        let name = deletion.name.to_string();
        if errors.contains_key(&name) {
            continue;
        }
        if changes.remove(&name).is_some() {
            errors.insert(name.clone(), duplicate());
            continue;
        }
        match validate_name_and_mechanism(&name, deletion.mechanism) {
            Ok(mechanism) if !broker.scram.contains(&name, mechanism) => {
                errors.insert(
                    name.clone(),
                    error(
                        RESOURCE_NOT_FOUND,
                        "Attempt to delete a user credential that does not exist",
                    ),
                );
            }
            Ok(mechanism) => {
                changes.insert(name.clone(), Change::Delete(name.clone(), mechanism));
            }
            Err(e) => {
                errors.insert(name.clone(), e);
            }
        }
        if seen.insert(name.clone()) {
            order.push(name);
        }
    }
    for upsertion in &request.upsertions {
        let name = upsertion.name.to_string();
        if errors.contains_key(&name) {
            continue;
        }
        if changes.remove(&name).is_some() {
            errors.insert(name.clone(), duplicate());
            continue;
        }
        let checked = validate_name_and_mechanism(&name, upsertion.mechanism).and_then(|m| {
            if upsertion.iterations < MIN_ITERATIONS {
                Err(error(UNACCEPTABLE_CREDENTIAL, "Too few iterations"))
            } else if upsertion.iterations > MAX_ITERATIONS {
                Err(error(UNACCEPTABLE_CREDENTIAL, "Too many iterations"))
            } else {
                Ok(m)
            }
        });
        match checked {
            Ok(mechanism) => {
                let credential = Credential::from_salted_password(
                    mechanism,
                    upsertion.salt.to_vec(),
                    &upsertion.salted_password,
                    upsertion.iterations,
                );
                changes.insert(
                    name.clone(),
                    Change::Upsert(name.clone(), mechanism, credential),
                );
            }
            Err(e) => {
                errors.insert(name.clone(), e);
            }
        }
        if seen.insert(name.clone()) {
            order.push(name);
        }
    }
    let applied: Vec<Change> = changes.values().cloned().collect();
    if !applied.is_empty() {
        if let Err(e) = broker.scram.apply(applied) {
            logging::warn(&format!("Failed to persist SCRAM credentials: {e}"));
            for name in changes.keys() {
                errors.insert(name.clone(), (UNKNOWN_SERVER_ERROR, e.to_string()));
            }
        }
    }
    let results = order
        .into_iter()
        .map(|user| {
            let (code, message) = match errors.get(&user) {
                Some((code, message)) => (*code, Some(StrBytes::from_string(message.clone()))),
                None => (0, None),
            };
            AlterUserScramCredentialsResult::default()
                .with_user(StrBytes::from_string(user))
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    AlterUserScramCredentialsResponse::default().with_results(results)
}

//! DescribeUserScramCredentials (key 50, v0), as Kafka's `ScramImage.describe` answers it: the
//! mechanisms and iteration counts of the named users (all users when none are named), a user
//! named twice gets DUPLICATE_RESOURCE and an unknown user RESOURCE_NOT_FOUND. Salts and keys
//! never leave the broker.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::broker::state::Broker;

const DUPLICATE_RESOURCE: i16 = 92;
const RESOURCE_NOT_FOUND: i16 = 91;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: DescribeUserScramCredentialsRequest,
) -> DescribeUserScramCredentialsResponse {
    let known = broker.scram.describe();
    // User name → named more than once; an absent or empty list means every user.
    let mut wanted: BTreeMap<String, bool> = BTreeMap::new();
    match request.users.as_deref() {
        None | Some([]) => {
            wanted.extend(known.keys().map(|u| (u.clone(), false)));
        }
        Some(users) => {
            for user in users {
                let name = user.name.to_string();
                let seen = wanted.contains_key(&name);
                wanted.insert(name, seen);
            }
        }
    }
    let results = wanted
        .into_iter()
        .map(|(user, duplicate)| {
            let result =
                DescribeUserScramCredentialsResult::default().with_user(StrBytes::from_string(user.clone()));
            if duplicate {
                return result.with_error_code(DUPLICATE_RESOURCE).with_error_message(Some(
                    StrBytes::from_string(format!(
                        "Cannot describe SCRAM credentials for the same user twice in a single request: {user}"
                    )),
                ));
            }
            match known.get(&user) {
                Some(credentials) => result.with_credential_infos(
                    credentials
                        .iter()
                        .map(|(mechanism, iterations)| {
                            CredentialInfo::default()
                                .with_mechanism(mechanism.type_id())
                                .with_iterations(*iterations)
                        })
                        .collect(),
                ),
                None => result.with_error_code(RESOURCE_NOT_FOUND).with_error_message(Some(
                    StrBytes::from_string(format!(
                        "Attempt to describe a user credential that does not exist: {user}"
                    )),
                )),
            }
        })
        .collect();
    DescribeUserScramCredentialsResponse::default().with_results(results)
}

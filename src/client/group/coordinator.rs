//! Finding a group's coordinator (FindCoordinator v0–v6, keys batched from v4) and running
//! requests there: the coordinator is whichever broker leads the group's `__consumer_offsets`
//! partition, often not the leader of the partitions being consumed. NOT_COORDINATOR,
//! COORDINATOR_NOT_AVAILABLE and lost connections send us back to FindCoordinator;
//! COORDINATOR_LOAD_IN_PROGRESS waits at the same broker; every retry is backed off and the
//! whole operation is bounded by `default.api.timeout.ms`.
//!
//! Owns discovery and retry classification; what to send is the caller's business.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::FindCoordinatorRequest;
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;

use crate::client::cluster::{BrokerInfo, Cluster};
use crate::client::connection::Connection;
use crate::client::error::{ClientError, ClientResult};

/// FindCoordinator `key_type` of consumer groups.
const KEY_TYPE_GROUP: i8 = 0;
/// The first FindCoordinator version with batched `coordinator_keys`.
const BATCHED_VERSION: i16 = 4;
/// The first FindCoordinator version with `key_type`.
const KEY_TYPE_VERSION: i16 = 1;

/// What a caller should do about an error from a coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinatorError {
    /// Find the coordinator again, then retry.
    Rediscover,
    /// Retry at the same coordinator after a backoff (it is loading the group).
    Wait,
    /// Not a coordinator problem.
    Other,
}

/// Classifies `error` as the group APIs must treat it.
pub fn classify(error: &ClientError) -> CoordinatorError {
    match error {
        ClientError::Disconnected { .. }
        | ClientError::Timeout { .. }
        | ClientError::Connect { .. } => CoordinatorError::Rediscover,
        ClientError::Kafka { error, .. } => match error {
            ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable => {
                CoordinatorError::Rediscover
            }
            ResponseError::CoordinatorLoadInProgress => CoordinatorError::Wait,
            _ => CoordinatorError::Other,
        },
        _ => CoordinatorError::Other,
    }
}

/// An error for `code` about group `group_id`, or `Ok` for NONE.
pub fn group_error(code: i16, message: Option<String>, group_id: &str) -> ClientResult<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(ClientError::kafka(
            code,
            message,
            format!("group {group_id}"),
        ))
    }
}

/// One FindCoordinator round for `group_ids` at any broker: each key's coordinator or its error.
/// Batched in one request from v4; one request per key before.
pub async fn find_coordinators(
    cluster: &Cluster,
    group_ids: &[String],
) -> ClientResult<BTreeMap<String, ClientResult<BrokerInfo>>> {
    let connection = cluster.any_connection().await?;
    let version = connection.version_for::<FindCoordinatorRequest>()?;
    let mut found = BTreeMap::new();
    if version >= BATCHED_VERSION {
        let request = FindCoordinatorRequest::default()
            .with_key_type(KEY_TYPE_GROUP)
            .with_coordinator_keys(
                group_ids
                    .iter()
                    .map(|g| StrBytes::from_string(g.clone()))
                    .collect(),
            );
        let response = connection.send_at(request, version).await?;
        for c in response.coordinators {
            let key = c.key.to_string();
            let result = group_error(c.error_code, c.error_message.map(|m| m.to_string()), &key)
                .map(|()| BrokerInfo {
                    node_id: c.node_id.0,
                    host: c.host.to_string(),
                    port: c.port,
                    rack: None,
                });
            found.insert(key, result);
        }
    } else {
        for group_id in group_ids {
            let mut request =
                FindCoordinatorRequest::default().with_key(StrBytes::from_string(group_id.clone()));
            if version >= KEY_TYPE_VERSION {
                request = request.with_key_type(KEY_TYPE_GROUP);
            }
            let response = connection.send_at(request, version).await?;
            // v1-3 send the literal "NONE" as the message of a success: not an error text.
            let message = response
                .error_message
                .map(|m| m.to_string())
                .filter(|_| response.error_code != 0);
            let result = group_error(response.error_code, message, group_id).map(|()| BrokerInfo {
                node_id: response.node_id.0,
                host: response.host.to_string(),
                port: response.port,
                rack: None,
            });
            found.insert(group_id.clone(), result);
        }
    }
    for group_id in group_ids {
        found.entry(group_id.clone()).or_insert_with(|| {
            Err(ClientError::kafka(
                ResponseError::CoordinatorNotAvailable.code(),
                None,
                format!("group {group_id}: FindCoordinator answered no coordinator"),
            ))
        });
    }
    Ok(found)
}

/// The coordinator of `group_id`, retrying (backed off, bounded by the API timeout) while the
/// cluster says it is not available yet (Kafka creates `__consumer_offsets` on first use).
pub async fn find_coordinator(cluster: &Cluster, group_id: &str) -> ClientResult<BrokerInfo> {
    let key = [group_id.to_string()];
    cluster
        .retry(&format!("FindCoordinator for group {group_id}"), || async {
            let mut found = find_coordinators(cluster, &key).await?;
            found.remove(group_id).unwrap_or_else(|| {
                Err(ClientError::Other(format!(
                    "FindCoordinator answered nothing for group {group_id}"
                )))
            })
        })
        .await
}

/// Runs `operation` against the coordinator of `group_id` until it succeeds, fails for a reason
/// other than the coordinator, or the API timeout passes. `operation` gets a connection to the
/// current coordinator and returns coordinator errors as `ClientError::Kafka`.
pub async fn at_coordinator<T, F, Fut>(
    cluster: &Cluster,
    group_id: &str,
    what: &str,
    mut operation: F,
) -> ClientResult<T>
where
    F: FnMut(Arc<Connection>) -> Fut,
    Fut: Future<Output = ClientResult<T>>,
{
    let config = cluster.config();
    let deadline = Instant::now() + config.api_timeout;
    let mut backoff = config.retry_backoff;
    let mut coordinator: Option<BrokerInfo> = None;
    loop {
        let attempt = async {
            let broker = match &coordinator {
                Some(b) => b.clone(),
                None => find_coordinator(cluster, group_id).await?,
            };
            coordinator = Some(broker.clone());
            let connection = cluster.connection_to(&broker.address()).await?;
            operation(connection).await
        };
        let error = match attempt.await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let class = classify(&error);
        if class == CoordinatorError::Other && !error.is_retriable() {
            return Err(error);
        }
        if class != CoordinatorError::Wait {
            coordinator = None;
        }
        if Instant::now() + backoff >= deadline {
            return Err(ClientError::Other(format!(
                "{what} for group {group_id} did not succeed within {} ms: {error}",
                config.api_timeout.as_millis()
            )));
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.retry_backoff_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinator_errors_are_classified_as_java_treats_them() {
        let kafka = |code: i16| ClientError::kafka(code, None, "");
        assert_eq!(classify(&kafka(16)), CoordinatorError::Rediscover);
        assert_eq!(classify(&kafka(15)), CoordinatorError::Rediscover);
        assert_eq!(classify(&kafka(14)), CoordinatorError::Wait);
        assert_eq!(classify(&kafka(25)), CoordinatorError::Other);
        let lost = ClientError::Disconnected {
            broker: "b:1".into(),
            reason: "closed".into(),
        };
        assert_eq!(classify(&lost), CoordinatorError::Rediscover);
        assert!(group_error(0, None, "g").is_ok());
        let error = group_error(69, Some("Group g not found.".into()), "g").unwrap_err();
        assert_eq!(error.code(), Some(ResponseError::GroupIdNotFound));
        assert_eq!(error.to_string(), "Group g not found. (group g)");
    }
}

//! Client errors. Each carries the context a user needs to act on it: the API, the broker address,
//! and where relevant the topic and partition.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;

/// Something that went wrong talking to a Kafka cluster.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to broker {broker}: {reason}")]
    Connect { broker: String, reason: String },
    /// A broker the cluster metadata names could not be reached: it may have just left the
    /// cluster, so fresh metadata and a retry may route around it.
    #[error("cannot connect to broker {node_id} at {broker}: {reason}")]
    BrokerUnreachable {
        node_id: i32,
        broker: String,
        reason: String,
    },
    /// TLS or SASL authentication failed: retrying with the same settings cannot succeed.
    #[error("{message}")]
    Authentication { broker: String, message: String },
    #[error("connection to broker {broker} lost: {reason}")]
    Disconnected { broker: String, reason: String },
    #[error("{api:?} request to broker {broker} timed out after {timeout_ms} ms")]
    Timeout {
        api: ApiKey,
        broker: String,
        timeout_ms: u64,
    },
    #[error(
        "broker {broker} does not support {api:?} at any version this client speaks ({detail})"
    )]
    UnsupportedVersion {
        api: ApiKey,
        broker: String,
        detail: String,
    },
    #[error("{api:?} to broker {broker}: {reason}")]
    Protocol {
        api: ApiKey,
        broker: String,
        reason: String,
    },
    #[error("{}", kafka_message(.error, .message, .context))]
    Kafka {
        error: ResponseError,
        message: Option<String>,
        /// What the error is about, e.g. `topic orders partition 3` (may be empty).
        context: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Other(String),
}

fn kafka_message(error: &ResponseError, message: &Option<String>, context: &str) -> String {
    let text = match message {
        Some(m) if !m.is_empty() => m.clone(),
        _ => super::errors::default_message(*error).to_string(),
    };
    if context.is_empty() {
        text
    } else {
        format!("{text} ({context})")
    }
}

impl ClientError {
    /// A Kafka error code from a response, with its message and context.
    pub fn kafka(code: i16, message: Option<String>, context: impl Into<String>) -> ClientError {
        ClientError::Kafka {
            error: ResponseError::try_from_code(code).unwrap_or(ResponseError::Unknown(code)),
            message,
            context: context.into(),
        }
    }

    /// Whether retrying after a metadata refresh may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Disconnected { .. }
            | ClientError::Timeout { .. }
            | ClientError::BrokerUnreachable { .. } => true,
            ClientError::Kafka { error, .. } => error.is_retriable(),
            _ => false,
        }
    }

    /// The Kafka error code, if this is one.
    pub fn code(&self) -> Option<ResponseError> {
        match self {
            ClientError::Kafka { error, .. } => Some(*error),
            _ => None,
        }
    }
}

/// Result with [`ClientError`].
pub type ClientResult<T> = Result<T, ClientError>;

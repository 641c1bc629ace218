//! The coordinator's request and result types: plain Rust values the handlers translate to and
//! from the versioned Kafka messages. Owns no behaviour; keeps the state machine free of wire
//! details (nullable-by-version fields, flexible encodings).

use bytes::Bytes;
use tokio::sync::oneshot;

/// A Kafka error code; [`NONE`] is success.
pub type ErrorCode = i16;
/// The "no error" code.
pub const NONE: ErrorCode = 0;

/// One protocol a member supports, with its opaque metadata (for "consumer" groups a
/// ConsumerProtocol subscription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub name: String,
    pub metadata: Bytes,
}

/// A JoinGroup request, already checked for group id and session-timeout bounds.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<Protocol>,
    pub client_id: String,
    pub client_host: String,
    pub api_version: i16,
    pub reason: Option<String>,
}

/// A member as the leader sees it in a JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// What a JoinGroup is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    pub error: ErrorCode,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub skip_assignment: bool,
    pub member_id: String,
    pub members: Vec<JoinMember>,
}

/// The generation id of a response that carries none.
pub const NO_GENERATION: i32 = -1;

impl JoinResult {
    /// An error answer naming `member_id` (Kafka echoes the id the request carried, or "").
    pub fn error(error: ErrorCode, member_id: impl Into<String>) -> Self {
        JoinResult {
            error,
            generation_id: NO_GENERATION,
            protocol_type: None,
            protocol_name: None,
            leader: String::new(),
            skip_assignment: false,
            member_id: member_id.into(),
            members: Vec::new(),
        }
    }
}

/// A SyncGroup request, already checked for group id and (v5+) protocol presence.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignments: Vec<(String, Bytes)>,
}

/// What a SyncGroup is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncResult {
    pub error: ErrorCode,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncResult {
    pub fn error(error: ErrorCode) -> Self {
        SyncResult {
            error,
            protocol_type: None,
            protocol_name: None,
            assignment: Bytes::new(),
        }
    }
}

/// A response that may be parked until the rebalance moves on. The handler awaits the receiver
/// without holding any lock; a sender dropped unanswered means the member was removed.
pub type Reply<T> = oneshot::Receiver<T>;

/// A Heartbeat request.
#[derive(Debug, Clone)]
pub struct HeartbeatRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

/// One member named in a LeaveGroup request.
#[derive(Debug, Clone)]
pub struct LeavingMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub reason: Option<String>,
}

/// A LeaveGroup answer: a group-level error, else one error per requested member (in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveResult {
    pub error: ErrorCode,
    pub members: Vec<ErrorCode>,
}

/// The identity part of an OffsetCommit request.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    /// v2–4 only; -1 = the broker's retention.
    pub retention_time_ms: i64,
    pub api_version: i16,
}

/// One partition's offset in an OffsetCommit request.
#[derive(Debug, Clone)]
pub struct OffsetToCommit {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// A committed offset as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommittedOffset {
    pub offset: i64,
    /// -1 when the committer gave none.
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp_ms: i64,
    /// Set only by OffsetCommit v2–4 with an explicit retention time.
    pub expire_timestamp_ms: Option<i64>,
}

/// Which partitions an OffsetFetch asks about: `None` = every committed partition.
pub type FetchTopics = Option<Vec<(String, Vec<i32>)>>;

/// One topic of an OffsetFetch answer; `None` = nothing committed for that partition.
pub type FetchedTopic = (String, Vec<(i32, Option<CommittedOffset>)>);

/// One topic of an OffsetDelete answer: each partition with its error.
pub type TopicErrors = (String, Vec<(i32, ErrorCode)>);

/// A group as ListGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    pub state: &'static str,
    pub group_type: &'static str,
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedGroup {
    pub group_id: String,
    pub state: &'static str,
    pub protocol_type: String,
    pub protocol_data: String,
    pub members: Vec<DescribedMember>,
}

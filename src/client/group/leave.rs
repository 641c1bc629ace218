//! LeaveGroup for one member (v0–2: `member_id`; v3+: a `members` batch of one, with a reason
//! from v5). Owns the request shape and its answer; callers decide when to leave.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::{GroupId, LeaveGroupRequest};
use kafka_protocol::protocol::StrBytes;

use super::link::CoordinatorLink;
use crate::client::error::{ClientError, ClientResult};

/// The first LeaveGroup version with the `members` batch.
const BATCH_VERSION: i16 = 3;

/// Sends one LeaveGroup for `member_id` (bounded by `request.timeout.ms`). A member the
/// coordinator no longer knows has already left: that is success.
pub(super) async fn leave_group(
    link: &CoordinatorLink,
    group_id: &str,
    member_id: &str,
    group_instance_id: Option<&str>,
    reason: &str,
) -> ClientResult<()> {
    let connection = link.connection().await?;
    let version = link.version::<LeaveGroupRequest>(&connection)?;
    let mut request =
        LeaveGroupRequest::default().with_group_id(GroupId(StrBytes::from_string(group_id.into())));
    if version >= BATCH_VERSION {
        request = request.with_members(vec![MemberIdentity::default()
            .with_member_id(StrBytes::from_string(member_id.to_string()))
            .with_group_instance_id(group_instance_id.map(|i| StrBytes::from_string(i.into())))
            .with_reason(Some(StrBytes::from_string(reason.to_string())))]);
    } else {
        request = request.with_member_id(StrBytes::from_string(member_id.to_string()));
    }
    let response = link.send(&connection, request, version, true).await?;
    let code = if response.error_code != 0 {
        response.error_code
    } else {
        response
            .members
            .iter()
            .map(|m| m.error_code)
            .find(|&c| c != 0)
            .unwrap_or(0)
    };
    if code == 0 || code == ResponseError::UnknownMemberId.code() {
        Ok(())
    } else {
        Err(ClientError::kafka(
            code,
            None,
            format!("leaving group {group_id}"),
        ))
    }
}

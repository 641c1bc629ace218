//! ApiVersions (key 18): the version table, including the KIP-511 fallback for a request version
//! newer than the broker knows (answered as v0 with UNSUPPORTED_VERSION and our own range).

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use super::{decode_body, encode, Outcome, RequestContext};
use crate::protocol::versions;

/// The newest ApiVersions version the broker answers at.
fn max_version() -> i16 {
    versions::broker_range(ApiKey::ApiVersions).map_or(0, |r| r.max)
}

pub fn dispatch(ctx: &RequestContext, body: Bytes) -> Outcome {
    if ctx.api_version > max_version() {
        // KIP-511: do not parse the body; answer v0 with our ApiVersions range only.
        let response = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(vec![api_version_entry(
                versions::broker_range(ApiKey::ApiVersions).expect("ApiVersions is advertised"),
            )]);
        return encode(&response, 0);
    }
    let request: ApiVersionsRequest = match decode_body(body, ctx.api_version) {
        Ok(request) => request,
        Err(reason) => return Outcome::Close(reason),
    };
    encode(&handle(ctx, &request), ctx.api_version)
}

fn handle(ctx: &RequestContext, request: &ApiVersionsRequest) -> ApiVersionsResponse {
    if ctx.api_version >= 3
        && !(valid_software_field(&request.client_software_name)
            && valid_software_field(&request.client_software_version))
    {
        return ApiVersionsResponse::default()
            .with_error_code(ResponseError::InvalidRequest.code());
    }
    ApiVersionsResponse::default()
        .with_api_keys(
            versions::BROKER_APIS
                .iter()
                .copied()
                .map(api_version_entry)
                .collect(),
        )
        .with_finalized_features_epoch(-1)
}

fn api_version_entry(range: versions::ApiRange) -> ApiVersion {
    ApiVersion::default()
        .with_api_key(range.key as i16)
        .with_min_version(range.min)
        .with_max_version(range.max)
}

/// `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`, Kafka's rule for client software name/version.
fn valid_software_field(value: &str) -> bool {
    let bytes = value.as_bytes();
    let edge_ok = |b: u8| b.is_ascii_alphanumeric();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            edge_ok(first)
                && edge_ok(last)
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::valid_software_field;

    #[test]
    fn software_field_rule() {
        assert!(valid_software_field("apache-kafka-java"));
        assert!(valid_software_field("4.1.0"));
        assert!(valid_software_field("a"));
        assert!(!valid_software_field(""));
        assert!(!valid_software_field("-a"));
        assert!(!valid_software_field("a b"));
        assert!(!valid_software_field("a."));
    }
}

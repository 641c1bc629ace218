//! Small conversions shared by the group-coordinator handlers: wire strings to Rust strings and
//! back, and the client host as Kafka shows it. Owns no protocol behaviour.

use std::net::IpAddr;

use kafka_protocol::protocol::StrBytes;

use super::RequestContext;

pub fn string(s: &StrBytes) -> String {
    s.as_str().to_string()
}

pub fn optional(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(string)
}

pub fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

pub fn optional_str_bytes(s: Option<String>) -> Option<StrBytes> {
    s.map(StrBytes::from_string)
}

/// The header's client id ("" when absent).
pub fn client_id(ctx: &RequestContext) -> String {
    ctx.client_id.clone().unwrap_or_default()
}

/// The client's address as Java's `InetAddress.toString()` prints it (`/127.0.0.1`, IPv6 in
/// full uncompressed form), which DescribeGroups and kafka-consumer-groups show.
pub fn client_host(ctx: &RequestContext) -> String {
    match ctx.peer.ip() {
        IpAddr::V4(ip) => format!("/{ip}"),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => format!("/{v4}"),
            None => {
                let segments: Vec<String> =
                    ip.segments().iter().map(|s| format!("{s:x}")).collect();
                format!("/{}", segments.join(":"))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiKey;

    fn ctx(peer: &str) -> RequestContext {
        RequestContext {
            api_key: ApiKey::JoinGroup,
            api_version: 0,
            correlation_id: 0,
            client_id: None,
            peer: peer.parse().unwrap(),
            local: "127.0.0.1:9092".parse().unwrap(),
        }
    }

    #[test]
    fn client_hosts_print_like_java() {
        assert_eq!(client_host(&ctx("127.0.0.1:5000")), "/127.0.0.1");
        assert_eq!(client_host(&ctx("[::1]:5000")), "/0:0:0:0:0:0:0:1");
        assert_eq!(client_host(&ctx("[::ffff:10.0.0.1]:5000")), "/10.0.0.1");
    }
}

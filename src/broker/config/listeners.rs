//! `listeners` / `advertised.listeners` endpoints (`NAME://host:port`) and
//! `listener.security.protocol.map`, parsed and checked with Kafka's rules and messages. Owns
//! syntax and validation; binding sockets is `kafka-server-start`'s job.

use std::collections::BTreeMap;
use std::fmt;

use super::values::{invalid, split_list};
use crate::{Error, Result};

/// Kafka's default `listener.security.protocol.map`: each protocol is a listener name of its own.
pub const DEFAULT_SECURITY_PROTOCOL_MAP: &str =
    "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

/// The security protocol of a listener with no TLS and no SASL.
pub const PLAINTEXT: &str = "PLAINTEXT";

/// Kafka's security protocols, all served by the bundled broker (see [`crate::broker::security`]).
pub const SECURITY_PROTOCOLS: [&str; 4] = [PLAINTEXT, "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/// One `NAME://host:port` entry of `listeners` or `advertised.listeners`. An empty host means every
/// interface when binding; the name is upper-cased as Kafka normalises listener names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.name, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.name, self.host, self.port)
        }
    }
}

/// Parses a comma-separated endpoint list; listener names must be unique.
pub fn parse_listeners(key: &str, raw: &str) -> Result<Vec<Listener>> {
    let mut listeners: Vec<Listener> = Vec::new();
    for item in split_list(raw) {
        let listener = parse_endpoint(&item)?;
        if listeners.iter().any(|l| l.name == listener.name) {
            return Err(Error::Config(format!(
                "Each listener must have a different name, {key}: {raw}"
            )));
        }
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Parses one `NAME://host:port` (`NAME://[v6addr]:port` for IPv6).
pub fn parse_endpoint(item: &str) -> Result<Listener> {
    let unparsable = || Error::Config(format!("Unable to parse {item} to a broker endpoint"));
    let (name, address) = item.split_once("://").ok_or_else(unparsable)?;
    let (host, port) = match address.strip_prefix('[') {
        Some(bracketed) => {
            let (host, rest) = bracketed.split_once(']').ok_or_else(unparsable)?;
            (host, rest.strip_prefix(':').ok_or_else(unparsable)?)
        }
        None => address.rsplit_once(':').ok_or_else(unparsable)?,
    };
    let host_chars_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':'));
    if name.is_empty() || !host_chars_ok {
        return Err(unparsable());
    }
    let port: u16 = port.parse().map_err(|_| unparsable())?;
    Ok(Listener {
        name: name.to_ascii_uppercase(),
        host: host.to_string(),
        port,
    })
}

/// Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`); a given map replaces the default.
pub fn security_protocol_map(key: &str, raw: &str) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in split_list(raw) {
        let Some((name, protocol)) = item.split_once(':') else {
            return Err(invalid(
                key,
                raw,
                format!("Map entry {item} is not of the form NAME:PROTOCOL"),
            ));
        };
        let protocol = protocol.trim().to_ascii_uppercase();
        if !SECURITY_PROTOCOLS.contains(&protocol.as_str()) {
            return Err(invalid(
                key,
                raw,
                format!(
                    "Unknown security protocol {protocol}; expected one of {}",
                    SECURITY_PROTOCOLS.join(", ")
                ),
            ));
        }
        map.insert(name.trim().to_ascii_uppercase(), protocol);
    }
    Ok(map)
}

/// Checks that `listener` can be served: its name maps to a security protocol (TLS and SASL
/// settings are checked when the listener's security is built).
pub fn check_servable(listener: &Listener, protocols: &BTreeMap<String, String>) -> Result<()> {
    let Some(protocol) = protocols.get(&listener.name) else {
        return Err(Error::Config(format!(
            "No security protocol defined for listener {}",
            listener.name
        )));
    };
    debug_assert!(SECURITY_PROTOCOLS.contains(&protocol.as_str()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(name: &str, host: &str, port: u16) -> Listener {
        Listener {
            name: name.into(),
            host: host.into(),
            port,
        }
    }

    #[test]
    fn endpoints_with_empty_named_and_ipv6_hosts() {
        assert_eq!(
            parse_listeners(
                "listeners",
                "PLAINTEXT://:9092, controller://localhost:9093"
            )
            .unwrap(),
            vec![
                listener("PLAINTEXT", "", 9092),
                listener("CONTROLLER", "localhost", 9093)
            ]
        );
        assert_eq!(
            parse_endpoint("PLAINTEXT://[::1]:0").unwrap(),
            listener("PLAINTEXT", "::1", 0)
        );
        assert_eq!(
            parse_endpoint("PLAINTEXT://[::1]:0").unwrap().to_string(),
            "PLAINTEXT://[::1]:0"
        );
        assert_eq!(
            parse_endpoint("EXTERNAL://0.0.0.0:19092").unwrap(),
            listener("EXTERNAL", "0.0.0.0", 19092)
        );
    }

    #[test]
    fn malformed_endpoints_and_duplicate_names_are_refused() {
        for bad in [
            "localhost:9092",
            "PLAINTEXT://localhost",
            "PLAINTEXT://localhost:http",
            "PLAINTEXT://localhost:70000",
            "PLAINTEXT://[::1:9092",
            "://localhost:9092",
            "PLAINTEXT://local host:9092",
        ] {
            assert_eq!(
                parse_endpoint(bad).unwrap_err().to_string(),
                format!("invalid configuration: Unable to parse {bad} to a broker endpoint")
            );
        }
        let err = parse_listeners("listeners", "PLAINTEXT://:1,PLAINTEXT://:2").unwrap_err();
        assert!(err.to_string().ends_with(
            "Each listener must have a different name, listeners: PLAINTEXT://:1,PLAINTEXT://:2"
        ));
    }

    #[test]
    fn listeners_need_a_mapped_security_protocol() {
        let map = security_protocol_map("m", DEFAULT_SECURITY_PROTOCOL_MAP).unwrap();
        assert!(check_servable(&listener("PLAINTEXT", "", 1), &map).is_ok());
        assert!(check_servable(&listener("SASL_SSL", "", 1), &map).is_ok());
        let err = check_servable(&listener("EXTERNAL", "", 1), &map).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("No security protocol defined for listener EXTERNAL"));
        let map = security_protocol_map("m", "external:plaintext").unwrap();
        assert!(check_servable(&listener("EXTERNAL", "", 1), &map).is_ok());
        assert!(security_protocol_map("m", "A:TLS").is_err());
        assert!(security_protocol_map("m", "A").is_err());
    }
}

//! Listener security: what each listener's security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT,
//! SASL_SSL) needs, built from Kafka's keys — `ssl.*` and `sasl.enabled.mechanisms`, each also
//! under `listener.name.<listener>.`, and `listener.name.<listener>.<mechanism>.sasl.jaas.config`.
//!
//! - [`sasl`] is the per-connection SASL exchange (SaslHandshake / SaslAuthenticate) that gates
//!   every other request on a SASL listener.
//! - [`scram_store`] keeps SCRAM credentials (never passwords) in the data directory.
//! - [`transport`] accepts TLS and hands the connection loop one stream type.
//!
//! This module reads certificate files; it must not bind sockets (that is the caller's job).

pub mod sasl;
pub mod scram_store;
pub mod transport;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;

use super::config::{listeners, BrokerConfig};
use crate::protocol::jaas::{self, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE};
use crate::protocol::scram::Mechanism;
use crate::tls;
use crate::{Error, Result};

/// The SASL/PLAIN mechanism name.
pub const PLAIN: &str = "PLAIN";
/// Kafka's `sasl.enabled.mechanisms` default (which kafkit cannot serve).
const DEFAULT_SASL_MECHANISMS: &str = "GSSAPI";
/// Kafka's `ssl.client.auth` default.
const DEFAULT_CLIENT_AUTH: &str = "none";

/// Whether a listener wraps connections in TLS and whether it requires SASL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub fn parse(name: &str) -> Option<SecurityProtocol> {
        match name.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }

    /// Kafka's name for the protocol.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// A SASL mechanism the broker serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    Scram(Mechanism),
}

impl SaslMechanism {
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => PLAIN,
            SaslMechanism::Scram(m) => m.name(),
        }
    }

    fn parse(name: &str) -> Option<SaslMechanism> {
        if name == PLAIN {
            return Some(SaslMechanism::Plain);
        }
        Mechanism::from_name(name).map(SaslMechanism::Scram)
    }
}

/// A SASL listener's settings.
#[derive(Debug, Clone)]
pub struct SaslSettings {
    /// `sasl.enabled.mechanisms`, in the configured order (sent in SaslHandshake responses).
    pub mechanisms: Vec<SaslMechanism>,
    /// PLAIN's `user_<name>="<password>"` entries.
    pub plain_users: BTreeMap<String, String>,
}

/// Everything a listener needs to secure its connections.
#[derive(Clone)]
pub struct ListenerSecurity {
    pub listener: String,
    pub protocol: SecurityProtocol,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub sasl: Option<Arc<SaslSettings>>,
}

impl std::fmt::Debug for ListenerSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSecurity")
            .field("listener", &self.listener)
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl ListenerSecurity {
    /// A PLAINTEXT listener.
    pub fn plaintext() -> ListenerSecurity {
        ListenerSecurity {
            listener: listeners::PLAINTEXT.to_string(),
            protocol: SecurityProtocol::Plaintext,
            tls: None,
            sasl: None,
        }
    }
}

/// A broker key looked up for one listener: `listener.name.<listener>.<key>` wins over `<key>`.
fn listener_value(config: &BrokerConfig, listener: &str, key: &str) -> Option<String> {
    let prefixed = format!("listener.name.{}.{key}", listener.to_ascii_lowercase());
    config
        .raw
        .get(&prefixed)
        .or_else(|| config.raw.get(key))
        .cloned()
}

/// The security protocol `listener` maps to through `listener.security.protocol.map`.
pub fn protocol_of(config: &BrokerConfig, listener: &str) -> Result<SecurityProtocol> {
    let raw = config
        .raw
        .get("listener.security.protocol.map")
        .map(String::as_str)
        .unwrap_or(listeners::DEFAULT_SECURITY_PROTOCOL_MAP);
    let map = listeners::security_protocol_map("listener.security.protocol.map", raw)?;
    map.get(listener)
        .and_then(|p| SecurityProtocol::parse(p))
        .ok_or_else(|| {
            Error::Config(format!(
                "No security protocol defined for listener {listener}"
            ))
        })
}

/// Builds the security of every serving listener, by listener name. Errors name the key.
pub fn for_listeners(config: &BrokerConfig) -> Result<BTreeMap<String, Arc<ListenerSecurity>>> {
    let mut out = BTreeMap::new();
    for listener in &config.listeners {
        let protocol = protocol_of(config, &listener.name)?;
        let tls = if protocol.uses_tls() {
            Some(tls_acceptor(config, &listener.to_string(), &listener.name)?)
        } else {
            None
        };
        let sasl = if protocol.uses_sasl() {
            Some(Arc::new(sasl_settings(config, &listener.name)?))
        } else {
            None
        };
        out.insert(
            listener.name.clone(),
            Arc::new(ListenerSecurity {
                listener: listener.name.clone(),
                protocol,
                tls,
                sasl,
            }),
        );
    }
    Ok(out)
}

fn tls_acceptor(
    config: &BrokerConfig,
    endpoint: &str,
    listener: &str,
) -> Result<tokio_rustls::TlsAcceptor> {
    let get = |key: &str| listener_value(config, listener, key);
    let protocol = protocol_of(config, listener)?;
    let key_store = tls::key_store(&get)
        .map_err(Error::Config)?
        .ok_or_else(|| {
            Error::Config(format!(
                "Listener {endpoint} uses security protocol {} but no key store is configured: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.certificate.chain and ssl.keystore.key)",
                protocol.name()
            ))
        })?;
    let trust = tls::trust_store(&get).map_err(Error::Config)?;
    let client_auth = get("ssl.client.auth")
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_else(|| DEFAULT_CLIENT_AUTH.to_string());
    let builder = rustls::ServerConfig::builder();
    let builder = match client_auth.as_str() {
        "none" => builder.with_no_client_auth(),
        "required" | "requested" => {
            let roots = trust.ok_or_else(|| {
                Error::Config(format!(
                    "ssl.client.auth={client_auth} on listener {listener} needs a trust store (ssl.truststore.type=PEM with ssl.truststore.location or ssl.truststore.certificates)"
                ))
            })?;
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots));
            let verifier = if client_auth == "requested" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| Error::Config(format!("ssl.truststore: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        other => {
            return Err(Error::Config(format!(
                "Invalid value {other} for configuration ssl.client.auth: String must be one of: required, requested, none"
            )))
        }
    };
    let server = builder
        .with_single_cert(key_store.chain, key_store.key)
        .map_err(|e| Error::Config(format!("Invalid key store for listener {listener}: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}

fn sasl_settings(config: &BrokerConfig, listener: &str) -> Result<SaslSettings> {
    let raw = listener_value(config, listener, "sasl.enabled.mechanisms")
        .unwrap_or_else(|| DEFAULT_SASL_MECHANISMS.to_string());
    let mut mechanisms = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let mechanism = SaslMechanism::parse(name).ok_or_else(|| {
            Error::Config(format!(
                "sasl.enabled.mechanisms: {name} is not supported by kafkit (listener {listener}); the supported mechanisms are PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512{}",
                if name == DEFAULT_SASL_MECHANISMS { " (GSSAPI is Kafka's default: set sasl.enabled.mechanisms)" } else { "" }
            ))
        })?;
        if !mechanisms.contains(&mechanism) {
            mechanisms.push(mechanism);
        }
    }
    if mechanisms.is_empty() {
        return Err(Error::Config(format!(
            "sasl.enabled.mechanisms is empty for SASL listener {listener}"
        )));
    }
    let mut plain_users = BTreeMap::new();
    if mechanisms.contains(&SaslMechanism::Plain) {
        let key = jaas_key(listener, PLAIN);
        let value = config.raw.get(&key).ok_or_else(|| {
            Error::Config(format!(
                "{key} is not set: SASL/PLAIN on listener {listener} needs {PLAIN_LOGIN_MODULE} required user_<name>=\"<password>\" ...;"
            ))
        })?;
        let module = jaas::parse(&key, value).map_err(Error::Config)?;
        if module.class != PLAIN_LOGIN_MODULE {
            return Err(Error::Config(format!(
                "{key}: login module {} is not supported for PLAIN; use {PLAIN_LOGIN_MODULE}",
                module.class
            )));
        }
        plain_users = module.users();
    }
    Ok(SaslSettings {
        mechanisms,
        plain_users,
    })
}

/// `listener.name.<listener>.<mechanism>.sasl.jaas.config`, lower-cased as Kafka spells it.
fn jaas_key(listener: &str, mechanism: &str) -> String {
    format!(
        "listener.name.{}.{}.sasl.jaas.config",
        listener.to_ascii_lowercase(),
        mechanism.to_ascii_lowercase()
    )
}

/// SCRAM users to create at start-up when they have no credential yet: the `user_<name>` entries
/// of each SASL listener's `ScramLoginModule` JAAS config (kafkit's stand-in for
/// `kafka-storage format --add-scram`, since there is no format step).
pub fn scram_seeds(config: &BrokerConfig) -> Result<Vec<(String, Mechanism, String)>> {
    let mut seeds = Vec::new();
    for listener in &config.listeners {
        for mechanism in Mechanism::ALL {
            let key = jaas_key(&listener.name, mechanism.name());
            let Some(value) = config.raw.get(&key) else {
                continue;
            };
            let module = jaas::parse(&key, value).map_err(Error::Config)?;
            if module.class != SCRAM_LOGIN_MODULE {
                return Err(Error::Config(format!(
                    "{key}: login module {} is not supported for {}; use {SCRAM_LOGIN_MODULE}",
                    module.class,
                    mechanism.name()
                )));
            }
            for (user, password) in module.users() {
                seeds.push((user, mechanism, password));
            }
        }
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(props: &[(&str, &str)]) -> BrokerConfig {
        let props: BTreeMap<String, String> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BrokerConfig::from_properties(&props).unwrap().0
    }

    #[test]
    fn sasl_listener_settings_and_errors() {
        let c = config(&[
            ("listeners", "SASL_PLAINTEXT://:0"),
            ("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN"),
            (
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="pw";"#,
            ),
            (
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required user_bob="s";"#,
            ),
        ]);
        let security = for_listeners(&c).unwrap();
        let sasl = security["SASL_PLAINTEXT"].sasl.clone().unwrap();
        assert_eq!(
            sasl.mechanisms,
            vec![
                SaslMechanism::Scram(Mechanism::Sha512),
                SaslMechanism::Plain
            ]
        );
        assert_eq!(sasl.plain_users["alice"], "pw");
        assert_eq!(
            scram_seeds(&c).unwrap(),
            vec![("bob".to_string(), Mechanism::Sha512, "s".to_string())]
        );

        let c = config(&[("listeners", "SASL_PLAINTEXT://:0")]);
        let err = for_listeners(&c).unwrap_err().to_string();
        assert!(err.contains("GSSAPI is not supported by kafkit"), "{err}");
        let c = config(&[
            ("listeners", "SASL_PLAINTEXT://:0"),
            ("sasl.enabled.mechanisms", "PLAIN"),
        ]);
        let err = for_listeners(&c).unwrap_err().to_string();
        assert!(
            err.contains("listener.name.sasl_plaintext.plain.sasl.jaas.config is not set"),
            "{err}"
        );
        let c = config(&[("listeners", "SSL://:0")]);
        let err = for_listeners(&c).unwrap_err().to_string();
        assert!(
            err.contains("uses security protocol SSL but no key store is configured"),
            "{err}"
        );
        let c = config(&[("listeners", "PLAINTEXT://:0")]);
        assert!(for_listeners(&c).unwrap()["PLAINTEXT"].tls.is_none());
    }
}

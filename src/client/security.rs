//! Client security settings with Kafka's names and defaults: `security.protocol`,
//! `sasl.mechanism`, `sasl.jaas.config` (PlainLoginModule / ScramLoginModule with `username` and
//! `password`), the PEM `ssl.truststore.*` / `ssl.keystore.*` stores and
//! `ssl.endpoint.identification.algorithm` (`https`, the default, checks the broker's host name;
//! empty turns the check off). Unsupported values (GSSAPI, OAUTHBEARER, JKS stores, ...) are
//! refused with a message naming the key. Owns interpretation; connecting is
//! [`super::connection`]'s job.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::protocol::jaas::{self, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE};
use crate::protocol::scram::Mechanism;
use crate::tls;

/// Kafka's `sasl.mechanism` default (which kafkit cannot use).
const DEFAULT_SASL_MECHANISM: &str = "GSSAPI";
/// Kafka's `ssl.endpoint.identification.algorithm` default.
const HOSTNAME_VERIFICATION: &str = "https";
const SECURITY_PROTOCOLS: &str = "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL";

/// The SASL mechanism and credentials a client authenticates with.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    /// `None` for PLAIN, the SCRAM variant otherwise.
    pub scram: Option<Mechanism>,
    pub username: String,
    pub password: String,
}

impl SaslCredentials {
    pub fn mechanism_name(&self) -> &'static str {
        self.scram.map_or("PLAIN", Mechanism::name)
    }
}

impl std::fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs and error reports.
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism_name())
            .field("username", &self.username)
            .finish()
    }
}

/// How a client secures its connections.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// TLS settings (SSL and SASL_SSL).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// SASL credentials (SASL_PLAINTEXT and SASL_SSL).
    pub sasl: Option<SaslCredentials>,
}

impl Security {
    /// PLAINTEXT: no TLS, no SASL.
    pub fn plaintext() -> Security {
        Security::default()
    }

    /// Reads the security keys of client properties (`--command-config` and the like).
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Security, String> {
        let get = |key: &str| props.get(key).cloned();
        let protocol = get("security.protocol")
            .map(|s| s.trim().to_ascii_uppercase())
            .unwrap_or_else(|| "PLAINTEXT".to_string());
        let (uses_tls, uses_sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => {
                return Err(format!(
                    "Invalid value {other} for configuration security.protocol: String must be one of: {SECURITY_PROTOCOLS}"
                ))
            }
        };
        Ok(Security {
            tls: if uses_tls {
                Some(Arc::new(tls_config(&get)?))
            } else {
                None
            },
            sasl: if uses_sasl {
                Some(sasl_credentials(&get, &protocol)?)
            } else {
                None
            },
        })
    }
}

fn sasl_credentials(
    get: &dyn Fn(&str) -> Option<String>,
    protocol: &str,
) -> Result<SaslCredentials, String> {
    let mechanism = get("sasl.mechanism")
        .map(|m| m.trim().to_string())
        .unwrap_or_else(|| DEFAULT_SASL_MECHANISM.to_string());
    let (scram, module_class) = match mechanism.as_str() {
        "PLAIN" => (None, PLAIN_LOGIN_MODULE),
        other => match Mechanism::from_name(other) {
            Some(m) => (Some(m), SCRAM_LOGIN_MODULE),
            None => {
                return Err(format!(
                    "sasl.mechanism={other} is not supported by kafkit{}: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
                    if other == DEFAULT_SASL_MECHANISM { " (GSSAPI is Kafka's default)" } else { "" }
                ))
            }
        },
    };
    let value = get("sasl.jaas.config").ok_or_else(|| {
        format!(
            "sasl.jaas.config must be set for security.protocol={protocol}, e.g. sasl.jaas.config={module_class} required username=\"alice\" password=\"alice-secret\";"
        )
    })?;
    let module = jaas::parse("sasl.jaas.config", &value)?;
    if module.class != module_class {
        return Err(format!(
            "sasl.jaas.config: login module {} cannot be used with sasl.mechanism={mechanism}; use {module_class}",
            module.class
        ));
    }
    let option = |name: &str| {
        module.options.get(name).cloned().ok_or_else(|| {
            format!("sasl.jaas.config: {name} is not set in the {module_class} options")
        })
    };
    Ok(SaslCredentials {
        scram,
        username: option("username")?,
        password: option("password")?,
    })
}

fn tls_config(get: &dyn Fn(&str) -> Option<String>) -> Result<rustls::ClientConfig, String> {
    let roots = match tls::trust_store(get)? {
        Some(roots) => roots,
        // Like the JVM's default trust store: the well-known public CAs.
        None => RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    };
    let algorithm = get("ssl.endpoint.identification.algorithm")
        .map(|a| a.trim().to_ascii_lowercase())
        .unwrap_or_else(|| HOSTNAME_VERIFICATION.to_string());
    let builder = rustls::ClientConfig::builder();
    let builder = match algorithm.as_str() {
        HOSTNAME_VERIFICATION => builder.with_root_certificates(roots),
        "" => {
            let verifier = WebPkiServerVerifier::builder(Arc::new(roots))
                .build()
                .map_err(|e| format!("ssl.truststore: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyHostName(verifier)))
        }
        other => {
            return Err(format!(
                "ssl.endpoint.identification.algorithm={other} is not supported by kafkit: use https or an empty value"
            ))
        }
    };
    match tls::key_store(get)? {
        Some(store) => builder
            .with_client_auth_cert(store.chain, store.key)
            .map_err(|e| format!("Invalid key store (ssl.keystore.*): {e}")),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// `ssl.endpoint.identification.algorithm=` (empty): the certificate chain is still verified
/// against the trust store, only the host-name match is skipped.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::protocol::properties::from_pairs as props;

    #[test]
    fn sasl_settings_are_read_and_checked() {
        let s = Security::from_properties(&props(&[
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="pw";"#,
            ),
        ]))
        .unwrap();
        let sasl = s.sasl.unwrap();
        assert_eq!(sasl.scram, Some(Mechanism::Sha512));
        assert_eq!(
            (sasl.username.as_str(), sasl.password.as_str()),
            ("alice", "pw")
        );
        assert!(s.tls.is_none());
        assert!(!format!("{sasl:?}").contains("pw"));

        let err =
            Security::from_properties(&props(&[("security.protocol", "SASL_SSL")])).unwrap_err();
        assert!(
            err.starts_with("sasl.mechanism=GSSAPI is not supported"),
            "{err}"
        );
        let err = Security::from_properties(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ]))
        .unwrap_err();
        assert!(err.starts_with("sasl.mechanism=OAUTHBEARER"), "{err}");
        let err = Security::from_properties(&props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";"#,
            ),
        ]))
        .unwrap_err();
        assert!(
            err.contains("cannot be used with sasl.mechanism=PLAIN"),
            "{err}"
        );
        let err = Security::from_properties(&props(&[("security.protocol", "TLS")])).unwrap_err();
        assert!(err.starts_with("Invalid value TLS for configuration security.protocol"));
    }

    #[test]
    fn ssl_settings_refuse_jks_and_unknown_algorithms() {
        let err = Security::from_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", "/x/truststore.jks"),
        ]))
        .unwrap_err();
        assert!(
            err.starts_with("ssl.truststore.type=JKS is not supported"),
            "{err}"
        );
        let err = Security::from_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", "ldap"),
        ]))
        .unwrap_err();
        assert!(
            err.starts_with("ssl.endpoint.identification.algorithm=ldap"),
            "{err}"
        );
        let s = Security::from_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]))
        .unwrap();
        assert!(s.tls.is_some() && s.sasl.is_none());
    }
}

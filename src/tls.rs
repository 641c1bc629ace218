//! TLS key and trust material from Kafka's `ssl.keystore.*` / `ssl.truststore.*` settings, for
//! the broker's listeners and the client alike. Only PEM stores are read (files or inline
//! values, keys optionally encrypted with `ssl.key.password`); JKS and PKCS12 stores are refused
//! with a message naming the key. Owns reading and
//! checking the material; building rustls configurations and opening sockets belongs to the
//! callers.

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Kafka's default store type (`ssl.keystore.type`, `ssl.truststore.type`).
const DEFAULT_STORE_TYPE: &str = "JKS";
const PEM: &str = "PEM";
/// The PEM label of an encrypted PKCS#8 key.
const ENCRYPTED_KEY_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// A certificate chain and its private key.
#[derive(Debug)]
pub struct KeyStore {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// Reads a setting; the broker's lookup honours `listener.name.<listener>.` prefixes.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn store_type(get: Lookup<'_>, key: &str) -> String {
    get(key)
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| DEFAULT_STORE_TYPE.to_string())
}

fn non_empty(get: Lookup<'_>, key: &str) -> Option<String> {
    get(key).filter(|v| !v.trim().is_empty())
}

fn unsupported_type(key: &str, kind: &str) -> String {
    format!(
        "{key}={kind} is not supported by kafkit: only PEM stores are (convert the store to PEM, e.g. with keytool and openssl, and set {key}=PEM)"
    )
}

fn read(key: &str, path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("Failed to load SSL store {path} ({key}): {e}"))
}

/// The key store, if one is configured.
pub fn key_store(get: Lookup<'_>) -> Result<Option<KeyStore>, String> {
    let location = non_empty(get, "ssl.keystore.location");
    let chain = non_empty(get, "ssl.keystore.certificate.chain");
    let key = non_empty(get, "ssl.keystore.key");
    if location.is_none() && chain.is_none() && key.is_none() {
        return Ok(None);
    }
    let kind = store_type(get, "ssl.keystore.type");
    if kind != PEM {
        if key.is_some() || chain.is_some() {
            return Err(format!(
                "SSL private key can be specified only for PEM, but key store type is {kind}."
            ));
        }
        return Err(unsupported_type("ssl.keystore.type", &kind));
    }
    let (pem, source) = match (location, chain, key) {
        (Some(path), None, None) => (read("ssl.keystore.location", &path)?, path),
        (None, Some(chain), Some(key)) => (
            format!("{chain}\n{key}").into_bytes(),
            "ssl.keystore.certificate.chain/ssl.keystore.key".to_string(),
        ),
        (None, Some(_), None) => {
            return Err("ssl.keystore.key must be set with ssl.keystore.certificate.chain".into())
        }
        (None, None, Some(_)) => {
            return Err("ssl.keystore.certificate.chain must be set with ssl.keystore.key".into())
        }
        _ => {
            return Err(
                "Set either ssl.keystore.location or ssl.keystore.certificate.chain and ssl.keystore.key, not both"
                    .into(),
            )
        }
    };
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("Invalid certificate chain in {source}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("No certificate found in {source}"));
    }
    let text = String::from_utf8_lossy(&pem);
    let key = match encrypted_key_block(&text) {
        Some(block) => {
            let password = get("ssl.key.password").ok_or_else(|| {
                format!("The private key in {source} is encrypted: set ssl.key.password")
            })?;
            decrypt_key(block, &password).map_err(|e| {
                format!("Cannot decrypt the private key in {source} with ssl.key.password: {e}")
            })?
        }
        None => PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|e| format!("No usable private key in {source}: {e}"))?,
    };
    Ok(Some(KeyStore { chain, key }))
}

/// The `ENCRYPTED PRIVATE KEY` PEM block of a key store, if it has one.
fn encrypted_key_block(text: &str) -> Option<&str> {
    let begin = format!("-----BEGIN {ENCRYPTED_KEY_LABEL}-----");
    let end = format!("-----END {ENCRYPTED_KEY_LABEL}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

/// Decrypts an encrypted PKCS#8 key (PBES2, as `openssl pkcs8 -topk8` and Java's tools write
/// them), as Kafka does with `ssl.key.password`.
fn decrypt_key(block: &str, password: &str) -> Result<PrivateKeyDer<'static>, String> {
    use pkcs8::der::Decode;
    // PEM to DER first: the DER decoder reads nested structures the PEM reader cannot.
    let (_label, der) = pkcs8::der::pem::decode_vec(block.as_bytes()).map_err(|e| e.to_string())?;
    let encrypted =
        pkcs8::EncryptedPrivateKeyInfoOwned::from_der(&der).map_err(|e| e.to_string())?;
    let document = encrypted.decrypt(password).map_err(|e| e.to_string())?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        document.as_bytes().to_vec(),
    )))
}

/// The trust store, if one is configured.
pub fn trust_store(get: Lookup<'_>) -> Result<Option<RootCertStore>, String> {
    let location = non_empty(get, "ssl.truststore.location");
    let inline = non_empty(get, "ssl.truststore.certificates");
    if location.is_none() && inline.is_none() {
        return Ok(None);
    }
    let kind = store_type(get, "ssl.truststore.type");
    if kind != PEM {
        if inline.is_some() {
            return Err(format!(
                "SSL trust store certs can be specified only for PEM, but trust store type is {kind}."
            ));
        }
        return Err(unsupported_type("ssl.truststore.type", &kind));
    }
    let (pem, source) = match (location, inline) {
        (Some(path), None) => (read("ssl.truststore.location", &path)?, path),
        (None, Some(certs)) => (certs.into_bytes(), "ssl.truststore.certificates".into()),
        _ => {
            return Err(
                "Set either ssl.truststore.location or ssl.truststore.certificates, not both"
                    .into(),
            )
        }
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("Invalid certificate in {source}: {e}"))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!("No trusted certificate found in {source}"));
    }
    Ok(Some(roots))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lookup<'a>(map: &'a BTreeMap<&str, &str>) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| map.get(k).map(|v| v.to_string())
    }

    #[test]
    fn non_pem_stores_are_refused_naming_the_key() {
        let map = BTreeMap::from([("ssl.keystore.location", "/x/server.jks")]);
        let err = key_store(&lookup(&map)).unwrap_err();
        assert!(
            err.starts_with("ssl.keystore.type=JKS is not supported"),
            "{err}"
        );
        let map = BTreeMap::from([
            ("ssl.truststore.location", "/x/t.p12"),
            ("ssl.truststore.type", "PKCS12"),
        ]);
        let err = trust_store(&lookup(&map)).unwrap_err();
        assert!(err.starts_with("ssl.truststore.type=PKCS12"), "{err}");
        let map = BTreeMap::from([
            ("ssl.keystore.key", "k"),
            ("ssl.keystore.certificate.chain", "c"),
        ]);
        let err = key_store(&lookup(&map)).unwrap_err();
        assert_eq!(
            err,
            "SSL private key can be specified only for PEM, but key store type is JKS."
        );
        assert!(key_store(&lookup(&BTreeMap::new())).unwrap().is_none());
    }

    #[test]
    fn encrypted_keys_need_and_use_ssl_key_password() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let info = pkcs8::PrivateKeyInfoRef::try_from(key.serialized_der()).unwrap();
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            2048, &[7; 16], [9; 16],
        )
        .unwrap();
        let encrypted = info.encrypt_with_params(params, "key-secret").unwrap();
        let encrypted_pem = encrypted
            .to_pem(ENCRYPTED_KEY_LABEL, pkcs8::LineEnding::LF)
            .unwrap();
        let chain = cert.pem();
        let with = |password: Option<&str>| {
            let mut map = BTreeMap::from([
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.certificate.chain", chain.as_str()),
                ("ssl.keystore.key", encrypted_pem.as_str()),
            ]);
            if let Some(password) = password {
                map.insert("ssl.key.password", password);
            }
            let store = key_store(&lookup(&map));
            store
        };
        let store = with(Some("key-secret")).unwrap().unwrap();
        assert_eq!(store.key.secret_der(), key.serialized_der());
        let err = with(None).unwrap_err();
        assert!(err.ends_with("is encrypted: set ssl.key.password"), "{err}");
        let err = with(Some("wrong")).unwrap_err();
        assert!(err.contains("Cannot decrypt the private key"), "{err}");
    }

    #[test]
    fn missing_files_are_clear_errors() {
        let map = BTreeMap::from([
            ("ssl.truststore.type", "pem"),
            ("ssl.truststore.location", "/nonexistent/ca.pem"),
        ]);
        let err = trust_store(&lookup(&map)).unwrap_err();
        assert!(
            err.starts_with("Failed to load SSL store /nonexistent/ca.pem"),
            "{err}"
        );
    }
}

//! SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka uses it: key derivation, the
//! stored credential (salt, iterations, stored key, server key — never the password), and the
//! four messages of the exchange. Owns the math and the message syntax shared by the broker
//! (server side) and the client; must not hold sockets or session state beyond one message.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{KeyInit, Mac};
use rand::RngCore;

/// Kafka's minimum iteration count for both SCRAM mechanisms.
pub const MIN_ITERATIONS: i32 = 4096;
/// Kafka's maximum iteration count (`ScramControlManager.MAX_ITERATIONS`).
pub const MAX_ITERATIONS: i32 = 16384;
/// The iteration count used when a credential is created from a password here.
pub const DEFAULT_ITERATIONS: i32 = MIN_ITERATIONS;
/// Length of a generated salt, and of the random part of a nonce.
const RANDOM_BYTES: usize = 32;
/// The GS2 header Kafka's clients send (no channel binding, no authorization id).
const GS2_HEADER: &str = "n,,";
/// base64 of [`GS2_HEADER`]: the channel-binding attribute of the client-final message.
const CHANNEL_BINDING: &str = "biws";

/// A SCRAM mechanism, with Kafka's names and the type ids of the UserScramCredentials APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    Sha256,
    Sha512,
}

impl Mechanism {
    pub const ALL: [Mechanism; 2] = [Mechanism::Sha256, Mechanism::Sha512];

    /// The SASL mechanism name (`SCRAM-SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Sha256 => "SCRAM-SHA-256",
            Mechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism's type id in Describe/AlterUserScramCredentials.
    pub fn type_id(self) -> i8 {
        match self {
            Mechanism::Sha256 => 1,
            Mechanism::Sha512 => 2,
        }
    }

    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn from_type_id(id: i8) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.type_id() == id)
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Mechanism::Sha256 => {
                let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
                    .expect("HMAC takes keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Mechanism::Sha512 => {
                let mut mac = <hmac::Hmac<sha2::Sha512> as KeyInit>::new_from_slice(key)
                    .expect("HMAC takes keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Mechanism::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Mechanism::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with this mechanism's HMAC.
    pub fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Mechanism::Sha256 => {
                let mut out = vec![0; 32];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
                out
            }
            Mechanism::Sha512 => {
                let mut out = vec![0; 64];
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, &mut out);
                out
            }
        }
    }

    pub fn client_key(self, salted_password: &[u8]) -> Vec<u8> {
        self.hmac(salted_password, b"Client Key")
    }

    pub fn server_key(self, salted_password: &[u8]) -> Vec<u8> {
        self.hmac(salted_password, b"Server Key")
    }

    pub fn stored_key(self, client_key: &[u8]) -> Vec<u8> {
        self.hash(client_key)
    }
}

/// What the broker keeps for one user and mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
    pub iterations: i32,
}

impl Credential {
    /// The credential for a salted password (what AlterUserScramCredentials carries).
    pub fn from_salted_password(
        mechanism: Mechanism,
        salt: Vec<u8>,
        salted_password: &[u8],
        iterations: i32,
    ) -> Credential {
        Credential {
            stored_key: mechanism.stored_key(&mechanism.client_key(salted_password)),
            server_key: mechanism.server_key(salted_password),
            salt,
            iterations,
        }
    }

    /// A credential for `password` with a fresh random salt.
    pub fn from_password(mechanism: Mechanism, password: &str, iterations: i32) -> Credential {
        let salt = random_bytes();
        let rounds = u32::try_from(iterations).unwrap_or(DEFAULT_ITERATIONS as u32);
        let salted = mechanism.salted_password(password.as_bytes(), &salt, rounds);
        Credential::from_salted_password(mechanism, salt, &salted, iterations)
    }
}

fn random_bytes() -> Vec<u8> {
    let mut bytes = vec![0; RANDOM_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A fresh printable nonce (base64 has no `,`).
pub fn nonce() -> String {
    BASE64.encode(random_bytes())
}

/// Escapes a user name for a SCRAM message (`,` → `=2C`, `=` → `=3D`).
pub fn escape_name(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// Reverses [`escape_name`]; any other `=` sequence is invalid.
pub fn unescape_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3)?;
        out.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Splits `a=1,b=2` into attributes, keeping their order.
fn attributes(message: &str) -> Option<Vec<(&str, &str)>> {
    message
        .split(',')
        .map(|part| part.split_once('='))
        .collect::<Option<Vec<_>>>()
}

fn attribute<'a>(attrs: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The client-first message: `gs2-header client-first-bare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    pub user: String,
    pub nonce: String,
    /// `n=...,r=...[,ext]`: part of the AuthMessage.
    pub bare: String,
}

impl ClientFirst {
    pub fn new(user: &str, nonce: String) -> ClientFirst {
        let bare = format!("n={},r={nonce}", escape_name(user));
        ClientFirst {
            user: user.to_string(),
            nonce,
            bare,
        }
    }

    pub fn to_message(&self) -> String {
        format!("{GS2_HEADER}{}", self.bare)
    }

    /// Parses a client-first message; channel binding (`p=`) is refused as Kafka refuses it.
    pub fn parse(message: &str) -> Option<ClientFirst> {
        let mut parts = message.splitn(3, ',');
        let cbind = parts.next()?;
        let _authzid = parts.next()?;
        let bare = parts.next()?;
        if cbind != "n" && cbind != "y" {
            return None;
        }
        let attrs = attributes(bare)?;
        let user = unescape_name(attribute(&attrs, "n")?)?;
        let nonce = attribute(&attrs, "r")?.to_string();
        if user.is_empty() || nonce.is_empty() || attrs.first()?.0 != "n" {
            return None;
        }
        Some(ClientFirst {
            user,
            nonce,
            bare: bare.to_string(),
        })
    }
}

/// The server-first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFirst {
    pub nonce: String,
    pub salt: Vec<u8>,
    pub iterations: i32,
}

impl ServerFirst {
    pub fn to_message(&self) -> String {
        format!(
            "r={},s={},i={}",
            self.nonce,
            BASE64.encode(&self.salt),
            self.iterations
        )
    }

    pub fn parse(message: &str) -> Option<ServerFirst> {
        let attrs = attributes(message)?;
        Some(ServerFirst {
            nonce: attribute(&attrs, "r")?.to_string(),
            salt: BASE64.decode(attribute(&attrs, "s")?).ok()?,
            iterations: attribute(&attrs, "i")?.parse().ok()?,
        })
    }
}

/// The client-final message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFinal {
    pub nonce: String,
    pub proof: Vec<u8>,
    /// Everything before `,p=`: part of the AuthMessage.
    pub without_proof: String,
}

impl ClientFinal {
    pub fn parse(message: &str) -> Option<ClientFinal> {
        let (without_proof, proof) = message.rsplit_once(",p=")?;
        let attrs = attributes(without_proof)?;
        if attribute(&attrs, "c")? != CHANNEL_BINDING {
            return None;
        }
        Some(ClientFinal {
            nonce: attribute(&attrs, "r")?.to_string(),
            proof: BASE64.decode(proof).ok()?,
            without_proof: without_proof.to_string(),
        })
    }

    /// Builds the client-final message for `password` after `first` and `server`.
    pub fn create(
        mechanism: Mechanism,
        password: &str,
        first: &ClientFirst,
        server: &ServerFirst,
    ) -> (ClientFinal, Vec<u8>) {
        let without_proof = format!("c={CHANNEL_BINDING},r={}", server.nonce);
        let rounds = u32::try_from(server.iterations).unwrap_or(0);
        let salted = mechanism.salted_password(password.as_bytes(), &server.salt, rounds);
        let auth_message = auth_message(&first.bare, &server.to_message(), &without_proof);
        let client_key = mechanism.client_key(&salted);
        let signature = mechanism.hmac(&mechanism.stored_key(&client_key), auth_message.as_bytes());
        let proof = xor(&client_key, &signature);
        let server_signature =
            mechanism.hmac(&mechanism.server_key(&salted), auth_message.as_bytes());
        (
            ClientFinal {
                nonce: server.nonce.clone(),
                proof,
                without_proof,
            },
            server_signature,
        )
    }

    pub fn to_message(&self) -> String {
        format!("{},p={}", self.without_proof, BASE64.encode(&self.proof))
    }
}

/// The server-final message on success: `v=<server signature>`; a failure is `e=<reason>`.
pub fn server_final(signature: &[u8]) -> String {
    format!("v={}", BASE64.encode(signature))
}

/// Reads the server signature from a server-final message (`None` for `e=` or garbage).
pub fn parse_server_final(message: &str) -> Result<Vec<u8>, String> {
    let attrs = attributes(message).ok_or_else(|| format!("invalid message '{message}'"))?;
    if let Some(error) = attribute(&attrs, "e") {
        return Err(error.to_string());
    }
    let signature = attribute(&attrs, "v").ok_or_else(|| format!("invalid message '{message}'"))?;
    BASE64
        .decode(signature)
        .map_err(|_| format!("invalid server signature '{signature}'"))
}

fn auth_message(client_first_bare: &str, server_first: &str, client_final_bare: &str) -> String {
    format!("{client_first_bare},{server_first},{client_final_bare}")
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// Compares without an early exit, so timing does not reveal how much of a key matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Server side: checks the client's proof against the stored credential; on success returns
/// the server signature for the server-final message.
pub fn verify_client_final(
    mechanism: Mechanism,
    credential: &Credential,
    first: &ClientFirst,
    server: &ServerFirst,
    last: &ClientFinal,
) -> Option<Vec<u8>> {
    // Kafka's broker has long accepted any client-final nonce that ends with the combined nonce,
    // and older librdkafka (Debian's 2.0, for one) relies on it: it sends its own nonce again in
    // front. The proof still covers the whole message as sent, so nothing is weaker for it.
    if !last.nonce.ends_with(&server.nonce) {
        return None;
    }
    let auth_message = auth_message(&first.bare, &server.to_message(), &last.without_proof);
    let signature = mechanism.hmac(&credential.stored_key, auth_message.as_bytes());
    let client_key = xor(&last.proof, &signature);
    if last.proof.len() != signature.len()
        || !constant_time_eq(&mechanism.stored_key(&client_key), &credential.stored_key)
    {
        return None;
    }
    Some(mechanism.hmac(&credential.server_key, auth_message.as_bytes()))
}

/// Client side: checks the server's signature (the server proves it knows the credential too).
pub fn verify_server_signature(expected: &[u8], received: &[u8]) -> bool {
    constant_time_eq(expected, received)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's SCRAM-SHA-256 example exchange (user "user", password "pencil").
    #[test]
    fn rfc7677_example() {
        let first = ClientFirst::parse("n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        let server = ServerFirst::parse(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        )
        .unwrap();
        let (last, server_signature) =
            ClientFinal::create(Mechanism::Sha256, "pencil", &first, &server);
        assert_eq!(
            last.to_message(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            server_final(&server_signature),
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        let salted = Mechanism::Sha256.salted_password(b"pencil", &server.salt, 4096);
        let credential =
            Credential::from_salted_password(Mechanism::Sha256, server.salt.clone(), &salted, 4096);
        let parsed = ClientFinal::parse(&last.to_message()).unwrap();
        assert_eq!(
            verify_client_final(Mechanism::Sha256, &credential, &first, &server, &parsed),
            Some(server_signature)
        );
        let wrong = Credential::from_password(Mechanism::Sha256, "pen", 4096);
        let wrong = Credential {
            salt: server.salt.clone(),
            ..wrong
        };
        assert_eq!(
            verify_client_final(Mechanism::Sha256, &wrong, &first, &server, &parsed),
            None
        );
    }

    #[test]
    fn names_escape_and_malformed_messages_are_refused() {
        assert_eq!(escape_name("a=b,c"), "a=3Db=2Cc");
        assert_eq!(unescape_name("a=3Db=2Cc").as_deref(), Some("a=b,c"));
        assert_eq!(unescape_name("a=4"), None);
        for bad in ["", "n,,", "n,,r=x", "p=tls,,n=u,r=x", "n,,n=,r=x", "n,,n=u"] {
            assert_eq!(ClientFirst::parse(bad), None, "{bad}");
        }
        assert_eq!(ClientFinal::parse("c=biws,r=x"), None);
        assert_eq!(ClientFinal::parse("c=eSws,r=x,p=AAAA"), None);
        assert!(parse_server_final("e=invalid-proof").is_err());
        assert_eq!(Mechanism::from_type_id(2), Some(Mechanism::Sha512));
        assert_eq!(Mechanism::from_name("SCRAM-SHA-1"), None);
    }
}

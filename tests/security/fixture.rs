//! A broker with every kind of listener (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) on
//! 127.0.0.1:0, configured through Apache's keys, with certificates generated at test time
//! (rcgen) in a temp dir: a CA, a server certificate for localhost/127.0.0.1, a client
//! certificate, and a second, unrelated CA for "wrong trust store" cases.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kafkit::broker::config::BrokerConfig;
use kafkit::broker::server::BoundListener;
use kafkit::broker::{self, security, Broker};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PLAIN_USER: &str = "alice";
pub const PLAIN_PASSWORD: &str = "alice-secret";
pub const SCRAM_USER: &str = "scram-user";
pub const SCRAM_PASSWORD: &str = "scram-secret";
const PLAIN_MODULE: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
const SCRAM_MODULE: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";
pub const LISTENERS: [&str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/// PEM files written for one test.
pub struct Certs {
    pub dir: tempfile::TempDir,
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// An unrelated CA: trusting only it must fail the handshake.
    pub other_ca: PathBuf,
    /// Server certificate chain and key in one file (`ssl.keystore.location`).
    pub server: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

impl Certs {
    pub fn generate() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let authority = ca("kafkit test CA");
        let other = ca("unrelated CA");
        let server_key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server = params.signed_by(&server_key, &authority).unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "client");
        let client = params.signed_by(&client_key, &authority).unwrap();
        Certs {
            ca: write("ca.pem", &authority.pem()),
            other_ca: write("other-ca.pem", &other.pem()),
            server: write(
                "server.pem",
                &format!("{}{}", server.pem(), server_key.serialize_pem()),
            ),
            client_cert: write("client.pem", &client.pem()),
            client_key: write("client.key", &client_key.serialize_pem()),
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `server.properties` lines for a broker with all four listeners, PEM stores, PLAIN and SCRAM
/// users (listener names are Kafka's defaults, so the default protocol map applies).
pub fn server_properties(
    certs: &Certs,
    log_dir: &Path,
    client_auth: &str,
) -> Vec<(String, String)> {
    let plain = format!(r#"{PLAIN_MODULE} required user_{PLAIN_USER}="{PLAIN_PASSWORD}";"#);
    let scram = format!(r#"{SCRAM_MODULE} required user_{SCRAM_USER}="{SCRAM_PASSWORD}";"#);
    let mut props = vec![
        (
            "listeners".to_string(),
            LISTENERS
                .iter()
                .map(|l| format!("{l}://127.0.0.1:0"))
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("log.dirs".into(), log_dir.display().to_string()),
        ("group.initial.rebalance.delay.ms".into(), "0".into()),
        ("ssl.keystore.type".into(), "PEM".into()),
        (
            "ssl.keystore.location".into(),
            certs.server.display().to_string(),
        ),
        ("ssl.truststore.type".into(), "PEM".into()),
        (
            "ssl.truststore.location".into(),
            certs.ca.display().to_string(),
        ),
        ("ssl.client.auth".into(), client_auth.into()),
        (
            "sasl.enabled.mechanisms".into(),
            "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512".into(),
        ),
    ];
    for listener in ["sasl_plaintext", "sasl_ssl"] {
        props.push((
            format!("listener.name.{listener}.plain.sasl.jaas.config"),
            plain.clone(),
        ));
        for mechanism in ["scram-sha-256", "scram-sha-512"] {
            props.push((
                format!("listener.name.{listener}.{mechanism}.sasl.jaas.config"),
                scram.clone(),
            ));
        }
    }
    props
}

/// An in-process broker serving every listener until dropped.
pub struct SecureBroker {
    pub addrs: BTreeMap<String, SocketAddr>,
    pub state: Arc<Broker>,
    pub certs: Certs,
    _log_dir: tempfile::TempDir,
    /// Dropping it stops the broker (the task is aborted on drop as well).
    _stop: oneshot::Sender<()>,
    task: Option<JoinHandle<()>>,
}

impl SecureBroker {
    /// Starts with `ssl.client.auth=none`.
    pub async fn start() -> SecureBroker {
        Self::start_with_client_auth("none").await
    }

    pub async fn start_with_client_auth(client_auth: &str) -> SecureBroker {
        if std::env::var_os("KAFKIT_TEST_LOG").is_none() {
            broker::logging::set_silenced(true);
        }
        let certs = Certs::generate();
        let log_dir = tempfile::tempdir().unwrap();
        let props: BTreeMap<String, String> =
            server_properties(&certs, log_dir.path(), client_auth)
                .into_iter()
                .collect();
        let (mut config, _warnings) = BrokerConfig::from_properties(&props).expect("config");
        let mut sockets = Vec::new();
        let mut addrs = BTreeMap::new();
        for listener in config.listeners.clone() {
            let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = socket.local_addr().unwrap();
            config.set_bound_port(&listener.name, addr.port());
            addrs.insert(listener.name.clone(), addr);
            sockets.push((listener.name, socket));
        }
        let mut securities = security::for_listeners(&config).expect("listener security");
        let (state, dir) = broker::server::open(config).expect("open broker");
        let bound: Vec<BoundListener> = sockets
            .into_iter()
            .map(|(name, socket)| BoundListener {
                socket,
                security: securities.remove(&name).expect("security of listener"),
            })
            .collect();
        let (stop_tx, stop_rx) = oneshot::channel();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            broker::server::serve(bound, serving.clone(), async {
                let _ = stop_rx.await;
            })
            .await;
            broker::server::close(&serving, &dir).expect("clean close");
        });
        SecureBroker {
            addrs,
            state,
            certs,
            _log_dir: log_dir,
            _stop: stop_tx,
            task: Some(task),
        }
    }

    pub fn addr(&self, listener: &str) -> SocketAddr {
        self.addrs[listener]
    }

    /// `127.0.0.1:<port>` of `listener`.
    pub fn bootstrap(&self, listener: &str) -> String {
        self.addr(listener).to_string()
    }
}

impl Drop for SecureBroker {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Client properties (Kafka's names) for `listener` with `mechanism` ("" for none).
pub fn client_properties(
    certs: &Certs,
    listener: &str,
    mechanism: &str,
    password: &str,
) -> Vec<(String, String)> {
    let mut props = vec![("security.protocol".to_string(), listener.to_string())];
    if listener.ends_with("SSL") {
        props.push(("ssl.truststore.type".into(), "PEM".into()));
        props.push((
            "ssl.truststore.location".into(),
            certs.ca.display().to_string(),
        ));
    }
    if listener.starts_with("SASL") {
        let (module, user) = if mechanism == "PLAIN" {
            (PLAIN_MODULE, PLAIN_USER)
        } else {
            (SCRAM_MODULE, SCRAM_USER)
        };
        props.push(("sasl.mechanism".into(), mechanism.into()));
        props.push((
            "sasl.jaas.config".into(),
            format!(r#"{module} required username="{user}" password="{password}";"#),
        ));
    }
    props
}

/// Writes `props` as a Java properties file (`--command-config`).
pub fn write_properties(dir: &Path, name: &str, props: &[(String, String)]) -> PathBuf {
    let path = dir.join(name);
    let text: String = props
        .iter()
        .map(|(k, v)| format!("{k}={}\n", v.replace('\\', "\\\\")))
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

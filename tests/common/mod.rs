//! Shared test fixtures: an in-process broker on `127.0.0.1:0` with a temp dir, and a raw
//! request/response helper speaking the wire protocol.

#![allow(dead_code)]

pub mod apache;
pub mod golden;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use kafkit::broker::config::BrokerConfig;
use kafkit::broker::{self, Broker};
use kafkit::protocol::frame::{read_frame, write_frame};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A broker running in this process until dropped or stopped.
pub struct TestBroker {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub state: Arc<Broker>,
    _tempdir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestBroker {
    /// Starts a broker with default settings in a fresh temp dir.
    pub async fn start() -> TestBroker {
        Self::start_with(|_| {}).await
    }

    /// Starts a broker in a fresh temp dir after letting the caller adjust the config.
    pub async fn start_with(adjust: impl FnOnce(&mut BrokerConfig)) -> TestBroker {
        let tempdir = tempfile::tempdir().expect("temp dir");
        let mut config = BrokerConfig::with_log_dir(tempdir.path());
        adjust(&mut config);
        let mut broker = Self::start_in(config).await;
        broker._tempdir = Some(tempdir);
        broker
    }

    /// Starts a broker on an existing directory (for restart tests).
    pub async fn start_in(mut config: BrokerConfig) -> TestBroker {
        if std::env::var_os("KAFKIT_TEST_LOG").is_none() {
            broker::logging::set_silenced(true);
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        for l in config
            .listeners
            .iter_mut()
            .chain(config.advertised_listeners.iter_mut())
        {
            l.host = "127.0.0.1".into();
            l.port = addr.port();
        }
        let dir = config.log_dir.clone();
        let (state, log_dir) = broker::server::open(config).expect("open broker");
        let (stop_tx, stop_rx) = oneshot::channel();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            broker::server::serve(vec![listener], serving.clone(), async {
                let _ = stop_rx.await;
            })
            .await;
            broker::server::close(&serving, &log_dir).expect("clean close");
        });
        TestBroker {
            addr,
            dir,
            state,
            _tempdir: None,
            stop: Some(stop_tx),
            task: Some(task),
        }
    }

    /// Stops the broker cleanly and returns its directory (kept alive by the returned TempDir).
    pub async fn stop(mut self) -> (BrokerConfig, Option<tempfile::TempDir>) {
        let config = self.state.config.clone();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("broker task");
        }
        (config, self._tempdir.take())
    }

    pub async fn connect(&self) -> RawClient {
        RawClient::connect(self.addr).await
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A plain sequential Kafka connection for tests: one request, one response.
pub struct RawClient {
    pub stream: TcpStream,
    correlation_id: i32,
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).await.expect("connect");
        RawClient {
            stream,
            correlation_id: 0,
        }
    }

    /// Sends `request` at `version` and decodes the response.
    pub async fn send<R: Request>(&mut self, request: R, version: i16) -> R::Response {
        self.try_send(request, version)
            .await
            .expect("broker answered")
    }

    /// Sends a request; `None` when the broker closed the connection instead of answering.
    pub async fn try_send<R: Request>(&mut self, request: R, version: i16) -> Option<R::Response> {
        self.send_only(&request, version).await;
        self.receive::<R>(version).await
    }

    /// Sends without reading a response (acks=0 produce, pipelining).
    pub async fn send_only<R: Request>(&mut self, request: &R, version: i16) {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("kafkit-tests")));
        let mut buf = BytesMut::new();
        header.encode(&mut buf, R::header_version(version)).unwrap();
        request.encode(&mut buf, version).unwrap();
        write_frame(&mut self.stream, &[&buf]).await.unwrap();
    }

    /// Reads one response (`None` if the connection closed).
    pub async fn receive<R: Request>(&mut self, version: i16) -> Option<R::Response> {
        let mut frame = read_frame(&mut self.stream, usize::MAX).await.ok()??;
        let header_version = if R::KEY == 18 {
            0
        } else {
            R::Response::header_version(version)
        };
        let _header = ResponseHeader::decode(&mut frame, header_version).unwrap();
        let response = R::Response::decode(&mut frame, version).unwrap();
        assert!(
            frame.is_empty(),
            "response has {} trailing bytes",
            frame.len()
        );
        Some(response)
    }

    /// Sends raw bytes as one frame body and returns the raw response frame, if any.
    pub async fn raw(&mut self, body: &[u8]) -> Option<Bytes> {
        write_frame(&mut self.stream, &[body]).await.ok()?;
        read_frame(&mut self.stream, usize::MAX).await.ok()?
    }
}

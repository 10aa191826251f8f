//! Talking to a scoring server over HTTP: MLflow's `/invocations`, Azure ML's `/score`
//! (`input_data`), Databricks serving endpoints. TLS is verified; every call has a timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::response::read_reply;
use super::{Outcome, PredictError};
use crate::input::request::{BodyFormat, Request};

/// The largest answer read. An answer is held as its text and as a JSON tree (64 bytes or
/// more a value), so an answer of many short values would take many times its size:
/// [`super::response::read_reply`] refuses one whose values would take more than 10 times its
/// size. Larger answers are refused with that said.
pub const MAX_ANSWER_BYTES: u64 = 128 << 20;

/// What answers may take at once, read and parsed, across every request of this process
/// (an evaluation's concurrent requests, the Compare tab's two models): a reader waits for
/// room before reading an answer, reserving 10 times its size (the largest answer takes it
/// all).
pub const ANSWER_MEMORY: u64 = 1 << 30;

/// What one answer reserves of [`ANSWER_MEMORY`] for each byte of it.
const MEMORY_PER_BYTE: u64 = 10;

/// An answer whose length the server does not say is read this far on a small reservation,
/// then on one for the largest answer.
const UNSIZED_FIRST: u64 = 1 << 20;

/// The room answers are taking of [`ANSWER_MEMORY`].
static ANSWER_ROOM: (Mutex<u64>, std::sync::Condvar) = (Mutex::new(0), std::sync::Condvar::new());

/// A share of [`ANSWER_MEMORY`], given back when dropped. Taken once (never added to while
/// held), so readers waiting for room cannot hold each other up.
#[derive(Debug)]
pub struct Reserved(u64);

thread_local! {
    /// Whether this thread holds answers others read (see [`Tallying`]).
    static TALLYING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread, while alive, as the one that tallies answers other threads read
/// and hold room for: its own reads take room without waiting for it, since only it would give
/// that room back. What answers take is then at most [`ANSWER_MEMORY`] and one answer more.
pub struct Tallying(());

impl Tallying {
    /// Marks the current thread.
    pub fn start() -> Self {
        TALLYING.with(|t| t.set(true));
        Self(())
    }
}

impl Drop for Tallying {
    fn drop(&mut self) {
        TALLYING.with(|t| t.set(false));
    }
}

impl Reserved {
    /// Waits until `bytes` of [`ANSWER_MEMORY`] are free (at most all of it) and takes them.
    fn take(bytes: u64) -> Self {
        let bytes = bytes.min(ANSWER_MEMORY);
        let (lock, freed) = &ANSWER_ROOM;
        let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
        let waits = !TALLYING.with(std::cell::Cell::get);
        while waits && *used + bytes > ANSWER_MEMORY {
            used = freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Self(bytes)
    }

    /// Gives back what is over `bytes`.
    fn shrink_to(&mut self, bytes: u64) {
        if bytes < self.0 {
            let (lock, freed) = &ANSWER_ROOM;
            let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
            *used = used.saturating_sub(self.0 - bytes);
            self.0 = bytes;
            freed.notify_all();
        }
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

/// Where a request goes and how.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL to POST to (for a bare server root, `/invocations` is added).
    pub url: String,
    /// Extra headers (`Authorization: Bearer …` and the like).
    pub headers: Vec<(String, String)>,
    /// How long to wait for the whole answer.
    pub timeout: Duration,
    /// The agent of the last call and its timeout: kept so that its connection is reused
    /// (keep-alive) by the next call.
    connection: Arc<Mutex<Option<(Duration, ureq::Agent)>>>,
}

/// The body shape an endpoint expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// MLflow's `/invocations` (also Databricks serving).
    Mlflow,
    /// Azure ML's `/score` with `input_data`.
    Azure,
}

impl Endpoint {
    /// An endpoint with MLflow's own default timeout (60 s) plus room for the answer.
    pub fn new(url: &str) -> Self {
        Self {
            url: normalize_url(url),
            headers: Vec::new(),
            timeout: Duration::from_secs(120),
            connection: Arc::default(),
        }
    }

    /// The agent for this endpoint's timeout, made once and kept (with its open connection).
    fn agent(&self) -> ureq::Agent {
        let Ok(mut kept) = self.connection.lock() else {
            return agent(self.timeout);
        };
        match &*kept {
            Some((timeout, agent)) if *timeout == self.timeout => agent.clone(),
            _ => {
                let made = agent(self.timeout);
                *kept = Some((self.timeout, made.clone()));
                made
            }
        }
    }

    /// The body shape this URL takes: `/score` is Azure ML's.
    pub fn dialect(&self) -> Dialect {
        let path = self.url.split(['?', '#']).next().unwrap_or("");
        if path.trim_end_matches('/').ends_with("/score") {
            Dialect::Azure
        } else {
            Dialect::Mlflow
        }
    }

    /// Sends a request, its body written in MLflow's form (Azure's when the URL is Azure's)
    /// straight from its tensors.
    pub fn predict(&self, request: &Request) -> Result<Outcome, PredictError> {
        let format = match self.dialect() {
            Dialect::Mlflow => BodyFormat::Mlflow,
            Dialect::Azure => BodyFormat::AzureMl,
        };
        self.send(&request.to_json_bytes(format))
    }

    /// Sends a request as [`Endpoint::predict`] does, and keeps the answer's share of
    /// [`ANSWER_MEMORY`] until the caller drops it (an evaluation holds it until the answer is
    /// tallied, so that answers waiting for their turn are bounded too).
    pub fn predict_reserved(&self, request: &Request) -> Result<(Outcome, Reserved), PredictError> {
        let format = match self.dialect() {
            Dialect::Mlflow => BodyFormat::Mlflow,
            Dialect::Azure => BodyFormat::AzureMl,
        };
        self.send_reserved(&request.to_json_bytes(format))
    }

    /// As [`Endpoint::predict`], but `cancel` ends the wait at once: the call goes on a
    /// thread of its own, which is left to end at its timeout (its answer dropped), so that
    /// Cancel or Ctrl+C never waits for a server that does not answer.
    pub fn predict_cancellable(
        &self,
        request: &Request,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Outcome, PredictError> {
        self.cancellable(request, cancel)
            .map(|(outcome, _)| outcome)
    }

    /// As [`Endpoint::predict_reserved`], ended at once by `cancel` as
    /// [`Endpoint::predict_cancellable`] is.
    pub fn cancellable(
        &self,
        request: &Request,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<(Outcome, Reserved), PredictError> {
        use std::sync::atomic::Ordering;
        if cancel.load(Ordering::Relaxed) {
            return Err(PredictError::Cancelled);
        }
        let format = match self.dialect() {
            Dialect::Mlflow => BodyFormat::Mlflow,
            Dialect::Azure => BodyFormat::AzureMl,
        };
        let body = request.to_json_bytes(format);
        let endpoint = self.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("endpoint-call".into())
            .spawn(move || {
                let _ = tx.send(endpoint.send_reserved(&body));
            });
        if spawned.is_err() {
            // No thread to be had: the call is made here.
            return self.predict_reserved(request);
        }
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(result) => return result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(PredictError::Cancelled);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(PredictError::Connection {
                        url: self.url.clone(),
                        message: "the call stopped unexpectedly".into(),
                    });
                }
            }
        }
    }

    /// Sends JSON text as it is.
    pub fn send(&self, text: &[u8]) -> Result<Outcome, PredictError> {
        self.send_reserved(text).map(|(outcome, _)| outcome)
    }

    fn send_reserved(&self, text: &[u8]) -> Result<(Outcome, Reserved), PredictError> {
        let agent = self.agent();
        let mut request = agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (k, v) in &self.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let started = Instant::now();
        let mut response = request
            .send(text)
            .map_err(|e| http_error(&self.url, self.timeout, e))?;
        let status = response.status().as_u16();
        let (bytes, held) = self.read_answer(response.body_mut())?;
        let latency = started.elapsed();
        let answer = String::from_utf8(bytes).map_err(|e| PredictError::InvalidResponse {
            url: self.url.clone(),
            status,
            error: format!("not UTF-8 text at byte {}", e.utf8_error().valid_up_to()),
            snippet: crate::text::snippet(&String::from_utf8_lossy(
                e.as_bytes().get(..200).unwrap_or_default(),
            )),
        })?;
        let reply = read_reply(&self.url, status, answer)?;
        let outcome = Outcome {
            reply,
            latency,
            startup: Duration::ZERO,
            runtime: None,
            note: None,
        };
        Ok((outcome, held))
    }

    /// Reads an answer's bytes, holding 10 times its size of [`ANSWER_MEMORY`] (for its text
    /// and the JSON made of it): all of it when the server gives its length, else a small
    /// share for the first MiB and, past that, one for the largest answer.
    fn read_answer(&self, body: &mut ureq::Body) -> Result<(Vec<u8>, Reserved), PredictError> {
        use std::io::Read as _;
        let failed = |e: std::io::Error| http_error(&self.url, self.timeout, ureq::Error::from(e));
        let length = body.content_length();
        if length.is_some_and(|n| n > MAX_ANSWER_BYTES) {
            return Err(http_error(
                &self.url,
                self.timeout,
                ureq::Error::BodyExceedsLimit(MAX_ANSWER_BYTES),
            ));
        }
        let mut held = Reserved::take(MEMORY_PER_BYTE * length.unwrap_or(UNSIZED_FIRST));
        let mut reader = body.with_config().limit(MAX_ANSWER_BYTES).reader();
        let mut bytes = Vec::with_capacity(length.unwrap_or(0) as usize);
        if length.is_none() {
            (&mut reader)
                .take(UNSIZED_FIRST + 1)
                .read_to_end(&mut bytes)
                .map_err(failed)?;
            if bytes.len() as u64 > UNSIZED_FIRST {
                drop(held);
                held = Reserved::take(MEMORY_PER_BYTE * MAX_ANSWER_BYTES);
            }
        }
        reader.read_to_end(&mut bytes).map_err(failed)?;
        held.shrink_to(MEMORY_PER_BYTE * bytes.len() as u64);
        Ok((bytes, held))
    }
}

/// Adds `/invocations` to a bare server root (`http://host:5000` or `.../`).
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    if path.trim_matches('/').is_empty() {
        format!("{}/invocations", url.trim_end_matches('/'))
    } else {
        url.to_string()
    }
}

/// An HTTP agent with a whole-call timeout that reads error statuses as answers.
pub fn agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
        .http_status_as_error(false)
        .max_redirects(0)
        .build();
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::default(),
        IpFirstResolver::default(),
    )
}

/// ureq's resolver, except that a host written as an IP address (`127.0.0.1` for the local
/// server) is taken as it is: with a timeout set, ureq's own resolver starts a thread per
/// request to bound the lookup, which cost 5-8% of a warm local call (BENCHMARKS.md, item 4).
#[derive(Debug, Default)]
struct IpFirstResolver(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for IpFirstResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        });
        let ip = uri
            .host()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|h| h.parse::<std::net::IpAddr>().ok());
        if let (Some(ip), Some(port)) = (ip, port) {
            let mut addrs = self.empty();
            addrs.push(std::net::SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// A GET that reports whether the server answered 200 (for `/ping`).
pub fn ping(url: &str, timeout: Duration) -> bool {
    agent(timeout)
        .get(url)
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200)
}

/// GETs a small text (`/version`).
pub fn get_text(url: &str, timeout: Duration) -> Option<String> {
    let mut response = agent(timeout).get(url).call().ok()?;
    if response.status().as_u16() != 200 {
        return None;
    }
    response
        .body_mut()
        .with_config()
        .limit(1 << 16)
        .read_to_string()
        .ok()
}

/// A ureq error said for a user.
fn http_error(url: &str, timeout: Duration, error: ureq::Error) -> PredictError {
    let message = match error {
        ureq::Error::Timeout(_) => {
            return PredictError::Timeout {
                url: url.to_string(),
                after: timeout,
            };
        }
        ureq::Error::HostNotFound => "the host name was not found (check the URL)".to_string(),
        ureq::Error::BodyExceedsLimit(_) => {
            return PredictError::TooLarge {
                url: url.to_string(),
                message: format!(
                    "the answer is larger than the {} this app reads (it holds an answer in memory while reading it); ask for fewer rows or outputs at once",
                    crate::text::human_size(MAX_ANSWER_BYTES)
                ),
            };
        }
        ureq::Error::ConnectionFailed => {
            "the connection failed (is the server running?)".to_string()
        }
        ureq::Error::Io(e)
            if url.starts_with("https://") && crate::source::tracking::tls_failure(&e) =>
        {
            format!("TLS handshake failed ({e}): is the server speaking HTTPS on that port?")
        }
        ureq::Error::Io(e) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused: nothing is listening there (is the server running?)"
                    .to_string()
            }
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => format!(
                "the server closed the connection before answering ({e}); it may have crashed: look at its log"
            ),
            std::io::ErrorKind::TimedOut => {
                return PredictError::Timeout {
                    url: url.to_string(),
                    after: timeout,
                };
            }
            _ => e.to_string(),
        },
        ureq::Error::Rustls(e) => format!("TLS: {e} (the server's certificate was not accepted)"),
        ureq::Error::Tls(e) => format!("TLS: {e}"),
        ureq::Error::BadUri(e) => format!("not a valid URL: {e}"),
        ureq::Error::Protocol(e) => format!(
            "the server broke the HTTP protocol or closed the connection ({e}); it may have crashed"
        ),
        other => other.to_string(),
    };
    PredictError::Connection {
        url: url.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_hosts_resolve_without_a_lookup_and_names_go_to_ureq() {
        use ureq::unversioned::resolver::Resolver as _;
        let config = ureq::Agent::config_builder().build();
        let resolve = |url: &str| {
            let uri: ureq::http::Uri = url.parse().unwrap();
            IpFirstResolver::default()
                .resolve(&uri, &config, Default::default())
                .map(|a| a.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        assert_eq!(
            resolve("http://127.0.0.1:5001/invocations").unwrap(),
            ["127.0.0.1:5001"]
        );
        assert_eq!(resolve("http://[::1]/ping").unwrap(), ["[::1]:80"]);
        assert_eq!(resolve("https://10.0.0.7/score").unwrap(), ["10.0.0.7:443"]);
        let named = resolve("http://localhost:5002/").unwrap();
        assert!(named.iter().all(|a| a.ends_with(":5002")), "{named:?}");
    }

    #[test]
    fn bare_roots_get_invocations() {
        assert_eq!(
            normalize_url("http://127.0.0.1:5000"),
            "http://127.0.0.1:5000/invocations"
        );
        assert_eq!(normalize_url("http://h:1/"), "http://h:1/invocations");
        assert_eq!(normalize_url("https://x/score"), "https://x/score");
        assert_eq!(
            Endpoint::new("https://x.azureml.net/score").dialect(),
            Dialect::Azure
        );
        assert_eq!(
            Endpoint::new("https://d/serving-endpoints/m/invocations").dialect(),
            Dialect::Mlflow
        );
    }
}

//! A client for an MLflow tracking server's REST API: the server from `--tracking-uri`,
//! `MLFLOW_TRACKING_URI` or the app's setting; authentication as MLflow's own clients do it
//! (`MLFLOW_TRACKING_TOKEN` as a bearer token, or `MLFLOW_TRACKING_USERNAME` /
//! `MLFLOW_TRACKING_PASSWORD` as HTTP basic).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::SourceError;

/// The tracking server and how to reach it.
#[derive(Clone)]
pub struct Tracking {
    /// `http(s)://host[:port][/prefix]`, without a trailing slash.
    pub base: String,
    authorization: Option<String>,
    agent: ureq::Agent,
    /// For file downloads: no limit on the whole body (weights can be large; Cancel stops it),
    /// but a limit on each wait for data.
    downloads: ureq::Agent,
    /// That limit.
    idle: Duration,
}

/// How long a download may wait for its next bytes.
pub const DOWNLOAD_IDLE: Duration = Duration::from_secs(60);

fn download_agent(idle: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(idle))
        .http_status_as_error(false)
        .build()
        .into()
}

impl std::fmt::Debug for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credentials are never printed.
        f.debug_struct("Tracking")
            .field("base", &self.base)
            .field("authenticated", &self.authorization.is_some())
            .finish()
    }
}

/// The environment variable MLflow reads the server from.
pub const TRACKING_URI_VAR: &str = "MLFLOW_TRACKING_URI";

impl Tracking {
    /// The server from `explicit` (flag or setting), else `MLFLOW_TRACKING_URI`; credentials
    /// from MLflow's environment variables.
    pub fn from_env(explicit: Option<&str>) -> Result<Self, SourceError> {
        let uri = explicit
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                std::env::var(TRACKING_URI_VAR)
                    .ok()
                    .filter(|s| !s.trim().is_empty())
            })
            .ok_or(SourceError::NoTrackingUri)?;
        let token = std::env::var("MLFLOW_TRACKING_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        let basic = match (
            std::env::var("MLFLOW_TRACKING_USERNAME"),
            std::env::var("MLFLOW_TRACKING_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) if !u.is_empty() => Some((u, p)),
            _ => None,
        };
        Self::new(&uri, token.as_deref(), basic)
    }

    /// A client for `uri` with optional credentials.
    pub fn new(
        uri: &str,
        token: Option<&str>,
        basic: Option<(String, String)>,
    ) -> Result<Self, SourceError> {
        let base = uri.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SourceError::BadTrackingUri(base));
        }
        let authorization = match (token, basic) {
            (Some(t), _) => Some(format!("Bearer {t}")),
            (None, Some((u, p))) => Some(format!(
                "Basic {}",
                crate::text::base64(format!("{u}:{p}").as_bytes())
            )),
            (None, None) => None,
        };
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            base,
            authorization,
            agent,
            downloads: download_agent(DOWNLOAD_IDLE),
            idle: DOWNLOAD_IDLE,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// A GET with the credentials.
    fn get_request(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut r = self.agent.get(url);
        if let Some(a) = &self.authorization {
            r = r.header("Authorization", a);
        }
        r
    }

    /// GET a JSON route with query parameters.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, SourceError> {
        let url = self.url(path);
        let mut r = self.get_request(&url);
        for (k, v) in query {
            r = r.query(*k, *v);
        }
        let response = r.call().map_err(|e| connection(&url, e))?;
        read_json(&url, response)
    }

    /// POST JSON to a route.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, SourceError> {
        let url = self.url(path);
        let mut r = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json");
        if let Some(a) = &self.authorization {
            r = r.header("Authorization", a);
        }
        let text = serde_json::to_string(body).unwrap_or_default();
        let response = r.send(text.as_bytes()).map_err(|e| connection(&url, e))?;
        read_json(&url, response)
    }

    /// The same server with another idle limit on downloads (how long a download may wait
    /// for its next bytes).
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self.downloads = download_agent(idle);
        self
    }

    /// Streams a file route to `dest` (through `dest.part`), counting bytes into `done`. The
    /// listing said the file has `expected` bytes: a server that sends much more is stopped.
    #[allow(clippy::too_many_arguments)]
    pub fn download(
        &self,
        path: &str,
        query: &[(&str, &str)],
        dest: &Path,
        expected: u64,
        done: &AtomicU64,
        cancel: &AtomicBool,
    ) -> Result<u64, SourceError> {
        let allowed = expected
            .saturating_add(expected / 10)
            .saturating_add(1 << 20);
        let url = self.url(path);
        let mut r = self.downloads.get(&url);
        if let Some(a) = &self.authorization {
            r = r.header("Authorization", a);
        }
        for (k, v) in query {
            r = r.query(*k, *v);
        }
        let mut response = r.call().map_err(|e| connection(&url, e))?;
        let status = response.status().as_u16();
        if status != 200 {
            let text = response
                .body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_string()
                .unwrap_or_default();
            return Err(http_error(&url, status, &text));
        }
        let part = dest.with_extension(match dest.extension() {
            Some(e) => format!("{}.part", e.to_string_lossy()),
            None => "part".into(),
        });
        let io = |e: std::io::Error| SourceError::Io {
            path: part.clone(),
            message: e.to_string(),
        };
        let mut file = std::fs::File::create(&part).map_err(io)?;
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            if cancel.load(Ordering::Relaxed) {
                drop(file);
                let _ = std::fs::remove_file(&part);
                return Err(SourceError::Cancelled);
            }
            let n = reader.read(&mut buf).map_err(|e| {
                let _ = std::fs::remove_file(&part);
                let stalled = e.kind() == std::io::ErrorKind::TimedOut
                    || e.to_string().to_lowercase().contains("timeout");
                if stalled {
                    SourceError::Limit(format!(
                        "{url}: the download stalled: no data for {} s (after {total} bytes); stopped",
                        self.idle.as_secs()
                    ))
                } else {
                    SourceError::Connection {
                        url: url.clone(),
                        message: format!("the download broke off: {e}"),
                    }
                }
            })?;
            if n == 0 {
                break;
            }
            if total + n as u64 > allowed {
                drop(file);
                let _ = std::fs::remove_file(&part);
                return Err(SourceError::Limit(format!(
                    "{url}: the server sent more than the {expected} bytes its listing gives for this file; stopped"
                )));
            }
            file.write_all(buf.get(..n).unwrap_or_default())
                .map_err(io)?;
            total += n as u64;
            done.fetch_add(n as u64, Ordering::Relaxed);
        }
        file.flush().map_err(io)?;
        drop(file);
        std::fs::rename(&part, dest).map_err(|e| SourceError::Io {
            path: dest.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(total)
    }
}

fn read_json(
    url: &str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<Value, SourceError> {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .map_err(|e| connection(url, e))?;
    if status != 200 {
        return Err(http_error(url, status, &text));
    }
    serde_json::from_str(&text).map_err(|e| SourceError::Invalid {
        url: url.to_string(),
        message: format!(
            "the answer is not JSON ({e}): {}; is this an MLflow tracking server?",
            crate::text::snippet(&text)
        ),
    })
}

/// An error status said for a user.
fn http_error(url: &str, status: u16, text: &str) -> SourceError {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("error_code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map_or_else(|| crate::text::snippet(text), str::to_string);
    match status {
        401 | 403 => SourceError::Auth {
            url: url.to_string(),
            status,
            message,
        },
        404 => SourceError::NotFound {
            url: url.to_string(),
            message: if code.is_some() {
                message
            } else {
                format!(
                    "no such route ({message}); is this an MLflow tracking server of version 2.9 or later?"
                )
            },
        },
        _ => SourceError::Http {
            url: url.to_string(),
            status,
            code,
            message,
        },
    }
}

/// Whether an I/O error is rustls refusing what the other side sent.
pub(crate) fn tls_failure(e: &std::io::Error) -> bool {
    let text = e.to_string();
    [
        "corrupt message",
        "InvalidContentType",
        "certificate",
        "handshake",
        "tls",
        "TLS",
    ]
    .iter()
    .any(|k| text.contains(k))
}

fn connection(url: &str, error: ureq::Error) -> SourceError {
    let message = match error {
        ureq::Error::Timeout(_) => "no answer in time (timeout)".to_string(),
        ureq::Error::HostNotFound => "the host name was not found (check the tracking URI)".into(),
        ureq::Error::ConnectionFailed => "the connection failed (is the server running?)".into(),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing is listening there (is the tracking server running?)"
                .into()
        }
        ureq::Error::Io(e) if url.starts_with("https://") && tls_failure(&e) => {
            format!("TLS handshake failed ({e}): is the server speaking HTTPS on that port?")
        }
        ureq::Error::Rustls(e) => format!("TLS: {e} (the server's certificate was not accepted)"),
        ureq::Error::Tls(e) => format!("TLS: {e}"),
        other => other.to_string(),
    };
    SourceError::Connection {
        url: url.to_string(),
        message,
    }
}

//! HTTP with mirrors: each request goes to the preferred mirror, is retried with backoff on
//! server errors, refused connections and stalls, and moves on to the next mirror when one
//! keeps failing. The mirror that last worked stays preferred.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per mirror before moving to the next.
    pub attempts: u32,
    /// The wait after a first failure; doubled after each further one.
    pub backoff: Duration,
    pub connect_timeout: Duration,
    /// A connection that sends nothing for this long is stalled.
    pub read_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            backoff: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// How one try ended, when it did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// Worth trying again on the same mirror after a wait (5xx, refused, timed out, cut off).
    Retry(String),
    /// This mirror cannot serve it (404, bad content): the next mirror may.
    NextMirror(String),
    /// Nothing another try could change.
    Fatal(Error),
}

impl Failure {
    pub fn from_reqwest(error: &reqwest::Error) -> Failure {
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            reason = format!("{reason}: {inner}");
            source = inner.source();
        }
        Failure::Retry(reason)
    }

    pub fn from_status(status: reqwest::StatusCode) -> Failure {
        let reason = format!("the server answered {status}");
        if status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            Failure::Retry(reason)
        } else {
            Failure::NextMirror(reason)
        }
    }
}

/// A shared byte budget per second; 0 means no cap.
#[derive(Debug, Default)]
pub struct RateLimit {
    bytes_per_second: AtomicU64,
    bucket: Mutex<Option<(Instant, f64)>>,
}

impl RateLimit {
    pub fn set(&self, bytes_per_second: Option<u64>) {
        self.bytes_per_second
            .store(bytes_per_second.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<u64> {
        match self.bytes_per_second.load(Ordering::Relaxed) {
            0 => None,
            rate => Some(rate),
        }
    }

    /// Waits until `bytes` fit the cap (a token bucket holding a quarter second of tokens).
    pub async fn take(&self, bytes: u64) {
        let Some(rate) = self.get() else { return };
        let rate = rate as f64;
        let wait = {
            let mut bucket = self.bucket.lock().expect("rate limit lock");
            let now = Instant::now();
            let (last, tokens) = bucket.unwrap_or((now, rate / 4.0));
            let refilled = (tokens + now.duration_since(last).as_secs_f64() * rate).min(rate / 4.0);
            let left = refilled - bytes as f64;
            *bucket = Some((now, left));
            if left < 0.0 {
                Duration::from_secs_f64(-left / rate)
            } else {
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[derive(Debug)]
pub struct Mirrors {
    client: reqwest::Client,
    bases: Vec<String>,
    preferred: AtomicUsize,
    policy: RetryPolicy,
    pub requests: AtomicU64,
    /// Bytes received, useful or not.
    pub received: AtomicU64,
    pub limit: Arc<RateLimit>,
}

impl Mirrors {
    pub fn new(bases: &[String], policy: RetryPolicy, limit: Arc<RateLimit>) -> Result<Mirrors> {
        if bases.is_empty() {
            return Err(Error::Usage("no mirror is configured".to_string()));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .read_timeout(policy.read_timeout)
            .user_agent(concat!("hearth-image/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Usage(format!("the HTTP client cannot start: {error}")))?;
        Ok(Mirrors {
            client,
            bases: bases
                .iter()
                .map(|base| base.trim_end_matches('/').to_string())
                .collect(),
            preferred: AtomicUsize::new(0),
            policy,
            requests: AtomicU64::new(0),
            received: AtomicU64::new(0),
            limit,
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Runs `attempt` with each mirror's URL for `path` until it succeeds, retrying and
    /// failing over as its failures say; the error names the last URL and why it failed.
    pub async fn run<T>(
        &self,
        path: &str,
        mut attempt: impl AsyncFnMut(&str) -> std::result::Result<T, Failure>,
    ) -> Result<T> {
        let first = self.preferred.load(Ordering::Relaxed);
        let mut last = None;
        let mut tries = 0;
        for step in 0..self.bases.len() {
            let mirror = (first + step) % self.bases.len();
            let url = format!("{}/{path}", self.bases[mirror]);
            for round in 0..self.policy.attempts {
                tries += 1;
                self.requests.fetch_add(1, Ordering::Relaxed);
                match attempt(&url).await {
                    Ok(value) => {
                        self.preferred.store(mirror, Ordering::Relaxed);
                        return Ok(value);
                    }
                    Err(Failure::Fatal(error)) => return Err(error),
                    Err(Failure::NextMirror(reason)) => {
                        tracing::warn!("{url}: {reason}; trying the next mirror");
                        last = Some((url.clone(), reason));
                        break;
                    }
                    Err(Failure::Retry(reason)) => {
                        tracing::warn!("{url}: {reason}");
                        last = Some((url.clone(), reason));
                        if round + 1 < self.policy.attempts {
                            tokio::time::sleep(self.policy.backoff * 2u32.pow(round)).await;
                        }
                    }
                }
            }
            self.preferred
                .store((mirror + 1) % self.bases.len(), Ordering::Relaxed);
        }
        let (url, reason) = last.expect("at least one try was made");
        Err(Error::Http {
            url,
            reason: format!(
                "{reason} (gave up after {tries} tries on {} mirror{})",
                self.bases.len(),
                if self.bases.len() == 1 { "" } else { "s" }
            ),
        })
    }

    /// A whole small file (a channel, a manifest, a signature), refused past `limit` bytes.
    pub async fn get_small(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        self.run(path, async |url| {
            let response = self
                .client
                .get(url)
                .send()
                .await
                .map_err(|error| Failure::from_reqwest(&error))?;
            if !response.status().is_success() {
                return Err(Failure::from_status(response.status()));
            }
            if response
                .content_length()
                .is_some_and(|length| length > limit)
            {
                return Err(Failure::NextMirror(too_large(limit)));
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(piece) = futures_util::StreamExt::next(&mut stream).await {
                let piece = piece.map_err(|error| Failure::from_reqwest(&error))?;
                self.received
                    .fetch_add(piece.len() as u64, Ordering::Relaxed);
                if (body.len() + piece.len()) as u64 > limit {
                    return Err(Failure::NextMirror(too_large(limit)));
                }
                body.extend_from_slice(&piece);
            }
            Ok(body)
        })
        .await
    }
}

fn too_large(limit: u64) -> String {
    format!("it is larger than the {limit} bytes allowed")
}

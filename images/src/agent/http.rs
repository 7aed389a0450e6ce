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

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

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
        Failure::Retry(describe(error))
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

    /// The tries of one request: the caller asks for the URL to try, makes the try, and
    /// reports its failure, which waits and moves on as the failure says. (A loop at the call
    /// site rather than a closure taken here keeps the caller's future `Send`.)
    pub fn attempts(&self, path: &str) -> Attempts<'_> {
        let first = self.preferred.load(Ordering::Relaxed);
        Attempts {
            mirrors: self,
            path: path.to_string(),
            mirror: first,
            mirrors_tried: 1,
            round: 0,
            tries: 0,
            last: None,
        }
    }

    /// A whole small file (a channel, a manifest, a signature), refused past `limit` bytes.
    pub async fn get_small(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let mut attempts = self.attempts(path);
        loop {
            let url = attempts.url();
            match self.try_small(&url, limit).await {
                Ok(body) => {
                    attempts.succeeded();
                    return Ok(body);
                }
                Err(failure) => attempts.failed(failure).await?,
            }
        }
    }

    /// A GET answered with success, or the failure that says what to do next.
    pub async fn get_ok(&self, url: &str) -> std::result::Result<reqwest::Response, Failure> {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| Failure::from_reqwest(&error))?;
        if !response.status().is_success() {
            return Err(Failure::from_status(response.status()));
        }
        Ok(response)
    }

    async fn try_small(&self, url: &str, limit: u64) -> std::result::Result<Vec<u8>, Failure> {
        let response = self.get_ok(url).await?;
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
    }
}

/// Where one request stands among its mirrors and tries.
#[derive(Debug)]
pub struct Attempts<'a> {
    mirrors: &'a Mirrors,
    path: String,
    mirror: usize,
    mirrors_tried: usize,
    round: u32,
    tries: u32,
    last: Option<(String, String)>,
}

impl Attempts<'_> {
    /// The URL for the next try (counted as a request).
    pub fn url(&mut self) -> String {
        self.tries += 1;
        self.mirrors.requests.fetch_add(1, Ordering::Relaxed);
        format!("{}/{}", self.mirrors.bases[self.mirror], self.path)
    }

    /// The try got somewhere before it failed (bytes arrived): its failure does not count
    /// against the mirror, which keeps its tries for the next cut-off.
    pub fn progressed(&mut self) {
        self.round = 0;
    }

    /// The try worked: this mirror is preferred from now on.
    pub fn succeeded(&self) {
        self.mirrors.preferred.store(self.mirror, Ordering::Relaxed);
    }

    /// The try failed: waits before the next try, or moves to the next mirror, or gives up
    /// with an error naming the last URL and the reason.
    pub async fn failed(&mut self, failure: Failure) -> Result<()> {
        let url = format!("{}/{}", self.mirrors.bases[self.mirror], self.path);
        let policy = &self.mirrors.policy;
        let next_mirror = match failure {
            Failure::Fatal(error) => return Err(error),
            Failure::NextMirror(reason) => {
                tracing::warn!("{url}: {reason}; trying the next mirror");
                self.last = Some((url, reason));
                true
            }
            Failure::Retry(reason) => {
                tracing::warn!("{url}: {reason}");
                self.last = Some((url, reason));
                self.round += 1;
                if self.round < policy.attempts {
                    let factor = 2u32.saturating_pow((self.round - 1).min(16));
                    let wait = policy.backoff.saturating_mul(factor).min(MAX_BACKOFF);
                    tokio::time::sleep(wait).await;
                    false
                } else {
                    true
                }
            }
        };
        if !next_mirror {
            return Ok(());
        }
        let count = self.mirrors.bases.len();
        self.mirror = (self.mirror + 1) % count;
        self.mirrors.preferred.store(self.mirror, Ordering::Relaxed);
        self.round = 0;
        if self.mirrors_tried < count {
            self.mirrors_tried += 1;
            return Ok(());
        }
        let (url, reason) = self.last.take().expect("a failure was recorded");
        Err(Error::Http {
            url,
            reason: format!(
                "{reason} (gave up after {} tries on {count} mirror{})",
                self.tries,
                if count == 1 { "" } else { "s" }
            ),
        })
    }
}

/// An HTTP error with every cause it carries, as one line.
pub fn describe(error: &reqwest::Error) -> String {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        reason = format!("{reason}: {inner}");
        source = inner.source();
    }
    reason
}

fn too_large(limit: u64) -> String {
    format!("it is larger than the {limit} bytes allowed")
}

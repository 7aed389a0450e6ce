//! Progress as the caller samples it: exact byte counts from the moment the plan is known,
//! with a rate over the last few seconds and the time left at that rate.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Idle,
    /// Reading the channel and manifest, then finding what the device already has.
    Checking,
    Fetching,
    /// Making the new image durable on disk before it is moved into place.
    Verifying,
    Ready,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Progress {
    pub image: String,
    /// The version being fetched (0 before one is known).
    pub version: u64,
    pub phase: Phase,
    pub paused: bool,
    /// Bytes in the new image.
    pub image_bytes: u64,
    /// Bytes to download, as planned: compressed pack frames and chunks.
    pub to_fetch: u64,
    /// Of those, downloaded, verified and written.
    pub fetched: u64,
    /// Bytes received from the mirrors so far, useful or not (the channel and manifest
    /// included).
    pub from_mirrors: u64,
    /// Bytes received from peers on the local network that verified.
    pub from_peers: u64,
    /// Bytes peers sent that did not verify or came from a peer cut off: thrown away.
    pub peer_waste: u64,
    /// Bytes of the image found on the device (an installed version, an earlier run).
    pub reused: u64,
    /// What a download of the whole image, compressed chunk by chunk, would have cost minus
    /// what this one costs.
    pub saved: u64,
    /// Requests made so far, including retries.
    pub requests: u64,
    /// Bytes per second over the last few seconds.
    pub rate: u64,
    /// Seconds left at that rate.
    pub eta_seconds: Option<u64>,
}

/// Keeps the last few seconds of samples to compute the rate.
#[derive(Debug, Default)]
pub struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

const WINDOW: Duration = Duration::from_secs(5);

impl RateWindow {
    pub fn reset(&mut self) {
        self.samples.clear();
    }

    pub fn update(&mut self, progress: &mut Progress) {
        let now = Instant::now();
        self.samples.push_back((now, progress.fetched));
        while self
            .samples
            .front()
            .is_some_and(|(time, _)| now.duration_since(*time) > WINDOW)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
        let (first_time, first_bytes) = self.samples[0];
        let elapsed = now.duration_since(first_time).as_secs_f64();
        if elapsed >= 0.2 {
            progress.rate = (progress.fetched.saturating_sub(first_bytes) as f64 / elapsed) as u64;
        }
        let left = progress.to_fetch.saturating_sub(progress.fetched);
        progress.eta_seconds = (progress.rate > 0).then(|| left.div_ceil(progress.rate));
    }
}

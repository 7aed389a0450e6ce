//! One image's download loop in the service: checks its channel every interval (or when asked),
//! fetches what it offers, and keeps a snapshot of everything a client may want to show.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::config::ImageConfig;
use crate::agent::{
    Agent, AgentConfig, Control, DeviceState, Outcome, Phase, Progress, Restore, Space,
};
use crate::{Error, Result};

/// Why a download is held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    User,
    Metered,
    Battery,
}

impl Hold {
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::User => "user",
            Hold::Metered => "metered",
            Hold::Battery => "battery",
        }
    }
}

/// What a client sees of one image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub state: DeviceState,
    /// The current version's file: read-only, as verified ("" before a first activation).
    pub current_file: String,
    /// The overlay over it that the VM runs on ("" before a first activation).
    pub boot_file: String,
    /// The VM's data disk ("" when it has none).
    pub data_file: String,
    /// Previous versions whose overlay is kept: they can come back as they were left.
    pub kept_overlays: Vec<u64>,
    /// What the image takes on the device, and what is free.
    pub space: Space,
    pub progress: Progress,
    /// `idle`, `checking`, `fetching`, `paused`, `verifying`, `ready` or `failed`.
    pub phase: &'static str,
    pub held_by: Option<Hold>,
    /// "Download anyway": a policy hold is overridden until its condition ends.
    pub policy_overridden: bool,
    /// The last failure in words; empty after a run that went well.
    pub last_error: String,
}

impl Snapshot {
    fn settle_phase(&mut self) {
        let busy = matches!(
            self.progress.phase,
            Phase::Checking | Phase::Fetching | Phase::Verifying
        );
        self.phase = if busy && self.held_by.is_some() {
            "paused"
        } else if busy {
            match self.progress.phase {
                Phase::Checking => "checking",
                Phase::Fetching => "fetching",
                _ => "verifying",
            }
        } else if self.state.ready.is_some() {
            "ready"
        } else if !self.last_error.is_empty() {
            "failed"
        } else {
            "idle"
        };
    }
}

#[derive(Debug, Default)]
struct Holds {
    user: bool,
    policy: Option<Hold>,
    overridden: bool,
    /// What the control was last told.
    paused: bool,
}

impl Holds {
    fn effective(&self) -> Option<Hold> {
        if self.user {
            Some(Hold::User)
        } else if self.overridden {
            None
        } else {
            self.policy
        }
    }
}

pub struct Runner {
    pub config: ImageConfig,
    agent: Agent,
    interval: Duration,
    max_rate: Option<u64>,
    control: Mutex<Control>,
    holds: Mutex<Holds>,
    wake: Notify,
    snapshot: watch::Sender<Snapshot>,
}

/// Where a runner's downloads look for peers.
#[derive(Debug, Clone, Default)]
pub struct PeerSources {
    /// Base URLs always asked.
    pub known: Vec<String>,
    pub discovery: Option<std::sync::Arc<crate::peers::Discovery>>,
}

/// The first wait after a failed run; it doubles up to the check interval.
const FIRST_RETRY: Duration = Duration::from_secs(15);

impl Runner {
    pub fn new(
        config: ImageConfig,
        state_dir: &std::path::Path,
        interval: Duration,
        max_rate: Option<u64>,
        peers: PeerSources,
    ) -> Result<Runner> {
        let mut agent_config = AgentConfig::new(
            &config.name,
            config.mirrors.clone(),
            config.public_keys.clone(),
            state_dir.to_owned(),
        );
        agent_config.keep_previous = config.keep_previous;
        agent_config.peers = peers.known;
        agent_config.discovery = peers.discovery;
        agent_config.data_size = config.data_disk.as_ref().map(|data| data.size);
        agent_config.keep_free = config.keep_free;
        let agent = Agent::new(agent_config)?;
        // Downloads go on without the disks in order; a start of the VM says what is wrong.
        let prepared = prepare_disks(&agent, &config);
        let runner = Runner {
            config,
            agent,
            interval,
            max_rate,
            control: Mutex::new(Control::new()),
            holds: Mutex::new(Holds::default()),
            wake: Notify::new(),
            snapshot: watch::Sender::new(Snapshot::default()),
        };
        runner.reload_state();
        if let Err(error) = prepared {
            tracing::warn!("{}: {error}", runner.config.name);
            runner.publish(|snapshot| snapshot.last_error = error.to_string());
        }
        Ok(runner)
    }

    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.subscribe()
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// Checks and fetches until the process ends.
    pub async fn run(self: Arc<Self>) {
        let mut failures = 0u32;
        loop {
            let control = Control::new();
            control.set_bandwidth_cap(self.max_rate);
            *self.control.lock().expect("control lock") = control.clone();
            self.holds.lock().expect("holds lock").paused = false;
            self.apply_holds();
            let outcome = tokio::select! {
                outcome = self.agent.update(&control) => outcome,
                never = self.forward(control.progress()) => match never {},
            };
            // The run's last word on its progress, which `forward` may not have seen.
            let last = control.progress().borrow().clone();
            self.publish(|snapshot| snapshot.progress = last);
            let wait = self.settle(outcome, &mut failures);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// Copies the download's progress into the snapshot as it changes.
    async fn forward(&self, mut progress: watch::Receiver<Progress>) -> std::convert::Infallible {
        loop {
            if progress.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            let latest = progress.borrow_and_update().clone();
            let reload = latest.phase != self.snapshot.borrow().progress.phase;
            if reload {
                self.reload_state();
            }
            self.publish(|snapshot| snapshot.progress = latest);
        }
    }

    /// Records how a run ended; returns how long to wait before the next.
    fn settle(&self, outcome: Result<Outcome>, failures: &mut u32) -> Duration {
        let (error, wait) = match &outcome {
            Ok(outcome) => {
                tracing::info!("{}: {outcome:?}", self.config.name);
                *failures = 0;
                (String::new(), self.interval)
            }
            Err(Error::Cancelled) => {
                tracing::info!("{}: the download was cancelled", self.config.name);
                *failures = 0;
                (String::new(), self.interval)
            }
            Err(error) => {
                tracing::warn!("{}: {error}", self.config.name);
                *failures += 1;
                let wait = FIRST_RETRY
                    .saturating_mul(1 << (*failures - 1).min(16))
                    .min(self.interval);
                (error.to_string(), wait)
            }
        };
        if matches!(outcome, Ok(Outcome::Ready { .. })) {
            self.holds.lock().expect("holds lock").overridden = false;
        }
        self.reload_state();
        self.publish(|snapshot| {
            snapshot.last_error = error;
            if snapshot.progress.phase != Phase::Ready {
                snapshot.progress.phase = Phase::Idle;
            }
        });
        wait
    }

    fn reload_state(&self) {
        match self.agent.state() {
            Ok(state) => {
                let folder = self.agent.folder();
                let name = |path: std::path::PathBuf| path.display().to_string();
                let current_file = state
                    .current
                    .map(|version| name(folder.image_file(version)))
                    .unwrap_or_default();
                let boot_file = state
                    .current
                    .map(|version| name(folder.overlay_file(version)))
                    .unwrap_or_default();
                let data_file = self
                    .config
                    .data_disk
                    .as_ref()
                    .map(|_| name(folder.data_file()))
                    .unwrap_or_default();
                let kept_overlays = state
                    .previous
                    .iter()
                    .copied()
                    .filter(|&version| folder.has_overlay(version))
                    .collect();
                let data_size = self.config.data_disk.as_ref().map(|data| data.size);
                let space = folder
                    .space(&state.installed(), data_size)
                    .unwrap_or_default();
                self.publish(|snapshot| {
                    snapshot.state = state;
                    snapshot.current_file = current_file;
                    snapshot.boot_file = boot_file;
                    snapshot.data_file = data_file;
                    snapshot.kept_overlays = kept_overlays;
                    snapshot.space = space;
                });
            }
            Err(error) => {
                tracing::warn!("{}: {error}", self.config.name);
                self.publish(|snapshot| snapshot.last_error = error.to_string());
            }
        }
    }

    fn publish(&self, change: impl FnOnce(&mut Snapshot)) {
        self.snapshot.send_if_modified(|snapshot| {
            let before = snapshot.clone();
            change(snapshot);
            snapshot.settle_phase();
            *snapshot != before
        });
    }

    /// Tells the running download whether to pause, when that changed.
    fn apply_holds(&self) {
        let (hold, overridden, change) = {
            let mut holds = self.holds.lock().expect("holds lock");
            let hold = holds.effective();
            let change = (hold.is_some() != holds.paused).then_some(hold.is_some());
            holds.paused = hold.is_some();
            (hold, holds.overridden, change)
        };
        if let Some(pause) = change {
            let control = self.control.lock().expect("control lock").clone();
            if pause {
                control.pause();
            } else {
                control.resume();
            }
        }
        self.publish(|snapshot| {
            snapshot.held_by = hold;
            snapshot.policy_overridden = overridden;
        });
    }

    pub fn check_now(&self) -> Result<()> {
        self.agent.folder().modify(|state| {
            state.cancelled = None;
            Ok(())
        })?;
        self.reload_state();
        self.wake.notify_one();
        Ok(())
    }

    pub fn pause(&self) {
        self.holds.lock().expect("holds lock").user = true;
        self.apply_holds();
    }

    pub fn resume(&self) {
        self.holds.lock().expect("holds lock").user = false;
        self.apply_holds();
    }

    /// Stops the download and throws away what it fetched; the version is not fetched again
    /// until [`Runner::check_now`].
    pub fn cancel(&self) {
        self.control.lock().expect("control lock").cancel();
    }

    /// "Download anyway": ignore the metered or battery hold until its condition ends.
    pub fn download_anyway(&self) {
        self.holds.lock().expect("holds lock").overridden = true;
        self.apply_holds();
    }

    /// The policy's verdict changed.
    pub fn set_policy_hold(&self, hold: Option<Hold>) {
        {
            let mut holds = self.holds.lock().expect("holds lock");
            if hold.is_none() {
                holds.overridden = false;
            }
            holds.policy = hold;
        }
        self.apply_holds();
    }

    pub fn activate(&self) -> Result<u64> {
        let version = self.agent.activate();
        self.reload_state();
        version
    }

    /// Back to the previous version, restored as `restore` says (else as configured).
    pub fn rollback(&self, reason: &str, restore: Option<Restore>) -> Result<u64> {
        let restore = restore.unwrap_or(self.config.rollback);
        let version = self.agent.rollback(reason, restore);
        self.reload_state();
        version
    }

    pub fn reset(&self) -> Result<u64> {
        let version = self.agent.reset();
        self.reload_state();
        version
    }
}

/// Puts a device's disks in order at start: the data disk made (or grown) to its size,
/// every installed version read-only, and the current version with an overlay (a device
/// from before overlays booted the version itself).
fn prepare_disks(agent: &Agent, config: &ImageConfig) -> Result<()> {
    let folder = agent.folder();
    if let Some(data) = &config.data_disk {
        folder.ensure_data_disk(data.size)?;
    }
    let state = agent.state()?;
    for version in state.installed() {
        if folder.image_file(version).exists() {
            folder.seal(version)?;
        }
    }
    if let Some(current) = state.current {
        folder.ensure_overlay(current)?;
    }
    Ok(())
}

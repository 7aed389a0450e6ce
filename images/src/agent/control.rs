//! The caller's handle on a running update: pause, resume, cancel, a bandwidth cap that can
//! change at any time, and progress to sample at whatever pace suits it.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::http::RateLimit;
use super::progress::{Progress, RateWindow};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    Running,
    Paused,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    run: watch::Sender<RunState>,
    progress: watch::Sender<Progress>,
    window: Mutex<RateWindow>,
    limit: Arc<RateLimit>,
}

impl Default for Control {
    fn default() -> Self {
        Control::new()
    }
}

impl Control {
    pub fn new() -> Control {
        Control {
            inner: Arc::new(Inner {
                run: watch::Sender::new(RunState::Running),
                progress: watch::Sender::new(Progress::default()),
                window: Mutex::new(RateWindow::default()),
                limit: Arc::new(RateLimit::default()),
            }),
        }
    }

    pub fn pause(&self) {
        self.inner.run.send_if_modified(|state| {
            let changed = *state == RunState::Running;
            if changed {
                *state = RunState::Paused;
            }
            changed
        });
        self.update(|progress| progress.paused = true);
    }

    pub fn resume(&self) {
        self.inner.run.send_if_modified(|state| {
            let changed = *state == RunState::Paused;
            if changed {
                *state = RunState::Running;
            }
            changed
        });
        self.inner.window.lock().expect("rate window lock").reset();
        self.update(|progress| progress.paused = false);
    }

    pub fn cancel(&self) {
        self.inner.run.send_replace(RunState::Cancelled);
    }

    /// Bytes per second for all of this update's connections together; `None` lifts the cap.
    pub fn set_bandwidth_cap(&self, bytes_per_second: Option<u64>) {
        self.inner.limit.set(bytes_per_second);
    }

    /// The latest progress, to sample whenever the caller wants (a receiver never blocks the
    /// download, however slowly it is read).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.inner.progress.subscribe()
    }

    pub(crate) fn limit(&self) -> Arc<RateLimit> {
        self.inner.limit.clone()
    }

    /// Starts the progress of a new update: the rate window forgets the last one.
    pub(crate) fn restart(&self, change: impl FnOnce(&mut Progress)) {
        self.inner.window.lock().expect("rate window lock").reset();
        self.update(change);
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Progress)) {
        self.inner.progress.send_modify(|progress| {
            change(progress);
            self.inner
                .window
                .lock()
                .expect("rate window lock")
                .update(progress);
        });
    }

    /// Returns at once while running, waits while paused, fails once cancelled.
    pub(crate) async fn checkpoint(&self) -> Result<()> {
        let mut receiver = self.inner.run.subscribe();
        loop {
            match *receiver.borrow_and_update() {
                RunState::Running => return Ok(()),
                RunState::Cancelled => return Err(Error::Cancelled),
                RunState::Paused => {}
            }
            if receiver.changed().await.is_err() {
                return Err(Error::Cancelled);
            }
        }
    }

    /// Resolves when the update is cancelled.
    pub(crate) async fn cancelled(&self) {
        let mut receiver = self.inner.run.subscribe();
        let _ = receiver
            .wait_for(|state| *state == RunState::Cancelled)
            .await;
    }
}

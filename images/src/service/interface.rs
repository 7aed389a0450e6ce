//! The D-Bus face of one image: `org.hearth.Images1.Image` (docs/IMAGES.md lists its members).
//! Properties are read from the runner's snapshot; changes go out as one PropertiesChanged
//! per image at most four times a second, however fast the download moves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use zbus::interface;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, Value};

use super::runner::{Runner, Snapshot};
use crate::agent::Restore;

pub const BUS_NAME: &str = "org.hearth.Images1";
pub const ROOT_PATH: &str = "/org/hearth/Images1";
pub const INTERFACE: &str = "org.hearth.Images1.Image";

/// The shortest time between two PropertiesChanged signals of one image.
pub const SIGNAL_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.hearth.Images1.Error")]
pub enum ServiceError {
    #[zbus(error)]
    ZBus(zbus::Error),
    /// Activate with no version ready, rollback with nothing to go back to.
    NotPossible(String),
    Failed(String),
}

impl From<crate::Error> for ServiceError {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Usage(message) => ServiceError::NotPossible(message),
            error => ServiceError::Failed(error.to_string()),
        }
    }
}

/// `/org/hearth/Images1/<name>`, with bytes a path may not hold written as `_xx`.
pub fn object_path(image: &str) -> OwnedObjectPath {
    let mut element = String::new();
    for byte in image.bytes() {
        if byte.is_ascii_alphanumeric() {
            element.push(byte as char);
        } else {
            element.push_str(&format!("_{byte:02x}"));
        }
    }
    OwnedObjectPath::try_from(format!("{ROOT_PATH}/{element}")).expect("an escaped path is valid")
}

pub struct ImageObject {
    pub runner: Arc<Runner>,
}

impl ImageObject {
    fn snapshot(&self) -> Snapshot {
        self.runner.snapshot()
    }
}

#[interface(name = "org.hearth.Images1.Image")]
impl ImageObject {
    /// Checks the channel now (and starts again a download the user cancelled).
    async fn check_now(&self) -> Result<(), ServiceError> {
        Ok(self.runner.check_now()?)
    }

    async fn pause(&self) {
        self.runner.pause();
    }

    async fn resume(&self) {
        self.runner.resume();
    }

    /// Stops the download and removes what it fetched.
    async fn cancel(&self) {
        self.runner.cancel();
    }

    /// Goes on with a download held back by a metered connection or a low battery.
    async fn download_anyway(&self) {
        self.runner.download_anyway();
    }

    /// Makes the ready version current; returns it. Call only while the VM is off.
    async fn activate(&self) -> Result<u64, ServiceError> {
        Ok(self.runner.activate()?)
    }

    /// Goes back to the previous version, recording why, restored as `RollbackDefault` says;
    /// returns the version now current.
    async fn rollback(&self, reason: String) -> Result<u64, ServiceError> {
        Ok(self.runner.rollback(&reason, None)?)
    }

    /// Goes back to the previous version as the user chose: as shipped (what was written
    /// under it discarded) or as it was left.
    async fn rollback_as(&self, reason: String, as_shipped: bool) -> Result<u64, ServiceError> {
        let restore = if as_shipped {
            Restore::AsShipped
        } else {
            Restore::AsLeft
        };
        Ok(self.runner.rollback(&reason, Some(restore))?)
    }

    /// Discards the current version's overlay (the data disk stays); returns the version.
    /// Call only while the VM is off.
    async fn reset(&self) -> Result<u64, ServiceError> {
        Ok(self.runner.reset()?)
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.runner.config.name.clone()
    }

    /// The VM that boots from this image.
    #[zbus(property)]
    fn vm(&self) -> String {
        self.runner.config.vm.clone()
    }

    /// The VM's disk that carries the image ("" for its first disk).
    #[zbus(property)]
    fn disk(&self) -> String {
        self.runner.config.disk.clone()
    }

    #[zbus(property)]
    fn rollback_grace_seconds(&self) -> u64 {
        self.runner.config.rollback_grace.as_secs()
    }

    #[zbus(property)]
    fn current(&self) -> u64 {
        self.snapshot().state.current.unwrap_or(0)
    }

    #[zbus(property)]
    fn current_file(&self) -> String {
        self.snapshot().current_file
    }

    /// The overlay over the current version that the VM runs on.
    #[zbus(property)]
    fn boot_file(&self) -> String {
        self.snapshot().boot_file
    }

    /// The VM's data disk, and its target ("" when it has none).
    #[zbus(property)]
    fn data_file(&self) -> String {
        self.snapshot().data_file
    }

    #[zbus(property)]
    fn data_disk(&self) -> String {
        self.runner
            .config
            .data_disk
            .as_ref()
            .map(|data| data.target.clone())
            .unwrap_or_default()
    }

    /// `as-left` or `as-shipped`: how `Rollback` restores the previous version.
    #[zbus(property)]
    fn rollback_default(&self) -> String {
        self.runner.config.rollback.as_str().to_string()
    }

    /// Previous versions whose overlay is kept (they can come back as they were left).
    #[zbus(property)]
    fn kept_overlays(&self) -> Vec<u64> {
        self.snapshot().kept_overlays
    }

    /// Bytes the image takes on the device: versions, overlays and the data disk.
    #[zbus(property)]
    fn space_used(&self) -> u64 {
        self.snapshot().space.used()
    }

    /// Free bytes on the file system holding the image.
    #[zbus(property)]
    fn space_free(&self) -> u64 {
        self.snapshot().space.free
    }

    #[zbus(property)]
    fn ready(&self) -> u64 {
        self.snapshot().state.ready.unwrap_or(0)
    }

    #[zbus(property)]
    fn previous(&self) -> Vec<u64> {
        self.snapshot().state.previous
    }

    #[zbus(property)]
    fn pending(&self) -> u64 {
        self.snapshot().state.pending.unwrap_or(0)
    }

    #[zbus(property)]
    fn declined(&self) -> u64 {
        self.snapshot().state.declined.unwrap_or(0)
    }

    #[zbus(property)]
    fn phase(&self) -> String {
        self.snapshot().phase.to_string()
    }

    #[zbus(property)]
    fn held_by(&self) -> String {
        held_by(&self.snapshot()).to_string()
    }

    #[zbus(property)]
    fn policy_overridden(&self) -> bool {
        self.snapshot().policy_overridden
    }

    #[zbus(property)]
    fn bytes_done(&self) -> u64 {
        self.snapshot().progress.fetched
    }

    #[zbus(property)]
    fn bytes_total(&self) -> u64 {
        self.snapshot().progress.to_fetch
    }

    #[zbus(property)]
    fn image_bytes(&self) -> u64 {
        self.snapshot().progress.image_bytes
    }

    #[zbus(property)]
    fn bytes_reused(&self) -> u64 {
        self.snapshot().progress.reused
    }

    #[zbus(property)]
    fn bytes_saved(&self) -> u64 {
        self.snapshot().progress.saved
    }

    /// Bytes received from the mirrors (the origin or a branch cache).
    #[zbus(property)]
    fn bytes_from_mirrors(&self) -> u64 {
        self.snapshot().progress.from_mirrors
    }

    /// Of the bytes received, those that came from peers on the local network.
    #[zbus(property)]
    fn bytes_from_peers(&self) -> u64 {
        self.snapshot().progress.from_peers
    }

    /// Bytes peers sent that did not verify: thrown away.
    #[zbus(property)]
    fn bytes_wasted_by_peers(&self) -> u64 {
        self.snapshot().progress.peer_waste
    }

    #[zbus(property)]
    fn rate(&self) -> u64 {
        self.snapshot().progress.rate
    }

    #[zbus(property)]
    fn eta_seconds(&self) -> i64 {
        eta(&self.snapshot())
    }

    #[zbus(property)]
    fn last_error(&self) -> String {
        self.snapshot().last_error
    }

    #[zbus(property)]
    fn history(&self) -> Vec<(u64, String, u64, String)> {
        history(&self.snapshot())
    }
}

fn held_by(snapshot: &Snapshot) -> &'static str {
    snapshot.held_by.map_or("", |hold| hold.as_str())
}

fn eta(snapshot: &Snapshot) -> i64 {
    snapshot
        .progress
        .eta_seconds
        .map_or(-1, |seconds| i64::try_from(seconds).unwrap_or(i64::MAX))
}

fn history(snapshot: &Snapshot) -> Vec<(u64, String, u64, String)> {
    snapshot
        .state
        .history
        .iter()
        .map(|entry| {
            (
                entry.version,
                entry.event.as_str().to_string(),
                entry.at,
                entry.reason.clone(),
            )
        })
        .collect()
}

/// The properties that follow the snapshot, by their D-Bus names.
fn properties(snapshot: &Snapshot) -> Vec<(&'static str, Value<'static>)> {
    let state = &snapshot.state;
    let progress = &snapshot.progress;
    vec![
        ("Current", state.current.unwrap_or(0).into()),
        ("CurrentFile", snapshot.current_file.clone().into()),
        ("BootFile", snapshot.boot_file.clone().into()),
        ("DataFile", snapshot.data_file.clone().into()),
        ("KeptOverlays", snapshot.kept_overlays.clone().into()),
        ("SpaceUsed", snapshot.space.used().into()),
        ("SpaceFree", snapshot.space.free.into()),
        ("Ready", state.ready.unwrap_or(0).into()),
        ("Previous", state.previous.clone().into()),
        ("Pending", state.pending.unwrap_or(0).into()),
        ("Declined", state.declined.unwrap_or(0).into()),
        ("Phase", snapshot.phase.into()),
        ("HeldBy", held_by(snapshot).into()),
        ("PolicyOverridden", snapshot.policy_overridden.into()),
        ("BytesDone", progress.fetched.into()),
        ("BytesTotal", progress.to_fetch.into()),
        ("ImageBytes", progress.image_bytes.into()),
        ("BytesReused", progress.reused.into()),
        ("BytesSaved", progress.saved.into()),
        ("BytesFromMirrors", progress.from_mirrors.into()),
        ("BytesFromPeers", progress.from_peers.into()),
        ("BytesWastedByPeers", progress.peer_waste.into()),
        ("Rate", progress.rate.into()),
        ("EtaSeconds", eta(snapshot).into()),
        ("LastError", snapshot.last_error.clone().into()),
        ("History", history(snapshot).into()),
    ]
}

/// Sends one PropertiesChanged with what differs from the last one sent, then waits
/// [`SIGNAL_INTERVAL`] before looking again; returns when the runner is gone.
pub async fn emit_changes(runner: Arc<Runner>, emitter: SignalEmitter<'static>) {
    let mut receiver = runner.subscribe();
    let mut sent = properties(&receiver.borrow_and_update());
    while receiver.changed().await.is_ok() {
        let now = properties(&receiver.borrow_and_update());
        let changed: HashMap<&str, Value<'_>> = now
            .iter()
            .zip(&sent)
            .filter(|((_, new), (_, old))| new != old)
            .map(|((name, value), _)| (*name, value.try_clone().expect("plain values clone")))
            .collect();
        if !changed.is_empty() {
            let interface = zbus::names::InterfaceName::from_static_str_unchecked(INTERFACE);
            if let Err(error) = zbus::fdo::Properties::properties_changed(
                &emitter,
                interface,
                changed,
                std::borrow::Cow::Borrowed(&[]),
            )
            .await
            {
                tracing::warn!("sending PropertiesChanged: {error}");
            }
        }
        sent = now;
        tokio::time::sleep(SIGNAL_INTERVAL).await;
    }
}

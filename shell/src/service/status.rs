//! What the service reports: the same plain data on both sides of the bus, so `hearth ctl
//! status --json` prints exactly what Hearth published.

use serde::Serialize;

/// What Hearth shows now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Status {
    pub vms: Vec<VmEntry>,
    /// The VM in front, or "" when none is.
    pub front: String,
    /// "home", "vm", "settings", "media", "player" or "photo".
    pub screen: String,
    pub kiosk: bool,
    /// What kiosk mode allows ("vm:NAME", "home", "media"); empty outside kiosk mode.
    pub kiosk_targets: Vec<String>,
    pub playback: PlaybackEntry,
    pub downloads: Vec<DownloadEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VmEntry {
    pub name: String,
    /// "running", "shut-off", "starting", "stopping", "paused" or "crashed".
    pub state: String,
    /// "work", "personal" or "other".
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PlaybackEntry {
    /// "playing", "paused" or "stopped".
    pub state: String,
    pub title: String,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DownloadEntry {
    pub image: String,
    pub phase: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

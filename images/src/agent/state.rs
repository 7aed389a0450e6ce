//! The device's own record of an image: which versions it holds (current, ready, previous),
//! and which one is being fetched. Written atomically; the files it names live beside it.
//!
//! ```text
//! <state>/<image>/state.json
//! <state>/<image>/versions/<version>.img        an installed version
//! <state>/<image>/versions/<version>.json       its manifest (the chunk index seeds deltas)
//! <state>/<image>/staging/<version>.partial     the version being fetched, sparse
//! <state>/<image>/staging/<version>.json        its verified manifest
//! <state>/<image>/staging/<version>.spool       the pack frame being received
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::disks::Restore;
use crate::error::IoContext;
use crate::{Error, Manifest, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceState {
    /// The version VMs boot from.
    pub current: Option<u64>,
    /// Fetched and verified, used at the next activation.
    pub ready: Option<u64>,
    /// Older versions kept for rollback, newest first.
    pub previous: Vec<u64>,
    /// The version being fetched.
    pub pending: Option<u64>,
    /// The newest version rolled back from: the channel offering it (or an older one) is not
    /// fetched again; a newer version is.
    #[serde(default)]
    pub declined: Option<u64>,
    /// A download the user cancelled: not started again until they ask for a check.
    #[serde(default)]
    pub cancelled: Option<u64>,
    /// What happened to versions on this device, oldest first, at most [`HISTORY_LENGTH`].
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

/// How many events [`DeviceState::history`] keeps.
pub const HISTORY_LENGTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: u64,
    pub event: HistoryEvent,
    /// Seconds since the Unix epoch.
    pub at: u64,
    /// Why, in words (for a rollback).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEvent {
    /// Fetched and verified.
    Ready,
    Activated,
    RolledBack,
    /// Its overlay discarded: back to the version as shipped.
    Reset,
}

impl HistoryEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryEvent::Ready => "ready",
            HistoryEvent::Activated => "activated",
            HistoryEvent::RolledBack => "rolled_back",
            HistoryEvent::Reset => "reset",
        }
    }
}

impl DeviceState {
    /// Every version with an image on disk, newest first.
    pub fn installed(&self) -> Vec<u64> {
        let mut versions: Vec<u64> = self
            .ready
            .into_iter()
            .chain(self.current)
            .chain(self.previous.iter().copied())
            .collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions.dedup();
        versions
    }

    pub fn newest_installed(&self) -> Option<u64> {
        self.installed().first().copied()
    }

    /// Whether the channel offering `version` is to be left alone (rolled back from, or
    /// cancelled by the user).
    pub fn declines(&self, version: u64) -> bool {
        self.declined.is_some_and(|declined| version <= declined) || self.cancelled == Some(version)
    }

    pub fn record(&mut self, version: u64, event: HistoryEvent, reason: &str) {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        self.history.push(HistoryEntry {
            version,
            event,
            at,
            reason: reason.to_string(),
        });
        let excess = self.history.len().saturating_sub(HISTORY_LENGTH);
        self.history.drain(..excess);
    }
}

/// One image's folder on the device.
#[derive(Debug, Clone)]
pub struct ImageFolder {
    root: PathBuf,
}

impl ImageFolder {
    pub fn open(state_dir: &Path, image: &str) -> Result<ImageFolder> {
        if !crate::manifest::valid_image_name(image) {
            return Err(Error::Usage(format!("{image:?} is not a valid image name")));
        }
        let root = state_dir.join(image);
        for folder in [root.join("versions"), root.join("staging")] {
            std::fs::create_dir_all(&folder).at(&folder)?;
        }
        Ok(ImageFolder { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn image_file(&self, version: u64) -> PathBuf {
        self.root.join("versions").join(format!("{version}.img"))
    }

    pub fn manifest_file(&self, version: u64) -> PathBuf {
        self.root.join("versions").join(format!("{version}.json"))
    }

    pub fn staging_file(&self, version: u64) -> PathBuf {
        self.root.join("staging").join(format!("{version}.partial"))
    }

    /// The bytes of the pack frame being received.
    pub fn spool_file(&self, version: u64) -> PathBuf {
        self.root.join("staging").join(format!("{version}.spool"))
    }

    pub fn staging_manifest(&self, version: u64) -> PathBuf {
        self.root.join("staging").join(format!("{version}.json"))
    }

    fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }

    pub fn load(&self) -> Result<DeviceState> {
        let path = self.state_file();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| Error::Usage(format!("{} is damaged: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(DeviceState::default())
            }
            Err(error) => Err(Error::io(path, error)),
        }
    }

    pub fn save(&self, state: &DeviceState) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(state).expect("the state always serialises");
        write_durably(&self.state_file(), &bytes)
    }

    /// The manifest of an installed version: its chunk index, trusted because it was verified
    /// before the version was installed.
    pub fn installed_manifest(&self, version: u64) -> Result<Manifest> {
        let path = self.manifest_file(version);
        let bytes = std::fs::read(&path).at(&path)?;
        Manifest::parse(&bytes)
    }

    /// Changes the state under the state lock: read, `change`, written durably. Short, so it
    /// never waits on a download (which holds [`ImageFolder::lock`] for its whole run).
    pub fn modify<T>(&self, change: impl FnOnce(&mut DeviceState) -> Result<T>) -> Result<T> {
        let _lock = self.lock_file("state.lock", rustix::fs::FlockOperation::LockExclusive)?;
        let mut state = self.load()?;
        let result = change(&mut state)?;
        self.save(&state)?;
        Ok(result)
    }

    /// Makes the ready version current, on a fresh overlay; the current one becomes the
    /// newest previous (its overlay kept), and previous versions past `keep` (at least one)
    /// are removed with their overlays. Returns the new current one. Call it only while no
    /// VM runs from this image.
    pub fn activate(&self, keep: usize) -> Result<u64> {
        let (ready, dropped) = self.modify(|state| {
            let Some(ready) = state.ready else {
                return Err(Error::Usage("no version is ready to activate".to_string()));
            };
            // The overlay first: when it cannot be made, nothing changes.
            self.fresh_overlay(ready)?;
            state.ready = None;
            if let Some(current) = state.current.replace(ready) {
                state.previous.insert(0, current);
            }
            let keep = keep.max(1).min(state.previous.len());
            let dropped: Vec<u64> = state.previous.drain(keep..).collect();
            state.record(ready, HistoryEvent::Activated, "");
            Ok((ready, dropped))
        })?;
        for version in dropped {
            self.remove_version(version);
        }
        Ok(ready)
    }

    /// Goes back to the newest previous version, `restore`d as it was left or as shipped:
    /// the current one is declined (the channel offering it again does not bring it back)
    /// and its files are removed. Returns the version now current.
    pub fn rollback(&self, reason: &str, restore: Restore) -> Result<u64> {
        let (back_to, left) = self.modify(|state| {
            let (Some(current), Some(&back_to)) = (state.current, state.previous.first()) else {
                return Err(Error::Usage(
                    "there is no previous version to go back to".to_string(),
                ));
            };
            match restore {
                Restore::AsShipped => self.fresh_overlay(back_to)?,
                Restore::AsLeft => self.ensure_overlay(back_to)?,
            };
            state.previous.remove(0);
            state.current = Some(back_to);
            state.declined = Some(
                state
                    .declined
                    .map_or(current, |declined| declined.max(current)),
            );
            state.record(current, HistoryEvent::RolledBack, reason);
            Ok((back_to, current))
        })?;
        self.remove_version(left);
        Ok(back_to)
    }

    /// Discards the current version's overlay: the VM starts on the version as shipped (its
    /// data disk stays). Returns the version. Call it only while no VM runs from this image.
    pub fn reset(&self) -> Result<u64> {
        self.modify(|state| {
            let Some(current) = state.current else {
                return Err(Error::Usage("no version is in use to reset".to_string()));
            };
            self.fresh_overlay(current)?;
            state.record(current, HistoryEvent::Reset, "");
            Ok(current)
        })
    }

    /// Holds the folder for one download at a time (a second agent would race the first over
    /// the staging files); released when the returned file is dropped. Changes to the state
    /// take [`ImageFolder::modify`]'s lock instead.
    pub fn lock(&self) -> Result<std::fs::File> {
        self.lock_file("lock", rustix::fs::FlockOperation::NonBlockingLockExclusive)
    }

    fn lock_file(
        &self,
        name: &str,
        operation: rustix::fs::FlockOperation,
    ) -> Result<std::fs::File> {
        let path = self.root.join(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .at(&path)?;
        match rustix::fs::flock(&file, operation) {
            Ok(()) => Ok(file),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(Error::Busy {
                folder: self.root.clone(),
            }),
            Err(error) => Err(Error::io(&path, error.into())),
        }
    }

    /// Removes image, manifest and overlay files of versions the state does not name.
    pub fn remove_unlisted(&self, state: &DeviceState) {
        let keep = state.installed();
        self.remove_unlisted_overlays(&keep);
        let Ok(entries) = std::fs::read_dir(self.root.join("versions")) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = name
                .to_str()
                .and_then(|name| name.split('.').next())
                .and_then(|stem| stem.parse::<u64>().ok())
            else {
                continue;
            };
            if !keep.contains(&version) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Removes everything of a version that is no longer wanted.
    pub fn remove_version(&self, version: u64) {
        for path in [
            self.image_file(version),
            self.manifest_file(version),
            self.staging_file(version),
            self.staging_manifest(version),
            self.overlay_file(version),
        ] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Write to a temporary file, fsync, rename over, fsync the folder: a crash leaves the old
/// contents or the new, never a mix.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary).at(&temporary)?;
    file.write_all(bytes).at(&temporary)?;
    file.sync_all().at(&temporary)?;
    std::fs::rename(&temporary, path).at(path)?;
    sync_folder(path)
}

pub fn sync_folder(path: &Path) -> Result<()> {
    let folder = path.parent().expect("files live in folders");
    std::fs::File::open(folder)
        .and_then(|folder| folder.sync_all())
        .at(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(state: &DeviceState) -> (PathBuf, ImageFolder) {
        let dir = std::env::temp_dir().join(format!(
            "hearth-state-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let folder = ImageFolder::open(&dir, "work").unwrap();
        for version in state.installed() {
            std::fs::write(folder.image_file(version), vec![version as u8; 64 << 10]).unwrap();
        }
        folder.save(state).unwrap();
        (dir, folder)
    }

    /// Writes `text` into a version's overlay at offset 0, as a VM on it would.
    fn write_through(folder: &ImageFolder, version: u64, text: &str) {
        let status = std::process::Command::new("qemu-io")
            .args(["-f", "qcow2", "-c"])
            .arg(format!("write -P 0x{:02x} 0 4096", text.as_bytes()[0]))
            .arg(folder.overlay_file(version))
            .output()
            .expect("qemu-io (qemu-utils)");
        assert!(status.status.success(), "{status:?}");
    }

    fn overlay_hash(folder: &ImageFolder, version: u64) -> blake3::Hash {
        blake3::hash(&std::fs::read(folder.overlay_file(version)).expect("an overlay"))
    }

    #[test]
    fn activation_keeps_the_newest_previous_versions_and_rollback_declines_the_one_left() {
        let (dir, folder) = folder_with(&DeviceState {
            current: Some(2),
            ready: Some(3),
            previous: vec![1],
            ..DeviceState::default()
        });
        folder.fresh_overlay(2).unwrap();
        write_through(&folder, 2, "written under 2");
        let left = overlay_hash(&folder, 2);
        assert_eq!(folder.activate(1).unwrap(), 3);
        let state = folder.load().unwrap();
        assert_eq!(
            (state.current, state.ready, state.previous.clone()),
            (Some(3), None, vec![2])
        );
        assert!(!folder.image_file(1).exists(), "a version past keep stays");
        assert!(folder.has_overlay(3), "the new version has no overlay");
        assert_eq!(overlay_hash(&folder, 2), left, "the left overlay changed");
        assert!(folder.activate(1).is_err(), "nothing is ready");

        assert_eq!(folder.rollback("it crashed", Restore::AsLeft).unwrap(), 2);
        let state = folder.load().unwrap();
        assert_eq!((state.current, state.declined), (Some(2), Some(3)));
        assert!(state.previous.is_empty());
        assert!(!folder.image_file(3).exists() && !folder.has_overlay(3));
        assert_eq!(overlay_hash(&folder, 2), left, "as left is not as left");
        assert!(state.declines(3) && state.declines(2) && !state.declines(4));
        let last = state.history.last().unwrap();
        assert_eq!(
            (last.version, last.event, last.reason.as_str()),
            (3, HistoryEvent::RolledBack, "it crashed")
        );
        assert!(
            folder.rollback("again", Restore::AsLeft).is_err(),
            "nothing to go back to"
        );

        assert_eq!(folder.reset().unwrap(), 2);
        assert_ne!(overlay_hash(&folder, 2), left, "the reset kept the writes");
        assert_eq!(
            folder.load().unwrap().history.last().unwrap().event,
            HistoryEvent::Reset
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rollback_as_shipped_discards_what_was_written_under_the_version() {
        let (dir, folder) = folder_with(&DeviceState {
            current: Some(2),
            ready: Some(3),
            previous: vec![1],
            ..DeviceState::default()
        });
        folder.fresh_overlay(2).unwrap();
        let shipped = overlay_hash(&folder, 2);
        write_through(&folder, 2, "written under 2");
        folder.activate(2).unwrap();
        assert_eq!(folder.rollback("by hand", Restore::AsShipped).unwrap(), 2);
        assert_eq!(overlay_hash(&folder, 2), shipped);
        assert_eq!(folder.load().unwrap().previous, vec![1]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

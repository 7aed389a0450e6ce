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

    /// Makes the ready version current; the current one becomes the newest previous, and
    /// previous versions past `keep` (at least one) are removed. Returns the new current one.
    /// The caller holds [`ImageFolder::lock`].
    pub fn activate(&self, keep: usize) -> Result<u64> {
        let mut state = self.load()?;
        let Some(ready) = state.ready.take() else {
            return Err(Error::Usage("no version is ready to activate".to_string()));
        };
        if let Some(current) = state.current.replace(ready) {
            state.previous.insert(0, current);
        }
        let keep = keep.max(1).min(state.previous.len());
        let dropped: Vec<u64> = state.previous.drain(keep..).collect();
        self.save(&state)?;
        for version in dropped {
            self.remove_version(version);
        }
        Ok(ready)
    }

    /// Holds the folder for one agent at a time (a second `fetch` or an `activate` while one
    /// runs would otherwise race it); released when the returned file is dropped.
    pub fn lock(&self) -> Result<std::fs::File> {
        let path = self.root.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .at(&path)?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(file),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(Error::Busy {
                folder: self.root.clone(),
            }),
            Err(error) => Err(Error::io(&path, error.into())),
        }
    }

    /// Removes image and manifest files of versions the state does not name.
    pub fn remove_unlisted(&self, state: &DeviceState) {
        let keep = state.installed();
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

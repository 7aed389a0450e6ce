//! What a VM runs on. A version file stays as IT signed it: read-only, never attached for
//! writing. The VM writes into a copy-on-write overlay over it (qcow2, the version its raw
//! backing file), one per version, and keeps its user's data on a disk of its own that
//! outlives every version, rollback and reset.
//!
//! ```text
//! <state>/<image>/overlays/<version>.qcow2   the VM's writes on top of that version
//! <state>/<image>/data.img                   the user's data disk (raw, sparse)
//! ```

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::state::ImageFolder;
use crate::error::IoContext;
use crate::{ChunkId, Error, Result};

/// How a version comes back when the device goes back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restore {
    /// With the overlay it had when it was left: everything written under it.
    #[default]
    AsLeft,
    /// As IT shipped it: its overlay discarded, none of the writes made under it.
    AsShipped,
}

impl Restore {
    pub fn as_str(self) -> &'static str {
        match self {
            Restore::AsLeft => "as-left",
            Restore::AsShipped => "as-shipped",
        }
    }
}

/// What a version file's check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Intact,
    /// Changed since it was verified: the reason in words.
    Damaged(String),
}

/// Where an image's bytes on the device go, and what is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Space {
    /// Bytes taken by installed versions (sparse: only their data).
    pub versions: u64,
    /// Bytes taken by overlays.
    pub overlays: u64,
    /// Bytes the data disk takes now.
    pub data: u64,
    /// What the data disk may still grow by (its declared size less what it takes).
    pub data_headroom: u64,
    /// Free bytes on the file system holding the image's folder.
    pub free: u64,
}

impl Space {
    pub fn used(&self) -> u64 {
        self.versions + self.overlays + self.data
    }
}

/// Bytes a file takes on its file system (a sparse file's holes take none); 0 when absent.
pub fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.blocks() * 512)
}

/// Free bytes for unprivileged writers on the file system holding `path`.
pub fn free_bytes(path: &Path) -> Result<u64> {
    let stats = rustix::fs::statvfs(path).map_err(|error| Error::io(path, error.into()))?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

impl ImageFolder {
    pub fn overlay_file(&self, version: u64) -> PathBuf {
        self.root()
            .join("overlays")
            .join(format!("{version}.qcow2"))
    }

    pub fn data_file(&self) -> PathBuf {
        self.root().join("data.img")
    }

    pub fn has_overlay(&self, version: u64) -> bool {
        self.overlay_file(version).exists()
    }

    /// A new, empty overlay over `version`, replacing any it had. Written beside and renamed
    /// into place, so a crash leaves the old overlay or the new one.
    pub fn fresh_overlay(&self, version: u64) -> Result<PathBuf> {
        let base = self.image_file(version);
        let base = std::fs::canonicalize(&base).at(&base)?;
        let overlay = self.overlay_file(version);
        let folder = overlay.parent().expect("overlays live in a folder");
        std::fs::create_dir_all(folder).at(folder)?;
        let temporary = overlay.with_extension("qcow2.new");
        let _ = std::fs::remove_file(&temporary);
        let output = Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
            .arg(&base)
            .arg(&temporary)
            .output()
            .map_err(|error| {
                Error::Usage(format!(
                    "cannot run qemu-img to make an overlay ({error}); install qemu-utils"
                ))
            })?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&temporary);
            return Err(Error::Usage(format!(
                "qemu-img could not make an overlay over {}: {}",
                base.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        std::fs::rename(&temporary, &overlay).at(&overlay)?;
        super::state::sync_folder(&overlay)?;
        Ok(overlay)
    }

    /// The overlay of `version`, made when it has none.
    pub fn ensure_overlay(&self, version: u64) -> Result<PathBuf> {
        let overlay = self.overlay_file(version);
        if overlay.exists() {
            Ok(overlay)
        } else {
            self.fresh_overlay(version)
        }
    }

    pub fn remove_overlay(&self, version: u64) {
        let _ = std::fs::remove_file(self.overlay_file(version));
    }

    /// The data disk, made empty and sparse at `size` bytes when there is none. An existing
    /// disk smaller than `size` grows (the guest sees more room); it never shrinks.
    pub fn ensure_data_disk(&self, size: u64) -> Result<PathBuf> {
        let path = self.data_file();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .at(&path)?;
        if file.metadata().at(&path)?.len() < size {
            file.set_len(size).at(&path)?;
            file.sync_all().at(&path)?;
        }
        Ok(path)
    }

    /// Makes an installed version file read-only for everyone.
    pub fn seal(&self, version: u64) -> Result<()> {
        let path = self.image_file(version);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).at(&path)
    }

    /// Lets a version file be written again (only while it goes back to staging).
    pub fn unseal(path: &Path) -> Result<()> {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).at(path)
    }

    /// Hashes an installed version whole and compares it with its manifest.
    pub fn check_installed(&self, version: u64) -> Result<Check> {
        let manifest = self.installed_manifest(version)?;
        let path = self.image_file(version);
        let mut file = std::fs::File::open(&path).at(&path)?;
        let length = file.metadata().at(&path)?.len();
        if length != manifest.size {
            return Ok(Check::Damaged(format!(
                "it is {length} bytes, its manifest says {}",
                manifest.size
            )));
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(&mut file).at(&path)?;
        if ChunkId(*hasher.finalize().as_bytes()) != manifest.hash {
            return Ok(Check::Damaged(
                "its bytes differ from what was verified: something wrote to it".to_string(),
            ));
        }
        Ok(Check::Intact)
    }

    /// What this image takes on the device; `data_size` is the data disk's declared size.
    pub fn space(&self, installed: &[u64], data_size: Option<u64>) -> Result<Space> {
        let versions = installed
            .iter()
            .map(|&version| allocated(&self.image_file(version)))
            .sum();
        let overlays = std::fs::read_dir(self.root().join("overlays"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| allocated(&entry.path()))
                    .sum()
            })
            .unwrap_or(0);
        let data = if data_size.is_some() {
            allocated(&self.data_file())
        } else {
            0
        };
        Ok(Space {
            versions,
            overlays,
            data,
            data_headroom: data_size.unwrap_or(0).saturating_sub(data),
            free: free_bytes(self.root())?,
        })
    }

    /// Removes overlays of versions not in `keep` (and overlays half made by a crash).
    pub fn remove_unlisted_overlays(&self, keep: &[u64]) {
        let Ok(entries) = std::fs::read_dir(self.root().join("overlays")) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let wanted = name
                .to_str()
                .and_then(|name| name.strip_suffix(".qcow2"))
                .and_then(|stem| stem.parse::<u64>().ok())
                .is_some_and(|version| keep.contains(&version));
            if !wanted {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

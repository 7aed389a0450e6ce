//! The publisher's file handling: the input image as raw bytes, atomic writes into the
//! store, and the manifests already published.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::free_space;
use crate::error::IoContext;
use crate::{Error, Manifest, Result};

/// The input as a raw image: the file itself, or a sparse raw copy (of a qcow2 image, or with
/// its filesystems' free space zeroed) that is removed when this is dropped.
pub struct RawInput {
    path: PathBuf,
    temporaries: Vec<PathBuf>,
    pub free_space: free_space::Report,
}

impl RawInput {
    pub fn open(input: &Path, temporary_dir: &Path, keep_free_space: bool) -> Result<RawInput> {
        let mut raw = RawInput {
            path: input.to_path_buf(),
            temporaries: Vec::new(),
            free_space: free_space::Report::default(),
        };
        if is_qcow2(input)? {
            let path = temporary_dir.join(format!("input-{}.raw", std::process::id()));
            raw.temporaries.push(path.clone());
            convert_qcow2(input, &path)?;
            raw.path = path;
        }
        if !keep_free_space
            && let Some((path, report)) = free_space::zero_free_space(&raw.path, temporary_dir)?
        {
            raw.temporaries.push(path.clone());
            raw.path = path;
            raw.free_space = report;
        }
        Ok(raw)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RawInput {
    fn drop(&mut self) {
        for path in &self.temporaries {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn is_qcow2(input: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(input).at(input)?;
    Ok(std::io::Read::read_exact(&mut file, &mut magic).is_ok() && magic == *b"QFI\xfb")
}

/// The qcow2 image `input` as the guest sees it, as a sparse raw file at `path`.
fn convert_qcow2(input: &Path, path: &Path) -> Result<()> {
    let output = Command::new("qemu-img")
        .args(["convert", "-q", "-f", "qcow2", "-O", "raw"])
        .arg(input)
        .arg(path)
        .output()
        .map_err(|error| {
            Error::Usage(format!(
                "reading a qcow2 image needs qemu-img (qemu-utils): {error}"
            ))
        })?;
    if !output.status.success() {
        return Err(Error::Usage(format!(
            "qemu-img could not read {}: {}",
            input.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Writes `relative` under `store` through a temporary file, fsync and rename, so that a
/// reader never sees half a file.
pub fn write_atomically(store: &Path, relative: &str, bytes: &[u8]) -> Result<()> {
    let path = store.join(relative);
    let parent = path.parent().expect("store paths have a folder");
    std::fs::create_dir_all(parent).at(parent)?;
    let temporary = parent.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("file"),
        std::process::id()
    ));
    let mut file = std::fs::File::create(&temporary).at(&temporary)?;
    file.write_all(bytes).at(&temporary)?;
    file.sync_all().at(&temporary)?;
    std::fs::rename(&temporary, &path).at(&path)?;
    if let Ok(folder) = std::fs::File::open(parent) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// The manifests published for `image` in a local store, oldest first.
pub fn read_store_manifests(store: &Path, image: &str) -> Result<Vec<Manifest>> {
    let folder = store.join("manifests").join(image);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(Error::io(&folder, error)),
    };
    let mut manifests = Vec::new();
    for entry in entries {
        let path = entry.at(&folder)?.path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("json") {
            continue;
        }
        let bytes = std::fs::read(&path).at(&path)?;
        let manifest = Manifest::parse(&bytes).map_err(|error| {
            Error::Usage(format!(
                "the store's {} is unusable: {error}",
                path.display()
            ))
        })?;
        manifests.push(manifest);
    }
    manifests.sort_by_key(|manifest| manifest.version);
    Ok(manifests)
}

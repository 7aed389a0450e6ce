//! What a device can give its peers: every data chunk of the versions it holds (current,
//! ready, previous) and of the one it is fetching, found through manifests it verified before
//! it kept them. Nothing is served on trust of the disk either: a chunk is hashed again when
//! it is read, and a copy that no longer matches its name (a damaged disk, a staging file
//! still being filled) is not served.

use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::agent::ImageFolder;
use crate::{ChunkId, Manifest};

/// The zstd level chunks are compressed at for a peer: fast, since it is done for each
/// request, and the local network is not the link being saved.
pub const PEER_LEVEL: i32 = 3;

/// Where one copy of a chunk lies.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    file: PathBuf,
    offset: u64,
    length: u64,
}

/// A version this device holds, as its peers learn of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub image: String,
    pub version: u64,
    /// Still being fetched: only part of it can be served.
    pub partial: bool,
    /// The id of the key its manifest was signed with (see [`crate::signing::key_id`]).
    pub key: Option<String>,
}

/// The chunks of every image under a state folder, found again when a device's state changes.
#[derive(Debug)]
pub struct Holdings {
    state_dir: PathBuf,
    images: Option<Vec<String>>,
    index: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    /// Each image's state file and when it was last changed, as the index was built.
    stamp: Vec<(PathBuf, Option<SystemTime>)>,
    chunks: HashMap<ChunkId, Vec<Location>>,
    held: Vec<Held>,
}

impl Holdings {
    /// The images under `state_dir`: the ones named, or every folder that holds an image's
    /// state when `images` is `None`.
    pub fn new(state_dir: &Path, images: Option<Vec<String>>) -> Holdings {
        Holdings {
            state_dir: state_dir.to_owned(),
            images,
            index: Mutex::new(Index::default()),
        }
    }

    /// The versions held now.
    pub fn held(&self) -> Vec<Held> {
        self.fresh().held.clone()
    }

    /// The chunk named `id`, compressed for a peer, if this device holds a copy that still
    /// matches its name. Blocking: reads the disk and compresses.
    pub fn read(&self, id: ChunkId) -> Option<Vec<u8>> {
        let locations = self.fresh().chunks.get(&id).cloned().unwrap_or_default();
        for location in locations {
            let Ok(file) = std::fs::File::open(&location.file) else {
                continue;
            };
            let mut data = vec![0; location.length as usize];
            if file.read_exact_at(&mut data, location.offset).is_err() {
                continue;
            }
            if ChunkId::of(&data) != id {
                continue;
            }
            if let Ok(stored) = zstd::bulk::compress(&data, PEER_LEVEL) {
                return Some(stored);
            }
        }
        None
    }

    /// The index, built again when an image's state file changed since it was made.
    fn fresh(&self) -> std::sync::MutexGuard<'_, Index> {
        let mut index = self.index.lock().expect("holdings lock");
        let names = self.image_names();
        let stamp: Vec<(PathBuf, Option<SystemTime>)> = names
            .iter()
            .map(|name| {
                let file = self.state_dir.join(name).join("state.json");
                let changed = std::fs::metadata(&file)
                    .and_then(|meta| meta.modified())
                    .ok();
                (file, changed)
            })
            .collect();
        if stamp != index.stamp {
            *index = build(&self.state_dir, &names);
            index.stamp = stamp;
        }
        index
    }

    fn image_names(&self) -> Vec<String> {
        if let Some(images) = &self.images {
            return images.clone();
        }
        let mut names: Vec<String> = std::fs::read_dir(&self.state_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| crate::manifest::valid_image_name(name))
            .filter(|name| self.state_dir.join(name).join("state.json").is_file())
            .collect();
        names.sort();
        names
    }
}

fn build(state_dir: &Path, names: &[String]) -> Index {
    let mut index = Index::default();
    for name in names {
        let Ok(folder) = ImageFolder::open(state_dir, name) else {
            continue;
        };
        let Ok(state) = folder.load() else {
            tracing::warn!("{}: its state is unreadable; it is not shared", name);
            continue;
        };
        let mut versions: Vec<(u64, PathBuf, PathBuf, bool)> = state
            .installed()
            .into_iter()
            .map(|version| {
                (
                    version,
                    folder.manifest_file(version),
                    folder.image_file(version),
                    false,
                )
            })
            .collect();
        if let Some(pending) = state.pending {
            versions.push((
                pending,
                folder.staging_manifest(pending),
                folder.staging_file(pending),
                true,
            ));
        }
        for (version, manifest_file, image_file, partial) in versions {
            let Some(manifest) = std::fs::read(&manifest_file)
                .ok()
                .and_then(|bytes| Manifest::parse(&bytes).ok())
                .filter(|manifest| manifest.image == *name && manifest.version == version)
            else {
                continue;
            };
            for (id, entry_index) in manifest.unique_chunks() {
                let entry = manifest.chunks[entry_index as usize];
                index.chunks.entry(id).or_default().push(Location {
                    file: image_file.clone(),
                    offset: entry.offset,
                    length: entry.length,
                });
            }
            let key = std::fs::read_to_string(manifest_file.with_extension("json.minisig"))
                .ok()
                .and_then(|signature| crate::signing::signer_id(&signature));
            index.held.push(Held {
                image: name.clone(),
                version,
                partial,
                key,
            });
        }
    }
    index
}

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

/// Where a chunk lies: in which of the index's files, at what offset, how long. Kept small:
/// an image family of 20 GiB has some 400,000 distinct chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Location {
    file: u16,
    length: u32,
    offset: u64,
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
    held: Vec<Held>,
    /// Each held version's manifest and image file, newest first, the pending one last.
    sources: Vec<(PathBuf, PathBuf)>,
    /// Where each chunk lies (its newest copy), made when a peer first asks for one.
    chunks: Option<HashMap<ChunkId, Location>>,
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
        let (location, file) = {
            let mut index = self.fresh();
            let index = &mut *index;
            let chunks = index.chunks.get_or_insert_with(|| locate(&index.sources));
            let location = *chunks.get(&id)?;
            (location, index.sources[location.file as usize].1.clone())
        };
        let file = std::fs::File::open(file).ok()?;
        let mut data = vec![0; location.length as usize];
        file.read_exact_at(&mut data, location.offset).ok()?;
        if ChunkId::of(&data) != id {
            return None;
        }
        zstd::bulk::compress(&data, PEER_LEVEL).ok()
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

/// What the images under `state_dir` hold, from their state files (no manifest is read).
fn build(state_dir: &Path, names: &[String]) -> Index {
    let mut index = Index::default();
    for name in names {
        let Ok(folder) = ImageFolder::open(state_dir, name) else {
            continue;
        };
        let Ok(state) = folder.load() else {
            tracing::warn!("{name}: its state is unreadable; it is not shared");
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
            if !manifest_file.is_file() || index.sources.len() >= usize::from(u16::MAX) {
                continue;
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
            index.sources.push((manifest_file, image_file));
        }
    }
    index
}

/// Where each chunk of `sources` lies, its first copy kept. A manifest that no longer reads
/// as it did when it was verified (a damaged disk) gives nothing.
fn locate(sources: &[(PathBuf, PathBuf)]) -> HashMap<ChunkId, Location> {
    let mut chunks = HashMap::new();
    for (file, (manifest_file, _)) in sources.iter().enumerate() {
        let Some(manifest) = std::fs::read(manifest_file)
            .ok()
            .and_then(|bytes| Manifest::parse(&bytes).ok())
        else {
            continue;
        };
        for entry in &manifest.chunks {
            if let Some(id) = entry.id {
                chunks.entry(id).or_insert(Location {
                    file: file as u16,
                    length: entry.length as u32,
                    offset: entry.offset,
                });
            }
        }
    }
    chunks
}

//! `hearth-image verify`: checks a store as a device would see it: the channel, the signed
//! manifest, every chunk, every pack frame (a delta pack's against its base version's chunks),
//! and that the chunks make the whole image.

use std::collections::HashMap;
use std::path::Path;

use minisign::PublicKey;

use super::bases::BaseContent;
use crate::codec::{decode_chunk, decode_frame};
use crate::error::IoContext;
use crate::store::{self, Channel};
use crate::{ChunkId, Error, Manifest, Result};

#[derive(Debug)]
pub struct Verified {
    pub version: u64,
    pub size: u64,
    pub chunks: usize,
    pub packs: usize,
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let length = std::fs::metadata(path).at(path)?.len();
    if length > limit {
        return Err(Error::BadManifest(format!(
            "{} is {length} bytes, more than the {limit} allowed",
            path.display()
        )));
    }
    std::fs::read(path).at(path)
}

pub fn verify_store(store_root: &Path, image: &str, public_key: &PublicKey) -> Result<Verified> {
    let channel = Channel::parse(&read_bounded(
        &store_root.join(store::channel_path(image)),
        store::MAX_SMALL_FILE,
    )?)?;
    let manifest_file = store_root.join(&channel.manifest);
    let bytes = read_bounded(&manifest_file, crate::manifest::MAX_MANIFEST_BYTES)?;
    let signature = read_bounded(
        &store_root.join(store::signature_path(&channel.manifest)),
        store::MAX_SMALL_FILE,
    )?;
    crate::signing::verify(&bytes, &String::from_utf8_lossy(&signature), public_key)?;
    let manifest = Manifest::parse(&bytes)?;
    if manifest.image != image || manifest.version != channel.version {
        return Err(Error::BadManifest(format!(
            "the channel names {image} version {}, the manifest is {} version {}",
            channel.version, manifest.image, manifest.version
        )));
    }

    let mut lengths: HashMap<ChunkId, u64> = HashMap::new();
    for chunk in &manifest.chunks {
        if let Some(id) = chunk.id {
            lengths.insert(id, chunk.length);
        }
    }
    let mut hasher = blake3::Hasher::new();
    let zeros = vec![0u8; 1 << 20];
    for chunk in &manifest.chunks {
        match chunk.id {
            Some(id) => {
                let relative = store::chunk_path(id);
                let path = store_root.join(&relative);
                let stored = std::fs::read(&path).at(&path)?;
                if stored.len() as u64 != chunk.stored {
                    return Err(Error::Corrupt {
                        what: relative,
                        reason: format!(
                            "it is {} bytes, the manifest says {}",
                            stored.len(),
                            chunk.stored
                        ),
                    });
                }
                hasher.update(&decode_chunk(&stored, id, chunk.length, &relative)?);
            }
            None => {
                let mut left = chunk.length;
                while left > 0 {
                    let step = left.min(zeros.len() as u64);
                    hasher.update(&zeros[..step as usize]);
                    left -= step;
                }
            }
        }
    }
    if ChunkId(*hasher.finalize().as_bytes()) != manifest.hash {
        return Err(Error::Corrupt {
            what: channel.manifest.clone(),
            reason: "its chunks do not make the image it names".to_string(),
        });
    }

    let published = super::read_store_manifests(store_root, image)?;
    for pack in &manifest.packs {
        let base = pack.from.and_then(|from| {
            published
                .iter()
                .find(|manifest| manifest.version == from)
                .map(|manifest| BaseContent {
                    manifest,
                    store: store_root,
                })
        });
        let path = store_root.join(&pack.path);
        let file = std::fs::File::open(&path).at(&path)?;
        let length = file.metadata().at(&path)?.len();
        if length != pack.size {
            return Err(Error::Corrupt {
                what: pack.path.clone(),
                reason: format!("it is {length} bytes, the manifest says {}", pack.size),
            });
        }
        let mut buffer = Vec::new();
        for (index, frame) in pack.frames.iter().enumerate() {
            buffer.resize(frame.stored as usize, 0);
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut buffer, frame.offset)
                .at(&path)?;
            let what = format!("frame {index} of {}", pack.path);
            let reference = crate::reference::of_frame(frame, base.as_ref(), &what, |base| {
                base.load(&frame.base)
            })?;
            decode_frame(&manifest, frame, &buffer, &reference, &what, |_, _| Ok(()))?;
        }
    }
    Ok(Verified {
        version: manifest.version,
        size: manifest.size,
        chunks: manifest.chunks.len(),
        packs: manifest.packs.len(),
    })
}

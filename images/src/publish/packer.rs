//! Delta packs: the chunks a device on some version lacks, compressed together (which gets
//! far fewer bytes than compressing each on its own) in frames of at most 2 MiB that decode
//! independently, so a download resumes at a frame boundary.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::PublishOptions;
use crate::error::IoContext;
use crate::manifest::{Frame, Manifest, Pack};
use crate::{ChunkId, Error, Result, store};

/// Frames are grouped to about this many stored bytes, judging by the chunks' own files.
const FRAME_TARGET: u64 = 1536 << 10;
/// A frame that compresses to more than this is split and compressed again: a download never
/// loses more than this when it is cut off inside a frame.
pub const FRAME_LIMIT: u64 = 2 << 20;
/// Bytes of data one frame decodes to, at most.
const FRAME_DATA_LIMIT: u64 = 16 << 20;

/// A frame's chunk indices and its compressed bytes.
type CompressedFrame = (Vec<u32>, Vec<u8>);

pub fn write_pack(
    manifest: &Manifest,
    have: &HashSet<ChunkId>,
    raw: &Path,
    options: &PublishOptions,
) -> Result<Pack> {
    let groups = group_frames(manifest, have);
    let image = std::fs::File::open(raw).at(raw)?;
    let temporary = options
        .store
        .join(".tmp")
        .join(format!("pack-{}.tmp", std::process::id()));
    let mut output = std::io::BufWriter::new(std::fs::File::create(&temporary).at(&temporary)?);
    let mut hasher = blake3::Hasher::new();
    let mut frames = Vec::new();
    let mut offset = 0u64;
    let batch_size = options.threads.max(1) * 2;
    for batch in groups.chunks(batch_size) {
        let compressed: Vec<Result<Vec<CompressedFrame>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .chunks(batch.len().div_ceil(options.threads.max(1)))
                .map(|share| {
                    let image = &image;
                    scope.spawn(move || -> Result<Vec<CompressedFrame>> {
                        let mut out = Vec::new();
                        for group in share {
                            compress_group(
                                manifest,
                                image,
                                raw,
                                group.clone(),
                                options.pack_level,
                                &mut out,
                            )?;
                        }
                        Ok(out)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().expect("a pack worker never panics"))
                .collect()
        });
        for share in compressed {
            for (chunks, bytes) in share? {
                output.write_all(&bytes).at(&temporary)?;
                hasher.update(&bytes);
                frames.push(Frame {
                    offset,
                    stored: bytes.len() as u64,
                    chunks,
                });
                offset += bytes.len() as u64;
            }
        }
    }
    let file = output
        .into_inner()
        .map_err(|error| Error::io(&temporary, error.into_error()))?;
    file.sync_all().at(&temporary)?;
    let path = store::pack_path(ChunkId(*hasher.finalize().as_bytes()));
    let destination = options.store.join(&path);
    let folder = destination.parent().expect("pack paths have a folder");
    std::fs::create_dir_all(folder).at(folder)?;
    std::fs::rename(&temporary, &destination).at(&destination)?;
    Ok(Pack {
        from: None,
        path,
        size: offset,
        frames,
    })
}

/// The missing chunks in image order, grouped into frames by their stored sizes.
fn group_frames(manifest: &Manifest, have: &HashSet<ChunkId>) -> Vec<Vec<u32>> {
    let mut groups = Vec::new();
    let mut group = Vec::new();
    let (mut stored, mut data) = (0u64, 0u64);
    for (id, index) in manifest.unique_chunks() {
        if have.contains(&id) {
            continue;
        }
        let entry = &manifest.chunks[index as usize];
        if !group.is_empty()
            && (stored + entry.stored > FRAME_TARGET || data + entry.length > FRAME_DATA_LIMIT)
        {
            groups.push(std::mem::take(&mut group));
            (stored, data) = (0, 0);
        }
        group.push(index);
        stored += entry.stored;
        data += entry.length;
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// Compresses one group as a frame, splitting it in halves while it comes out too large.
fn compress_group(
    manifest: &Manifest,
    image: &std::fs::File,
    raw: &Path,
    group: Vec<u32>,
    level: i32,
    out: &mut Vec<CompressedFrame>,
) -> Result<()> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), level)
        .map_err(|error| Error::io(raw, error))?;
    encoder
        .include_checksum(true)
        .map_err(|error| Error::io(raw, error))?;
    let mut buffer = Vec::new();
    for &index in &group {
        let entry = &manifest.chunks[index as usize];
        buffer.resize(entry.length as usize, 0);
        image.read_exact_at(&mut buffer, entry.offset).at(raw)?;
        encoder
            .write_all(&buffer)
            .map_err(|error| Error::io(raw, error))?;
    }
    let bytes = encoder.finish().map_err(|error| Error::io(raw, error))?;
    if bytes.len() as u64 > FRAME_LIMIT && group.len() > 1 {
        let (first, second) = group.split_at(group.len() / 2);
        compress_group(manifest, image, raw, first.to_vec(), level, out)?;
        return compress_group(manifest, image, raw, second.to_vec(), level, out);
    }
    out.push((group, bytes));
    Ok(())
}

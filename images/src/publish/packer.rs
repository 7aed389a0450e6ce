//! Delta packs: the chunks a device on some version lacks, compressed together (which gets
//! far fewer bytes than compressing each on its own) and, for a device on a base version,
//! against that version's content at the same places, in frames of at most 2 MiB that decode
//! independently, so a download resumes at a frame boundary.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::PublishOptions;
use super::bases::BaseContent;
use crate::error::IoContext;
use crate::manifest::{Frame, Manifest, Pack};
use crate::{ChunkId, Error, Result, reference, store};

/// Frames are grouped to about this many stored bytes, judging by the chunks' own files.
const FRAME_TARGET: u64 = 1536 << 10;
/// A frame that compresses to more than this is split and compressed again: a download never
/// loses more than this when it is cut off inside a frame.
pub const FRAME_LIMIT: u64 = 2 << 20;
/// Bytes of data one frame decodes to, at most.
const FRAME_DATA_LIMIT: u64 = 16 << 20;

/// A frame's chunk indices, its base runs and its compressed bytes.
type CompressedFrame = (Vec<u32>, Vec<(u32, u32)>, Vec<u8>);

/// Writes the pack for a device on `base` (`None`: a first install) into the store.
pub fn write_pack(
    manifest: &Manifest,
    base: Option<&Manifest>,
    raw: &Path,
    options: &PublishOptions,
) -> Result<Pack> {
    let have: HashSet<ChunkId> = base
        .map(|base| base.chunks.iter().filter_map(|chunk| chunk.id).collect())
        .unwrap_or_default();
    let base = base.map(|manifest| BaseContent {
        manifest,
        store: &options.store,
    });
    let groups = group_frames(manifest, &have);
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
                    let (image, base) = (&image, base.as_ref());
                    scope.spawn(move || -> Result<Vec<CompressedFrame>> {
                        let mut out = Vec::new();
                        for group in share {
                            compress_group(
                                manifest,
                                image,
                                raw,
                                group.clone(),
                                options.pack_level,
                                base,
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
            for (chunks, base, bytes) in share? {
                output.write_all(&bytes).at(&temporary)?;
                hasher.update(&bytes);
                frames.push(Frame {
                    offset,
                    stored: bytes.len() as u64,
                    chunks,
                    base,
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

/// Compresses one group as a frame, against the base content at its chunks' places when there
/// is a base, splitting it in halves while it comes out too large.
fn compress_group(
    manifest: &Manifest,
    image: &std::fs::File,
    raw: &Path,
    group: Vec<u32>,
    level: i32,
    base: Option<&BaseContent>,
    out: &mut Vec<CompressedFrame>,
) -> Result<()> {
    let zstd_error = |error| Error::io(raw, error);
    let runs = base
        .map(|base| base.choose(manifest, &group))
        .unwrap_or_default();
    let reference = match base {
        Some(base) if !runs.is_empty() => base.load(&runs)?,
        _ => Vec::new(),
    };
    let data: u64 = group
        .iter()
        .map(|&index| manifest.chunks[index as usize].length)
        .sum();
    let mut encoder = if reference.is_empty() {
        zstd::stream::write::Encoder::new(Vec::new(), level).map_err(zstd_error)?
    } else {
        let mut encoder =
            zstd::stream::write::Encoder::with_ref_prefix(Vec::new(), level, &reference)
                .map_err(zstd_error)?;
        encoder
            .window_log(reference::window_log(reference.len() as u64, data))
            .map_err(zstd_error)?;
        // Long-distance matching finds the reference's long runs at every level; the fast
        // levels' own match finders barely look into a large prefix.
        encoder.long_distance_matching(true).map_err(zstd_error)?;
        encoder
            .set_pledged_src_size(Some(data))
            .map_err(zstd_error)?;
        encoder
    };
    encoder.include_checksum(true).map_err(zstd_error)?;
    let mut buffer = Vec::new();
    for &index in &group {
        let entry = &manifest.chunks[index as usize];
        buffer.resize(entry.length as usize, 0);
        image.read_exact_at(&mut buffer, entry.offset).at(raw)?;
        encoder.write_all(&buffer).map_err(zstd_error)?;
    }
    let bytes = encoder.finish().map_err(zstd_error)?;
    if bytes.len() as u64 > FRAME_LIMIT && group.len() > 1 {
        let (first, second) = group.split_at(group.len() / 2);
        compress_group(manifest, image, raw, first.to_vec(), level, base, out)?;
        return compress_group(manifest, image, raw, second.to_vec(), level, base, out);
    }
    out.push((group, runs, bytes));
    Ok(())
}

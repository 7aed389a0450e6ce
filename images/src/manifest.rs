//! The signed description of one image version: its chunks in order, the packs on offer, and
//! the checks that make a hostile manifest cost nothing but its refusal.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{ChunkId, Error, Result};

/// The manifest format this build reads and writes.
pub const FORMAT: u32 = 2;
/// A manifest larger than this is refused before it is parsed (a 20 GiB image with 64 KiB
/// chunks needs about 40 MiB; sparse images far less).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// The largest image a manifest may describe.
pub const MAX_IMAGE_SIZE: u64 = 64 << 40;
/// The largest data chunk: what the agent holds in memory per chunk.
pub const MAX_CHUNK: u64 = 4 << 20;
/// The most bytes one pack frame may decode to: what the agent holds in memory per frame.
pub const MAX_FRAME: u64 = 32 << 20;
/// The most chunks one manifest may list.
const MAX_CHUNKS: usize = 4 << 20;
/// The most base-version chunks one frame may refer to (their bytes are bounded by
/// [`crate::reference::MAX_REFERENCE`] once the base manifest is at hand).
const MAX_REFERENCE_CHUNKS: u64 = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub image: String,
    pub version: u64,
    /// Bytes in the whole image.
    pub size: u64,
    /// BLAKE3 of the whole image as the guest sees it (`b3sum` prints the same).
    pub hash: ChunkId,
    pub chunking: Chunking,
    /// The image in order, each entry starting where the previous one ended.
    pub chunks: Vec<ChunkEntry>,
    pub packs: Vec<Pack>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chunking {
    pub min: u32,
    pub avg: u32,
    pub max: u32,
}

/// One stretch of the image: data named by its hash, or a run of zeros (`id: None`) that is
/// never stored nor fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "(u64, u64, Option<ChunkId>, u64)",
    into = "(u64, u64, Option<ChunkId>, u64)"
)]
pub struct ChunkEntry {
    pub offset: u64,
    pub length: u64,
    pub id: Option<ChunkId>,
    /// Bytes of its compressed file in the store (0 for zeros).
    pub stored: u64,
}

impl From<(u64, u64, Option<ChunkId>, u64)> for ChunkEntry {
    fn from((offset, length, id, stored): (u64, u64, Option<ChunkId>, u64)) -> Self {
        ChunkEntry {
            offset,
            length,
            id,
            stored,
        }
    }
}

impl From<ChunkEntry> for (u64, u64, Option<ChunkId>, u64) {
    fn from(entry: ChunkEntry) -> Self {
        (entry.offset, entry.length, entry.id, entry.stored)
    }
}

/// The chunks a device on version `from` lacks (`None`: a device with nothing), compressed
/// together into independently decodable frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    pub from: Option<u64>,
    /// Relative to the store's root: `packs/<blake3 of the file>.pack`.
    pub path: String,
    pub size: u64,
    pub frames: Vec<Frame>,
}

/// A zstd frame of a pack: `stored` bytes at `offset`, decoding to the listed chunks (indices
/// into [`Manifest::chunks`]) one after another.
///
/// A frame of a delta pack may be compressed against content the device already holds: the
/// chunks of the pack's base version listed in `base`, as runs `[first, end)` of indices into
/// that version's manifest, whose data one after another is the frame's zstd prefix. That is
/// what brings a changed block for the cost of its difference (see [`crate::reference`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "(u64, u64, Vec<u32>, Vec<(u32, u32)>)",
    into = "(u64, u64, Vec<u32>, Vec<(u32, u32)>)"
)]
pub struct Frame {
    pub offset: u64,
    pub stored: u64,
    pub chunks: Vec<u32>,
    pub base: Vec<(u32, u32)>,
}

type FrameTuple = (u64, u64, Vec<u32>, Vec<(u32, u32)>);

impl From<FrameTuple> for Frame {
    fn from((offset, stored, chunks, base): FrameTuple) -> Self {
        Frame {
            offset,
            stored,
            chunks,
            base,
        }
    }
}

/// A frame with nothing from a base version.
impl From<(u64, u64, Vec<u32>)> for Frame {
    fn from((offset, stored, chunks): (u64, u64, Vec<u32>)) -> Self {
        Frame::from((offset, stored, chunks, Vec::new()))
    }
}

impl From<Frame> for FrameTuple {
    fn from(frame: Frame) -> Self {
        (frame.offset, frame.stored, frame.chunks, frame.base)
    }
}

/// The most bytes zstd may need for `length` input bytes, with room for the frame header.
pub fn stored_bound(length: u64) -> u64 {
    length + length / 128 + 1024
}

/// Image names: what goes into file names and URLs.
pub fn valid_image_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

fn refuse<T>(reason: impl Into<String>) -> Result<T> {
    Err(Error::BadManifest(reason.into()))
}

/// A frame's base runs: only in a delta pack, each non-empty, in order without overlaps, and
/// not too many chunks in all. Whether they name data chunks of the base version is checked
/// against its manifest when the frame is decoded.
fn validate_base(pack: &Pack, index: usize, frame: &Frame) -> Result<()> {
    if frame.base.is_empty() {
        return Ok(());
    }
    if pack.from.is_none() {
        return refuse(format!(
            "frame {index} of {} refers to a base version, in a pack for a first install",
            pack.path
        ));
    }
    let mut previous_end = 0u32;
    let mut count = 0u64;
    for &(first, end) in &frame.base {
        if first >= end || first < previous_end {
            return refuse(format!(
                "frame {index} of {} lists base chunks {first}..{end} out of order",
                pack.path
            ));
        }
        previous_end = end;
        count += u64::from(end - first);
    }
    if count > MAX_REFERENCE_CHUNKS {
        return refuse(format!(
            "frame {index} of {} refers to {count} base chunks",
            pack.path
        ));
    }
    Ok(())
}

impl Manifest {
    /// Parses and checks a manifest whose signature has already been verified.
    pub fn parse(bytes: &[u8]) -> Result<Manifest> {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return refuse(format!(
                "it is {} bytes, more than the {} allowed",
                bytes.len(),
                MAX_MANIFEST_BYTES
            ));
        }
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|error| Error::BadManifest(format!("it is not a manifest: {error}")))?;
        manifest.validate()?;
        Ok(manifest)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest always serialises")
    }

    /// Everything a hostile publisher or mirror could get wrong, refused with the reason.
    pub fn validate(&self) -> Result<()> {
        if self.format != FORMAT {
            return refuse(format!(
                "format {} is not the format {FORMAT} this Hearth reads",
                self.format
            ));
        }
        if !valid_image_name(&self.image) {
            return refuse(format!("{:?} is not a valid image name", self.image));
        }
        if self.version == 0 {
            return refuse("versions start at 1");
        }
        if self.size > MAX_IMAGE_SIZE {
            return refuse(format!(
                "it declares an image of {} bytes, more than the {MAX_IMAGE_SIZE} allowed",
                self.size
            ));
        }
        let Chunking { min, avg, max } = self.chunking;
        if !(64 <= min && min <= avg && avg <= max && u64::from(max) <= MAX_CHUNK) {
            return refuse(format!("chunk sizes {min}/{avg}/{max} are not sane"));
        }
        if self.chunks.len() > MAX_CHUNKS {
            return refuse(format!("it lists {} chunks", self.chunks.len()));
        }
        self.validate_chunks()?;
        self.validate_packs()
    }

    fn validate_chunks(&self) -> Result<()> {
        let mut end = 0u64;
        let mut lengths: HashMap<ChunkId, u64> = HashMap::new();
        for (index, chunk) in self.chunks.iter().enumerate() {
            if chunk.offset < end {
                return refuse(format!(
                    "chunk {index} at offset {} overlaps the chunk before it, which ends at {end}",
                    chunk.offset
                ));
            }
            if chunk.offset > end {
                return refuse(format!(
                    "chunk {index} starts at {}, leaving a gap after {end}",
                    chunk.offset
                ));
            }
            if chunk.length == 0 {
                return refuse(format!("chunk {index} is empty"));
            }
            match chunk.id {
                Some(id) => {
                    if chunk.length > u64::from(self.chunking.max) {
                        return refuse(format!(
                            "chunk {index} is {} bytes, more than the {} maximum",
                            chunk.length, self.chunking.max
                        ));
                    }
                    if chunk.stored == 0 || chunk.stored > stored_bound(chunk.length) {
                        return refuse(format!(
                            "chunk {index} claims {} stored bytes for {} bytes of data",
                            chunk.stored, chunk.length
                        ));
                    }
                    if *lengths.entry(id).or_insert(chunk.length) != chunk.length {
                        return refuse(format!("chunk {id} is listed with two lengths"));
                    }
                }
                None if chunk.stored != 0 => {
                    return refuse(format!("run of zeros {index} claims stored bytes"));
                }
                None => {}
            }
            end = match chunk.offset.checked_add(chunk.length) {
                Some(end) if end <= self.size => end,
                _ => {
                    return refuse(format!(
                        "chunk {index} at offset {} runs past the image's end at {}",
                        chunk.offset, self.size
                    ));
                }
            };
        }
        if end != self.size {
            return refuse(format!(
                "its chunks cover {end} bytes of an image of {}",
                self.size
            ));
        }
        Ok(())
    }

    fn validate_packs(&self) -> Result<()> {
        let mut bases = std::collections::HashSet::new();
        for pack in &self.packs {
            if !bases.insert(pack.from) {
                return refuse("two packs are offered for the same base version");
            }
            if pack.from.is_some_and(|from| from >= self.version) {
                return refuse("a pack's base version is not older than the manifest's");
            }
            if !crate::store::is_pack_path(&pack.path) {
                return refuse(format!("{:?} is not a pack's path", pack.path));
            }
            let mut end = 0u64;
            for (index, frame) in pack.frames.iter().enumerate() {
                if frame.offset != end {
                    return refuse(format!(
                        "frame {index} of {} starts at {}, not where the frame before it ends ({end})",
                        pack.path, frame.offset
                    ));
                }
                let mut decoded = 0u64;
                for &chunk in &frame.chunks {
                    match self.chunks.get(chunk as usize) {
                        Some(ChunkEntry {
                            id: Some(_),
                            length,
                            ..
                        }) => decoded += length,
                        _ => {
                            return refuse(format!(
                                "frame {index} of {} names chunk {chunk}, which is not a data chunk",
                                pack.path
                            ));
                        }
                    }
                    if decoded > MAX_FRAME {
                        return refuse(format!(
                            "frame {index} of {} decodes to more than {MAX_FRAME} bytes",
                            pack.path
                        ));
                    }
                }
                if frame.chunks.is_empty()
                    || frame.stored == 0
                    || frame.stored > stored_bound(decoded)
                {
                    return refuse(format!(
                        "frame {index} of {} claims {} stored bytes for {decoded} bytes of data",
                        pack.path, frame.stored
                    ));
                }
                validate_base(pack, index, frame)?;
                end = frame.offset + frame.stored;
            }
            if end != pack.size {
                return refuse(format!(
                    "the frames of {} cover {end} bytes of {}",
                    pack.path, pack.size
                ));
            }
        }
        Ok(())
    }

    /// Unique data chunks, each with the index of its first entry, in image order.
    pub fn unique_chunks(&self) -> Vec<(ChunkId, u32)> {
        let mut seen = std::collections::HashSet::new();
        let mut unique = Vec::new();
        for (index, chunk) in self.chunks.iter().enumerate() {
            if let Some(id) = chunk.id
                && seen.insert(id)
            {
                unique.push((id, index as u32));
            }
        }
        unique
    }

    /// Bytes of data (not zeros) in the image.
    pub fn data_bytes(&self) -> u64 {
        self.chunks
            .iter()
            .filter(|chunk| chunk.id.is_some())
            .map(|chunk| chunk.length)
            .sum()
    }

    pub fn pack_from(&self, from: Option<u64>) -> Option<&Pack> {
        self.packs.iter().find(|pack| pack.from == from)
    }
}

#[cfg(test)]
mod tests;

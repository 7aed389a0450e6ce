//! What a delta frame is compressed against: the chunks of its base version that held the same
//! place in the image as the frame's chunks hold now. A filesystem changes most of its
//! metadata (inode tables, bitmaps, directories, the journal) and many files in place, so the
//! old content at a place is the best guess at what the new content there resembles; the
//! device has it, so a frame then costs about the difference.

use std::collections::BTreeSet;
use std::path::Path;

use crate::codec::decode_chunk;
use crate::error::IoContext;
use crate::manifest::Manifest;
use crate::{Result, reference, store};

/// Bytes of base content one frame is compressed against, at most: about what a frame holds,
/// well under [`reference::MAX_REFERENCE`].
const BUDGET: u64 = 8 << 20;

/// A base version, its chunks read back from the store.
pub struct BaseContent<'a> {
    pub manifest: &'a Manifest,
    pub store: &'a Path,
}

impl BaseContent<'_> {
    /// The base chunks overlapping the places of `group`'s chunks (indices into `new`), as runs,
    /// until the budget is spent.
    pub fn choose(&self, new: &Manifest, group: &[u32]) -> Vec<(u32, u32)> {
        let chunks = &self.manifest.chunks;
        let mut chosen = BTreeSet::new();
        let mut bytes = 0u64;
        'group: for &index in group {
            let entry = &new.chunks[index as usize];
            let end = entry.offset + entry.length;
            let first = chunks.partition_point(|chunk| chunk.offset + chunk.length <= entry.offset);
            for (at, chunk) in chunks.iter().enumerate().skip(first) {
                if chunk.offset >= end {
                    break;
                }
                if chunk.id.is_none() || chosen.contains(&(at as u32)) {
                    continue;
                }
                if bytes + chunk.length > BUDGET {
                    break 'group;
                }
                chosen.insert(at as u32);
                bytes += chunk.length;
            }
        }
        reference::runs(chosen)
    }

    /// The content of `runs`, from the base version's chunk files.
    pub fn load(&self, runs: &[(u32, u32)]) -> Result<Vec<u8>> {
        reference::load(
            self.manifest,
            runs,
            "a base version in the store",
            |entry, slot| {
                let id = entry.id.expect("references name data chunks (checked)");
                let path = self.store.join(store::chunk_path(id));
                let stored = std::fs::read(&path).at(&path)?;
                let data = decode_chunk(&stored, id, entry.length, &path.display().to_string())?;
                slot.copy_from_slice(&data);
                Ok(())
            },
        )
    }
}

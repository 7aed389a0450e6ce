//! A delta frame's reference: chunks of the pack's base version, which the device already
//! holds, that the frame was compressed against as a zstd prefix. A block changed in place (an
//! inode table, a bitmap, a directory, a file rewritten where it was) then costs about its
//! difference, as with OSTree's static deltas or `zstd --patch-from`, while every frame still
//! decodes on its own and a download still resumes at any frame.

use crate::manifest::{ChunkEntry, Frame, Manifest};
use crate::{ChunkId, Error, Result};

/// The most bytes a frame's reference may hold: what the agent keeps in memory beside the
/// frame it decodes.
pub const MAX_REFERENCE: u64 = 16 << 20;
/// The largest zstd window a frame may ask for: a whole frame and a whole reference.
pub const WINDOW_LOG_MAX: u32 = 26;

/// The base chunk indices that `runs` name, in order.
pub fn indices(runs: &[(u32, u32)]) -> impl Iterator<Item = u32> + '_ {
    runs.iter().flat_map(|&(first, end)| first..end)
}

/// Runs `[first, end)` from ascending, distinct indices.
pub fn runs(indices: impl IntoIterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for index in indices {
        match runs.last_mut() {
            Some((_, end)) if *end == index => *end += 1,
            _ => runs.push((index, index + 1)),
        }
    }
    runs
}

/// The window that lets the end of a frame's data reach back to the start of its reference.
pub fn window_log(reference: u64, data: u64) -> u32 {
    (reference + data)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(10, WINDOW_LOG_MAX)
}

/// `frame`'s reference: nothing for a frame compressed on its own, else what `load` reads
/// from its base version, which must be at hand (its absence is reported like a damaged frame).
pub fn of_frame<B>(
    frame: &Frame,
    base: Option<B>,
    what: &str,
    load: impl FnOnce(B) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    match base {
        _ if frame.base.is_empty() => Ok(Vec::new()),
        Some(base) => load(base),
        None => Err(Error::Corrupt {
            what: what.to_string(),
            reason: "its base version is not at hand".to_string(),
        }),
    }
}

/// Puts together the reference `runs` name from `base`'s chunks, each read by `read` (from an
/// installed image, or from the store) and checked against its name: a chunk that changed
/// since (a VM that wrote to its disk) makes the frame undecodable here, which is reported
/// like a damaged frame, so its chunks are fetched one by one instead.
pub fn load(
    base: &Manifest,
    runs: &[(u32, u32)],
    what: &str,
    mut read: impl FnMut(&ChunkEntry, &mut [u8]) -> Result<()>,
) -> Result<Vec<u8>> {
    let unusable = |reason: String| Error::Corrupt {
        what: what.to_string(),
        reason,
    };
    let mut total = 0u64;
    for index in indices(runs) {
        match base.chunks.get(index as usize) {
            Some(entry) if entry.id.is_some() => total += entry.length,
            _ => {
                return Err(unusable(format!(
                    "it refers to chunk {index} of version {}, which is not a data chunk",
                    base.version
                )));
            }
        }
        if total > MAX_REFERENCE {
            return Err(unusable(format!(
                "it refers to more than {MAX_REFERENCE} bytes of version {}",
                base.version
            )));
        }
    }
    let mut reference = vec![0u8; total as usize];
    let mut at = 0usize;
    for index in indices(runs) {
        let entry = &base.chunks[index as usize];
        let slot = &mut reference[at..at + entry.length as usize];
        read(entry, slot)?;
        if Some(ChunkId::of(slot)) != entry.id {
            return Err(unusable(format!(
                "chunk {index} of version {} on this device no longer matches its hash",
                base.version
            )));
        }
        at += entry.length as usize;
    }
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_round_trip() {
        let list = [3, 4, 5, 9, 11, 12];
        let runs = runs(list);
        assert_eq!(runs, vec![(3, 6), (9, 10), (11, 13)]);
        assert_eq!(indices(&runs).collect::<Vec<_>>(), list);
    }

    #[test]
    fn the_window_covers_reference_and_data() {
        assert_eq!(window_log(3 << 20, 3 << 20), 23);
        assert_eq!(window_log(8 << 20, 8 << 20), 24);
        assert_eq!(window_log(1, 1), 10);
        assert_eq!(window_log(MAX_REFERENCE, 1 << 40), WINDOW_LOG_MAX);
    }
}

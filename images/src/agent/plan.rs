//! What to download: ranges of a delta pack's frames (a few large requests, resumable at any
//! frame) or single chunks, whichever costs the fewest bytes for what the device still
//! lacks; and how devices fetching the same version together share one plan out.

use std::collections::HashSet;

use crate::{ChunkId, Manifest};

/// One request never asks for more than this (unless a single frame is larger), so a run cut
/// off mid-request loses at most this much.
pub const RANGE_LIMIT: u64 = 2 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Frames `first..end` of pack `pack` (an index into the manifest's packs), one request.
    Frames {
        pack: usize,
        first: usize,
        end: usize,
    },
    /// A single chunk: the index of its first entry.
    Chunk(u32),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub pieces: Vec<Piece>,
    pub bytes: u64,
}

/// The cheapest way to fetch `missing` for a device holding the `installed` versions.
pub fn plan(
    manifest: &Manifest,
    missing: &HashSet<ChunkId>,
    installed: &[u64],
    use_packs: bool,
) -> Plan {
    let singles = |ids: &mut dyn Iterator<Item = ChunkId>| -> (Vec<Piece>, u64) {
        let mut pieces = Vec::new();
        let mut bytes = 0;
        let mut wanted: HashSet<ChunkId> = ids.collect();
        for (index, chunk) in manifest.chunks.iter().enumerate() {
            if let Some(id) = chunk.id
                && wanted.remove(&id)
            {
                pieces.push(Piece::Chunk(index as u32));
                bytes += chunk.stored;
            }
        }
        (pieces, bytes)
    };
    let (pieces, bytes) = singles(&mut missing.iter().copied());
    let mut best = Plan { pieces, bytes };
    if !use_packs || missing.is_empty() {
        return best;
    }
    for (pack_index, pack) in manifest.packs.iter().enumerate() {
        if pack.from.is_some_and(|from| !installed.contains(&from)) {
            continue;
        }
        let mut covered = HashSet::new();
        let mut pieces = Vec::new();
        let mut bytes = 0;
        let mut open: Option<(usize, usize, u64)> = None;
        for (frame_index, frame) in pack.frames.iter().enumerate() {
            let ids: Vec<ChunkId> = frame
                .chunks
                .iter()
                .filter_map(|&chunk| manifest.chunks[chunk as usize].id)
                .collect();
            if !ids.iter().any(|id| missing.contains(id)) {
                if let Some((first, end, _)) = open.take() {
                    pieces.push(Piece::Frames {
                        pack: pack_index,
                        first,
                        end,
                    });
                }
                continue;
            }
            covered.extend(ids);
            bytes += frame.stored;
            open = match open {
                Some((first, end, size))
                    if end == frame_index && size + frame.stored <= RANGE_LIMIT =>
                {
                    Some((first, frame_index + 1, size + frame.stored))
                }
                Some((first, end, _)) => {
                    pieces.push(Piece::Frames {
                        pack: pack_index,
                        first,
                        end,
                    });
                    Some((frame_index, frame_index + 1, frame.stored))
                }
                None => Some((frame_index, frame_index + 1, frame.stored)),
            };
        }
        if let Some((first, end, _)) = open {
            pieces.push(Piece::Frames {
                pack: pack_index,
                first,
                end,
            });
        }
        let (extra, extra_bytes) = singles(&mut missing.difference(&covered).copied());
        pieces.extend(extra);
        bytes += extra_bytes;
        if bytes < best.bytes || (bytes == best.bytes && pieces.len() < best.pieces.len()) {
            best = Plan { pieces, bytes };
        }
    }
    best
}

/// The part of `plan` that device `rank` of `members` fetching the same version together
/// takes from the mirrors: a contiguous `1/members` of the plan's frames (so its ranges stay
/// long) and the single chunks whose hash falls to it. Devices on the same versions make the
/// same plan, so together they fetch each piece once.
pub fn share(manifest: &Manifest, plan: &Plan, members: usize, rank: usize) -> Plan {
    let members = members.max(1);
    let frames: usize = plan
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Frames { first, end, .. } => end - first,
            Piece::Chunk(_) => 0,
        })
        .sum();
    // Frame number `n` of the plan's frames, counted across its ranges, is taken by member
    // `n * members / frames`.
    let (low, high) = (
        (frames * rank).div_ceil(members),
        (frames * (rank + 1)).div_ceil(members),
    );
    let mut share = Plan::default();
    let mut counted = 0;
    for piece in &plan.pieces {
        match *piece {
            Piece::Frames { pack, first, end } => {
                let (from, to) = (counted, counted + (end - first));
                counted = to;
                let (start, stop) = (from.max(low), to.min(high));
                if start < stop {
                    let (first, end) = (first + start - from, first + stop - from);
                    share.bytes += manifest.packs[pack].frames[first..end]
                        .iter()
                        .map(|frame| frame.stored)
                        .sum::<u64>();
                    share.pieces.push(Piece::Frames { pack, first, end });
                }
            }
            Piece::Chunk(index) => {
                let entry = &manifest.chunks[index as usize];
                if entry
                    .id
                    .is_some_and(|id| id.0[0] as usize % members == rank)
                {
                    share.bytes += entry.stored;
                    share.pieces.push(Piece::Chunk(index));
                }
            }
        }
    }
    share
}

/// The data chunks `plan` brings, as indices of their entries in the manifest.
pub fn chunks_of(manifest: &Manifest, plan: &Plan) -> Vec<u32> {
    let mut chunks = Vec::new();
    for piece in &plan.pieces {
        match *piece {
            Piece::Frames { pack, first, end } => {
                for frame in &manifest.packs[pack].frames[first..end] {
                    chunks.extend(frame.chunks.iter().copied());
                }
            }
            Piece::Chunk(index) => chunks.push(index),
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ChunkEntry, Chunking, FORMAT, Frame, Pack};

    fn id(n: u8) -> ChunkId {
        ChunkId([n; 32])
    }

    /// Six chunks of 1 MiB stored in 400 KiB each; a pack from version 1 holding chunks 2-5
    /// in two frames of 600 KiB, and one for a first install in three frames of 700 KiB.
    fn manifest() -> Manifest {
        let chunks = (0..6)
            .map(|n| ChunkEntry {
                offset: n << 20,
                length: 1 << 20,
                id: Some(id(n as u8)),
                stored: 400 << 10,
            })
            .collect();
        Manifest {
            format: FORMAT,
            image: "work".to_string(),
            version: 2,
            size: 6 << 20,
            hash: id(99),
            chunking: Chunking {
                min: 1 << 10,
                avg: 1 << 19,
                max: 2 << 20,
            },
            chunks,
            packs: vec![
                Pack {
                    from: Some(1),
                    path: format!("packs/{}.pack", "a".repeat(64)),
                    size: 1200 << 10,
                    frames: vec![
                        Frame::from((0, 600 << 10, vec![2, 3])),
                        Frame::from((600 << 10, 600 << 10, vec![4, 5])),
                    ],
                },
                Pack {
                    from: None,
                    path: format!("packs/{}.pack", "b".repeat(64)),
                    size: 2100 << 10,
                    frames: vec![
                        Frame::from((0, 700 << 10, vec![0, 1])),
                        Frame::from((700 << 10, 700 << 10, vec![2, 3])),
                        Frame::from((1400 << 10, 700 << 10, vec![4, 5])),
                    ],
                },
            ],
        }
    }

    fn missing(ids: &[u8]) -> HashSet<ChunkId> {
        ids.iter().map(|&n| id(n)).collect()
    }

    fn check(
        missing_ids: &[u8],
        installed: &[u64],
        use_packs: bool,
        pieces: Vec<Piece>,
        bytes: u64,
    ) {
        let plan = plan(&manifest(), &missing(missing_ids), installed, use_packs);
        assert_eq!(plan, Plan { pieces, bytes });
    }

    #[test]
    fn the_cheapest_way_is_planned() {
        // On version 1: both frames of its pack, in one range (1.2 MiB < 2 MiB).
        check(
            &[2, 3, 4, 5],
            &[1],
            true,
            vec![Piece::Frames {
                pack: 0,
                first: 0,
                end: 2,
            }],
            1200 << 10,
        );
        // Packs off: single chunks.
        check(
            &[2, 3, 4, 5],
            &[1],
            false,
            vec![
                Piece::Chunk(2),
                Piece::Chunk(3),
                Piece::Chunk(4),
                Piece::Chunk(5),
            ],
            1600 << 10,
        );
        // One chunk left (an earlier run fetched the rest): a frame would cost more than it.
        check(&[4], &[1], true, vec![Piece::Chunk(4)], 400 << 10);
        // A device with nothing: the first-install pack, ranges cut at 2 MiB.
        check(
            &[0, 1, 2, 3, 4, 5],
            &[],
            true,
            vec![
                Piece::Frames {
                    pack: 1,
                    first: 0,
                    end: 2,
                },
                Piece::Frames {
                    pack: 1,
                    first: 2,
                    end: 3,
                },
            ],
            2100 << 10,
        );
        // A device on version 1 whose copy of chunk 0 went bad (a VM wrote to its disk): the
        // pack from 1, and chunk 0 on its own.
        check(
            &[0, 2, 3, 4, 5],
            &[1],
            true,
            vec![
                Piece::Frames {
                    pack: 0,
                    first: 0,
                    end: 2,
                },
                Piece::Chunk(0),
            ],
            1600 << 10,
        );
        // A pack from a version the device does not hold is not used; the first-install
        // pack's frame is cheaper than two chunks.
        check(
            &[2, 3],
            &[7],
            true,
            vec![Piece::Frames {
                pack: 1,
                first: 1,
                end: 2,
            }],
            700 << 10,
        );
        check(&[], &[1], true, vec![], 0);
    }

    #[test]
    fn devices_fetching_together_share_the_plan_without_overlap_or_gap() {
        let manifest = manifest();
        let plan = plan(&manifest, &missing(&[0, 1, 2, 3, 4, 5]), &[], true);
        for members in 1..=4 {
            let mut together: Vec<u32> = (0..members)
                .flat_map(|rank| chunks_of(&manifest, &share(&manifest, &plan, members, rank)))
                .collect();
            together.sort_unstable();
            assert_eq!(together, chunks_of(&manifest, &plan), "{members} devices");
            let bytes: u64 = (0..members)
                .map(|rank| share(&manifest, &plan, members, rank).bytes)
                .sum();
            assert_eq!(bytes, plan.bytes, "{members} devices");
        }
        // Two devices: the first install pack's three frames split two and one.
        assert_eq!(
            share(&manifest, &plan, 2, 0).pieces,
            vec![Piece::Frames {
                pack: 1,
                first: 0,
                end: 2
            }]
        );
        // A plan using a few frames of a pack splits those frames, wherever they lie.
        let late = super::plan(&manifest, &missing(&[4, 5]), &[], true);
        assert_eq!(
            late.pieces,
            vec![Piece::Frames {
                pack: 1,
                first: 2,
                end: 3
            }]
        );
        assert_eq!(share(&manifest, &late, 2, 0).pieces, late.pieces);
        assert_eq!(share(&manifest, &late, 2, 1).pieces, vec![]);
        let singles = plan_chunks_only(&manifest);
        let mut together: Vec<u32> = (0..3)
            .flat_map(|rank| chunks_of(&manifest, &share(&manifest, &singles, 3, rank)))
            .collect();
        together.sort_unstable();
        assert_eq!(together, vec![0, 1, 2, 3, 4, 5]);
    }

    fn plan_chunks_only(manifest: &Manifest) -> Plan {
        plan(manifest, &missing(&[0, 1, 2, 3, 4, 5]), &[], false)
    }
}

//! What to download and downloading it: ranges of a delta pack's frames (a few large
//! requests, resumable at any frame) or single chunks several at a time, whichever costs the
//! fewest bytes for what the device still lacks.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::control::Control;
use super::http::{Failure, Mirrors};
use super::staging::Staging;
use crate::codec::{decode_chunk, decode_frame};
use crate::error::IoContext;
use crate::{ChunkId, Error, Manifest, Result, store};

/// One request never asks for more than this (unless a single frame is larger), so a run cut
/// off mid-request loses at most this much.
pub const RANGE_LIMIT: u64 = 2 << 20;
/// Frames decoded and written while the next ones arrive.
const FRAMES_IN_FLIGHT: usize = 2;

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

/// An installed version: what delta frames for it are decoded against.
#[derive(Clone)]
pub struct Installed {
    pub manifest: Arc<Manifest>,
    pub image: PathBuf,
}

impl Installed {
    /// The base content `frame` was compressed against, read from this version's image.
    fn reference(&self, frame: &crate::Frame, what: &str) -> Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(&self.image).map_err(|error| Error::Corrupt {
            what: what.to_string(),
            reason: format!(
                "version {} is not readable on this device: {error}",
                self.manifest.version
            ),
        })?;
        crate::reference::load(&self.manifest, &frame.base, what, |entry, slot| {
            file.read_exact_at(slot, entry.offset).at(&self.image)
        })
    }
}

/// What the download steps share.
pub struct Download<'a> {
    pub mirrors: &'a Mirrors,
    pub staging: Arc<Staging>,
    pub manifest: Arc<Manifest>,
    /// The versions on this device, for the frames of delta packs.
    pub installed: Vec<Installed>,
    pub control: &'a Control,
    pub chunks_in_flight: usize,
    pub spool: Spool,
}

impl Download<'_> {
    /// Carries out `plan`. Frames are decoded and written while the next ranges arrive. The
    /// chunks of a frame that failed verification are then fetched one by one; a chunk that
    /// fails from every mirror is an error.
    pub async fn run(&self, plan: &Plan) -> Result<()> {
        let mut pipeline = Pipeline::default();
        let mut singles = Vec::new();
        for piece in &plan.pieces {
            match *piece {
                Piece::Frames { pack, first, end } => {
                    self.frames(&mut pipeline, pack, first, end).await?
                }
                Piece::Chunk(index) => singles.push(index),
            }
        }
        settle(&mut pipeline, 0).await?;
        self.chunks(singles).await?;
        if !pipeline.some_failed {
            return Ok(());
        }
        // Only what this plan was to bring: a plan may be one device's share of a download
        // made together with others, who bring the rest.
        let own: HashSet<ChunkId> = chunks_of(&self.manifest, plan)
            .into_iter()
            .filter_map(|index| self.manifest.chunks[index as usize].id)
            .collect();
        let missing: HashSet<ChunkId> =
            self.staging.missing().intersection(&own).copied().collect();
        let again = self::plan(&self.manifest, &missing, &[], false);
        let bytes = again.bytes;
        self.control
            .update(|progress| progress.to_fetch = progress.fetched + bytes);
        let singles = again
            .pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Chunk(index) => Some(*index),
                Piece::Frames { .. } => None,
            })
            .collect();
        self.chunks(singles).await
    }

    async fn chunks(&self, singles: Vec<u32>) -> Result<()> {
        // Under a bandwidth cap, parallel requests only share it, and each chunk arrives later:
        // a run cut off then has less to show for what it received. So a cap of C bytes per
        // second gets one request per 256 KiB/s of it.
        let in_flight = match self.mirrors.limit.get() {
            Some(cap) => (cap / (256 << 10)).clamp(1, self.chunks_in_flight.max(1) as u64) as usize,
            None => self.chunks_in_flight.max(1),
        };
        let mut results = futures_util::stream::iter(singles)
            .map(|index| self.chunk(index))
            .buffer_unordered(in_flight);
        while let Some(result) = results.next().await {
            result?;
        }
        Ok(())
    }

    fn applied(&self, stored: u64) {
        let requests = self.mirrors.requests.load(Ordering::Relaxed);
        let received = self.mirrors.received.load(Ordering::Relaxed);
        self.control.update(|progress| {
            progress.fetched += stored;
            progress.requests = requests;
            progress.from_mirrors = progress.from_mirrors.max(received);
        });
    }

    /// Reads from `stream` while watching for cancellation and pausing.
    async fn next_piece(
        &self,
        stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    ) -> std::result::Result<Option<bytes::Bytes>, Failure> {
        self.control.checkpoint().await.map_err(Failure::Fatal)?;
        let piece = tokio::select! {
            piece = stream.next() => piece,
            () = self.control.cancelled() => return Err(Failure::Fatal(Error::Cancelled)),
        };
        match piece {
            None => Ok(None),
            Some(Err(error)) => Err(Failure::from_reqwest(&error)),
            Some(Ok(bytes)) => {
                self.mirrors
                    .received
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                self.mirrors.limit.take(bytes.len() as u64).await;
                Ok(Some(bytes))
            }
        }
    }

    async fn frames(
        &self,
        pipeline: &mut Pipeline,
        pack_index: usize,
        first: usize,
        end: usize,
    ) -> Result<()> {
        let pack = &self.manifest.packs[pack_index];
        let mut next = first;
        let mut attempts = self.mirrors.attempts(&pack.path);
        loop {
            if next == end {
                attempts.succeeded();
                return Ok(());
            }
            let url_owned = attempts.url();
            let url = url_owned.as_str();
            let mut received = false;
            let result: std::result::Result<(), Failure> = async {
                self.control.checkpoint().await.map_err(Failure::Fatal)?;
                let frame = &pack.frames[next];
                let mut buffer = self.spool.load(&pack.path, frame.offset, frame.stored);
                self.spool
                    .reset(&pack.path, frame.offset, &buffer)
                    .map_err(Failure::Fatal)?;
                let start = frame.offset + buffer.len() as u64;
                let last = &pack.frames[end - 1];
                let stop = last.offset + last.stored;
                let response = self
                    .mirrors
                    .client()
                    .get(url)
                    .header(
                        reqwest::header::RANGE,
                        format!("bytes={start}-{}", stop - 1),
                    )
                    .send()
                    .await
                    .map_err(|error| Failure::from_reqwest(&error))?;
                match response.status() {
                    reqwest::StatusCode::PARTIAL_CONTENT => {}
                    // A server that ignores ranges would send the whole pack for every range.
                    reqwest::StatusCode::OK => {
                        return Err(Failure::NextMirror(
                            "the server ignores range requests".to_string(),
                        ));
                    }
                    status => return Err(Failure::from_status(status)),
                }
                let content_range = response
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("");
                if !content_range.starts_with(&format!("bytes {start}-")) {
                    return Err(Failure::NextMirror(format!(
                        "the server answered a range from {start} with {content_range:?}"
                    )));
                }
                let mut stream = response.bytes_stream();
                while next < end {
                    let Some(bytes) = self.next_piece(&mut stream).await? else {
                        return Err(Failure::Retry(format!(
                            "the connection closed after {} of {} bytes",
                            pack.frames[next].offset + buffer.len() as u64 - start,
                            stop - start
                        )));
                    };
                    received = true;
                    buffer.extend_from_slice(&bytes);
                    self.spool.append(&bytes).map_err(Failure::Fatal)?;
                    let mut completed = false;
                    while next < end && buffer.len() as u64 >= pack.frames[next].stored {
                        let stored = pack.frames[next].stored as usize;
                        let rest = buffer.split_off(stored);
                        let frame_bytes = std::mem::replace(&mut buffer, rest);
                        let job = self.apply_frame(pack_index, next, frame_bytes, url.to_string());
                        pipeline
                            .applying
                            .push_back(tokio::task::spawn_blocking(job));
                        next += 1;
                        completed = true;
                    }
                    if completed {
                        // The spool keeps only the bytes of the frame now arriving.
                        match pack.frames.get(next).filter(|_| next < end) {
                            Some(frame) => self
                                .spool
                                .reset(&pack.path, frame.offset, &buffer)
                                .map_err(Failure::Fatal)?,
                            None => self.spool.clear(),
                        }
                        settle(pipeline, FRAMES_IN_FLIGHT)
                            .await
                            .map_err(Failure::Fatal)?;
                    }
                }
                Ok(())
            }
            .await;
            match result {
                Ok(()) => {
                    attempts.succeeded();
                    return Ok(());
                }
                Err(failure) => {
                    if received {
                        attempts.progressed();
                    }
                    attempts.failed(failure).await?;
                }
            }
        }
    }

    fn apply_frame(
        &self,
        pack_index: usize,
        frame_index: usize,
        bytes: Vec<u8>,
        url: String,
    ) -> impl FnOnce() -> Result<()> + Send + 'static {
        let manifest = self.manifest.clone();
        let staging = self.staging.clone();
        let control = self.control.clone();
        let requests = self.mirrors.requests.load(Ordering::Relaxed);
        let received = self.mirrors.received.load(Ordering::Relaxed);
        let from = manifest.packs[pack_index].from;
        let base = self
            .installed
            .iter()
            .find(|installed| Some(installed.manifest.version) == from)
            .cloned();
        move || {
            let frame = &manifest.packs[pack_index].frames[frame_index];
            let what = format!("frame {frame_index} of {url}");
            let reference = crate::reference::of_frame(frame, base.as_ref(), &what, |base| {
                base.reference(frame, &what)
            })?;
            decode_frame(
                &manifest,
                frame,
                &bytes,
                &reference,
                &what,
                |index, data| {
                    let id = manifest.chunks[index as usize]
                        .id
                        .expect("frames hold data chunks");
                    staging.write(id, data).map(drop)
                },
            )?;
            staging.fetched(frame.stored)?;
            control.update(|progress| {
                progress.fetched += frame.stored;
                progress.requests = progress.requests.max(requests);
                progress.from_mirrors = progress.from_mirrors.max(received);
            });
            Ok(())
        }
    }

    async fn chunk(&self, index: u32) -> Result<()> {
        let entry = self.manifest.chunks[index as usize];
        let id = entry.id.expect("plans name data chunks");
        let path = store::chunk_path(id);
        let mut attempts = self.mirrors.attempts(&path);
        loop {
            let url_owned = attempts.url();
            let url = url_owned.as_str();
            let result: std::result::Result<(), Failure> = async {
                self.control.checkpoint().await.map_err(Failure::Fatal)?;
                let response = self.mirrors.get_ok(url).await?;
                let mut stream = response.bytes_stream();
                let mut body = Vec::with_capacity(entry.stored as usize);
                while let Some(bytes) = self.next_piece(&mut stream).await? {
                    if (body.len() + bytes.len()) as u64 > entry.stored {
                        return Err(Failure::NextMirror(format!(
                            "it is longer than the {} bytes the manifest says",
                            entry.stored
                        )));
                    }
                    body.extend_from_slice(&bytes);
                }
                if (body.len() as u64) < entry.stored {
                    return Err(Failure::Retry(format!(
                        "the connection closed after {} of {} bytes",
                        body.len(),
                        entry.stored
                    )));
                }
                let staging = self.staging.clone();
                let what = url.to_string();
                let applied = tokio::task::spawn_blocking(move || {
                    let data = decode_chunk(&body, id, entry.length, &what)?;
                    staging.write(id, &data)?;
                    staging.fetched(entry.stored)
                })
                .await
                .expect("chunk writers never panic");
                match applied {
                    Ok(_) => Ok(()),
                    Err(error @ Error::Corrupt { .. }) => {
                        Err(Failure::NextMirror(error.to_string()))
                    }
                    Err(error) => Err(Failure::Fatal(error)),
                }
            }
            .await;
            match result {
                Ok(()) => {
                    attempts.succeeded();
                    break;
                }
                Err(failure) => attempts.failed(failure).await?,
            }
        }
        self.applied(entry.stored);
        Ok(())
    }
}

/// Frames being decoded and written, across the ranges of a download.
#[derive(Default)]
pub struct Pipeline {
    applying: VecDeque<JoinHandle<Result<()>>>,
    /// Whether a frame failed verification: its chunks are then fetched one by one.
    some_failed: bool,
}

/// Waits until at most `keep` frames are still being applied. A frame that fails
/// verification (a damaged copy on a mirror or in a cache, or a spool a power cut left
/// half-written) is recorded, not fatal: its chunks stay missing and are fetched singly.
async fn settle(pipeline: &mut Pipeline, keep: usize) -> Result<()> {
    while pipeline.applying.len() > keep {
        let handle = pipeline.applying.pop_front().expect("checked non-empty");
        match handle.await.expect("frame writers never panic") {
            Ok(()) => {}
            Err(error @ Error::Corrupt { .. }) => {
                tracing::warn!("{error}; its chunks will be fetched one by one");
                pipeline.some_failed = true;
            }
            Err(error) => {
                for later in pipeline.applying.drain(..) {
                    let _ = later.await;
                }
                return Err(error);
            }
        }
    }
    Ok(())
}

/// The bytes of the pack frame being received, on disk beside the staging file, so that a
/// run cut off inside a frame goes on from the last byte that arrived rather than from the
/// frame's start (on a slow link a frame can take longer than the run lasts). What is spooled
/// is checked like any frame once the frame is complete.
#[derive(Debug)]
pub struct Spool {
    data: PathBuf,
    header: PathBuf,
    /// The data file, kept open for appending while a frame arrives.
    file: std::sync::Mutex<Option<std::fs::File>>,
}

impl Spool {
    pub fn new(data: PathBuf) -> Spool {
        let header = data.with_extension("spool-frame");
        Spool {
            data,
            header,
            file: std::sync::Mutex::new(None),
        }
    }

    /// The spooled bytes if they are the start of the frame at `offset` of `pack`.
    fn load(&self, pack: &str, offset: u64, stored: u64) -> Vec<u8> {
        let expected = format!("{pack} {offset}");
        match (
            std::fs::read_to_string(&self.header),
            std::fs::read(&self.data),
        ) {
            (Ok(header), Ok(bytes)) if header == expected && (bytes.len() as u64) < stored => bytes,
            _ => Vec::new(),
        }
    }

    /// Starts spooling the frame at `offset` of `pack` with `bytes` already received. The
    /// header is emptied first, so a cut-off reset never pairs old bytes with a new header.
    /// Going on with the frame already spooled (`bytes` is what [`Spool::load`] found) leaves
    /// the files as they are and appends after them: a run killed right after it started
    /// must not lose what earlier runs received.
    fn reset(&self, pack: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        use std::io::{Seek, Write};
        let expected = format!("{pack} {offset}");
        let resuming = !bytes.is_empty()
            && std::fs::read_to_string(&self.header).is_ok_and(|header| header == expected);
        if resuming {
            let mut slot = self.file.lock().expect("spool lock");
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(&self.data)
                .at(&self.data)?;
            file.set_len(bytes.len() as u64).at(&self.data)?;
            file.seek(std::io::SeekFrom::End(0)).at(&self.data)?;
            *slot = Some(file);
            return Ok(());
        }
        std::fs::write(&self.header, "").at(&self.header)?;
        let mut slot = self.file.lock().expect("spool lock");
        if slot.is_none() {
            *slot = Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&self.data)
                    .at(&self.data)?,
            );
        }
        let file = slot.as_mut().expect("opened above");
        file.set_len(0).at(&self.data)?;
        file.seek(std::io::SeekFrom::Start(0)).at(&self.data)?;
        file.write_all(bytes).at(&self.data)?;
        drop(slot);
        std::fs::write(&self.header, expected).at(&self.header)
    }

    fn append(&self, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let mut slot = self.file.lock().expect("spool lock");
        match slot.as_mut() {
            Some(file) => file.write_all(bytes).at(&self.data),
            None => Ok(()),
        }
    }

    pub fn clear(&self) {
        *self.file.lock().expect("spool lock") = None;
        let _ = std::fs::remove_file(&self.header);
        let _ = std::fs::remove_file(&self.data);
    }
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

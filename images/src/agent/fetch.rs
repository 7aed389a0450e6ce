//! Downloading a plan (see [`super::plan`]): ranges of a delta pack's frames decoded while
//! the next arrive, resumable at any frame through the spool, and single chunks several at
//! a time.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::control::Control;
use super::http::{Failure, Mirrors};
use super::plan::{Piece, Plan, chunks_of};
use super::staging::Staging;
use crate::codec::{decode_chunk, decode_frame};
use crate::error::IoContext;
use crate::{ChunkId, Error, Manifest, Result, store};

/// Frames decoded and written while the next ones arrive.
const FRAMES_IN_FLIGHT: usize = 2;

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
        let again = super::plan::plan(&self.manifest, &missing, &[], false);
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

//! Fetching from peers: other devices on the local network that hold the version (see
//! [`crate::peers`]). Every chunk a peer sends is checked against the signed manifest exactly
//! as the origin's are, so a peer is never trusted: at worst it wastes some bandwidth. A peer
//! that sends bytes that do not verify, stalls, is cut off or refuses is dropped for the rest
//! of the run; what no peer gave comes from the mirrors afterwards.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;

use super::control::Control;
use super::http::describe;
use super::staging::Staging;
use crate::codec::decode_chunk;
use crate::{ChunkId, Error, Manifest, Result, store};

/// How long a peer may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A peer that sends nothing for this long is stalled.
const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest one chunk may take from a peer, however it trickles.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A peer that lacks this many chunks in a row does not hold the version being fetched.
const MISSES_BEFORE_DROP: u32 = 32;

/// What peers gave in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeerReport {
    /// Peers fetching the same version at the same time, this device included, that shared
    /// the download from the mirrors (0: none did).
    pub together: usize,
    /// Bytes received from peers that verified and were written.
    pub bytes: u64,
    /// Bytes received from peers that did not verify (or arrived from a peer cut off).
    pub wasted: u64,
    pub requests: u64,
    /// Peers dropped in this run, each with the reason.
    pub dropped: Vec<(String, String)>,
}

impl PeerReport {
    /// Adds what another set of peers gave in the same run.
    pub fn add(&mut self, other: PeerReport) {
        self.bytes += other.bytes;
        self.wasted += other.wasted;
        self.requests += other.requests;
        self.dropped.extend(other.dropped);
    }
}

#[derive(Debug)]
struct Peer {
    base: String,
    dropped: AtomicBool,
    misses: AtomicU32,
}

/// The peers of one run, with what they gave and wasted.
#[derive(Debug)]
pub struct Peers {
    client: reqwest::Client,
    peers: Vec<Peer>,
    bytes: AtomicU64,
    wasted: AtomicU64,
    requests: AtomicU64,
    dropped: Mutex<Vec<(String, String)>>,
    /// Peers still fetching the version: a chunk they lack is expected, never a reason to
    /// drop them.
    patient: bool,
    /// A patient peer lacked a chunk in this round: it fetches in the plan's order, so the
    /// chunks after it are not asked for until the next round.
    missed: AtomicBool,
}

/// How one try at a peer ended.
enum Answer {
    /// The chunk's data, and the bytes it took on the wire.
    Verified(Vec<u8>, u64),
    /// The peer does not hold the chunk (it holds part of the version, or another one).
    NotHeld,
    /// The peer is no use for the rest of the run; `wasted` bytes came for nothing.
    Drop { reason: String, wasted: u64 },
}

impl Peers {
    /// Peers that hold the version whole (`patient`: still fetching it).
    pub fn new(bases: &[String], patient: bool) -> Result<Peers> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("hearth-image/", env!("CARGO_PKG_VERSION"), " peer"))
            .build()
            .map_err(|error| Error::Usage(format!("the HTTP client cannot start: {error}")))?;
        Ok(Peers {
            client,
            peers: bases
                .iter()
                .map(|base| Peer {
                    base: base.trim_end_matches('/').to_string(),
                    dropped: AtomicBool::new(false),
                    misses: AtomicU32::new(0),
                })
                .collect(),
            bytes: AtomicU64::new(0),
            wasted: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            dropped: Mutex::new(Vec::new()),
            patient,
            missed: AtomicBool::new(false),
        })
    }

    pub fn report(&self) -> PeerReport {
        PeerReport {
            together: 0,
            bytes: self.bytes.load(Ordering::Relaxed),
            wasted: self.wasted.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            dropped: self.dropped.lock().expect("peers lock").clone(),
        }
    }

    pub fn any_left(&self) -> bool {
        self.peers
            .iter()
            .any(|peer| !peer.dropped.load(Ordering::Relaxed))
    }

    fn drop_peer(&self, peer: &Peer, reason: String) {
        if !peer.dropped.swap(true, Ordering::Relaxed) {
            tracing::warn!("peer {}: {reason}; not asked again in this run", peer.base);
            self.dropped
                .lock()
                .expect("peers lock")
                .push((peer.base.clone(), reason));
        }
    }

    /// Asks the peers for every chunk `staging` still lacks, `in_flight` at a time; returns
    /// when each was asked of every peer left. What they could not give stays missing.
    pub async fn fetch(
        &self,
        manifest: &Manifest,
        staging: &std::sync::Arc<Staging>,
        control: &Control,
        in_flight: usize,
    ) -> Result<()> {
        let wanted = manifest
            .unique_chunks()
            .into_iter()
            .map(|(_, index)| index)
            .collect();
        self.fetch_chunks(wanted, manifest, staging, control, in_flight)
            .await
    }

    /// Asks the peers for those of the chunks `wanted` (entry indices) that `staging` still
    /// lacks.
    pub async fn fetch_chunks(
        &self,
        mut wanted: Vec<u32>,
        manifest: &Manifest,
        staging: &std::sync::Arc<Staging>,
        control: &Control,
        in_flight: usize,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        wanted.retain(|&index| {
            manifest.chunks[index as usize]
                .id
                .is_some_and(|id| !staging.is_present(id) && seen.insert(id))
        });
        wanted.sort_unstable();
        self.missed.store(false, Ordering::Relaxed);
        let mut results = futures_util::stream::iter(wanted.into_iter().enumerate())
            .map(|(turn, index)| self.chunk(manifest, staging, control, turn, index))
            .buffer_unordered(in_flight.max(1));
        while let Some(result) = results.next().await {
            result?;
        }
        Ok(())
    }

    /// One chunk from the first peer that has it, starting at a different peer each turn so
    /// the load is spread.
    async fn chunk(
        &self,
        manifest: &Manifest,
        staging: &std::sync::Arc<Staging>,
        control: &Control,
        turn: usize,
        index: u32,
    ) -> Result<()> {
        let entry = manifest.chunks[index as usize];
        let id = entry.id.expect("only data chunks are asked for");
        let count = self.peers.len();
        for step in 0..count {
            if !self.any_left() || self.missed.load(Ordering::Relaxed) {
                return Ok(());
            }
            let peer = &self.peers[(turn + step) % count];
            if peer.dropped.load(Ordering::Relaxed) {
                continue;
            }
            control.checkpoint().await?;
            let answer = tokio::select! {
                answer = self.ask(peer, id, entry.length, control) => answer,
                () = control.cancelled() => return Err(Error::Cancelled),
            };
            match answer {
                Answer::Verified(data, received) => {
                    peer.misses.store(0, Ordering::Relaxed);
                    let writer = staging.clone();
                    tokio::task::spawn_blocking(move || {
                        writer.write(id, &data)?;
                        writer.fetched(entry.stored)
                    })
                    .await
                    .expect("chunk writers never panic")?;
                    control.update(|progress| {
                        progress.fetched += entry.stored;
                        progress.from_peers += received;
                    });
                    return Ok(());
                }
                Answer::NotHeld if self.patient => self.missed.store(true, Ordering::Relaxed),
                Answer::NotHeld => {
                    if peer.misses.fetch_add(1, Ordering::Relaxed) + 1 >= MISSES_BEFORE_DROP {
                        self.drop_peer(
                            peer,
                            format!("it lacked {MISSES_BEFORE_DROP} chunks in a row"),
                        );
                    }
                }
                Answer::Drop { reason, wasted } => {
                    self.wasted.fetch_add(wasted, Ordering::Relaxed);
                    control.update(|progress| progress.peer_waste += wasted);
                    self.drop_peer(peer, reason);
                }
            }
        }
        Ok(())
    }

    async fn ask(&self, peer: &Peer, id: ChunkId, length: u64, control: &Control) -> Answer {
        let url = format!("{}/{}", peer.base, store::chunk_path(id));
        self.requests.fetch_add(1, Ordering::Relaxed);
        let dropped = |reason: String, wasted: u64| Answer::Drop { reason, wasted };
        let response = match self.client.get(&url).send().await {
            Ok(response) => response,
            Err(error) => return dropped(describe(&error), 0),
        };
        match response.status() {
            reqwest::StatusCode::OK => {}
            reqwest::StatusCode::NOT_FOUND => return Answer::NotHeld,
            status => return dropped(format!("it answered {status}"), 0),
        }
        // What a chunk of this length can compress to at worst: a peer sending more is lying.
        let limit = zstd::zstd_safe::compress_bound(length as usize) as u64;
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            let piece = match piece {
                Ok(piece) => piece,
                Err(error) => return dropped(describe(&error), body.len() as u64),
            };
            control.limit().take(piece.len() as u64).await;
            body.extend_from_slice(&piece);
            if body.len() as u64 > limit {
                return dropped(
                    format!("it sent more than a chunk of {length} bytes can take"),
                    body.len() as u64,
                );
            }
        }
        let received = body.len() as u64;
        let checked =
            tokio::task::spawn_blocking(move || decode_chunk(&body, id, length, &url)).await;
        match checked {
            Ok(Ok(data)) => {
                self.bytes.fetch_add(received, Ordering::Relaxed);
                Answer::Verified(data, received)
            }
            Ok(Err(error)) => dropped(format!("it sent a bad chunk: {error}"), received),
            Err(_) => dropped("checking its chunk failed".to_string(), received),
        }
    }
}

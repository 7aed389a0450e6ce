//! Cuts the raw image into content-defined chunks and stores the ones the store lacks, each
//! compressed on its own, on worker threads while the next chunks are cut.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

use fastcdc::v2020::StreamCDC;

use super::PublishOptions;
use crate::error::IoContext;
use crate::manifest::ChunkEntry;
use crate::{ChunkId, Error, Result, store};

pub struct Cut {
    pub size: u64,
    pub hash: ChunkId,
    pub entries: Vec<ChunkEntry>,
    pub new_chunks: usize,
    pub new_chunk_bytes: u64,
}

pub fn cut_and_store(
    raw: &Path,
    store_root: &Path,
    options: &PublishOptions,
    chunking: crate::manifest::Chunking,
) -> Result<Cut> {
    let file = std::fs::File::open(raw).at(raw)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let chunks = StreamCDC::new(reader, chunking.min, chunking.avg, chunking.max);
    let threads = options.threads.max(1);
    let (work_sender, work_receiver) = mpsc::sync_channel::<(ChunkId, Vec<u8>)>(threads * 4);
    let work_receiver = std::sync::Mutex::new(work_receiver);
    let (done_sender, done_receiver) = mpsc::channel::<Result<(ChunkId, u64, bool)>>();

    std::thread::scope(|scope| -> Result<Cut> {
        for _ in 0..threads {
            let done_sender = done_sender.clone();
            let work_receiver = &work_receiver;
            scope.spawn(move || {
                loop {
                    let next = work_receiver.lock().expect("worker lock").recv();
                    let Ok((id, data)) = next else { break };
                    let result = store_chunk(store_root, id, &data, options.chunk_level);
                    if done_sender
                        .send(result.map(|(stored, new)| (id, stored, new)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(done_sender);

        let mut hasher = blake3::Hasher::new();
        let mut entries: Vec<ChunkEntry> = Vec::new();
        let mut queued: HashSet<ChunkId> = HashSet::new();
        let mut size = 0u64;
        let mut failure = None;
        for chunk in chunks {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    failure = Some(Error::io(raw, error.into()));
                    break;
                }
            };
            hasher.update(&chunk.data);
            let length = chunk.length as u64;
            size += length;
            if chunk.data.iter().all(|&byte| byte == 0) {
                match entries.last_mut() {
                    Some(last) if last.id.is_none() => last.length += length,
                    _ => entries.push(ChunkEntry {
                        offset: chunk.offset,
                        length,
                        id: None,
                        stored: 0,
                    }),
                }
                continue;
            }
            let id = ChunkId::of(&chunk.data);
            entries.push(ChunkEntry {
                offset: chunk.offset,
                length,
                id: Some(id),
                stored: 0,
            });
            if queued.insert(id) && work_sender.send((id, chunk.data)).is_err() {
                break;
            }
        }
        drop(work_sender);

        let mut stored: HashMap<ChunkId, u64> = HashMap::new();
        let mut new_chunks = 0;
        let mut new_chunk_bytes = 0;
        for result in done_receiver {
            match result {
                Ok((id, bytes, new)) => {
                    stored.insert(id, bytes);
                    if new {
                        new_chunks += 1;
                        new_chunk_bytes += bytes;
                    }
                }
                Err(error) => failure = failure.or(Some(error)),
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        for entry in &mut entries {
            if let Some(id) = entry.id {
                entry.stored = stored[&id];
            }
        }
        // Chunk files are written without an fsync each; one syncfs makes them all durable
        // before any manifest can name them.
        let root = std::fs::File::open(store_root).at(store_root)?;
        rustix::fs::syncfs(&root).map_err(|error| Error::io(store_root, error.into()))?;
        Ok(Cut {
            size,
            hash: ChunkId(*hasher.finalize().as_bytes()),
            entries,
            new_chunks,
            new_chunk_bytes,
        })
    })
}

/// Stores one chunk unless the store has it; returns its stored size and whether it is new.
fn store_chunk(store_root: &Path, id: ChunkId, data: &[u8], level: i32) -> Result<(u64, bool)> {
    let path = store_root.join(store::chunk_path(id));
    if let Ok(metadata) = std::fs::metadata(&path) {
        return Ok((metadata.len(), false));
    }
    let compressed = zstd::bulk::compress(data, level).map_err(|error| Error::io(&path, error))?;
    let folder = path.parent().expect("chunk paths have a folder");
    std::fs::create_dir_all(folder).at(folder)?;
    let temporary = folder.join(format!(".{id}.tmp"));
    let mut file = std::fs::File::create(&temporary).at(&temporary)?;
    file.write_all(&compressed).at(&temporary)?;
    drop(file);
    std::fs::rename(&temporary, &path).at(&path)?;
    Ok((compressed.len() as u64, true))
}

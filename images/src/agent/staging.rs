//! The version being fetched: a sparse file the size of the image, filled chunk by chunk at
//! the manifest's offsets. Nothing is written that has not been verified against its hash,
//! and what a previous run (or an installed version) already holds is found by hashing, so a
//! run cut off at any moment goes on from what reached the disk.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::IoContext;
use crate::{ChunkId, Error, Manifest, Result};

/// Written data is flushed to the disk each time this many downloaded bytes went into it, so
/// a power cut costs at most about this much to download again.
const SYNC_EVERY_FETCHED: u64 = 2 << 20;

pub struct Staging {
    file: std::fs::File,
    path: PathBuf,
    manifest: Arc<Manifest>,
    /// Each data chunk's entries (indices into the manifest's chunk list).
    occurrences: HashMap<ChunkId, Vec<u32>>,
    present: Mutex<HashSet<ChunkId>>,
    /// Downloaded bytes written since the last flush.
    unsynced: AtomicU64,
}

impl Staging {
    /// Opens the staging file for `manifest`, creating it sparse; the bool says whether it
    /// existed (and may hold chunks from an earlier run).
    pub fn open(path: &Path, manifest: Arc<Manifest>) -> Result<(Staging, bool)> {
        let existed = path.exists();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .at(path)?;
        let length = file.metadata().at(path)?.len();
        if length != manifest.size {
            file.set_len(manifest.size).at(path)?;
        }
        let mut occurrences: HashMap<ChunkId, Vec<u32>> = HashMap::new();
        for (index, chunk) in manifest.chunks.iter().enumerate() {
            if let Some(id) = chunk.id {
                occurrences.entry(id).or_default().push(index as u32);
            }
        }
        Ok((
            Staging {
                file,
                path: path.to_path_buf(),
                manifest,
                occurrences,
                present: Mutex::new(HashSet::new()),
                unsynced: AtomicU64::new(0),
            },
            existed,
        ))
    }

    fn length_of(&self, id: ChunkId) -> u64 {
        let first = self.occurrences[&id][0];
        self.manifest.chunks[first as usize].length
    }

    /// Finds the chunks an earlier run wrote; returns the bytes of image they cover.
    pub fn scan(&self) -> Result<u64> {
        let mut buffer = Vec::new();
        let mut found = 0;
        for (&id, entries) in &self.occurrences {
            let mut good = None;
            let mut bad = Vec::new();
            for &index in entries {
                let entry = &self.manifest.chunks[index as usize];
                buffer.resize(entry.length as usize, 0);
                self.file
                    .read_exact_at(&mut buffer, entry.offset)
                    .at(&self.path)?;
                if ChunkId::of(&buffer) == id {
                    good = Some(index);
                } else {
                    bad.push(index);
                }
            }
            let Some(good) = good else { continue };
            if !bad.is_empty() {
                let entry = &self.manifest.chunks[good as usize];
                buffer.resize(entry.length as usize, 0);
                self.file
                    .read_exact_at(&mut buffer, entry.offset)
                    .at(&self.path)?;
                for index in bad {
                    let offset = self.manifest.chunks[index as usize].offset;
                    self.file.write_all_at(&buffer, offset).at(&self.path)?;
                }
            }
            found += entries.len() as u64 * self.length_of(id);
            self.present.lock().expect("staging lock").insert(id);
        }
        Ok(found)
    }

    /// Copies from an installed version every chunk this version shares with it, each
    /// verified as it is read (a VM may have written to its disk since); returns the bytes
    /// of image filled.
    pub fn seed(&self, image_file: &Path, seed: &Manifest) -> Result<u64> {
        let Ok(source) = std::fs::File::open(image_file) else {
            return Ok(0);
        };
        let mut filled = 0;
        let mut buffer = Vec::new();
        for chunk in &seed.chunks {
            let Some(id) = chunk.id else { continue };
            if !self.occurrences.contains_key(&id) || self.is_present(id) {
                continue;
            }
            buffer.resize(chunk.length as usize, 0);
            if source.read_exact_at(&mut buffer, chunk.offset).is_err()
                || ChunkId::of(&buffer) != id
            {
                continue;
            }
            filled += self.write(id, &buffer)?;
        }
        Ok(filled)
    }

    pub fn is_present(&self, id: ChunkId) -> bool {
        self.present.lock().expect("staging lock").contains(&id)
    }

    /// The data chunks still missing.
    pub fn missing(&self) -> HashSet<ChunkId> {
        let present = self.present.lock().expect("staging lock");
        self.occurrences
            .keys()
            .filter(|id| !present.contains(id))
            .copied()
            .collect()
    }

    /// Writes a verified chunk wherever the image holds it; returns the bytes of image filled
    /// (0 when it was there already).
    pub fn write(&self, id: ChunkId, data: &[u8]) -> Result<u64> {
        let Some(entries) = self.occurrences.get(&id) else {
            return Ok(0);
        };
        if self.is_present(id) {
            return Ok(0);
        }
        for &index in entries {
            let offset = self.manifest.chunks[index as usize].offset;
            self.file.write_all_at(data, offset).at(&self.path)?;
        }
        self.present.lock().expect("staging lock").insert(id);
        Ok(entries.len() as u64 * data.len() as u64)
    }

    /// Records that `stored` downloaded bytes were written, flushing to the disk every 2 MiB
    /// of them (copies from the device's own images are not counted: they cost no download).
    pub fn fetched(&self, stored: u64) -> Result<()> {
        if self.unsynced.fetch_add(stored, Ordering::Relaxed) + stored >= SYNC_EVERY_FETCHED {
            self.unsynced.store(0, Ordering::Relaxed);
            self.file.sync_data().at(&self.path)?;
        }
        Ok(())
    }

    /// Makes the file durable. Every chunk was checked against its hash before it was
    /// written, at the offsets of the signed manifest, and zeros are never written into a
    /// fresh sparse file, so the image has the manifest's hash without reading it back.
    pub fn finish(&self) -> Result<()> {
        if !self.missing().is_empty() {
            return Err(Error::Corrupt {
                what: self.path.display().to_string(),
                reason: "chunks are still missing".to_string(),
            });
        }
        self.file.sync_all().at(&self.path)
    }
}

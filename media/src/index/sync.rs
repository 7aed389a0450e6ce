//! Bringing the index in line with a walk: new files added, changed ones reset for the
//! helper, vanished ones removed, unchanged ones untouched.
//!
//! A file counts as unchanged when its size, modification time and inode all match what is
//! stored, so an unchanged library costs one walk and one read of the stored keys.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::{Index, path_bytes};
use crate::scan::{FoundFile, Walk};
use crate::{Error, MediaKind, Result};

/// What a sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files named like media whose content is not (or that are empty).
    pub not_media: usize,
}

impl Changes {
    /// Whether anything shown could have changed.
    pub fn any(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

/// What is stored about a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootState {
    pub online: bool,
    /// The device the root's folder was on at its last scan.
    pub device: Option<u64>,
    pub items: usize,
    pub scanned_before: bool,
}

/// What reading a file's first bytes showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Media(MediaKind),
    /// Its content is not media (or it is empty); the reason is kept with it.
    NotMedia(String),
    /// It could not be read now (permissions, an I/O error): it is not indexed this time
    /// and is looked at again on the next scan.
    Unreadable(String),
}

/// Decides what a new or changed file is, reading it.
pub type Sniffer<'a> = dyn Fn(&FoundFile) -> Sniffed + Sync + 'a;

fn index_error(what: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    move |source| Error::Index {
        what: what.to_string(),
        source,
    }
}

impl Index {
    /// What is stored about `root`, if it was ever scanned.
    pub fn root_state(&self, root: &Path) -> Result<Option<RootState>> {
        self.connection
            .query_row(
                "SELECT online, device, last_scan IS NOT NULL,
                 (SELECT COUNT(*) FROM items WHERE items.root_id = roots.id)
                 FROM roots WHERE path = ?1",
                params![path_bytes(root)],
                |row| {
                    Ok(RootState {
                        online: row.get(0)?,
                        device: row.get::<_, Option<i64>>(1)?.map(|d| d as u64),
                        scanned_before: row.get(2)?,
                        items: row.get::<_, i64>(3)? as usize,
                    })
                },
            )
            .optional()
            .map_err(index_error("reading a root"))
    }

    /// Marks a root whose folder or drive is absent: its items stay indexed but are not
    /// shown until it is back, so a drive that comes and goes costs no rescan of what it
    /// holds.
    pub fn mark_offline(&mut self, root: &Path) -> Result<()> {
        self.connection
            .execute(
                "INSERT INTO roots (path, online) VALUES (?1, 0)
                 ON CONFLICT (path) DO UPDATE SET online = 0",
                params![path_bytes(root)],
            )
            .map(drop)
            .map_err(index_error("marking a root offline"))
    }

    /// Forgets every root not in `roots`, with its items.
    pub fn keep_only_roots(&mut self, roots: &[&Path]) -> Result<usize> {
        let stored: Vec<(i64, Vec<u8>)> = {
            let mut statement = self.statement("SELECT id, path FROM roots")?;
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
                .map_err(index_error("listing roots"))?
        };
        let mut removed = 0;
        for (id, path) in stored {
            if !roots.iter().any(|root| path_bytes(root) == path.as_slice()) {
                self.connection
                    .execute("DELETE FROM roots WHERE id = ?1", params![id])
                    .map_err(index_error("forgetting a root"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Applies a walk of `root` (on `device`), sniffing new and changed files with `sniff`.
    pub fn sync_root(
        &mut self,
        root: &Path,
        device: u64,
        walk: &Walk,
        now: i64,
        sniff: &Sniffer<'_>,
    ) -> Result<Changes> {
        let first_scan = !self
            .root_state(root)?
            .is_some_and(|state| state.scanned_before);
        let transaction = self
            .connection
            .transaction()
            .map_err(index_error("starting a sync"))?;
        transaction
            .execute(
                "INSERT INTO roots (path, online, device, last_scan) VALUES (?1, 1, ?2, ?3)
                 ON CONFLICT (path) DO UPDATE SET online = 1, device = ?2, last_scan = ?3",
                params![path_bytes(root), device as i64, now],
            )
            .map_err(index_error("storing a root"))?;
        let root_id: i64 = transaction
            .query_row(
                "SELECT id FROM roots WHERE path = ?1",
                params![path_bytes(root)],
                |row| row.get(0),
            )
            .map_err(index_error("reading a root"))?;

        let mut stored: HashMap<Vec<u8>, (i64, u64, i64, u64)> = {
            let mut statement = transaction
                .prepare_cached(
                    "SELECT path, id, size, mtime_ns, inode FROM items WHERE root_id = ?1",
                )
                .map_err(index_error("reading stored items"))?;
            statement
                .query_map(params![root_id], |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        (
                            row.get::<_, i64>(1)?,
                            row.get::<_, i64>(2)? as u64,
                            row.get::<_, i64>(3)?,
                            row.get::<_, i64>(4)? as u64,
                        ),
                    ))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
                .map_err(index_error("reading stored items"))?
        };

        let mut changes = Changes::default();
        let mut fresh: Vec<(Option<i64>, &FoundFile)> = Vec::new();
        for file in &walk.files {
            match stored.remove(path_bytes(&file.path)) {
                Some((_, size, mtime_ns, inode))
                    if size == file.size && mtime_ns == file.mtime_ns && inode == file.inode =>
                {
                    changes.unchanged += 1;
                }
                Some((id, ..)) => fresh.push((Some(id), file)),
                None => fresh.push((None, file)),
            }
        }
        let kinds = sniff_all(&fresh, sniff);
        let mut unreadable = Vec::new();

        for ((id, file), kind) in fresh.iter().zip(kinds) {
            let (kind_code, status, reason) = match kind {
                Sniffed::Media(kind) => (kind.code(), 0, None),
                Sniffed::Unreadable(reason) => {
                    if id.is_some() {
                        changes.unchanged += 1;
                    }
                    unreadable.push((file.path.clone(), reason));
                    continue;
                }
                Sniffed::NotMedia(reason) => {
                    changes.not_media += 1;
                    let named = match file.hint {
                        crate::kind::NameHint::Media(kind) => kind.code(),
                        _ => 0,
                    };
                    (named, 3, Some(reason))
                }
            };
            let name = file
                .path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let added_at = if first_scan {
                file.mtime_ns.div_euclid(1_000_000_000)
            } else {
                now
            };
            let result = match id {
                Some(id) => {
                    changes.changed += 1;
                    transaction.execute(
                        "UPDATE items SET kind = ?2, size = ?3, mtime_ns = ?4, inode = ?5,
                         status = ?6, reason = ?7, title = NULL, artist = NULL, album = NULL,
                         track = NULL, year = NULL, duration_ms = NULL, width = NULL,
                         height = NULL, video_codec = NULL, audio_codec = NULL, taken_at = NULL,
                         orientation = NULL, camera = NULL, thumbnail = NULL
                         WHERE id = ?1",
                        params![
                            id,
                            kind_code,
                            file.size as i64,
                            file.mtime_ns,
                            file.inode as i64,
                            status,
                            reason
                        ],
                    )
                }
                None => {
                    changes.added += 1;
                    let album_art = kind_code == MediaKind::Photo.code() && is_album_art(&name);
                    transaction.execute(
                        "INSERT INTO items (root_id, path, name, kind, size, mtime_ns, inode,
                         added_at, status, reason, album_art)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                        params![
                            root_id,
                            path_bytes(&file.path),
                            name,
                            kind_code,
                            file.size as i64,
                            file.mtime_ns,
                            file.inode as i64,
                            added_at,
                            status,
                            reason,
                            album_art
                        ],
                    )
                }
            };
            result.map_err(index_error("storing an item"))?;
        }
        // Files under a folder the walk could not enter are not gone: they wait for the next
        // walk that can see them.
        let unseen_folders: Vec<&Path> = walk
            .problems
            .iter()
            .map(|problem| problem.path.as_path())
            .filter(|path| !path.as_os_str().is_empty())
            .collect();
        for (path, (id, ..)) in stored {
            let path = super::path_from(path);
            if unseen_folders.iter().any(|folder| path.starts_with(folder)) {
                changes.unchanged += 1;
                continue;
            }
            changes.removed += 1;
            transaction
                .execute("DELETE FROM items WHERE id = ?1", params![id])
                .map_err(index_error("removing an item"))?;
        }
        transaction
            .execute(
                "DELETE FROM walk_problems WHERE root_id = ?1",
                params![root_id],
            )
            .map_err(index_error("clearing walk problems"))?;
        let problems = walk
            .problems
            .iter()
            .map(|problem| (&problem.path, &problem.reason))
            .chain(unreadable.iter().map(|(path, reason)| (path, reason)));
        for (path, reason) in problems {
            transaction
                .execute(
                    "INSERT OR REPLACE INTO walk_problems (path, root_id, reason) VALUES (?1, ?2, ?3)",
                    params![path_bytes(path), root_id, reason],
                )
                .map_err(index_error("storing a walk problem"))?;
        }
        transaction
            .commit()
            .map_err(index_error("committing a sync"))?;
        Ok(changes)
    }
}

/// Whether a picture's name marks it as an album's cover rather than a photo.
fn is_album_art(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "cover.jpg",
        "cover.jpeg",
        "cover.png",
        "folder.jpg",
        "folder.jpeg",
        "folder.png",
        "front.jpg",
        "front.png",
        "albumart.jpg",
        "albumartsmall.jpg",
    ];
    NAMES.contains(&name.to_lowercase().as_str())
}

/// Sniffs files on a few threads: a few hundred new files are read in parallel.
fn sniff_all(files: &[(Option<i64>, &FoundFile)], sniff: &Sniffer<'_>) -> Vec<Sniffed> {
    if files.len() < 16 {
        return files.iter().map(|(_, file)| sniff(file)).collect();
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().clamp(2, 4))
        .unwrap_or(2);
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let worker = scope
                    .spawn(move || part.iter().map(|(_, file)| sniff(file)).collect::<Vec<_>>());
                (part.len(), worker)
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|(count, worker)| {
                worker.join().unwrap_or_else(|_| {
                    vec![Sniffed::Unreadable("reading the file failed".to_string()); count]
                })
            })
            .collect()
    })
}

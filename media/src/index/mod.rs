//! The library index: one SQLite file (WAL) in the XDG data folder.
//!
//! Paths are stored as their exact bytes, so names that are not UTF-8 survive; display
//! names are derived from them lossily. The schema is versioned with `PRAGMA user_version`
//! and upgraded in one transaction per step when an older file is opened.

mod playback;
mod queries;
mod schema;
mod sync;

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::{Error, MediaKind, Result};

pub use playback::PlaybackMark;
pub use queries::{Counts, Entry, EntryKind, Section, Sort};
pub use sync::{Changes, RootState, Sniffed};

/// Where an item stands in the pipeline from found to shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// Indexed by name and kind; metadata and thumbnail still to come.
    Pending,
    /// Metadata read (and a thumbnail made where one can be).
    Ready,
    /// The helper could not read it; `reason` says why. Not shown.
    Failed,
    /// Named like media but its content is not, or it is empty. Not shown.
    NotMedia,
}

impl ItemStatus {
    fn from_code(code: i64) -> ItemStatus {
        match code {
            1 => ItemStatus::Ready,
            2 => ItemStatus::Failed,
            3 => ItemStatus::NotMedia,
            _ => ItemStatus::Pending,
        }
    }
}

/// What the helper read from a file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metadata {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub track: Option<u32>,
    pub year: Option<i32>,
    pub duration_ms: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// When a photo was taken, seconds since the epoch (EXIF DateTimeOriginal, read as UTC).
    pub taken_at: Option<i64>,
    /// EXIF orientation, 1 to 8.
    pub orientation: Option<u8>,
    pub camera: Option<String>,
}

/// An item waiting for the helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingItem {
    pub id: i64,
    pub path: PathBuf,
    pub kind: MediaKind,
    pub mtime_ns: i64,
}

/// One indexed file with everything stored about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: i64,
    pub path: PathBuf,
    pub kind: MediaKind,
    pub size: u64,
    pub mtime_ns: i64,
    pub status: ItemStatus,
    pub reason: Option<String>,
    pub metadata: Metadata,
    pub thumbnail: Option<PathBuf>,
}

/// The open index.
#[derive(Debug)]
pub struct Index {
    connection: Connection,
}

fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn path_from(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

impl Index {
    /// Opens (creating if needed) the index at `file` and brings its schema up to date.
    pub fn open(file: &Path) -> Result<Index> {
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder).map_err(|source| Error::Io {
                what: format!("creating {}", folder.display()),
                source,
            })?;
        }
        let connection = Connection::open(file).map_err(|source| Error::Index {
            what: format!("opening {}", file.display()),
            source,
        })?;
        Self::prepare(connection, file)
    }

    /// Opens an existing index for reading only, without creating or upgrading it: the
    /// quick read before the first frame. `None` when there is no usable index yet.
    pub fn open_existing(file: &Path) -> Option<Index> {
        let connection = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .ok()?;
        // The UI's reader needs few pages: its lists are short and walk indexes.
        connection.pragma_update(None, "cache_size", -256).ok()?;
        (version == schema::VERSION).then_some(Index { connection })
    }

    fn prepare(mut connection: Connection, file: &Path) -> Result<Index> {
        let what = |step: &str| format!("{step} {}", file.display());
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| connection.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|()| connection.pragma_update(None, "cache_size", -1024))
            .and_then(|()| connection.busy_timeout(std::time::Duration::from_secs(5)))
            .map_err(|source| Error::Index {
                what: what("configuring"),
                source,
            })?;
        schema::migrate(&mut connection).map_err(|error| match error {
            Error::Index { what: step, source } => Error::Index {
                what: format!("{step} in {}", file.display()),
                source,
            },
            other => other,
        })?;
        Ok(Index { connection })
    }

    /// Items the helper has yet to read, oldest first, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<PendingItem>> {
        let mut statement = self.statement(
            "SELECT items.id, items.path, items.kind, items.mtime_ns FROM items
             JOIN roots ON roots.id = items.root_id
             WHERE items.status = 0 AND roots.online = 1
             ORDER BY items.kind = 3 DESC, items.id LIMIT ?1",
        )?;
        let rows = statement
            .query_map(params![limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|source| Error::Index {
                what: "listing pending items".into(),
                source,
            })?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, path, kind, mtime_ns)| {
                Some(PendingItem {
                    id,
                    path: path_from(path),
                    kind: MediaKind::from_code(kind)?,
                    mtime_ns,
                })
            })
            .collect())
    }

    /// Stores what the helper read. Ignored when the file changed since it was handed out
    /// (its modification time moved), so a stale result never overwrites a fresh one.
    pub fn record_ready(
        &self,
        item: &PendingItem,
        metadata: &Metadata,
        thumbnail: Option<&Path>,
    ) -> Result<()> {
        self.connection
            .execute(
                "UPDATE items SET status = 1, reason = NULL, title = ?3, artist = ?4, album = ?5,
                 track = ?6, year = ?7, duration_ms = ?8, width = ?9, height = ?10,
                 video_codec = ?11, audio_codec = ?12, taken_at = ?13, orientation = ?14,
                 camera = ?15, thumbnail = ?16
                 WHERE id = ?1 AND mtime_ns = ?2",
                params![
                    item.id,
                    item.mtime_ns,
                    metadata.title,
                    metadata.artist,
                    metadata.album,
                    metadata.track,
                    metadata.year,
                    metadata.duration_ms.map(|ms| ms as i64),
                    metadata.width,
                    metadata.height,
                    metadata.video_codec,
                    metadata.audio_codec,
                    metadata.taken_at,
                    metadata.orientation,
                    metadata.camera,
                    thumbnail.map(path_bytes),
                ],
            )
            .map(drop)
            .map_err(|source| Error::Index {
                what: "storing metadata".into(),
                source,
            })
    }

    /// Records that the helper could not read an item, and why.
    pub fn record_failed(&self, item: &PendingItem, reason: &str) -> Result<()> {
        self.connection
            .execute(
                "UPDATE items SET status = 2, reason = ?3 WHERE id = ?1 AND mtime_ns = ?2",
                params![item.id, item.mtime_ns, reason],
            )
            .map(drop)
            .map_err(|source| Error::Index {
                what: "recording a failure".into(),
                source,
            })
    }

    /// Records that the file at `path` could not be played, and why (the player process died
    /// on it): it leaves the library's views as a file the helper could not read does, until
    /// it changes.
    pub fn record_failed_path(&self, path: &Path, reason: &str) -> Result<()> {
        self.connection
            .execute(
                "UPDATE items SET status = 2, reason = ?2 WHERE path = ?1",
                params![path_bytes(path), reason],
            )
            .map(drop)
            .map_err(|source| Error::Index {
                what: "recording a failure".into(),
                source,
            })
    }

    /// Everything stored about the file at `path`.
    pub fn item(&self, path: &Path) -> Result<Option<Item>> {
        self.connection
            .query_row(
                "SELECT id, path, kind, size, mtime_ns, status, reason, title, artist, album,
                 track, year, duration_ms, width, height, video_codec, audio_codec, taken_at,
                 orientation, camera, thumbnail FROM items WHERE path = ?1",
                params![path_bytes(path)],
                |row| {
                    Ok(Item {
                        id: row.get(0)?,
                        path: path_from(row.get(1)?),
                        kind: MediaKind::from_code(row.get(2)?).unwrap_or(MediaKind::Video),
                        size: row.get::<_, i64>(3)? as u64,
                        mtime_ns: row.get(4)?,
                        status: ItemStatus::from_code(row.get(5)?),
                        reason: row.get(6)?,
                        metadata: Metadata {
                            title: row.get(7)?,
                            artist: row.get(8)?,
                            album: row.get(9)?,
                            track: row.get(10)?,
                            year: row.get(11)?,
                            duration_ms: row.get::<_, Option<i64>>(12)?.map(|ms| ms as u64),
                            width: row.get(13)?,
                            height: row.get(14)?,
                            video_codec: row.get(15)?,
                            audio_codec: row.get(16)?,
                            taken_at: row.get(17)?,
                            orientation: row.get(18)?,
                            camera: row.get(19)?,
                        },
                        thumbnail: row.get::<_, Option<Vec<u8>>>(20)?.map(path_from),
                    })
                },
            )
            .optional()
            .map_err(|source| Error::Index {
                what: format!("reading {}", path.display()),
                source,
            })
    }

    /// Files that were found but are not shown, with the reasons: the helper could not read
    /// them, or their content is not media.
    pub fn not_shown(&self) -> Result<Vec<(PathBuf, ItemStatus, String)>> {
        let mut statement = self.statement(
            "SELECT path, status, COALESCE(reason, '') FROM items WHERE status IN (2, 3)
             ORDER BY path",
        )?;
        statement
            .query_map([], |row| {
                Ok((
                    path_from(row.get::<_, Vec<u8>>(0)?),
                    ItemStatus::from_code(row.get(1)?),
                    row.get::<_, String>(2)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|source| Error::Index {
                what: "listing files not shown".into(),
                source,
            })
    }

    /// Folders and links the last walks could not enter, with the reasons.
    pub fn walk_problems(&self) -> Result<Vec<(PathBuf, String)>> {
        let mut statement =
            self.statement("SELECT path, reason FROM walk_problems ORDER BY path")?;
        statement
            .query_map([], |row| {
                Ok((
                    path_from(row.get::<_, Vec<u8>>(0)?),
                    row.get::<_, String>(1)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|source| Error::Index {
                what: "listing walk problems".into(),
                source,
            })
    }

    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>> {
        self.connection
            .prepare_cached(sql)
            .map_err(|source| Error::Index {
                what: "preparing a query".into(),
                source,
            })
    }
}

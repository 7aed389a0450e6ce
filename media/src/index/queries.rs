//! What the browser and home show, read from the index: plain rows, no formatting (dates
//! and durations are put in words by the shell, in the user's language).

use std::path::PathBuf;

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::{Index, path_from};
use crate::{Error, MediaKind, Result};

/// A list the library can show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Section {
    /// Newest first, every kind.
    RecentlyAdded,
    Videos,
    Songs,
    Albums,
    Artists,
    Photos,
    /// The tracks of one album (by its title and artist), in track order.
    Album {
        album: String,
        artist: Option<String>,
    },
    /// The albums of one artist.
    Artist(String),
    /// Videos stopped part-way, the most recently played first.
    ContinueWatching,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// By title, A to Z.
    Name,
    /// Newest in the library first.
    Added,
    /// Newest taken or released first.
    Date,
}

/// What one row of a list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Item(MediaKind),
    Album,
    Artist,
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: EntryKind,
    /// The item's id; 0 for albums and artists.
    pub id: i64,
    /// The file, for items.
    pub path: Option<PathBuf>,
    /// The title tag, else the file name without its extension; the album's or artist's
    /// name for groups.
    pub title: String,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub year: Option<i32>,
    pub track: Option<u32>,
    pub duration_ms: Option<u64>,
    /// When a photo was taken, else the file's modification time; seconds.
    pub date: i64,
    /// How many items a group holds.
    pub count: usize,
    pub thumbnail: Option<PathBuf>,
    /// Played to the end once (items only).
    pub played: bool,
}

/// How much the library holds, for the home screen's entries and the scanning line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub videos: usize,
    pub songs: usize,
    pub albums: usize,
    pub artists: usize,
    pub photos: usize,
    /// Waiting for the helper.
    pub pending: usize,
    /// The helper could not read them.
    pub failed: usize,
}

/// Shown items: readable, on a root that is here, and not an album's cover picture. The
/// unary `+` keeps SQLite from reading them through the status index, so ordered lists walk
/// the `added` index and stop at their limit.
const VISIBLE: &str = "+items.status IN (0, 1) AND items.album_art = 0 AND roots.online = 1";

fn title_from_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}

impl Index {
    /// Counts of what is shown and what is still being read.
    pub fn counts(&self) -> Result<Counts> {
        let sql = format!(
            "SELECT
               COUNT(*) FILTER (WHERE {VISIBLE} AND kind = 1),
               COUNT(*) FILTER (WHERE {VISIBLE} AND kind = 2),
               COUNT(DISTINCT album) FILTER (WHERE {VISIBLE} AND kind = 2),
               COUNT(DISTINCT artist) FILTER (WHERE {VISIBLE} AND kind = 2),
               COUNT(*) FILTER (WHERE {VISIBLE} AND kind = 3),
               COUNT(*) FILTER (WHERE items.status = 0 AND roots.online = 1),
               COUNT(*) FILTER (WHERE items.status = 2 AND roots.online = 1)
             FROM items JOIN roots ON roots.id = items.root_id"
        );
        self.connection
            .query_row(&sql, [], |row| {
                let count = |i: usize| row.get::<_, i64>(i).map(|n| n as usize);
                Ok(Counts {
                    videos: count(0)?,
                    songs: count(1)?,
                    albums: count(2)?,
                    artists: count(3)?,
                    photos: count(4)?,
                    pending: count(5)?,
                    failed: count(6)?,
                })
            })
            .map_err(|source| Error::Index {
                what: "counting the library".into(),
                source,
            })
    }

    /// The rows of `section` matching `search` (in title, artist, album or file name;
    /// case-insensitive), in `sort` order, at most `limit`.
    pub fn entries(
        &self,
        section: &Section,
        search: &str,
        sort: Sort,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        let mut arguments: Vec<Value> = Vec::new();
        let search_clause = if search.trim().is_empty() {
            String::new()
        } else {
            arguments.push(Value::Text(format!("%{}%", escape_like(search.trim()))));
            "AND (items.name LIKE ?1 ESCAPE '\\' OR items.title LIKE ?1 ESCAPE '\\'
                  OR items.artist LIKE ?1 ESCAPE '\\' OR items.album LIKE ?1 ESCAPE '\\')"
                .to_string()
        };
        let mut bind = |value: String| {
            arguments.push(Value::Text(value));
            format!("?{}", arguments.len())
        };
        let item_order = match sort {
            Sort::Name => "COALESCE(items.title, items.name) COLLATE NOCASE, items.id",
            Sort::Added => "items.added_at DESC, items.id DESC",
            Sort::Date => {
                "COALESCE(items.taken_at, items.year * 31556952 - 62167219200, items.mtime_ns / 1000000000) DESC, items.id DESC"
            }
        };
        let group_order = |name: &str| match sort {
            Sort::Name => format!("{name} COLLATE NOCASE"),
            Sort::Added => format!("MAX(items.added_at) DESC, {name} COLLATE NOCASE"),
            Sort::Date => format!("MAX(items.year) DESC, {name} COLLATE NOCASE"),
        };
        let from = "FROM items JOIN roots ON roots.id = items.root_id
                    LEFT JOIN playback ON playback.path = items.path";
        let item_columns =
            "items.kind, items.id, items.path, COALESCE(items.title, ''), items.name,
             items.artist, items.album, items.year, items.track, items.duration_ms,
             COALESCE(items.taken_at, items.mtime_ns / 1000000000), 1, items.thumbnail,
             COALESCE(playback.played, 0)";
        let sql = match section {
            Section::RecentlyAdded => format!(
                "SELECT {item_columns} {from} WHERE {VISIBLE} {search_clause}
                 ORDER BY items.added_at DESC, items.id DESC LIMIT {limit}"
            ),
            Section::ContinueWatching => format!(
                "SELECT {item_columns} {from}
                 WHERE {VISIBLE} AND items.kind = 1 AND playback.resume_ms IS NOT NULL
                 {search_clause} ORDER BY playback.last_played DESC LIMIT {limit}"
            ),
            Section::Videos | Section::Songs | Section::Photos => {
                let kind = match section {
                    Section::Videos => MediaKind::Video,
                    Section::Songs => MediaKind::Audio,
                    _ => MediaKind::Photo,
                }
                .code();
                format!(
                    "SELECT {item_columns} {from} WHERE {VISIBLE} AND items.kind = {kind}
                     {search_clause} ORDER BY {item_order} LIMIT {limit}"
                )
            }
            Section::Album { album, artist } => {
                let album = bind(album.clone());
                let artist_clause = match artist {
                    Some(artist) => format!("AND items.artist = {}", bind(artist.clone())),
                    None => "AND items.artist IS NULL".to_string(),
                };
                format!(
                    "SELECT {item_columns} {from} WHERE {VISIBLE} AND items.kind = 2
                     AND items.album = {album} {artist_clause} {search_clause}
                     ORDER BY COALESCE(items.track, 1000000), items.name LIMIT {limit}"
                )
            }
            Section::Albums | Section::Artist(_) => {
                let artist_clause = match section {
                    Section::Artist(artist) => {
                        format!("AND items.artist = {}", bind(artist.clone()))
                    }
                    _ => String::new(),
                };
                format!(
                    "SELECT -1, 0, NULL, items.album, items.album, items.artist, items.album,
                     MAX(items.year), NULL, SUM(items.duration_ms), MAX(items.mtime_ns / 1000000000),
                     COUNT(*), MIN(items.thumbnail), 0
                     {from} WHERE {VISIBLE} AND items.kind = 2 AND items.album IS NOT NULL
                     {artist_clause} {search_clause}
                     GROUP BY items.album, items.artist ORDER BY {} LIMIT {limit}",
                    group_order("items.album")
                )
            }
            Section::Artists => format!(
                "SELECT -2, 0, NULL, items.artist, items.artist, items.artist, NULL,
                 MAX(items.year), NULL, SUM(items.duration_ms), MAX(items.mtime_ns / 1000000000),
                 COUNT(*), MIN(items.thumbnail), 0
                 {from} WHERE {VISIBLE} AND items.kind = 2 AND items.artist IS NOT NULL
                 {search_clause}
                 GROUP BY items.artist ORDER BY {} LIMIT {limit}",
                group_order("items.artist")
            ),
        };
        let mut statement = self.statement(&sql)?;
        statement
            .query_map(params_from_iter(arguments.iter()), |row| {
                let kind = match row.get::<_, i64>(0)? {
                    -1 => EntryKind::Album,
                    -2 => EntryKind::Artist,
                    code => EntryKind::Item(MediaKind::from_code(code).unwrap_or(MediaKind::Video)),
                };
                let title: Option<String> = row.get(3)?;
                let name: Option<String> = row.get(4)?;
                let title = match (title.filter(|t| !t.is_empty()), kind) {
                    (Some(title), _) => title,
                    (None, EntryKind::Item(_)) => title_from_name(name.as_deref().unwrap_or("")),
                    (None, _) => name.unwrap_or_default(),
                };
                Ok(Entry {
                    kind,
                    id: row.get(1)?,
                    path: row.get::<_, Option<Vec<u8>>>(2)?.map(path_from),
                    title,
                    artist: row.get(5)?,
                    album: row.get(6)?,
                    year: row.get(7)?,
                    track: row.get(8)?,
                    duration_ms: row.get::<_, Option<i64>>(9)?.map(|ms| ms as u64),
                    date: row.get::<_, Option<i64>>(10)?.unwrap_or(0),
                    count: row.get::<_, i64>(11)? as usize,
                    thumbnail: row.get::<_, Option<Vec<u8>>>(12)?.map(path_from),
                    played: row.get::<_, i64>(13)? != 0,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|source| Error::Index {
                what: "listing the library".into(),
                source,
            })
    }
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

//! The index's schema and its migrations, one SQL batch per version.
//!
//! A new version appends a step; a step is never edited once released, so every older file
//! is brought forward along the same path.

use rusqlite::Connection;

use crate::{Error, Result};

/// Steps from version N to N + 1, in order: `MIGRATIONS[0]` creates version 1.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE roots (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        online INTEGER NOT NULL DEFAULT 1,
        device INTEGER,
        last_scan INTEGER
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        root_id INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
        path BLOB NOT NULL UNIQUE,
        name TEXT NOT NULL,
        kind INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        added_at INTEGER NOT NULL,
        status INTEGER NOT NULL,
        reason TEXT,
        title TEXT,
        artist TEXT,
        album TEXT,
        track INTEGER,
        year INTEGER,
        duration_ms INTEGER,
        width INTEGER,
        height INTEGER,
        video_codec TEXT,
        audio_codec TEXT,
        taken_at INTEGER,
        orientation INTEGER,
        camera TEXT,
        thumbnail BLOB
    );
    CREATE INDEX items_by_root ON items (root_id);
    CREATE INDEX items_by_status ON items (status, kind);
    CREATE INDEX items_by_added ON items (added_at DESC, id DESC);
    CREATE TABLE walk_problems (
        path BLOB PRIMARY KEY,
        root_id INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
        reason TEXT NOT NULL
    );
",
    "
    -- Album art (cover.jpg and its kin) is kept apart from photos, decided once by name.
    ALTER TABLE items ADD COLUMN album_art INTEGER NOT NULL DEFAULT 0;
    UPDATE items SET album_art = 1 WHERE kind = 3 AND lower(name) IN (
        'cover.jpg', 'cover.jpeg', 'cover.png', 'folder.jpg', 'folder.jpeg', 'folder.png',
        'front.jpg', 'front.png', 'albumart.jpg', 'albumartsmall.jpg');
",
    "
    -- Where playback stopped and what was played, by path, so a rescan keeps them.
    CREATE TABLE playback (
        path BLOB PRIMARY KEY,
        resume_ms INTEGER,
        played INTEGER NOT NULL DEFAULT 0,
        last_played INTEGER NOT NULL
    );
    CREATE INDEX playback_by_last_played ON playback (last_played DESC);
",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema to [`VERSION`]. Refuses a file written by a newer Hearth rather than
/// guessing at its layout.
pub fn migrate(connection: &mut Connection) -> Result<()> {
    let index_error = |what: &str| {
        let what = what.to_string();
        move |source| Error::Index { what, source }
    };
    let current: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(index_error("reading the schema version"))?;
    if current > VERSION {
        return Err(Error::NewerIndex {
            found: current,
            supported: VERSION,
        });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let transaction = connection
            .transaction()
            .map_err(index_error("starting a migration"))?;
        transaction
            .execute_batch(sql)
            .and_then(|()| transaction.pragma_update(None, "user_version", step as i64 + 1))
            .and_then(|()| transaction.commit())
            .map_err(index_error(&format!(
                "upgrading the schema to version {}",
                step + 1
            )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_index_is_brought_forward_with_its_items() {
        let mut connection = Connection::open_in_memory().expect("an in-memory database");
        connection.execute_batch(MIGRATIONS[0]).expect("version 1");
        connection
            .pragma_update(None, "user_version", 1)
            .expect("marking version 1");
        connection
            .execute_batch(
                "INSERT INTO roots (id, path) VALUES (1, x'2f6d');
                 INSERT INTO items (root_id, path, name, kind, size, mtime_ns, inode, added_at, status)
                 VALUES (1, x'2f6d2f61', 'Cover.JPG', 3, 1, 1, 1, 1, 1),
                        (1, x'2f6d2f62', 'beach.jpg', 3, 1, 1, 1, 1, 1);",
            )
            .expect("version 1 rows");
        migrate(&mut connection).expect("migrating");
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("the version");
        assert_eq!(version, VERSION);
        let art: Vec<(String, i64)> = connection
            .prepare("SELECT name, album_art FROM items ORDER BY name")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .expect("the rows");
        assert_eq!(
            art,
            [("Cover.JPG".to_string(), 1), ("beach.jpg".to_string(), 0)]
        );
    }
}

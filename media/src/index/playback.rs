//! Resume points and played flags: where playback of a file stopped, kept by path.
//!
//! A stop within 5 % of the start keeps no resume point (the file was only sampled); a stop
//! within 5 % of the end marks it played and forgets the resume point.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::params;

use super::{Index, path_bytes};
use crate::{Error, Result};

/// The share of a file at either end where no resume point is kept.
const MARGIN: f64 = 0.05;

/// What the index knows of a file's playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlaybackMark {
    pub resume: Option<Duration>,
    pub played: bool,
}

impl Index {
    /// Records that `path` stopped at `position` of `duration`.
    pub fn save_position(&self, path: &Path, position: Duration, duration: Duration) -> Result<()> {
        let fraction = if duration.is_zero() {
            0.0
        } else {
            position.as_secs_f64() / duration.as_secs_f64()
        };
        let played = fraction >= 1.0 - MARGIN;
        let resume = (fraction > MARGIN && !played)
            .then(|| i64::try_from(position.as_millis()).unwrap_or(i64::MAX));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        self.statement(
            "INSERT INTO playback (path, resume_ms, played, last_played) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (path) DO UPDATE SET resume_ms = ?2, played = MAX(played, ?3),
             last_played = ?4",
        )?
        .execute(params![path_bytes(path), resume, played, now])
        .map(|_| ())
        .map_err(|source| Error::Index {
            what: format!("saving where {} stopped", path.display()),
            source,
        })
    }

    /// Where `path` stopped last, and whether it was played to the end once.
    pub fn playback_mark(&self, path: &Path) -> Result<PlaybackMark> {
        let row = self
            .statement("SELECT resume_ms, played FROM playback WHERE path = ?1")?
            .query_row(params![path_bytes(path)], |row| {
                Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, bool>(1)?))
            });
        match row {
            Ok((resume, played)) => Ok(PlaybackMark {
                resume: resume.map(|ms| Duration::from_millis(ms.max(0).unsigned_abs())),
                played,
            }),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(PlaybackMark::default()),
            Err(source) => Err(Error::Index {
                what: format!("reading where {} stopped", path.display()),
                source,
            }),
        }
    }
}

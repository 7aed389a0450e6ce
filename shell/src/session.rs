//! What the user had on screen, kept on disk so that a restart, or a crash, comes back to it:
//! the screen, the VM in front, the media shelf open and the file in the player.
//!
//! The file is `$XDG_STATE_HOME/hearth/session.json` (or `~/.local/state/…`). A writer thread
//! keeps it current, writing only the newest state of a burst, whole, flushed and renamed into
//! place, so neither a crash nor a power cut leaves half a file or an older one. A file that
//! is missing, too large or unreadable means "nothing to restore", said in the log.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use serde::{Deserialize, Serialize};

/// The largest session file read; a real one is a few hundred bytes.
const MAX_BYTES: u64 = 64 * 1024;

/// How long a file plays before the session calls it safe to open again after a restart.
pub const PROVEN_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    /// "home", "vm", "settings", "media", "player" or "photo".
    pub screen: String,
    /// The VM in front, by name.
    pub front: Option<String>,
    /// The media browser's shelf: "videos", "music" or "photos".
    pub shelf: Option<String>,
    /// The file in the player.
    pub playing: Option<PathBuf>,
    /// Whether that file had played for [`PROVEN_AFTER`] in the run that kept it. Only such a
    /// file is played again at the next start: one that brought Hearth down while it opened
    /// is not, so a restart cannot loop on it.
    pub playing_proven: bool,
    /// What the user chose on the settings screen; the configuration's values stand where
    /// they chose nothing.
    pub settings: Choices,
}

/// Settings the user chose on the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Choices {
    pub language: Option<String>,
    pub swipe_seek: Option<bool>,
    pub double_tap_seek: Option<bool>,
    /// The on-screen keyboard's layout for each VM (by name), and for Hearth's own fields
    /// (under ""), as layout codes ("de").
    pub keyboard_layouts: std::collections::BTreeMap<String, String>,
}

/// Where the session is kept, and the thread that writes it.
pub struct SessionFile {
    path: PathBuf,
    writes: Sender<Session>,
}

impl SessionFile {
    /// The user's state folder for it, if a home or XDG_STATE_HOME is known.
    pub fn in_user_state() -> Option<PathBuf> {
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state"))
            })?;
        Some(state.join("hearth").join("session.json"))
    }

    /// Starts the writer for the file at `path`.
    pub fn new(path: PathBuf) -> SessionFile {
        let (writes, pending) = std::sync::mpsc::channel::<Session>();
        let target = path.clone();
        let spawned = std::thread::Builder::new()
            .name("hearth-session".into())
            .spawn(move || {
                while let Ok(session) = pending.recv() {
                    let newest = pending.try_iter().last().unwrap_or(session);
                    if let Err(error) = write(&target, &newest) {
                        tracing::warn!(path = %target.display(), %error, "cannot keep the session");
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the session writer");
        }
        SessionFile { path, writes }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The session kept by the previous run, if any.
    pub fn load(&self) -> Option<Session> {
        read(&self.path)
    }

    /// The session kept at `path`, read without starting a writer (before the window
    /// exists, for the language its first frame speaks).
    pub fn peek(path: &Path) -> Option<Session> {
        read(path)
    }

    /// Keeps `session` (on the writer thread).
    pub fn save(&self, session: Session) {
        let _ = self.writes.send(session);
    }

    /// Keeps `session` before returning: for what must be on disk before something that
    /// could end the process (a restored file opening again).
    pub fn save_now(&self, session: &Session) {
        if let Err(error) = write(&self.path, session) {
            tracing::warn!(path = %self.path.display(), %error, "cannot keep the session");
        }
    }
}

fn read(path: &Path) -> Option<Session> {
    let size = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot read the last session");
            return None;
        }
    };
    if size > MAX_BYTES {
        tracing::warn!(path = %path.display(), size, "ignoring a last session this large");
        return None;
    }
    let text = std::fs::read(path)
        .map_err(
            |error| tracing::warn!(path = %path.display(), %error, "cannot read the last session"),
        )
        .ok()?;
    serde_json::from_slice(&text)
        .map_err(|error| tracing::warn!(path = %path.display(), %error, "ignoring a damaged last session"))
        .ok()
}

fn write(path: &Path, session: &Session) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(session).map_err(std::io::Error::other)?;
    crate::durable::write_whole(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_round_trips_and_damage_means_nothing_to_restore() {
        let dir = std::env::temp_dir().join(format!("hearth-session-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("state/session.json");
        let session = Session {
            screen: "vm".into(),
            front: Some("Work".into()),
            shelf: None,
            playing: Some(PathBuf::from("/media/a film.mkv")),
            playing_proven: true,
            settings: Choices {
                language: Some("de".into()),
                swipe_seek: Some(false),
                double_tap_seek: None,
                keyboard_layouts: [("Work".to_string(), "de".to_string())].into(),
            },
        };
        write(&path, &session).expect("written");
        assert_eq!(read(&path), Some(session));
        std::fs::write(&path, b"{\"screen\": 12").expect("damaged");
        assert_eq!(read(&path), None);
        std::fs::write(&path, vec![b' '; MAX_BYTES as usize + 1]).expect("huge");
        assert_eq!(read(&path), None);
        std::fs::remove_file(&path).expect("removed");
        assert_eq!(read(&path), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

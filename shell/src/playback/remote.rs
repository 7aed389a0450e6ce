//! The player offered to other programs: MPRIS's view of it, and what MPRIS clients ask.

use std::path::PathBuf;
use std::time::Duration;

use hearth_media::player::{PlayState, Player, Repeat};

use super::mpris::{self, Mpris, MprisCommand, MprisState, MprisTrack};
use super::{PlaybackController, QueueItem, Shown, uri};

impl PlaybackController {
    /// Offers the player on the session bus (MPRIS); `commands` hands calls to the UI
    /// thread. A second call does nothing.
    pub fn start_mpris(&self, commands: mpris::CommandSink) {
        if self.mpris.borrow().is_some() {
            return;
        }
        *self.mpris.borrow_mut() = Some(Mpris::start(commands));
        self.render();
    }

    /// Plays a local file, or the playable files of a folder, from `position`; false when
    /// there is nothing playable there.
    pub fn open_path(&self, path: &std::path::Path, position: Option<Duration>) -> bool {
        let queue = queue_for_path(path);
        if queue.is_empty() {
            return false;
        }
        self.play(queue, 0, position);
        true
    }

    pub(super) fn track_id(&self) -> String {
        format!("/org/hearth/Track/{}", self.track_serial.get())
    }

    pub(super) fn mpris_state(
        &self,
        shown: &Shown,
        item: Option<&QueueItem>,
        count: usize,
    ) -> MprisState {
        let status = match shown.state {
            PlayState::Playing | PlayState::Buffering(_) => "Playing",
            PlayState::Paused | PlayState::Opening | PlayState::Ended => "Paused",
            PlayState::Stopped => "Stopped",
        };
        let status = if shown.problem.is_some() {
            "Stopped"
        } else {
            status
        };
        let (artist, album) = item
            .map(|item| {
                let mut parts = item.subtitle.split(" · ").map(str::to_string);
                (parts.next().filter(|p| !p.is_empty()), parts.next())
            })
            .unwrap_or_default();
        MprisState {
            status,
            loop_status: match shown.repeat {
                Repeat::Off => "None",
                Repeat::One => "Track",
                Repeat::All => "Playlist",
            },
            shuffle: shown.shuffle,
            volume: shown.volume,
            position: micros(shown.position),
            can_go_next: count > 1,
            can_go_previous: count > 1,
            can_play: item.is_some(),
            can_seek: item.is_some() && shown.duration.is_some(),
            track: item.map(|item| MprisTrack {
                id: self.track_id(),
                title: item.title.clone(),
                artist,
                album,
                length: shown.duration.map(micros),
                url: uri::file_uri(&item.path),
                art_url: item.cover.as_deref().and_then(uri::file_uri),
            }),
        }
    }

    /// Does what an MPRIS client asked.
    pub fn command(&self, command: MprisCommand) {
        match command {
            MprisCommand::Raise => {
                if !self.queue.borrow().is_empty() {
                    self.show();
                }
            }
            MprisCommand::Play => self.with_player(Player::play),
            MprisCommand::Pause => self.with_player(Player::pause),
            MprisCommand::PlayPause => self.with_player(Player::toggle),
            MprisCommand::Stop => self.with_player(Player::stop),
            MprisCommand::Next => self.with_player(Player::next),
            MprisCommand::Previous => self.with_player(Player::previous),
            MprisCommand::Seek(offset) => {
                self.with_player(|player| player.seek_by(offset / 1000));
            }
            MprisCommand::SetPosition(track, position) => {
                // A position for a track no longer playing is ignored, as MPRIS asks.
                if track == self.track_id() && position >= 0 {
                    let to = Duration::from_micros(position.unsigned_abs());
                    self.with_player(|player| player.seek(to));
                }
            }
            MprisCommand::OpenUri(address) => {
                let Some(path) = uri::path_of(&address) else {
                    tracing::warn!(uri = %address, "MPRIS OpenUri: not a local file");
                    return;
                };
                if !self.open_path(&path, None) {
                    tracing::warn!(path = %path.display(), "MPRIS OpenUri: nothing to play there");
                }
            }
            MprisCommand::Volume(volume) => self.with_player(|player| player.set_volume(volume)),
            MprisCommand::Shuffle(shuffle) => {
                self.with_player(|player| player.set_shuffle(shuffle))
            }
            MprisCommand::Loop(status) => {
                let repeat = match status.as_str() {
                    "Track" => Repeat::One,
                    "Playlist" => Repeat::All,
                    _ => Repeat::Off,
                };
                self.with_player(|player| player.set_repeat(repeat));
            }
        }
    }
}

/// What a path opened from outside plays: the file, or a folder's videos and songs in name
/// order.
fn queue_for_path(path: &std::path::Path) -> Vec<QueueItem> {
    let item = |path: PathBuf| QueueItem {
        title: path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path,
        subtitle: String::new(),
        cover: None,
    };
    if !path.is_dir() {
        return vec![item(path.to_path_buf())];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.retain(|file| {
        matches!(
            hearth_media::hint_from_name(file),
            hearth_media::NameHint::Media(
                hearth_media::MediaKind::Audio | hearth_media::MediaKind::Video
            )
        )
    });
    files.sort();
    files.into_iter().map(item).collect()
}

pub(super) fn micros(time: Duration) -> i64 {
    i64::try_from(time.as_micros()).unwrap_or(i64::MAX)
}

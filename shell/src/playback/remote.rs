//! The player offered to other programs: MPRIS's view of it, and what MPRIS clients ask.

use std::path::PathBuf;
use std::time::Duration;

use hearth_media::player::{Edit, Placement, PlayState, Player, Repeat};

use super::mpris::{self, Mpris, MprisCommand, MprisState, MprisTrack};
use super::queue_view::Skips;
use super::tracklist::TrackList;
use super::{PlaybackController, QueueItem, Shown, uri};

impl PlaybackController {
    /// Offers the player on the session bus (MPRIS); `commands` hands calls to the UI
    /// thread. A second call does nothing.
    pub fn start_mpris(&self, commands: mpris::CommandSink) {
        if self.mpris.borrow().is_some() {
            return;
        }
        *self.mpris.borrow_mut() = Some(Mpris::start(commands));
        self.queue_changed.set(true);
        self.render();
    }

    /// Plays a local file, or the playable files of a folder's tree (in name order, folder
    /// by folder, as albums are laid out), from `position`; false when there is nothing
    /// playable there.
    pub fn open_path(&self, path: &std::path::Path, position: Option<Duration>) -> bool {
        // The library names what it knows and orders albums by track (a quick read-only
        // look: a folder opened holds tens of files).
        let queue = queue_for_path(path, self.library().as_ref());
        if queue.is_empty() {
            return false;
        }
        self.play(queue, 0, position);
        true
    }

    /// The library's index, read-only, when there is a library.
    fn library(&self) -> Option<hearth_media::Index> {
        self.index_file
            .borrow()
            .as_deref()
            .and_then(hearth_media::Index::open_existing)
    }

    /// The MPRIS id of the queue's file with this index: the queue's number and the file's.
    fn track_id(&self, index: usize) -> String {
        format!("/org/hearth/Track/{}_{index}", self.queue_serial.get())
    }

    /// The index of the queue's file with this MPRIS id; None for another queue's.
    fn index_of_track(&self, id: &str) -> Option<usize> {
        let (queue, index) = id.strip_prefix("/org/hearth/Track/")?.split_once('_')?;
        if queue.parse::<u64>().ok()? != self.queue_serial.get() {
            return None;
        }
        let index = index.parse().ok()?;
        (index < self.queue.borrow().len()).then_some(index)
    }

    /// The queue in play order, as MPRIS's TrackList offers it.
    pub(super) fn mpris_tracks(&self) -> TrackList {
        let shown = self.shown.borrow();
        let queue = self.queue.borrow();
        let tracks = shown
            .order
            .iter()
            .filter_map(|&index| Some(self.mpris_track(index, queue.get(index)?, None)))
            .collect();
        TrackList {
            tracks,
            current: shown.current.map(|index| self.track_id(index)),
        }
    }

    fn mpris_track(&self, index: usize, item: &QueueItem, length: Option<i64>) -> MprisTrack {
        let mut parts = item.subtitle.split(" · ").map(str::to_string);
        let artist = parts.next().filter(|p| !p.is_empty());
        MprisTrack {
            id: self.track_id(index),
            title: item.title.clone(),
            artist,
            album: parts.next(),
            length,
            url: uri::file_uri(&item.path),
            art_url: item.cover.as_deref().and_then(uri::file_uri),
        }
    }

    /// Adds a file, or a folder's files, after the track `after` (NoTrack: first), as
    /// TrackList's AddTrack asks; with no music in the player, they play at once instead.
    fn add_track(&self, address: &str, after: &str, play: bool) {
        let Some(path) = uri::path_of(address) else {
            tracing::warn!(uri = %address, "MPRIS AddTrack: not a local file");
            return;
        };
        let items = queue_for_path(&path, self.library().as_ref());
        if items.is_empty() {
            tracing::warn!(path = %path.display(), "MPRIS AddTrack: nothing to play there");
            return;
        }
        let before = {
            let shown = self.shown.borrow();
            if after == mpris::NO_TRACK {
                shown.order.first().copied()
            } else {
                self.index_of_track(after)
                    .and_then(|after| shown.order.iter().position(|&i| i == after))
                    .and_then(|at| shown.order.get(at + 1).copied())
            }
        };
        let placement = before.map_or(Placement::End, Placement::Before);
        let first = self.queue.borrow().len();
        if self.add(items, placement) && play {
            self.with_player(|player| player.jump(first));
        }
    }

    pub(super) fn mpris_state(
        &self,
        shown: &Shown,
        item: Option<&QueueItem>,
        skips: Skips,
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
            can_go_next: skips.next,
            can_go_previous: skips.previous,
            can_play: item.is_some(),
            can_seek: item.is_some() && shown.duration.is_some(),
            track: item
                .zip(shown.current)
                .map(|(item, index)| self.mpris_track(index, item, shown.duration.map(micros))),
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
                let current = self.shown.borrow().current.map(|i| self.track_id(i));
                if current == Some(track) && position >= 0 {
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
            MprisCommand::AddTrack { uri, after, play } => self.add_track(&uri, &after, play),
            MprisCommand::RemoveTrack(id) => {
                if let Some(index) = self.index_of_track(&id) {
                    self.with_player(|player| player.edit(Edit::Remove(index)));
                }
            }
            MprisCommand::GoTo(id) => {
                if let Some(index) = self.index_of_track(&id) {
                    self.with_player(|player| player.jump(index));
                }
            }
        }
    }
}

/// What a path opened from outside plays: the file, or a folder's videos and songs in the
/// library's order (see [`playable_tree`]), named as the library names them where it knows
/// them, else by their file names.
fn queue_for_path(path: &std::path::Path, index: Option<&hearth_media::Index>) -> Vec<QueueItem> {
    let known = |path: &std::path::Path| index.and_then(|index| index.item(path).ok().flatten());
    let item = |path: PathBuf| {
        let known = known(&path);
        let metadata = known.as_ref().map(|item| &item.metadata);
        QueueItem {
            title: metadata
                .and_then(|m| m.title.clone())
                .filter(|title| !title.is_empty())
                .or_else(|| {
                    path.file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                })
                .unwrap_or_default(),
            subtitle: metadata
                .map(|m| {
                    [m.artist.clone(), m.album.clone()]
                        .into_iter()
                        .flatten()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .unwrap_or_default(),
            cover: known.and_then(|item| item.thumbnail),
            path,
        }
    };
    if !path.is_dir() {
        return vec![item(path.to_path_buf())];
    }
    let mut files = Vec::new();
    let track = |path: &std::path::Path| known(path).and_then(|item| item.metadata.track);
    playable_tree(path, 0, &track, &mut files);
    files.into_iter().map(item).collect()
}

/// How deep a folder opened to play is walked, and how many files it may queue.
const TREE_DEPTH: usize = 8;
const TREE_FILES: usize = 10_000;

/// The songs and videos under `folder`: its own files first, in the library's album order
/// (track number, then name; files it has no number for after, by name), then each subfolder
/// in name order; hidden entries are skipped and symbolic links to folders not followed (no
/// loops).
fn playable_tree(
    folder: &std::path::Path,
    depth: usize,
    track: &dyn Fn(&std::path::Path) -> Option<u32>,
    files: &mut Vec<PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut entries: Vec<(PathBuf, bool)> = entries
        .flatten()
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            let is_folder = entry.file_type().is_ok_and(|kind| kind.is_dir());
            (entry.path(), is_folder)
        })
        .collect();
    entries.sort();
    let (folders, own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(_, folder)| *folder);
    let mut own: Vec<(Option<u32>, PathBuf)> = own
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| {
            matches!(
                hearth_media::hint_from_name(path),
                hearth_media::NameHint::Media(
                    hearth_media::MediaKind::Audio | hearth_media::MediaKind::Video
                )
            )
        })
        .map(|path| (track(&path), path))
        .collect();
    // Numbered tracks first, in number order; the rest keep their name order.
    own.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    for (_, path) in own {
        if files.len() >= TREE_FILES {
            return;
        }
        files.push(path);
    }
    if depth < TREE_DEPTH {
        for (path, _) in folders {
            playable_tree(&path, depth + 1, track, files);
        }
    }
}

pub(super) fn micros(time: Duration) -> i64 {
    i64::try_from(time.as_micros()).unwrap_or(i64::MAX)
}

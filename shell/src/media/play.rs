//! What a tap on a video or a song plays: the queue, and where to start (a video's resume
//! point, from the index); and what a song or an album held down offers: play it, play it
//! next, add it to the queue.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use hearth_media::player::Placement;
use hearth_media::{Entry, EntryKind, MediaKind, Section, Sort};
use hearth_ui::{MediaAdapter, VmAction};
use slint::{ComponentHandle, ModelRc, VecModel};

use super::MediaController;
use crate::playback::QueueItem;

/// Plays a queue from an index, at a position (the playback domain, wired by the app).
pub type Play = Box<dyn Fn(Vec<QueueItem>, usize, Option<Duration>)>;
/// Shows photos full-screen from an index.
pub type View = Box<dyn Fn(Vec<QueueItem>, usize)>;
/// Adds songs to what plays, next or last; true when they were queued, false when they play
/// now (nothing was playing). The playback domain, wired by the app.
pub type Enqueue = Box<dyn Fn(Vec<QueueItem>, Placement) -> bool>;

/// How long "Plays next: …" stays over the browser.
const TOAST_TIME: Duration = Duration::from_millis(2500);

/// The most songs one album or artist adds to the queue.
const ENQUEUE_LIMIT: usize = 2_000;

/// What a held song or album offers, by id and string.
const HOLD_ACTIONS: [(&str, &str); 3] = [
    ("play", "media-action-play"),
    ("play-next", "media-action-play-next"),
    ("add-to-queue", "media-action-add-to-queue"),
];

impl MediaController {
    /// Sets what plays a queue when a video or a song is tapped.
    pub fn set_play(&self, play: Play) {
        *self.play.borrow_mut() = Some(play);
    }

    /// Sets what adds songs to the queue.
    pub fn set_enqueue(&self, enqueue: Enqueue) {
        *self.enqueue.borrow_mut() = Some(enqueue);
    }

    /// A card held down (or right-clicked): a song, an album or an artist offers its
    /// actions; anything else offers nothing.
    pub(super) fn hold_row(&self, rows: &RefCell<Vec<Entry>>, index: i32) {
        let entry = usize::try_from(index)
            .ok()
            .and_then(|index| rows.borrow().get(index).cloned());
        let Some(entry) = entry.filter(|entry| {
            matches!(
                entry.kind,
                EntryKind::Item(MediaKind::Audio) | EntryKind::Album | EntryKind::Artist
            )
        }) else {
            return;
        };
        let translator = self.translator.borrow();
        let actions: Vec<VmAction> = HOLD_ACTIONS
            .iter()
            .map(|(id, string)| VmAction {
                id: (*id).into(),
                label: translator.tr(string).into(),
                ..VmAction::default()
            })
            .collect();
        drop(translator);
        self.with_adapter(|adapter| {
            adapter.set_hold_title(entry.title.as_str().into());
            adapter.set_hold_actions(ModelRc::from(Rc::new(VecModel::from(actions))));
            adapter.set_hold_open(true);
        });
        *self.held.borrow_mut() = Some(entry);
    }

    /// One of the held card's actions was chosen (or the sheet dismissed, with "").
    pub(super) fn hold_action(&self, id: &str) {
        self.with_adapter(|adapter| adapter.set_hold_open(false));
        let Some(entry) = self.held.borrow_mut().take() else {
            return;
        };
        let songs = self.songs_of(&entry);
        if songs.is_empty() {
            return;
        }
        let placement = match id {
            "play" => {
                if let Some(play) = self.play.borrow().as_ref() {
                    play(songs, 0, None);
                }
                return;
            }
            "play-next" => Placement::Next,
            "add-to-queue" => Placement::End,
            _ => return,
        };
        let queued = self
            .enqueue
            .borrow()
            .as_ref()
            .is_some_and(|enqueue| enqueue(songs, placement));
        if !queued {
            return;
        }
        let string = match placement {
            Placement::Next => "media-queued-next",
            Placement::End | Placement::Before(_) => "media-queued",
        };
        let text = self.translator.borrow().tr_args(
            string,
            &[("title", hearth_ui::i18n::Arg::Text(&entry.title))],
        );
        self.with_adapter(|adapter: &MediaAdapter<'_>| adapter.set_toast(text.into()));
        let window = self.window.clone();
        self.toast_timer
            .start(slint::TimerMode::SingleShot, TOAST_TIME, move || {
                if let Some(window) = window.upgrade() {
                    window
                        .global::<MediaAdapter>()
                        .set_toast(Default::default());
                }
            });
    }

    /// The songs a song, an album or an artist stands for, in the order they play.
    fn songs_of(&self, entry: &Entry) -> Vec<QueueItem> {
        let section = match entry.kind {
            EntryKind::Item(MediaKind::Audio) => return queue_item(entry).into_iter().collect(),
            EntryKind::Album => Section::Album {
                album: entry.title.clone(),
                artist: entry.artist.clone(),
            },
            EntryKind::Artist => Section::Artist(entry.title.clone()),
            EntryKind::Item(_) => return Vec::new(),
        };
        let index = self.index.borrow();
        let Some(index) = index.as_ref() else {
            return Vec::new();
        };
        let mut songs = Vec::new();
        let rows = index
            .entries(&section, "", Sort::Name, ENQUEUE_LIMIT)
            .unwrap_or_default();
        for row in rows {
            match row.kind {
                EntryKind::Item(MediaKind::Audio) => songs.extend(queue_item(&row)),
                // An artist lists albums: each album's songs, in track order.
                EntryKind::Album => {
                    let album = Section::Album {
                        album: row.title.clone(),
                        artist: row.artist.clone(),
                    };
                    let tracks = index
                        .entries(&album, "", Sort::Name, ENQUEUE_LIMIT)
                        .unwrap_or_default();
                    songs.extend(tracks.iter().filter_map(queue_item));
                }
                _ => {}
            }
        }
        songs.truncate(ENQUEUE_LIMIT);
        songs
    }

    /// Sets what shows photos when a photo is tapped.
    pub fn set_view(&self, view: View) {
        *self.view.borrow_mut() = Some(view);
    }

    /// Shows the photos of `rows` from `rows[index]`, dated as their cards are.
    pub(super) fn view_from(&self, rows: &[Entry], index: usize) {
        let translator = self.translator.borrow();
        let mut start = 0;
        let mut photos = Vec::new();
        for (at, entry) in rows.iter().enumerate() {
            let (EntryKind::Item(MediaKind::Photo), Some(path)) = (entry.kind, &entry.path) else {
                continue;
            };
            if at == index {
                start = photos.len();
            }
            photos.push(QueueItem {
                path: path.clone(),
                title: entry.title.clone(),
                subtitle: super::cards::subtitle(&translator, entry),
                cover: entry.thumbnail.clone(),
            });
        }
        drop(translator);
        if let Some(view) = self.view.borrow().as_ref() {
            view(photos, start);
        }
    }

    /// Where a video stopped last time, from the index.
    pub fn resume_point(&self, path: &std::path::Path) -> Option<Duration> {
        let index = self.index.borrow();
        index.as_ref()?.playback_mark(path).ok()?.resume
    }

    /// The shelf the browser is on, if it is open.
    pub fn shelf(&self) -> Option<&'static str> {
        self.browser.borrow().as_ref().map(|browser| browser.shelf)
    }

    /// The index file, where the player keeps resume points.
    pub fn index_file(&self) -> &std::path::Path {
        &self.settings.index_file
    }

    /// Plays `rows[index]`: a video alone, from where it stopped; a song with the songs of
    /// the list it is in (the album, the artist, the search), from it.
    pub(super) fn play_from(&self, rows: &[Entry], index: usize) {
        let (queue, start) = queue_from(rows, index);
        let resume = match rows.get(index).map(|entry| entry.kind) {
            Some(EntryKind::Item(MediaKind::Video)) => queue.first().and_then(|item| {
                let index = self.index.borrow();
                index.as_ref()?.playback_mark(&item.path).ok()?.resume
            }),
            _ => None,
        };
        if let Some(play) = self.play.borrow().as_ref() {
            play(queue, start, resume);
        }
    }
}

/// A song or a video as the player names it.
fn queue_item(entry: &Entry) -> Option<QueueItem> {
    Some(QueueItem {
        path: entry.path.clone()?,
        title: entry.title.clone(),
        subtitle: [entry.artist.clone(), entry.album.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        cover: entry.thumbnail.clone(),
    })
}

fn queue_from(rows: &[Entry], index: usize) -> (Vec<QueueItem>, usize) {
    let Some(tapped) = rows.get(index) else {
        return (Vec::new(), 0);
    };
    if tapped.kind != EntryKind::Item(MediaKind::Audio) {
        return (queue_item(tapped).into_iter().collect(), 0);
    }
    let mut start = 0;
    let mut queue = Vec::new();
    for (at, entry) in rows.iter().enumerate() {
        if entry.kind != EntryKind::Item(MediaKind::Audio) {
            continue;
        }
        if at == index {
            start = queue.len();
        }
        queue.extend(queue_item(entry));
    }
    (queue, start)
}

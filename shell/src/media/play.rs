//! What a tap on a video or a song plays: the queue, and where to start (a video's resume
//! point, from the index).

use std::time::Duration;

use hearth_media::{Entry, EntryKind, MediaKind};

use super::MediaController;
use crate::playback::QueueItem;

/// Plays a queue from an index, at a position (the playback domain, wired by the app).
pub type Play = Box<dyn Fn(Vec<QueueItem>, usize, Option<Duration>)>;
/// Shows photos full-screen from an index.
pub type View = Box<dyn Fn(Vec<QueueItem>, usize)>;

impl MediaController {
    /// Sets what plays a queue when a video or a song is tapped.
    pub fn set_play(&self, play: Play) {
        *self.play.borrow_mut() = Some(play);
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

fn queue_from(rows: &[Entry], index: usize) -> (Vec<QueueItem>, usize) {
    let item = |entry: &Entry| {
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
    };
    let Some(tapped) = rows.get(index) else {
        return (Vec::new(), 0);
    };
    if tapped.kind != EntryKind::Item(MediaKind::Audio) {
        return (item(tapped).into_iter().collect(), 0);
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
        queue.extend(item(entry));
    }
    (queue, start)
}

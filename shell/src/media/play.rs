//! What a tap on a video or a song plays: the queue, and where to start (a video's resume
//! point, from the index).

use std::time::Duration;

use hearth_media::{Entry, EntryKind, MediaKind};

use super::MediaController;
use crate::playback::QueueItem;

/// Plays a queue from an index, at a position (the playback domain, wired by the app).
pub type Play = Box<dyn Fn(Vec<QueueItem>, usize, Option<Duration>)>;

impl MediaController {
    /// Sets what plays a queue when a video or a song is tapped.
    pub fn set_play(&self, play: Play) {
        *self.play.borrow_mut() = Some(play);
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

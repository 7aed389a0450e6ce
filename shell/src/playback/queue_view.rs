//! The music queue's panel: the song playing and what follows it, in the order the player
//! reported. A tap, a removal or a move names rows; they go back to the player as files,
//! and the panel changes when the player reports the new order, not before.

use std::rc::Rc;

use hearth_media::player::{Edit, Repeat};
use hearth_ui::i18n::Arg;
use hearth_ui::{PlayerAdapter, QueueRow};
use slint::{Model, ModelRc, SharedString, VecModel};

use super::{PlaybackController, Shown};

/// The files, by index, as the panel lists them: the one playing, what follows it, and under
/// repeat-all the ones before it, which come round again. Empty for a video or before the
/// player has reported its order.
pub(super) fn listed(shown: &Shown) -> Vec<usize> {
    let Some(at) = shown
        .current
        .and_then(|current| shown.order.iter().position(|&i| i == current))
    else {
        return Vec::new();
    };
    if shown.tracks.has_video {
        return Vec::new();
    }
    let mut rows = shown.order[at..].to_vec();
    if shown.repeat == Repeat::All {
        rows.extend_from_slice(&shown.order[..at]);
    }
    rows
}

/// Whether Next and Previous go to another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Skips {
    pub next: bool,
    pub previous: bool,
}

/// Next and Previous go to another file when there is one after (or before) the one playing
/// in the order, or, under repeat, when the queue holds any other.
pub(super) fn skips(shown: &Shown) -> Skips {
    let Some(at) = shown
        .current
        .and_then(|current| shown.order.iter().position(|&i| i == current))
    else {
        return Skips {
            next: false,
            previous: false,
        };
    };
    let round = shown.repeat != Repeat::Off && shown.order.len() > 1;
    Skips {
        next: at + 1 < shown.order.len() || round,
        previous: at > 0 || round,
    }
}

/// The edit that moves row `from` of `rows` to row `to`: before the file that then follows
/// it, or to the end. Under repeat-all the list goes round, so the last row comes before the
/// one playing (row 0).
fn move_edit(rows: &[usize], from: usize, to: usize, round: bool) -> Option<Edit> {
    if from == 0 || to == 0 || from == to || from >= rows.len() || to >= rows.len() {
        return None;
    }
    let mut moved = rows.to_vec();
    let index = moved.remove(from);
    moved.insert(to, index);
    let before = match moved.get(to + 1) {
        Some(&next) => Some(next),
        None if round => moved.first().copied(),
        None => None,
    };
    Some(Edit::Move { index, before })
}

impl PlaybackController {
    /// Wires the panel's taps, removals and moves.
    pub(super) fn connect_queue(self: &Rc<Self>, adapter: &PlayerAdapter<'_>) {
        let weak = Rc::downgrade(self);
        adapter.on_queue_jump(move |row| {
            if let Some(c) = weak.upgrade()
                && let Some(index) = c.file_at_row(row)
            {
                c.with_player(|player| player.jump(index));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_queue_remove(move |row| {
            if let Some(c) = weak.upgrade()
                && let Some(index) = c.file_at_row(row)
            {
                c.with_player(|player| player.edit(Edit::Remove(index)));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_queue_move(move |from, to| {
            let Some(c) = weak.upgrade() else { return };
            let (Ok(from), Ok(to)) = (usize::try_from(from), usize::try_from(to)) else {
                return;
            };
            let round = c.shown.borrow().repeat == Repeat::All;
            let edit = move_edit(&c.queue_rows.borrow(), from, to, round);
            if let Some(edit) = edit {
                c.with_player(|player| player.edit(edit));
            }
        });
    }

    fn file_at_row(&self, row: i32) -> Option<usize> {
        let row = usize::try_from(row).ok()?;
        self.queue_rows.borrow().get(row).copied()
    }

    /// Refills the panel's rows when the order, the one playing, repeat or the names changed.
    pub(super) fn render_queue(&self) {
        if !self.queue_changed.replace(false) {
            return;
        }
        let current = self.shown.borrow().current;
        let translator = self.translator.borrow();
        let queue = self.queue.borrow();
        // Files the list does not have (an order from before the last play) are left out of
        // both, so row numbers and files stay in step.
        let rows: Vec<usize> = listed(&self.shown.borrow())
            .into_iter()
            .filter(|&index| index < queue.len())
            .collect();
        let model: Vec<QueueRow> = rows
            .iter()
            .map(|&index| {
                let item = &queue[index];
                QueueRow {
                    title: item.title.as_str().into(),
                    subtitle: item.subtitle.as_str().into(),
                    playing: Some(index) == current,
                    remove_label: translator
                        .tr_args("player-queue-remove", &[("title", Arg::Text(&item.title))])
                        .into(),
                }
            })
            .collect();
        let following = i64::try_from(model.len().saturating_sub(1)).unwrap_or(i64::MAX);
        let summary =
            translator.tr_args("player-queue-summary", &[("count", Arg::Number(following))]);
        self.with_adapter(|adapter| {
            // Rows made anew end a drag on the panel: only when they differ.
            let shown = adapter.get_queue();
            if shown.row_count() != model.len() || !shown.iter().eq(model.iter().cloned()) {
                adapter.set_queue(ModelRc::new(VecModel::from(model)));
            }
            adapter.set_queue_summary(SharedString::from(summary));
        });
        *self.queue_rows.borrow_mut() = rows;
        // Until the player reports a new queue's order, the list would be empty.
        let ordered = !self.shown.borrow().order.is_empty() || self.queue.borrow().is_empty();
        if let Some(mpris) = self.mpris.borrow().as_ref()
            && ordered
        {
            mpris.set_tracks(self.mpris_tracks());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_starts_at_the_one_playing_and_goes_round_under_repeat_all() {
        let mut shown = Shown {
            current: Some(7),
            order: vec![3, 7, 1, 5],
            ..Shown::default()
        };
        assert_eq!(listed(&shown), [7, 1, 5]);
        shown.repeat = Repeat::All;
        assert_eq!(listed(&shown), [7, 1, 5, 3]);
        shown.current = Some(9);
        assert!(listed(&shown).is_empty(), "not in the order yet");
    }

    #[test]
    fn next_and_previous_go_somewhere_only_when_there_is_another_file_that_way() {
        let mut shown = Shown {
            current: Some(5),
            order: vec![3, 5],
            ..Shown::default()
        };
        let skips = |shown: &Shown| {
            let skips = skips(shown);
            (skips.next, skips.previous)
        };
        assert_eq!(skips(&shown), (false, true), "the last one");
        shown.current = Some(3);
        assert_eq!(skips(&shown), (true, false), "the first one");
        shown.repeat = Repeat::All;
        assert_eq!(skips(&shown), (true, true), "round again");
        shown.order = vec![3];
        assert_eq!(skips(&shown), (false, false), "alone, even under repeat");
    }

    #[test]
    fn a_row_moved_lands_before_the_row_that_then_follows_it() {
        let rows = [7, 1, 5, 3];
        assert_eq!(
            move_edit(&rows, 3, 1, false),
            Some(Edit::Move {
                index: 3,
                before: Some(1)
            })
        );
        assert_eq!(
            move_edit(&rows, 1, 3, false),
            Some(Edit::Move {
                index: 1,
                before: None
            }),
            "to the end"
        );
        assert_eq!(
            move_edit(&rows, 1, 3, true),
            Some(Edit::Move {
                index: 1,
                before: Some(7)
            }),
            "round again: last, just before the one playing comes back"
        );
        assert_eq!(
            move_edit(&rows, 1, 2, false),
            Some(Edit::Move {
                index: 1,
                before: Some(3)
            })
        );
        assert_eq!(move_edit(&rows, 0, 2, false), None, "the one playing stays");
        assert_eq!(move_edit(&rows, 2, 0, false), None);
        assert_eq!(move_edit(&rows, 2, 2, false), None);
        assert_eq!(move_edit(&rows, 2, 9, false), None);
    }
}

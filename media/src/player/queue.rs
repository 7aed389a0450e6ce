//! The play order: a list of files, the one playing, shuffle and repeat.
//!
//! Plain data, no GStreamer: the engine asks it what comes next (for the gapless hand-over
//! and for Next/Previous) and tells it what started.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What happens at the end of the queue or of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Repeat {
    /// Stop after the last one.
    #[default]
    Off,
    /// Start the queue again after the last one.
    All,
    /// Play the same one again.
    One,
}

/// A change to what is queued, naming files by their index in the queue (stable: a file
/// removed keeps its number unused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    /// Takes a file out of the play order. The one playing cannot be removed.
    Remove(usize),
    /// Moves a file to just before another in the play order, or to the end (`None`). The
    /// one playing stays where it is.
    Move { index: usize, before: Option<usize> },
}

/// What the start of a file handed over for gapless play means to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandedOver {
    /// It is what comes next: the queue has moved on to it.
    Expected,
    /// The queue was changed after the hand-over (the file removed or moved, something put
    /// before it, shuffle turned on): what plays instead, or None when the queue has ended.
    Replace(Option<usize>),
}

/// Where files added to a queue go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Placement {
    /// Right after the one playing.
    Next,
    /// After everything queued.
    End,
    /// Just before the queued file with this index (after everything, if it is not queued).
    Before(usize),
}

#[derive(Debug, Clone, Default)]
pub struct Queue {
    files: Vec<PathBuf>,
    /// Indices into `files` in the order they play (shuffled or not).
    order: Vec<usize>,
    /// The order without shuffle: the files' own order, with what was added since placed
    /// where it was added.
    listed: Vec<usize>,
    /// Position in `order` of the one playing.
    at: usize,
    shuffle: bool,
    repeat: Repeat,
    /// Seed for the shuffle, advanced on every shuffle.
    seed: u64,
}

impl Queue {
    /// A queue of `files` starting at `start` (clamped).
    pub fn new(files: Vec<PathBuf>, start: usize, shuffle: bool, repeat: Repeat) -> Queue {
        let start = start.min(files.len().saturating_sub(1));
        let mut queue = Queue {
            order: (0..files.len()).collect(),
            listed: (0..files.len()).collect(),
            files,
            at: start,
            shuffle: false,
            repeat,
            seed: seed(),
        };
        queue.set_shuffle(shuffle);
        queue
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The index in [`Queue::files`] of the one playing.
    pub fn current(&self) -> Option<usize> {
        self.order.get(self.at).copied()
    }

    /// The position in the play order of the one playing.
    pub fn position(&self) -> usize {
        self.at
    }

    pub fn current_file(&self) -> Option<&PathBuf> {
        self.current().and_then(|index| self.files.get(index))
    }

    pub fn set_repeat(&mut self, repeat: Repeat) {
        self.repeat = repeat;
    }

    /// Turns shuffle on or off, keeping the one playing where it is: on, the others follow in
    /// a new random order; off, the files' own order resumes after it.
    pub fn set_shuffle(&mut self, shuffle: bool) {
        let current = self.current();
        self.shuffle = shuffle;
        self.order = self.listed.clone();
        if shuffle {
            let mut rest: Vec<usize> = self
                .order
                .iter()
                .copied()
                .filter(|&i| Some(i) != current)
                .collect();
            for i in (1..rest.len()).rev() {
                self.seed = self
                    .seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let j = usize::try_from((self.seed >> 33) % (i as u64 + 1)).unwrap_or(0);
                rest.swap(i, j);
            }
            self.order = current.into_iter().chain(rest).collect();
            self.at = 0;
        } else {
            self.at = current
                .and_then(|current| self.order.iter().position(|&i| i == current))
                .unwrap_or(0);
        }
    }

    /// Adds `files` after the one playing or after everything, in their order (also when
    /// shuffled: what was asked to play next plays next). Returns the position in the play
    /// order of the first one added.
    pub fn add(&mut self, files: Vec<PathBuf>, placement: Placement) -> usize {
        let added: Vec<usize> = (self.files.len()..self.files.len() + files.len()).collect();
        self.files.extend(files);
        if self.order.is_empty() {
            self.order.clone_from(&added);
            self.listed = added;
            self.at = 0;
            return 0;
        }
        let placement = match placement {
            Placement::Before(index) => match self.position_of(index) {
                Some(at) => return self.insert_before(at, index, added),
                None => Placement::End,
            },
            other => other,
        };
        match placement {
            Placement::Next => {
                let current = self.current();
                let after = self.at + 1;
                self.order.splice(after..after, added.iter().copied());
                let listed_after = current
                    .and_then(|current| self.listed.iter().position(|&i| i == current))
                    .map_or(self.listed.len(), |at| at + 1);
                self.listed.splice(listed_after..listed_after, added);
                after
            }
            Placement::End | Placement::Before(_) => {
                let first = self.order.len();
                self.order.extend(&added);
                self.listed.extend(added);
                first
            }
        }
    }

    /// Puts `added` at position `at` of the play order, before the file `index` that held it
    /// (in the list too); the one playing stays the one playing.
    fn insert_before(&mut self, at: usize, index: usize, added: Vec<usize>) -> usize {
        if at <= self.at {
            self.at += added.len();
        }
        self.order.splice(at..at, added.iter().copied());
        let listed_at = self
            .listed
            .iter()
            .position(|&i| i == index)
            .unwrap_or(self.listed.len());
        self.listed.splice(listed_at..listed_at, added);
        at
    }

    /// Applies an edit; false when it changes nothing (an unknown file, the one playing, a
    /// move to where it already is).
    pub fn edit(&mut self, edit: Edit) -> bool {
        let current = self.current();
        let moved = match edit {
            Edit::Remove(index) | Edit::Move { index, .. } if Some(index) == current => {
                return false;
            }
            Edit::Move { index, before } if before == Some(index) => return false,
            Edit::Remove(index) | Edit::Move { index, .. } => index,
        };
        let Some(from) = self.position_of(moved) else {
            return false;
        };
        let before = match edit {
            Edit::Move {
                before: Some(before),
                ..
            } => match self.position_of(before) {
                Some(_) => Some(before),
                None => return false,
            },
            _ => None,
        };
        self.order.remove(from);
        match edit {
            Edit::Remove(_) => self.listed.retain(|&i| i != moved),
            Edit::Move { .. } => {
                let to = before
                    .and_then(|before| self.position_of(before))
                    .unwrap_or(self.order.len());
                self.order.insert(to, moved);
                // Unshuffled, the list is the play order. Shuffled, the move is the play
                // order's alone: the list keeps the file where it was.
                if !self.shuffle {
                    self.listed.clone_from(&self.order);
                }
            }
        }
        self.at = current
            .and_then(|current| self.position_of(current))
            .unwrap_or(0);
        true
    }

    /// The file with this index, handed over for gapless play after the one playing, has
    /// started.
    pub fn handed_over_started(&mut self, index: usize) -> HandedOver {
        let next = self.after_end();
        if next.and_then(|at| self.index_at(at)) == Some(index) {
            if let Some(at) = next {
                self.at = at;
            }
            HandedOver::Expected
        } else {
            HandedOver::Replace(next)
        }
    }

    /// The files' indices in the order they play.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The position in the play order of the file at `index` in [`Queue::files`].
    pub fn position_of(&self, index: usize) -> Option<usize> {
        self.order.iter().position(|&i| i == index)
    }

    /// The index in [`Queue::files`] at a position in the play order.
    pub fn index_at(&self, at: usize) -> Option<usize> {
        self.order.get(at).copied()
    }

    /// What plays after the current one ends by itself, following repeat.
    pub fn after_end(&self) -> Option<usize> {
        self.after_end_of(self.at)
    }

    /// What plays after the file at position `at` ends by itself, following repeat.
    pub fn after_end_of(&self, at: usize) -> Option<usize> {
        match self.repeat {
            Repeat::One => Some(at),
            _ => self.following_of(at),
        }
    }

    /// What Next goes to (repeat-one does not hold Next back).
    pub fn following(&self) -> Option<usize> {
        self.following_of(self.at)
    }

    fn following_of(&self, at: usize) -> Option<usize> {
        if at + 1 < self.order.len() {
            Some(at + 1)
        } else if self.repeat != Repeat::Off && !self.order.is_empty() {
            Some(0)
        } else {
            None
        }
    }

    /// What Previous goes to.
    pub fn preceding(&self) -> Option<usize> {
        if self.at > 0 {
            Some(self.at - 1)
        } else if self.repeat != Repeat::Off && !self.order.is_empty() {
            Some(self.order.len() - 1)
        } else {
            None
        }
    }

    /// The file at a position in the play order.
    pub fn file_at(&self, at: usize) -> Option<&PathBuf> {
        self.order.get(at).and_then(|&index| self.files.get(index))
    }

    /// Makes the position `at` in the play order the current one.
    pub fn go_to(&mut self, at: usize) {
        if at < self.order.len() {
            self.at = at;
        }
    }
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    (nanos as u64) ^ 0x9E37_79B9_7F4A_7C15
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(n: usize) -> Vec<PathBuf> {
        (0..n).map(|i| PathBuf::from(format!("{i}.flac"))).collect()
    }

    #[test]
    fn plays_in_order_and_stops_at_the_end() {
        let mut queue = Queue::new(files(3), 1, false, Repeat::Off);
        assert_eq!(queue.current(), Some(1));
        assert_eq!(queue.following(), Some(2));
        queue.go_to(2);
        assert_eq!(queue.following(), None);
        assert_eq!(queue.after_end(), None);
        assert_eq!(queue.preceding(), Some(1));
    }

    #[test]
    fn repeat_all_wraps_and_repeat_one_stays() {
        let mut queue = Queue::new(files(3), 2, false, Repeat::All);
        assert_eq!(queue.after_end(), Some(0));
        queue.set_repeat(Repeat::One);
        assert_eq!(queue.after_end(), Some(2));
        assert_eq!(
            queue.following(),
            Some(0),
            "Next still moves on under repeat-one"
        );
        queue.go_to(0);
        assert_eq!(queue.preceding(), Some(2));
    }

    fn played_from_here(queue: &mut Queue) -> Vec<usize> {
        let mut seen = queue.current().into_iter().collect::<Vec<_>>();
        while let Some(next) = queue.following() {
            queue.go_to(next);
            seen.extend(queue.current());
        }
        seen
    }

    #[test]
    fn added_files_play_next_or_last_and_keep_their_place_through_shuffle() {
        let mut queue = Queue::new(files(4), 1, false, Repeat::Off);
        let first = queue.add(vec!["a.flac".into(), "b.flac".into()], Placement::Next);
        assert_eq!(first, 2, "right after the one playing");
        assert_eq!(queue.add(vec!["z.flac".into()], Placement::End), 6);
        assert_eq!(
            queue.file_at(queue.following().unwrap_or(0)),
            Some(&PathBuf::from("a.flac"))
        );
        assert_eq!(queue.position_of(4), Some(2));
        assert_eq!(played_from_here(&mut queue.clone()), [1, 4, 5, 2, 3, 6]);

        // Shuffled, what was asked to play next still plays next; shuffle off brings back
        // the list with the additions where they were added.
        let mut queue = Queue::new(files(10), 3, true, Repeat::Off);
        queue.add(vec!["a.flac".into()], Placement::Next);
        assert_eq!(queue.index_at(queue.following().unwrap_or(0)), Some(10));
        queue.set_shuffle(false);
        assert_eq!(queue.current(), Some(3));
        assert_eq!(
            played_from_here(&mut queue),
            [3, 10, 4, 5, 6, 7, 8, 9],
            "the rest of the list, from where it is"
        );
    }

    #[test]
    fn files_added_before_one_land_there_and_the_one_playing_stays() {
        let mut queue = Queue::new(files(3), 1, false, Repeat::Off);
        assert_eq!(queue.add(vec!["a.flac".into()], Placement::Before(2)), 2);
        assert_eq!(queue.order(), [0, 1, 3, 2]);
        assert_eq!(
            queue.add(vec!["b.flac".into(), "c.flac".into()], Placement::Before(0)),
            0
        );
        assert_eq!(queue.order(), [4, 5, 0, 1, 3, 2]);
        assert_eq!(queue.current(), Some(1), "still the one playing");
        assert_eq!(queue.add(vec!["d.flac".into()], Placement::Before(99)), 6);
        queue.set_shuffle(true);
        queue.set_shuffle(false);
        assert_eq!(queue.order(), [4, 5, 0, 1, 3, 2, 6], "the list keeps them");
    }

    #[test]
    fn adding_to_an_empty_queue_starts_it() {
        let mut queue = Queue::default();
        queue.add(vec!["a.flac".into(), "b.flac".into()], Placement::Next);
        assert_eq!(queue.current_file(), Some(&PathBuf::from("a.flac")));
        assert_eq!(queue.following(), Some(1));
    }

    #[test]
    fn shuffle_keeps_the_current_one_and_plays_each_once() {
        let mut queue = Queue::new(files(20), 7, false, Repeat::Off);
        queue.set_shuffle(true);
        assert_eq!(queue.current(), Some(7));
        let mut seen = vec![queue.current().unwrap_or(99)];
        while let Some(next) = queue.following() {
            queue.go_to(next);
            seen.push(queue.current().unwrap_or(99));
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(seen, (7..20).chain(0..7).collect::<Vec<_>>());
        queue.set_shuffle(false);
        let current = queue.current().unwrap_or(0);
        assert_eq!(queue.following(), (current < 19).then_some(current + 1));
    }

    #[test]
    fn removed_and_moved_files_keep_their_numbers_and_the_one_playing_stays() {
        let mut queue = Queue::new(files(5), 1, false, Repeat::Off);
        assert!(!queue.edit(Edit::Remove(1)), "the one playing stays");
        assert!(queue.edit(Edit::Remove(2)));
        assert!(!queue.edit(Edit::Remove(2)), "already gone");
        assert_eq!(queue.order(), [0, 1, 3, 4]);
        assert_eq!(queue.current(), Some(1));
        assert_eq!(queue.index_at(queue.following().unwrap_or(0)), Some(3));

        assert!(queue.edit(Edit::Move {
            index: 4,
            before: Some(3)
        }));
        assert_eq!(queue.order(), [0, 1, 4, 3]);
        assert!(queue.edit(Edit::Move {
            index: 0,
            before: None
        }));
        assert_eq!(queue.order(), [1, 4, 3, 0], "moved to the end");
        assert_eq!(
            queue.position(),
            0,
            "the one playing moved up with the list"
        );
        assert!(!queue.edit(Edit::Move {
            index: 1,
            before: None
        }));
        assert!(!queue.edit(Edit::Move {
            index: 3,
            before: Some(9)
        }));
        assert!(!queue.edit(Edit::Move {
            index: 3,
            before: Some(3)
        }));
        assert_eq!(played_from_here(&mut queue.clone()), [1, 4, 3, 0]);

        // Added files are numbered after the removed ones; shuffle off keeps the edits.
        assert_eq!(queue.add(vec!["a.flac".into()], Placement::Next), 1);
        assert_eq!(queue.index_at(1), Some(5));
        queue.set_shuffle(false);
        assert_eq!(queue.order(), [1, 5, 4, 3, 0]);
    }

    #[test]
    fn a_move_while_shuffled_changes_the_play_order_only() {
        let mut queue = Queue::new(files(6), 0, true, Repeat::Off);
        let last = *queue.order().last().unwrap_or(&0);
        assert!(queue.edit(Edit::Move {
            index: last,
            before: queue.index_at(1)
        }));
        assert_eq!(queue.index_at(1), Some(last), "it plays next");
        assert!(queue.edit(Edit::Remove(last)));
        queue.set_shuffle(false);
        let expected: Vec<usize> = (0..6).filter(|&i| i != last).collect();
        assert_eq!(queue.order(), expected, "the list, less the one removed");
    }

    #[test]
    fn what_follows_a_position_follows_repeat() {
        let queue = Queue::new(files(3), 0, false, Repeat::Off);
        assert_eq!(queue.after_end_of(1), Some(2));
        assert_eq!(queue.after_end_of(2), None);
        let queue = Queue::new(files(3), 0, false, Repeat::All);
        assert_eq!(queue.after_end_of(2), Some(0));
        let queue = Queue::new(files(3), 0, false, Repeat::One);
        assert_eq!(queue.after_end_of(2), Some(2));
    }

    #[test]
    fn a_file_handed_over_before_the_queue_changed_is_replaced_by_what_now_follows() {
        let mut queue = Queue::new(files(4), 0, false, Repeat::Off);
        assert_eq!(queue.handed_over_started(1), HandedOver::Expected);
        assert_eq!(queue.current(), Some(1), "the queue moved on to it");

        // File 2 was handed over, then removed: file 3 plays instead.
        assert!(queue.edit(Edit::Remove(2)));
        assert_eq!(queue.handed_over_started(2), HandedOver::Replace(Some(2)));
        assert_eq!(queue.index_at(2), Some(3));
        queue.go_to(2);

        // The last one handed over again under repeat-one, then repeat turned off: the end.
        queue.set_repeat(Repeat::One);
        assert_eq!(queue.handed_over_started(3), HandedOver::Expected);
        queue.set_repeat(Repeat::Off);
        assert_eq!(queue.handed_over_started(3), HandedOver::Replace(None));

        // Moved after the hand-over: what is now next replaces it.
        let mut queue = Queue::new(files(4), 0, false, Repeat::Off);
        assert!(queue.edit(Edit::Move {
            index: 3,
            before: Some(1)
        }));
        assert_eq!(queue.handed_over_started(1), HandedOver::Replace(Some(1)));
        assert_eq!(queue.index_at(1), Some(3));
    }
}

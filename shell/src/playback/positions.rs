//! Resume points, and files the player died on, written to the library's index on a thread
//! of their own, so the UI thread never waits on SQLite. The writer opens the index on its
//! first write.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// Called on the writer's thread after each write.
pub type Saved = Box<dyn Fn() + Send>;

enum Write {
    Position(PathBuf, Duration, Duration),
    Failed(PathBuf, String),
}

pub struct IndexWriter {
    sender: Sender<Write>,
}

impl IndexWriter {
    pub fn start(index_file: PathBuf, saved: Saved) -> IndexWriter {
        let (sender, receiver) = std::sync::mpsc::channel::<Write>();
        let spawned = std::thread::Builder::new()
            .name("hearth-resume".into())
            .spawn(move || {
                let mut index = None;
                while let Ok(write) = receiver.recv() {
                    if index.is_none() {
                        index = hearth_media::Index::open(&index_file)
                            .inspect_err(
                                |error| tracing::warn!(%error, "resume points are not kept"),
                            )
                            .ok();
                    }
                    let Some(index) = index.as_ref() else {
                        continue;
                    };
                    let written = match write {
                        Write::Position(path, position, duration) => {
                            index.save_position(&path, position, duration)
                        }
                        Write::Failed(path, reason) => index.record_failed_path(&path, &reason),
                    };
                    match written {
                        Ok(()) => saved(),
                        Err(error) => tracing::warn!(%error, "writing to the library's index"),
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "resume points are not kept");
        }
        IndexWriter { sender }
    }

    /// Records that `path` stopped at `position` of `duration`.
    pub fn save(&self, path: PathBuf, position: Duration, duration: Duration) {
        let _ = self.sender.send(Write::Position(path, position, duration));
    }

    /// Records that `path` cannot be played, and why.
    pub fn failed(&self, path: PathBuf, reason: String) {
        let _ = self.sender.send(Write::Failed(path, reason));
    }
}

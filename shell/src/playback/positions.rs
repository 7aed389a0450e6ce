//! Resume points written to the library's index on a thread of their own, so the UI thread
//! never waits on SQLite. The writer opens the index on its first save.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// Called on the writer's thread after each save.
pub type Saved = Box<dyn Fn() + Send>;

pub struct PositionWriter {
    sender: Sender<(PathBuf, Duration, Duration)>,
}

impl PositionWriter {
    pub fn start(index_file: PathBuf, saved: Saved) -> PositionWriter {
        let (sender, receiver) = std::sync::mpsc::channel::<(PathBuf, Duration, Duration)>();
        let spawned = std::thread::Builder::new()
            .name("hearth-resume".into())
            .spawn(move || {
                let mut index = None;
                while let Ok((path, position, duration)) = receiver.recv() {
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
                    match index.save_position(&path, position, duration) {
                        Ok(()) => saved(),
                        Err(error) => tracing::warn!(%error, "keeping a resume point"),
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "resume points are not kept");
        }
        PositionWriter { sender }
    }

    /// Records that `path` stopped at `position` of `duration`.
    pub fn save(&self, path: PathBuf, position: Duration, duration: Duration) {
        let _ = self.sender.send((path, position, duration));
    }
}

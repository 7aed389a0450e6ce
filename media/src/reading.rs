//! Reading what the scan found: pending items go to helper processes in parallel, and their
//! answers (metadata, thumbnails, failures with reasons) go into the index.

use std::collections::{HashSet, VecDeque};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::channel;

use crate::Result;
use crate::helper::protocol::{Reply, Request, SmallerThumbnail, ThumbnailRequest};
use crate::helper::{Helper, HelperLimits, Unavailable};
use crate::index::{Index, PendingItem};
use crate::thumbnail::{
    ThumbnailSize, file_uri, known_failure, thumbnail_path, valid_thumbnail, write_failure,
};

/// How far reading has come in one call of [`Reader::read_pending`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadProgress {
    pub read: usize,
    pub failed: usize,
}

/// Helpers and the thumbnail cache they write to.
#[derive(Debug)]
pub struct Reader {
    binary: PathBuf,
    /// Set to stop reading after the files in hand.
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    helpers: Vec<Helper>,
    thumbnails: PathBuf,
    size: ThumbnailSize,
}

const BATCH: usize = 64;

impl Reader {
    /// `count` helpers (one per core is right: each reads one file at a time).
    pub fn new(
        binary: PathBuf,
        limits: HelperLimits,
        count: usize,
        thumbnails: PathBuf,
        size: ThumbnailSize,
    ) -> Reader {
        Reader {
            binary: binary.clone(),
            stop: Default::default(),
            helpers: (0..count.max(1))
                .map(|_| Helper::new(binary.clone(), limits))
                .collect(),
            thumbnails,
            size,
        }
    }

    /// Makes [`Reader::read_pending`] return after the files in hand once `flag` is set.
    pub fn with_stop(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Reader {
        self.stop = flag;
        self
    }

    fn stopping(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many times helpers were stopped or died so far.
    pub fn restarts(&self) -> usize {
        self.helpers.iter().map(|helper| helper.restarts).sum()
    }

    /// Reads every pending item, calling `progress` after each. Returns the totals.
    pub fn read_pending(
        &mut self,
        index: &Index,
        mut progress: impl FnMut(ReadProgress),
    ) -> Result<ReadProgress> {
        let mut totals = ReadProgress::default();
        let mut attempted = HashSet::new();
        loop {
            if self.stopping() {
                return Ok(totals);
            }
            let batch: VecDeque<PendingItem> = index
                .pending(BATCH)?
                .into_iter()
                .filter(|item| attempted.insert((item.id, item.mtime_ns)))
                .collect();
            if batch.is_empty() {
                return Ok(totals);
            }
            let queue = Mutex::new(batch);
            let (sender, answers) = channel();
            let mut unavailable = None;
            let thumbnails = self.thumbnails.as_path();
            let size = self.size;
            let stop = self.stop.as_ref();
            std::thread::scope(|scope| -> Result<()> {
                for helper in &mut self.helpers {
                    let queue = &queue;
                    let sender = sender.clone();
                    scope.spawn(move || {
                        loop {
                            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                                break;
                            }
                            let next = queue
                                .lock()
                                .unwrap_or_else(|poison| poison.into_inner())
                                .pop_front();
                            let Some(item) = next else { break };
                            let answer = read_one(helper, &item, thumbnails, size);
                            let unavailable = matches!(answer, Answer::Unavailable(_));
                            if sender.send((item, answer)).is_err() || unavailable {
                                break;
                            }
                        }
                    });
                }
                drop(sender);
                for (item, answer) in answers {
                    match answer {
                        Answer::Read(metadata, thumbnail) => {
                            index.record_ready(&item, &metadata, thumbnail.as_deref())?;
                            totals.read += 1;
                        }
                        Answer::Failed(reason) => {
                            tracing::info!(path = %item.path.display(), %reason, "media file not read");
                            index.record_failed(&item, &reason)?;
                            totals.failed += 1;
                        }
                        // The file stays pending: it is read once a helper can start.
                        Answer::Unavailable(reason) => unavailable = Some(reason),
                    }
                    progress(totals);
                }
                Ok(())
            })?;
            if let Some(reason) = unavailable {
                return Err(crate::Error::Helper {
                    helper: self.binary.clone(),
                    reason,
                });
            }
        }
    }
}

enum Answer {
    Read(crate::Metadata, Option<PathBuf>),
    Failed(String),
    Unavailable(String),
}

fn read_one(helper: &mut Helper, item: &PendingItem, root: &Path, size: ThumbnailSize) -> Answer {
    let mtime = item.mtime_ns.div_euclid(1_000_000_000);
    let uri = file_uri(&item.path);
    let existing = valid_thumbnail(root, size, &item.path, mtime);
    let wanted = existing.is_none() && !known_failure(root, &item.path, mtime);
    let file = thumbnail_path(root, size, &uri);
    let request = Request {
        path: item.path.as_os_str().as_bytes().to_vec(),
        kind: item.kind,
        mtime,
        thumbnail: wanted.then(|| ThumbnailRequest {
            size,
            file: file.as_os_str().as_bytes().to_vec(),
            // The desktop's other programs look for the smaller sizes first; they cost a
            // scale-down of the picture already decoded.
            smaller: size
                .smaller()
                .filter(|&smaller| valid_thumbnail(root, smaller, &item.path, mtime).is_none())
                .map(|smaller| SmallerThumbnail {
                    size: smaller,
                    file: thumbnail_path(root, smaller, &uri)
                        .as_os_str()
                        .as_bytes()
                        .to_vec(),
                })
                .collect(),
            uri,
        }),
        view: None,
    };
    match helper.read(&request) {
        Err(Unavailable(reason)) => Answer::Unavailable(reason),
        Ok(Reply::Read {
            metadata,
            thumbnail,
        }) => {
            let thumbnail = if thumbnail { Some(file) } else { existing };
            Answer::Read(metadata, thumbnail)
        }
        Ok(Reply::Failed { reason }) => {
            if let Err(error) = write_failure(root, &item.path, mtime) {
                tracing::warn!(%error, "cannot record a thumbnail failure");
            }
            Answer::Failed(reason)
        }
    }
}

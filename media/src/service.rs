//! The library kept current on a thread of its own: scan every root, read what is new
//! through the helpers, then watch the roots (inotify, debounced) and rescan only the roots
//! where something moved. Roots that are away are looked for again now and then, so a
//! drive plugged back in appears without a restart.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::helper::{HelperLimits, helper_binary};
use crate::index::{Counts, Index};
use crate::library::{RootScan, scan_root};
use crate::reading::Reader;
use crate::thumbnail::{ThumbnailSize, cache_root};

/// How the library service runs.
#[derive(Debug, Clone)]
pub struct LibrarySettings {
    pub roots: Vec<PathBuf>,
    pub index_file: PathBuf,
    /// Make the sample library in the first root when that folder does not exist (the demo).
    pub samples: bool,
    pub thumbnails: PathBuf,
    /// The size Hearth shows (the sizes below it are written too, from the same decode).
    pub thumbnail_size: ThumbnailSize,
    pub helper: PathBuf,
    pub limits: HelperLimits,
    /// How many helpers read in parallel.
    pub helpers: usize,
    /// How long the file system must be quiet before a rescan.
    pub debounce: Duration,
    /// How often roots that are away are looked for.
    pub offline_poll: Duration,
}

impl LibrarySettings {
    /// Defaults for `roots` and `index_file`: the shared thumbnail cache, the helper beside
    /// the program, one helper per core.
    pub fn new(roots: Vec<PathBuf>, index_file: PathBuf) -> LibrarySettings {
        LibrarySettings {
            roots,
            index_file,
            samples: false,
            thumbnails: cache_root(),
            thumbnail_size: ThumbnailSize::Large,
            helper: helper_binary(),
            limits: HelperLimits::default(),
            helpers: std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(2),
            debounce: Duration::from_millis(400),
            offline_poll: Duration::from_secs(10),
        }
    }
}

/// What the service tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum LibraryEvent {
    /// The index changed; `scanning` is true while walks or reads are under way.
    Changed { counts: Counts, scanning: bool },
    /// Something the owner should see, in words (the index cannot be opened, the sample
    /// library cannot be made).
    Problem(String),
}

/// Receives the service's events, on the service's thread.
pub type LibrarySink = Arc<dyn Fn(LibraryEvent) + Send + Sync>;

/// The running service; dropping it tells the thread to stop after the files in hand, and
/// does not wait for it (a helper may take up to its time limit over one file).
#[derive(Debug)]
pub struct Library {
    stop: Option<Sender<()>>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Library {
    pub fn start(settings: LibrarySettings, sink: LibrarySink) -> std::io::Result<Library> {
        let (stop, stopped) = channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("media-library".into())
            .spawn(move || run(settings, sink, stopped, flag))?;
        Ok(Library {
            stop: Some(stop),
            stopping,
            thread: Some(thread),
        })
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        drop(self.stop.take());
        drop(self.thread.take());
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// The helper makes the sample library, so GStreamer never loads in the owner's process.
/// The library is made in a folder beside the real one and renamed into place when complete,
/// so a Hearth stopped half-way leaves no half library behind.
fn make_samples(helper: &Path, folder: &Path) -> Result<(), String> {
    let partial = folder.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    let output = std::process::Command::new(helper)
        .arg("--make-samples")
        .arg(&partial)
        .output()
        .map_err(|error| format!("cannot start {}: {error}", helper.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(format!(
            "the sample media could not be made: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    std::fs::rename(&partial, folder)
        .map_err(|error| format!("the sample media could not be put in place: {error}"))
}

struct Service {
    settings: LibrarySettings,
    sink: LibrarySink,
    index: Index,
    reader: Reader,
    offline: BTreeSet<PathBuf>,
    last_progress: Instant,
}

impl Service {
    fn changed(&self, scanning: bool) {
        match self.index.counts() {
            Ok(counts) => (self.sink)(LibraryEvent::Changed { counts, scanning }),
            Err(error) => (self.sink)(LibraryEvent::Problem(error.to_string())),
        }
    }

    fn scan(&mut self, root: &Path) {
        match scan_root(&mut self.index, root, now()) {
            Ok(RootScan::Synced(changes)) => {
                self.offline.remove(root);
                tracing::info!(root = %root.display(), ?changes, "library root scanned");
            }
            Ok(RootScan::Offline) => {
                self.offline.insert(root.to_path_buf());
                tracing::info!(root = %root.display(), "library root is away");
            }
            Err(error) => (self.sink)(LibraryEvent::Problem(error.to_string())),
        }
    }

    fn read_pending(&mut self) {
        let sink = self.sink.clone();
        let index = &self.index;
        let last_progress = &mut self.last_progress;
        let result = self.reader.read_pending(index, |_| {
            if last_progress.elapsed() >= Duration::from_millis(250) {
                *last_progress = Instant::now();
                if let Ok(counts) = index.counts() {
                    sink(LibraryEvent::Changed {
                        counts,
                        scanning: true,
                    });
                }
            }
        });
        if let Err(error) = result {
            (self.sink)(LibraryEvent::Problem(error.to_string()));
        }
    }
}

/// Leaves out roots inside other roots: their files are the outer root's already.
fn outermost(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut kept: Vec<PathBuf> = Vec::new();
    for root in roots {
        let inside_another = roots
            .iter()
            .any(|other| other != root && root.starts_with(other));
        if inside_another {
            tracing::info!(root = %root.display(), "a library folder inside another is scanned with it");
        } else if !kept.contains(root) {
            kept.push(root.clone());
        }
    }
    kept
}

fn run(
    mut settings: LibrarySettings,
    sink: LibrarySink,
    stopped: Receiver<()>,
    stopping: Arc<AtomicBool>,
) {
    settings.roots = outermost(&settings.roots);
    let index = match Index::open(&settings.index_file) {
        Ok(index) => index,
        Err(error) => {
            sink(LibraryEvent::Problem(error.to_string()));
            return;
        }
    };
    if settings.samples
        && let Some(folder) = settings.roots.first()
        && !folder.exists()
        && let Err(problem) = make_samples(&settings.helper, folder)
    {
        sink(LibraryEvent::Problem(problem));
    }
    let reader = Reader::new(
        settings.helper.clone(),
        settings.limits,
        settings.helpers,
        settings.thumbnails.clone(),
        settings.thumbnail_size,
    )
    // Dropping the service sets `stopping`; the reader stops on the same flag.
    .with_stop(stopping.clone());
    let mut service = Service {
        settings,
        sink,
        index,
        reader,
        offline: BTreeSet::new(),
        last_progress: Instant::now(),
    };
    let roots = service.settings.roots.clone();
    let kept: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
    if let Err(error) = service.index.keep_only_roots(&kept) {
        (service.sink)(LibraryEvent::Problem(error.to_string()));
    }
    service.changed(true);
    for root in &roots {
        if stopping.load(Ordering::Relaxed) {
            return;
        }
        service.scan(root);
        service.changed(true);
    }
    service.read_pending();
    service.changed(false);
    tracing::info!(counts = ?service.index.counts().ok(), "media library up to date");

    let (events, changes) = channel();
    let mut watcher = match notify::recommended_watcher(
        move |event: notify::Result<notify::Event>| {
            // Opening and reading files (the library's own scans and helpers do) changes
            // nothing: only what creates, changes or removes counts.
            if let Ok(event) = event
                && !matches!(event.kind, notify::EventKind::Access(_))
            {
                let _ = events.send(event.paths);
            }
        },
    ) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!(%error, "cannot watch the library folders; changes appear on the next start");
            None
        }
    };
    let mut watched = BTreeSet::new();
    for root in &roots {
        if !service.offline.contains(root) {
            watch(&mut watcher, root, &mut watched);
        }
    }
    let mut last_poll = Instant::now();
    loop {
        match stopped.try_recv() {
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            _ => return,
        }
        if stopping.load(Ordering::Relaxed) {
            return;
        }
        // Sleep until something changes or absent roots are due a look: no idle wake-ups.
        let wait = service
            .settings
            .offline_poll
            .saturating_sub(last_poll.elapsed())
            .max(Duration::from_millis(50));
        let mut dirty = BTreeSet::new();
        match changes.recv_timeout(wait) {
            Ok(paths) => {
                mark_dirty(&roots, &paths, &mut dirty);
                // Debounce: keep collecting until the file system is quiet.
                while let Ok(paths) = changes.recv_timeout(service.settings.debounce) {
                    mark_dirty(&roots, &paths, &mut dirty);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // No watcher: nothing will come, so wait here instead of spinning.
            Err(RecvTimeoutError::Disconnected) => match stopped.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            },
        }
        if last_poll.elapsed() >= service.settings.offline_poll {
            last_poll = Instant::now();
            for root in &service.offline {
                if root.is_dir() {
                    dirty.insert(root.clone());
                }
            }
            // A watched root that vanished (its drive pulled) is found by the walk too.
            for root in &watched {
                if !root.is_dir() {
                    dirty.insert(root.clone());
                }
            }
        }
        if dirty.is_empty() {
            continue;
        }
        service.changed(true);
        for root in &dirty {
            service.scan(root);
            if service.offline.contains(root) {
                watched.remove(root);
            } else {
                watch(&mut watcher, root, &mut watched);
            }
        }
        service.read_pending();
        service.changed(false);
    }
}

fn mark_dirty(roots: &[PathBuf], paths: &[PathBuf], dirty: &mut BTreeSet<PathBuf>) {
    if paths.is_empty() {
        dirty.extend(roots.iter().cloned());
    }
    for path in paths {
        if let Some(root) = roots.iter().find(|root| path.starts_with(root)) {
            dirty.insert(root.clone());
        }
    }
}

fn watch(
    watcher: &mut Option<notify::RecommendedWatcher>,
    root: &Path,
    watched: &mut BTreeSet<PathBuf>,
) {
    if let Some(watcher) = watcher
        && !watched.contains(root)
        && watcher.watch(root, RecursiveMode::Recursive).is_ok()
    {
        watched.insert(root.to_path_buf());
    }
}

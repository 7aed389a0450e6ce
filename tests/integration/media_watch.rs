//! The library service on its own thread: it scans, reads through the helper, and then
//! follows the folders live (inotify), picking up an added, a changed and a removed file,
//! and a drive folder that goes away and comes back.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_media::helper::helper_binary;
use hearth_media::{Index, ItemStatus, Library, LibraryEvent, LibrarySettings, Section, Sort};
use hearth_tests::media::png_bytes as png;
use hearth_tests::services::TempDir;

struct Running {
    _library: Library,
    events: Arc<Mutex<Vec<LibraryEvent>>>,
    index_file: std::path::PathBuf,
}

impl Running {
    fn start(dir: &Path, roots: Vec<std::path::PathBuf>) -> Running {
        let index_file = dir.join("index.sqlite");
        let mut settings = LibrarySettings::new(roots, index_file.clone());
        settings.thumbnails = dir.join("thumbnails");
        settings.helper = helper_binary();
        settings.offline_poll = Duration::from_millis(300);
        settings.debounce = Duration::from_millis(150);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let library = Library::start(
            settings,
            Arc::new(move |event| sink.lock().expect("events").push(event)),
        )
        .expect("starting the library");
        Running {
            _library: library,
            events,
            index_file,
        }
    }

    /// Waits until the service is idle and `done` holds on the index.
    fn wait_for(&self, what: &str, done: impl Fn(&Index) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let idle = matches!(
                self.events.lock().expect("events").last(),
                Some(LibraryEvent::Changed {
                    scanning: false,
                    ..
                })
            );
            if idle
                && let Some(index) = Index::open_existing(&self.index_file)
                && done(&index)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.events.lock().expect("events").last()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn status(index: &Index, path: &Path) -> Option<ItemStatus> {
    index.item(path).expect("reading").map(|item| item.status)
}

#[test]
fn live_changes_are_picked_up_without_a_restart() {
    let dir = TempDir::new("media-watch");
    let root = dir.path().join("Pictures");
    std::fs::create_dir_all(&root).expect("a folder");
    let kept = root.join("kept.png");
    let changed = root.join("changed.png");
    let removed = root.join("removed.png");
    std::fs::write(&kept, png(40, 30, 10)).expect("a photo");
    std::fs::write(&changed, png(40, 30, 20)).expect("a photo");
    std::fs::write(&removed, png(40, 30, 30)).expect("a photo");

    let running = Running::start(dir.path(), vec![root.clone()]);
    running.wait_for("the first scan", |index| {
        [&kept, &changed, &removed]
            .iter()
            .all(|path| status(index, path) == Some(ItemStatus::Ready))
    });

    let added = root.join("sub/added.png");
    std::fs::create_dir_all(added.parent().expect("a parent")).expect("a folder");
    std::fs::write(&added, png(64, 48, 40)).expect("a photo");
    std::fs::write(&changed, png(80, 60, 50)).expect("a photo");
    std::fs::remove_file(&removed).expect("removing a photo");
    running.wait_for("the live changes", |index| {
        status(index, &added) == Some(ItemStatus::Ready)
            && index
                .item(&changed)
                .ok()
                .flatten()
                .is_some_and(|item| item.metadata.width == Some(80))
            && status(index, &removed).is_none()
    });
    let index = Index::open_existing(&running.index_file).expect("the index");
    assert_eq!(index.counts().expect("counts").photos, 3);
    assert!(
        running
            .events
            .lock()
            .expect("events")
            .iter()
            .all(|event| matches!(event, LibraryEvent::Changed { .. })),
        "no problems"
    );
}

#[test]
fn a_drive_that_goes_away_and_comes_back_is_followed() {
    let dir = TempDir::new("media-drive");
    let root = dir.path().join("drive");
    std::fs::create_dir_all(&root).expect("a folder");
    let photo = root.join("photo.png");
    std::fs::write(&photo, png(40, 30, 60)).expect("a photo");
    let running = Running::start(dir.path(), vec![root.clone()]);
    running.wait_for("the first scan", |index| {
        status(index, &photo) == Some(ItemStatus::Ready)
    });

    let away = dir.path().join("drive-away");
    std::fs::rename(&root, &away).expect("pulling the drive");
    running.wait_for("the drive to be away", |index| {
        index.counts().is_ok_and(|counts| counts.photos == 0)
            && status(index, &photo) == Some(ItemStatus::Ready)
    });
    std::fs::rename(&away, &root).expect("plugging the drive back in");
    running.wait_for("the drive to be back", |index| {
        index.counts().is_ok_and(|counts| counts.photos == 1)
    });
    let index = Index::open_existing(&running.index_file).expect("the index");
    let entries = index
        .entries(&Section::Photos, "", Sort::Added, 10)
        .expect("listing");
    assert_eq!(entries.len(), 1);
}

#[test]
fn reading_the_library_wakes_nothing() {
    let dir = TempDir::new("media-quiet");
    let root = dir.path().join("Pictures");
    std::fs::create_dir_all(&root).expect("a folder");
    let photo = root.join("photo.png");
    std::fs::write(&photo, png(40, 30, 70)).expect("a photo");
    let running = Running::start(dir.path(), vec![root.clone()]);
    running.wait_for("the first scan", |index| {
        status(index, &photo) == Some(ItemStatus::Ready)
    });
    // Opening and reading files (a player, a thumbnailer, the library's own scan) is no
    // change: the library stays idle rather than rescanning itself forever.
    let settled = running.events.lock().expect("events").len();
    for _ in 0..3 {
        let _ = std::fs::read(&photo).expect("reading the photo");
        let _ = std::fs::read_dir(&root)
            .expect("listing the folder")
            .count();
        std::thread::sleep(Duration::from_millis(400));
    }
    let woke: Vec<String> = running.events.lock().expect("events")[settled..]
        .iter()
        .map(|event| format!("{event:?}"))
        .collect();
    assert!(woke.is_empty(), "reading woke the library: {woke:?}");
}

/// The `hearth-media-helper` processes whose parent is `pid`.
fn helpers_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                .filter(|child| {
                    let stat =
                        std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
                    let parent = stat
                        .rsplit(')')
                        .next()
                        .and_then(|rest| rest.split_whitespace().nth(1))
                        .and_then(|field| field.parse::<u32>().ok());
                    stat.contains("(hearth-media-he") && parent == Some(pid)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_real_hearth_reads_a_new_library_and_its_helpers_leave_when_done() {
    let dir = TempDir::new("media-helpers-leave");
    let music = dir.path().join("Music");
    std::fs::create_dir_all(&music).expect("a folder");
    for index in 0..6 {
        std::fs::write(
            music.join(format!("photo {index}.png")),
            png(64, 48, index * 40),
        )
        .expect("a photo");
    }
    let bus = hearth_tests::services::PrivateBus::start();
    let xvfb = hearth_tests::xvfb::Xvfb::start();
    let config = format!(
        "[media]\nroots = [\"{}\"]\n\n[playback]\naudio = \"none\"\n\n\
         [[vm]]\nname = \"Work\"\nrole = \"work\"\nrunning = false\n",
        music.display()
    );
    let data = dir.path().join("data");
    let mut hearth = hearth_tests::playback::hearth_with_config(
        &hearth_tests::xvfb::hearth_binary(),
        &bus,
        &xvfb,
        &dir,
        &config,
        &[],
        &[("XDG_DATA_HOME", data.to_str().expect("UTF-8"))],
    );
    hearth.wait_for_log("media library up to date", Duration::from_secs(60));
    let pid = hearth.process.id();
    // Read, then nothing left to ask: the helpers exit within their idle time (5 s).
    let since = Instant::now();
    loop {
        let left = helpers_of(pid);
        if left.is_empty() {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(20),
            "helpers {left:?} of Hearth {pid} are still there"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // It had work for them: every photo was read.
    let index = Index::open(&data.join("hearth/library.sqlite")).expect("the index");
    let counts = index.counts().expect("counts");
    assert_eq!((counts.photos, counts.pending), (6, 0), "{counts:?}");
}

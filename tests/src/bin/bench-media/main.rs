//! `cargo xtask bench media`: the media library beside the tools a Linux media centre leans
//! on, each measured in the same run over the same deterministic tree:
//!
//! - the walk and index against `find -printf` (cold and unchanged);
//! - metadata against `gst-discoverer-1.0` run per file;
//! - 256-pixel photo thumbnails against `vipsthumbnail` and ImageMagick, on both cores;
//! - start-up over a 10,000-item library against an empty Slint window.

mod tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hearth_media::helper::protocol::{Reply, Request};
use hearth_media::helper::{Helper, HelperLimits, helper_binary};
use hearth_media::reading::Reader;
use hearth_media::thumbnail::ThumbnailSize;
use hearth_media::{Index, MediaKind, RootScan, scan_root};
use hearth_tests::services::TempDir;
use hearth_tests::startup::{
    Program, Screen, measure, millis, sibling, start_and_watch, wait_for_media, write,
};
use hearth_tests::xvfb::Xvfb;

const REPEATS: usize = 5;

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

fn time(mut run: impl FnMut()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed()
}

fn run_quietly(command: &mut Command) {
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|error| panic!("starting {command:?}: {error}"));
    assert!(status.success(), "{command:?} failed");
}

fn scan(trees: &tree::Trees) {
    let tree = trees.tree();
    let find = median(
        (0..REPEATS)
            .map(|_| {
                time(|| {
                    run_quietly(
                        Command::new("find")
                            .arg(&tree)
                            .args(["-printf", "%s %T@ %p\n"]),
                    );
                })
            })
            .collect(),
    );
    let scratch = TempDir::new("bench-scan");
    let mut cold = Vec::new();
    let mut unchanged = Vec::new();
    for round in 0..REPEATS {
        let mut index =
            Index::open(&scratch.path().join(format!("index-{round}.sqlite"))).expect("an index");
        cold.push(time(|| {
            let scan = scan_root(&mut index, &tree, 1_000).expect("scanning");
            assert!(matches!(scan, RootScan::Synced(changes) if changes.added > 0));
        }));
        unchanged.push(time(|| {
            let scan = scan_root(&mut index, &tree, 2_000).expect("rescanning");
            assert!(matches!(scan, RootScan::Synced(changes) if !changes.any()));
        }));
    }
    let (cold, unchanged) = (median(cold), median(unchanged));
    println!();
    println!(
        "## Scan and index (10,000 files: {} documents, {} media, {} photos; warm page cache; median of {REPEATS})",
        tree::DOCUMENTS,
        tree::MEDIA_COPIES * 6,
        tree::PHOTOS
    );
    println!();
    println!("| what | time | ratio to find | goal |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| `find -printf '%s %T@ %p\\n'` (baseline) | {} | 1.00 | |",
        seconds(find)
    );
    println!(
        "| Hearth cold scan into a new index | {} | {:.2} | ≤ 3 |",
        seconds(cold),
        cold.as_secs_f64() / find.as_secs_f64()
    );
    println!(
        "| Hearth rescan, nothing changed | {} | {:.2} | ≤ 0.1 s |",
        seconds(unchanged),
        unchanged.as_secs_f64() / find.as_secs_f64()
    );
}

fn media_files(trees: &tree::Trees, count: usize) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for set in 0..tree::MEDIA_COPIES {
        let folder = trees.media().join(format!("set-{set:02}"));
        let mut names: Vec<PathBuf> = std::fs::read_dir(&folder)
            .expect("a media folder")
            .map(|entry| entry.expect("an entry").path())
            .collect();
        names.sort();
        files.extend(names);
        if files.len() >= count {
            break;
        }
    }
    files.truncate(count);
    files
}

fn kind_of(path: &Path) -> MediaKind {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mp4" | "webm") => MediaKind::Video,
        _ => MediaKind::Audio,
    }
}

fn metadata(trees: &tree::Trees) {
    let files = media_files(trees, 36);
    let discoverer = time(|| {
        for file in &files {
            run_quietly(Command::new("gst-discoverer-1.0").arg(file));
        }
    }) / files.len() as u32;
    let request = |file: &PathBuf| Request {
        path: file.as_os_str().as_encoded_bytes().to_vec(),
        kind: kind_of(file),
        mtime: 0,
        thumbnail: None,
        view: None,
    };
    // A helper as Hearth runs it: started once, reading file after file.
    let mut helper = Helper::new(helper_binary(), HelperLimits::default());
    let with_start = time(|| {
        for file in &files {
            assert!(
                matches!(
                    helper.read(&request(file)).expect("the helper starts"),
                    Reply::Read { .. }
                ),
                "{}",
                file.display()
            );
        }
    }) / files.len() as u32;
    let warm = time(|| {
        for file in &files {
            assert!(matches!(
                helper.read(&request(file)).expect("the helper starts"),
                Reply::Read { .. }
            ));
        }
    }) / files.len() as u32;
    println!();
    println!(
        "## Metadata ({} videos and songs, one after another)",
        files.len()
    );
    println!();
    println!("| what | per file | speed-up over gst-discoverer | goal |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| `gst-discoverer-1.0 FILE`, once per file (baseline) | {} | 1.00 | |",
        seconds(discoverer)
    );
    println!(
        "| Hearth's helper, its start included | {} | {:.1} | ≥ 4 |",
        seconds(with_start),
        discoverer.as_secs_f64() / with_start.as_secs_f64()
    );
    println!(
        "| Hearth's helper, running | {} | {:.1} | ≥ 4 |",
        seconds(warm),
        discoverer.as_secs_f64() / warm.as_secs_f64()
    );
}

/// Runs two copies of a command, each over half of `files`, and waits for both.
fn on_both_cores(files: &[PathBuf], command: impl Fn(&[PathBuf]) -> Command) -> Duration {
    let half = files.len().div_ceil(2);
    time(|| {
        let children: Vec<_> = files
            .chunks(half)
            .map(|part| {
                command(part)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("starting a thumbnailer")
            })
            .collect();
        for mut child in children {
            assert!(
                child.wait().expect("waiting").success(),
                "a thumbnailer failed"
            );
        }
    })
}

fn thumbnails(trees: &tree::Trees) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(trees.photos())
        .expect("the photos")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    let scratch = TempDir::new("bench-thumbnails");
    let vips_out = scratch.path().join("vips");
    let magick_out = scratch.path().join("magick");
    std::fs::create_dir_all(&vips_out).expect("a folder");
    std::fs::create_dir_all(&magick_out).expect("a folder");
    let vips = on_both_cores(&files, |part| {
        let mut command = Command::new("vipsthumbnail");
        command
            .args(["--size", "256", "-o"])
            .arg(format!("{}/%s.png", vips_out.display()))
            .args(part);
        command
    });
    let magick = on_both_cores(&files, |part| {
        let mut command = Command::new("mogrify");
        command
            .arg("-path")
            .arg(&magick_out)
            .args(["-thumbnail", "256x256", "-format", "png"])
            .args(part);
        command
    });
    let mut index = Index::open(&scratch.path().join("index.sqlite")).expect("an index");
    scan_root(&mut index, &trees.photos(), 1_000).expect("scanning the photos");
    let mut reader = Reader::new(
        helper_binary(),
        HelperLimits::default(),
        2,
        scratch.path().join("thumbnails"),
        ThumbnailSize::Large,
    );
    let hearth = time(|| {
        let done = reader.read_pending(&index, |_| {}).expect("reading");
        assert_eq!((done.read, done.failed), (files.len(), 0));
    });
    println!();
    println!(
        "## Photo thumbnails ({} JPEGs of 4000x3000 to 256 px PNG, both cores)",
        files.len()
    );
    println!();
    println!("| what | total | per photo | Hearth's speed-up | goal |");
    println!("| --- | --- | --- | --- | --- |");
    let per = |d: Duration| seconds(d / files.len() as u32);
    println!(
        "| `vipsthumbnail --size 256`, 2 processes | {} | {} | {:.2} | ≥ 1 |",
        seconds(vips),
        per(vips),
        vips.as_secs_f64() / hearth.as_secs_f64()
    );
    println!(
        "| ImageMagick `mogrify -thumbnail 256x256`, 2 processes | {} | {} | {:.2} | ≥ 3 |",
        seconds(magick),
        per(magick),
        magick.as_secs_f64() / hearth.as_secs_f64()
    );
    println!(
        "| Hearth: 2 helpers, EXIF, metadata and the 128 px `normal` size included | {} | {} | 1.00 | |",
        seconds(hearth),
        per(hearth)
    );
}

fn startup(trees: &tree::Trees) {
    let library = trees.library();
    let config = library.join("hearth.toml");
    write(
        &config,
        &format!(
            "[media]\nroots = [\"{}\"]\n",
            library.join("media").display()
        ),
    );
    let config = config.to_string_lossy().into_owned();
    let data_home = library.join("data").to_string_lossy().into_owned();
    let cache_home = library.join("cache").to_string_lossy().into_owned();
    let config_home = library.join("config").to_string_lossy().into_owned();
    let env = vec![
        ("XDG_DATA_HOME", data_home.as_str()),
        ("XDG_CACHE_HOME", cache_home.as_str()),
        ("XDG_CONFIG_HOME", config_home.as_str()),
    ];

    let framebuffer = TempDir::new("bench-media-framebuffer");
    let fbdir = framebuffer.path().to_string_lossy().into_owned();
    let xvfb = Xvfb::start_with(&["-fbdir", &fbdir, "-br"]);
    let screen = Screen::open(framebuffer.path());
    let hearth = sibling("hearth");
    {
        // The first start reads the 10,000 photos (once per cache) and keeps the last screens.
        let (_warm_up, _) = start_and_watch(
            &screen,
            &hearth,
            &["--config", &config],
            &env,
            &xvfb.display,
        );
        wait_for_media(
            &library.join("data/hearth/library.sqlite"),
            Duration::from_secs(1800),
        );
        std::thread::sleep(Duration::from_secs(3));
    }
    let index =
        Index::open_existing(&library.join("data/hearth/library.sqlite")).expect("the index");
    let counts = index.counts().expect("counts");
    assert_eq!(counts.photos, tree::LIBRARY_ITEMS, "{counts:?}");
    let programs = [
        Program::empty_window(),
        Program {
            name: "hearth, 10,000-item library",
            path: hearth.clone(),
            args: vec!["--config", &config],
            env: env.clone(),
        },
    ];
    let rows: Vec<_> = programs
        .iter()
        .map(|program| (program.name, measure(&screen, program, &xvfb.display)))
        .collect();
    println!();
    println!(
        "## Start-up over a 10,000-item library (winit, software renderer, Xvfb 1280x800, judged from the screen's pixels)"
    );
    println!();
    println!("| program | first frame p50 | settled p50 | settled max | RSS after idle | goal |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, figures) in &rows {
        println!(
            "| {name} | {} | {} | {} | {:.1} MiB | {} |",
            millis(figures.first_frame_median),
            millis(figures.settled_median),
            millis(figures.settled_worst),
            figures.rss_mib,
            if name.starts_with("hearth") {
                "settled ≤ 150 ms, ≤ 64 MiB"
            } else {
                ""
            }
        );
    }
    let (base, hearth) = (&rows[0].1, &rows[1].1);
    println!(
        "| ratio hearth / baseline's first frame | | {:.2} | {:.2} | {:.2} | |",
        hearth.settled_median.as_secs_f64() / base.first_frame_median.as_secs_f64(),
        hearth.settled_worst.as_secs_f64() / base.first_frame_median.as_secs_f64(),
        hearth.rss_mib / base.rss_mib
    );
}

/// Runs every part, or only those named on the command line (scan, metadata, thumbnails,
/// startup).
fn main() {
    let chosen: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |part: &str| chosen.is_empty() || chosen.iter().any(|name| name == part);
    let trees = tree::ensure();
    if wanted("scan") {
        scan(&trees);
    }
    if wanted("metadata") {
        metadata(&trees);
    }
    if wanted("thumbnails") {
        thumbnails(&trees);
    }
    if wanted("startup") {
        startup(&trees);
    }
}

//! `cargo xtask bench soak [MINUTES]`: the real `hearth` (release, on Xvfb) with music
//! playing, switched between its two running VMs over D-Bus every 300 ms for an hour (or
//! MINUTES), sampling every 10 s the resident memory of Hearth and of every process it
//! started, its open files and its threads. Goal: RSS growth after the first minute at most
//! 2 %. Not part of `cargo xtask bench` (it takes the hour).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_media::samples::encode;
use hearth_tests::playback::{hearth_with_config, playerctl};
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::startup::{footprint, rss_mib, sibling};
use hearth_tests::xvfb::Xvfb;

const SWITCH_EVERY: Duration = Duration::from_millis(300);
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const WARM_UP: Duration = Duration::from_secs(60);

/// One look at Hearth.
#[derive(Clone, Copy)]
struct Sample {
    at: Duration,
    rss_mib: f64,
    tree_rss_mib: f64,
    processes: usize,
    files: usize,
    threads: usize,
}

fn look(pid: u32, at: Duration) -> Sample {
    let whole = footprint(pid);
    let files = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count());
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |dir| dir.count());
    Sample {
        at,
        rss_mib: rss_mib(pid),
        tree_rss_mib: whole.rss_mib,
        processes: whole.processes,
        files,
        threads,
    }
}

/// Five minutes of a tone, played on repeat.
fn make_song(dir: &Path) -> std::path::PathBuf {
    let song = dir.join("Tone.ogg");
    let buffers = 300 * 44100 / 1024;
    encode(
        &format!(
            "audiotestsrc freq=330 num-buffers={buffers} samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! vorbisenc ! oggmux ! filesink name=out"
        ),
        &song,
    )
    .expect("encoding the song");
    song
}

fn switch(bus: &PrivateBus, vm: &str) -> bool {
    Command::new(sibling("hearth"))
        .args(["ctl", "--bus", &bus.address, "switch", vm])
        .output()
        .is_ok_and(|output| output.status.success())
}

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("HEARTH_SOAK_MINUTES").ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(60);
    let length = Duration::from_secs(minutes * 60);
    let dir = TempDir::new("bench-soak");
    let song = make_song(dir.path());
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    // The two simulated VMs run and draw their screens; no media library is scanned.
    let config = "[media]\nroots = []\n\n[playback]\naudio = \"none\"\n\n\
         [[vm]]\nname = \"Work\"\nrole = \"work\"\n\n\
         [[vm]]\nname = \"Personal\"\nrole = \"personal\"\n";
    let hearth = hearth_with_config(
        &sibling("hearth"),
        &bus,
        &xvfb,
        &dir,
        config,
        &["--renderer", "software"],
        &[],
    );
    let pid = hearth.process.id();
    let uri = format!("file://{}", song.display());
    assert!(playerctl(&bus, &["open", &uri]).0, "the song did not open");
    assert!(
        playerctl(&bus, &["loop", "Track"]).0,
        "repeat did not turn on"
    );

    let start = Instant::now();
    let mut samples = vec![look(pid, Duration::ZERO)];
    let (mut switches, mut failed) = (0u64, 0u64);
    let mut next_sample = SAMPLE_EVERY;
    while start.elapsed() < length {
        let vm = if switches % 2 == 0 {
            "Personal"
        } else {
            "Work"
        };
        if !switch(&bus, vm) {
            failed += 1;
        }
        switches += 1;
        if start.elapsed() >= next_sample {
            samples.push(look(pid, start.elapsed()));
            next_sample += SAMPLE_EVERY;
        }
        let lap = start.elapsed().as_nanos() % SWITCH_EVERY.as_nanos();
        std::thread::sleep(SWITCH_EVERY - Duration::from_nanos(lap as u64));
    }
    let playing = playerctl(&bus, &["status"]).1;
    samples.push(look(pid, start.elapsed()));

    let after_warm_up = samples
        .iter()
        .find(|s| s.at >= WARM_UP)
        .copied()
        .unwrap_or(samples[0]);
    let last = *samples.last().expect("a sample");
    let growth = |from: f64, to: f64| (to - from) / from * 100.0;
    let most = |f: fn(&Sample) -> usize| samples.iter().map(f).max().unwrap_or(0);
    println!();
    println!(
        "## Soak: {minutes} min, a VM switch over D-Bus every {} ms with music playing",
        SWITCH_EVERY.as_millis()
    );
    println!();
    println!(
        "{switches} switches ({failed} not answered); the music at the end: {}",
        if playing.is_empty() {
            "no answer"
        } else {
            playing.as_str()
        }
    );
    println!();
    println!("| figure | at 1 min | at the end | growth after the first minute (goal ≤ 2 %) |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| Hearth RSS | {:.1} MiB | {:.1} MiB | {:+.2} % |",
        after_warm_up.rss_mib,
        last.rss_mib,
        growth(after_warm_up.rss_mib, last.rss_mib)
    );
    println!(
        "| RSS with every process it started | {:.1} MiB ({} processes) | {:.1} MiB ({} processes) | {:+.2} % |",
        after_warm_up.tree_rss_mib,
        after_warm_up.processes,
        last.tree_rss_mib,
        last.processes,
        growth(after_warm_up.tree_rss_mib, last.tree_rss_mib)
    );
    println!(
        "| open files | {} | {} (most {}) | {:+} |",
        after_warm_up.files,
        last.files,
        most(|s| s.files),
        last.files as i64 - after_warm_up.files as i64
    );
    println!(
        "| threads | {} | {} (most {}) | {:+} |",
        after_warm_up.threads,
        last.threads,
        most(|s| s.threads),
        last.threads as i64 - after_warm_up.threads as i64
    );
    println!();
    println!("Hearth's RSS every minute (MiB):");
    let per_minute: Vec<String> = samples
        .iter()
        .filter(|s| s.at.as_secs() % 60 < SAMPLE_EVERY.as_secs())
        .map(|s| format!("{:.1}", s.rss_mib))
        .collect();
    println!("{}", per_minute.join(" "));
    drop(hearth);
}

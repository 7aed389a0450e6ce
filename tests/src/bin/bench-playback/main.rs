//! `cargo xtask bench playback`: the real `hearth` (on Xvfb at 1280x800) playing 720p30 and
//! 1080p30 H.264 clips, started over MPRIS, beside, in the same run and on the same display,
//! what a user would pick instead (`mpv --vo=x11`, and GStreamer's own `playbin` into
//! `videoconvert ! videoscale ! ximagesink`, each full screen) and GStreamer decoding the
//! same clips into `fakesink` (no display at all, the floor):
//!
//! - CPU time of Hearth and every process it started (its player process decodes), over the
//!   whole clip and while watching (from 4 s on, once the controls shown at the start have
//!   gone and, on the software path, the X server puts the frames on screen itself), each
//!   against the lower of the two players measured over the same stretch (goal: at most 1.0x
//!   on the software path) and against decode-only (the GPU goal, at most 1.15x, is for a
//!   machine with a GPU);
//! - frames the screen lost: replaced before the UI took them, or dropped late by the sink
//!   (goal: none at 720p);
//! - CPU while a paused video is on screen (goal: 0.0 %).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_media::samples::encode;
use hearth_tests::playback::hearth_with_mpris;
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::startup::{sibling, tree_cpu_ticks};
use hearth_tests::xvfb::Xvfb;

const SECONDS: u32 = 10;
const TICKS_PER_SECOND: f64 = 100.0;

struct Clip {
    name: &'static str,
    width: u32,
    height: u32,
}

const CLIPS: [Clip; 2] = [
    Clip {
        name: "720p30",
        width: 1280,
        height: 720,
    },
    Clip {
        name: "1080p30",
        width: 1920,
        height: 1080,
    },
];

fn make_clip(dir: &Path, clip: &Clip) -> PathBuf {
    let file = dir.join(format!("{}.mp4", clip.name));
    let frames = SECONDS * 30;
    let audio_buffers = SECONDS * 44100 / 1024;
    encode(
        &format!(
            "videotestsrc pattern=ball num-buffers={frames} ! video/x-raw,format=I420,width={},height={},framerate=30/1 ! x264enc speed-preset=ultrafast tune=zerolatency bitrate=6000 key-int-max=60 ! h264parse ! mp4mux name=mux ! filesink name=out audiotestsrc num-buffers={audio_buffers} samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! avenc_aac ! mux.",
            clip.width, clip.height
        ),
        &file,
    )
    .expect("encoding a clip");
    file
}

/// CPU seconds of a program: over the whole clip, and while watching (from [`WATCH_FROM`] to
/// [`WATCH_TO`] after its start, when a player's controls have gone).
#[derive(Clone, Copy)]
struct Cpu {
    whole: f64,
    watching: f64,
}

/// The stretch of each clip measured as "watching": Hearth's controls hide 3 s after the
/// video starts, players' own on-screen controls likewise.
const WATCH_FROM: Duration = Duration::from_secs(4);
const WATCH_TO: Duration = Duration::from_millis(9500);

/// CPU seconds (user and system, with every child) of `command` run by bash, on `display`.
fn cpu_seconds(command: &str, display: &str) -> Cpu {
    let script = format!("TIMEFORMAT='%U %S'; time {command} > /dev/null 2>&1");
    let start = Instant::now();
    let child = Command::new("bash")
        .args(["-c", &script])
        .env("DISPLAY", display)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running bash");
    let watching = watch(child.id(), start);
    let output = child.wait_with_output().expect("waiting for bash");
    assert!(
        output.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stderr);
    let whole = text
        .split_whitespace()
        .filter_map(|word| word.parse::<f64>().ok())
        .sum();
    Cpu { whole, watching }
}

/// CPU seconds of `pid` with its children from [`WATCH_FROM`] to [`WATCH_TO`] after `start`.
fn watch(pid: u32, start: Instant) -> f64 {
    std::thread::sleep(WATCH_FROM.saturating_sub(start.elapsed()));
    let before = tree_cpu_ticks(pid);
    std::thread::sleep(WATCH_TO.saturating_sub(start.elapsed()));
    (tree_cpu_ticks(pid) - before) as f64 / TICKS_PER_SECOND
}

/// CPU seconds GStreamer spends decoding `file` in real time into `fakesink`.
fn decode_only(file: &Path) -> Cpu {
    cpu_seconds(
        &format!(
            "gst-launch-1.0 -q playbin uri='file://{}' video-sink='fakesink sync=true' audio-sink='fakesink sync=true'",
            file.display()
        ),
        "",
    )
}

/// CPU seconds of GStreamer's own `playbin` showing `file` full screen (1280x720 within the
/// 1280x800 display) in an X window, converted and scaled by its own elements.
fn gst_ximagesink(file: &Path, xvfb: &Xvfb) -> Cpu {
    cpu_seconds(
        &format!(
            "gst-launch-1.0 -q playbin uri='file://{}' video-sink='videoconvert ! videoscale ! video/x-raw,width=1280,height=720 ! ximagesink' audio-sink='fakesink sync=true'",
            file.display()
        ),
        &xvfb.display,
    )
}

/// CPU seconds of mpv showing `file` full screen with its X11 output, sound discarded.
fn mpv(file: &Path, xvfb: &Xvfb) -> Cpu {
    cpu_seconds(
        &format!(
            "mpv --no-config --really-quiet --vo=x11 --ao=null --fs --geometry=1280x800+0+0 '{}'",
            file.display()
        ),
        &xvfb.display,
    )
}

fn playerctl(bus: &PrivateBus, hearth: &mut hearth_tests::xvfb::Running, args: &[&str]) {
    let status = Command::new("playerctl")
        .arg("--player=hearth")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .status()
        .expect("running playerctl");
    assert!(
        status.success(),
        "playerctl {args:?} failed; Hearth logged:\n{}",
        hearth.log()
    );
}

/// The numbers of a `video frames shown=… replaced=… late=…` log line.
fn frame_counts(log: &str) -> (u64, u64, u64) {
    let line = log
        .lines()
        .rev()
        .find(|line| line.contains("video frames shown="))
        .expect("Hearth's frame counts");
    let value = |name: &str| {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(&format!("{name}=")))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (value("shown"), value("replaced"), value("late"))
}

struct Measured {
    cpu: Cpu,
    shown: u64,
    replaced: u64,
    late: u64,
    paused_cpu_percent: f64,
}

fn hearth_plays(file: &Path, renderer: &str) -> Measured {
    let bus = PrivateBus::start();
    let dir = TempDir::new("bench-playback");
    let xvfb = Xvfb::start();
    let mut hearth = hearth_with_mpris(
        &sibling("hearth"),
        &bus,
        &xvfb,
        &dir,
        &["--renderer", renderer],
    );
    std::thread::sleep(Duration::from_secs(1));
    let pid = hearth.process.id();
    let uri = format!("file://{}", file.display());
    let before = tree_cpu_ticks(pid);
    let opened = Instant::now();
    playerctl(&bus, &mut hearth, &["open", &uri]);
    let watching = watch(pid, opened);
    hearth.wait_for_log(
        "video frames shown=",
        Duration::from_secs(SECONDS as u64 * 4),
    );
    let cpu = Cpu {
        whole: (tree_cpu_ticks(pid) - before) as f64 / TICKS_PER_SECOND,
        watching,
    };
    let (shown, replaced, late) = frame_counts(&hearth.log());

    // The last frame stays on screen, paused: nothing should run.
    playerctl(&bus, &mut hearth, &["position", "2"]);
    playerctl(&bus, &mut hearth, &["pause"]);
    std::thread::sleep(Duration::from_secs(2));
    let start = Instant::now();
    let before = tree_cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(10));
    let ticks = tree_cpu_ticks(pid) - before;
    let paused_cpu_percent =
        ticks as f64 / TICKS_PER_SECOND / start.elapsed().as_secs_f64() * 100.0;
    Measured {
        cpu,
        shown,
        replaced,
        late,
        paused_cpu_percent,
    }
}

/// One row: a program's CPU beside the lower of the two players and decode-only.
fn row(clip: &str, program: &str, cpu: Cpu, best: Cpu, floor: Cpu, rest: &str) {
    println!(
        "| {clip} | {program} | {:.2} s | {:.2}x | {:.2} s | {:.2}x | {:.2}x | {rest} |",
        cpu.whole,
        cpu.whole / best.whole,
        cpu.watching,
        cpu.watching / best.watching,
        cpu.watching / floor.watching,
    );
}

fn main() {
    let dir = TempDir::new("bench-playback-clips");
    println!("## Playback ({SECONDS} s clips, H.264 + AAC, full screen on Xvfb at 1280x800)\n");
    println!(
        "CPU seconds of each program with every process it started, over the whole clip\nand while watching ({:.1} s to {:.1} s after the start: Hearth's controls have gone).\nThe wgpu rows run on Mesa's lavapipe: its \"GPU\" is this machine's CPU, so they\nshow what the I420 upload path costs here, not what a real GPU saves.\n",
        WATCH_FROM.as_secs_f64(),
        WATCH_TO.as_secs_f64()
    );
    println!(
        "| clip | program | CPU, whole clip | vs the lower of mpv and playbin | CPU, watching | vs the lower of mpv and playbin (goal ≤ 1.0 for software) | watching vs decode-only | frames shown | replaced before shown | dropped late | paused on screen (goal 0.0 %) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for clip in &CLIPS {
        let file = make_clip(dir.path(), clip);
        let xvfb = Xvfb::start();
        let floor = decode_only(&file);
        let gst = gst_ximagesink(&file, &xvfb);
        let mpv = mpv(&file, &xvfb);
        drop(xvfb);
        let lower = |pick: fn(&Cpu) -> f64| pick(&gst).min(pick(&mpv));
        let best = Cpu {
            whole: lower(|c| c.whole),
            watching: lower(|c| c.watching),
        };
        let empty = " | | | ";
        row(
            clip.name,
            "decode only (fakesink)",
            floor,
            best,
            floor,
            empty,
        );
        row(
            clip.name,
            "playbin ! videoconvert ! videoscale ! ximagesink",
            gst,
            best,
            floor,
            empty,
        );
        row(clip.name, "mpv --vo=x11", mpv, best, floor, empty);
        for renderer in ["software", "wgpu"] {
            let hearth = hearth_plays(&file, renderer);
            let rest = format!(
                "{} | {} | {} | {:.1} %",
                hearth.shown, hearth.replaced, hearth.late, hearth.paused_cpu_percent
            );
            row(
                clip.name,
                &format!("Hearth, {renderer}"),
                hearth.cpu,
                best,
                floor,
                &rest,
            );
        }
    }
}

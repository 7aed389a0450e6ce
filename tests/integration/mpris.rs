//! The real `hearth` on a virtual display and a private session bus, driven by `playerctl`
//! as desktop widgets and phones drive it over MPRIS: open, play-pause, position, next,
//! metadata; `dbus-monitor` sees the PropertiesChanged signals and Seeked.

use std::path::Path;
use std::time::{Duration, Instant};

use hearth_tests::playback::{hearth_with_mpris, media_under};
use hearth_tests::services::{PrivateBus, SignalMonitor, TempDir};
use hearth_tests::xvfb::Xvfb;

const WAIT: Duration = Duration::from_secs(30);

/// Runs `playerctl` against Hearth on `bus`: whether it succeeded, its answer, its errors.
fn ask(bus: &PrivateBus, args: &[&str]) -> (bool, String, String) {
    hearth_tests::playback::playerctl(bus, args)
}

fn playerctl(bus: &PrivateBus, args: &[&str]) -> String {
    let (ok, answer, errors) = ask(bus, args);
    assert!(ok, "playerctl {args:?}: {errors}");
    answer
}

fn wait_for_answer(
    bus: &PrivateBus,
    args: &[&str],
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let start = Instant::now();
    loop {
        let (succeeded, answer, errors) = ask(bus, args);
        if succeeded && ok(&answer) {
            return answer;
        }
        assert!(
            start.elapsed() < WAIT,
            "playerctl {args:?} never said {what}; last: {answer:?} {errors}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn playerctl_drives_the_real_hearth_and_sees_its_signals() {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let bus = PrivateBus::start();
    let dir = TempDir::new("mpris");
    let xvfb = Xvfb::start();
    let mut hearth =
        hearth_with_mpris(&hearth_tests::xvfb::hearth_binary(), &bus, &xvfb, &dir, &[]);

    let mut monitor = SignalMonitor::start(&bus, "/org/mpris/MediaPlayer2");
    std::thread::sleep(Duration::from_millis(300));

    assert_eq!(playerctl(&bus, &["status"]), "Stopped");
    let album = media.join("Long album");
    let uri = format!(
        "file://{}",
        album.to_str().expect("UTF-8").replace(' ', "%20")
    );
    playerctl(&bus, &["open", &uri]);
    wait_for_answer(&bus, &["status"], "Playing", |s| s == "Playing");
    playerctl(&bus, &["play-pause"]);
    wait_for_answer(&bus, &["status"], "Paused", |s| s == "Paused");
    let metadata = playerctl(
        &bus,
        &["metadata", "--format", "{{title}}|{{mpris:length}}"],
    );
    let (title, length) = metadata.split_once('|').expect("title|length");
    assert_eq!(title, "01 First light");
    // 860 buffers of 1024 samples at 44.1 kHz.
    let length: i64 = length.parse().expect("a length in microseconds");
    assert!((19_960_000..19_980_000).contains(&length), "{length}");

    playerctl(&bus, &["position", "12"]);
    wait_for_answer(&bus, &["position"], "about 12 s", |p| {
        p.parse::<f64>().is_ok_and(|p| (11.8..12.3).contains(&p))
    });
    playerctl(&bus, &["next"]);
    wait_for_answer(&bus, &["metadata", "title"], "the second song", |t| {
        t == "02 Second wind"
    });
    playerctl(&bus, &["play-pause"]);
    wait_for_answer(&bus, &["status"], "Playing again", |s| s == "Playing");

    let start = Instant::now();
    loop {
        let lines = monitor.seen();
        let signals_ok = lines.contains("member=PropertiesChanged")
            && lines.contains("\"PlaybackStatus\"")
            && lines.contains("\"Metadata\"")
            && lines.contains("string \"Paused\"")
            && lines.contains("member=Seeked");
        if signals_ok {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "dbus-monitor saw:\n{lines}\nHearth logged:\n{}",
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    monitor.stop();

    // A file from outside the library is named by its own tags once they are read.
    let song = media.join("Music/Ada Lind - Blue Hour/01 Morning.flac");
    let uri = format!(
        "file://{}",
        song.to_str().expect("UTF-8").replace(' ', "%20")
    );
    playerctl(&bus, &["open", &uri]);
    wait_for_answer(
        &bus,
        &["metadata", "--format", "{{title}} by {{artist}}"],
        "the song's tags",
        |answer| answer == "Morning by Ada Lind",
    );
}

/// The colour in the middle of the video's picture, with Hearth playing a one-colour video
/// opened over MPRIS under `renderer`.
fn video_colour_with(renderer: &str) -> (u8, u8, u8) {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let bus = PrivateBus::start();
    let dir = TempDir::new("video-colour");
    let xvfb = Xvfb::start();
    let mut hearth = hearth_with_mpris(
        &hearth_tests::xvfb::hearth_binary(),
        &bus,
        &xvfb,
        &dir,
        &["--renderer", renderer],
    );
    if renderer == "wgpu" {
        hearth.wait_for_log("video frames go through wgpu textures", WAIT);
    }
    let uri = format!("file://{}", media.join("Colour/Blue.mp4").display());
    playerctl(&bus, &["open", &uri]);
    wait_for_answer(&bus, &["status"], "Playing", |s| s == "Playing");
    std::thread::sleep(Duration::from_secs(2));
    let (width, _, pixels) = xvfb.screenshot();
    // Left of the middle, clear of the controls.
    let at = (250 * width as usize + 200) * 3;
    (pixels[at], pixels[at + 1], pixels[at + 2])
}

#[test]
fn both_renderers_show_a_video_in_its_own_colours() {
    for renderer in ["software", "wgpu"] {
        let (r, g, b) = video_colour_with(renderer);
        let close = |value: u8, wanted: u8| value.abs_diff(wanted) <= 8;
        assert!(
            close(r, 0x33) && close(g, 0x66) && close(b, 0xcc),
            "{renderer}: ({r}, {g}, {b}) is not #3366cc"
        );
    }
}

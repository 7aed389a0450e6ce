//! The real `hearth` on a virtual display and a private session bus, driven by `playerctl`
//! as desktop widgets and phones drive it over MPRIS: open, play-pause, position, next,
//! metadata; `dbus-monitor` sees the PropertiesChanged signals and Seeked. The queue as
//! MPRIS's TrackList, read and edited with `dbus-send`.

use std::path::Path;
use std::time::{Duration, Instant};

use hearth_tests::playback::{hearth_with_mpris, media_under};
use hearth_tests::services::{PrivateBus, SignalMonitor, TempDir};
use hearth_tests::xvfb::{Running, Xvfb};

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

/// A `file://` URI for a test media path (their names have spaces, nothing else to escape).
fn file_uri(path: &Path) -> String {
    format!(
        "file://{}",
        path.to_str().expect("UTF-8").replace(' ', "%20")
    )
}

/// Asks with `fetch` every 100 ms until `ok` accepts the answer, and returns it; panics after
/// `WAIT` with `what` and the last answer.
fn poll<T: std::fmt::Debug>(what: &str, fetch: impl Fn() -> T, ok: impl Fn(&T) -> bool) -> T {
    let start = Instant::now();
    loop {
        let answer = fetch();
        if ok(&answer) {
            return answer;
        }
        assert!(start.elapsed() < WAIT, "never {what}; last: {answer:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_for_answer(
    bus: &PrivateBus,
    args: &[&str],
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let said = format!("playerctl {args:?} said {what}");
    let (_, answer, _) = poll(
        &said,
        || ask(bus, args),
        |(succeeded, answer, _)| *succeeded && ok(answer),
    );
    answer
}

/// Waits until `dbus-monitor` has printed every one of `expected`; panics after `WAIT` with
/// what it saw and what Hearth logged.
fn wait_for_signals(monitor: &SignalMonitor, hearth: &mut Running, expected: &[&str]) {
    let start = Instant::now();
    loop {
        let lines = monitor.seen();
        if expected.iter().all(|text| lines.contains(text)) {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "dbus-monitor saw:\n{lines}\nHearth logged:\n{}",
            hearth.log()
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
    playerctl(&bus, &["open", &file_uri(&media.join("Long album"))]);
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

    wait_for_signals(
        &monitor,
        &mut hearth,
        &[
            "member=PropertiesChanged",
            "\"PlaybackStatus\"",
            "\"Metadata\"",
            "string \"Paused\"",
            "member=Seeked",
        ],
    );
    monitor.stop();

    // A file from outside the library is named by its own tags once they are read.
    let song = media.join("Music/Ada Lind - Blue Hour/01 Morning.flac");
    playerctl(&bus, &["open", &file_uri(&song)]);
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

/// Calls `method` (interface included) on Hearth's MPRIS object with `dbus-send`, arguments
/// in its notation; its printed reply.
fn call(bus: &PrivateBus, method: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.mpris.MediaPlayer2.hearth",
            "/org/mpris/MediaPlayer2",
            method,
        ])
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .output()
        .expect("running dbus-send");
    assert!(
        output.status.success(),
        "dbus-send {method} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The track ids TrackList lists, in order.
fn tracks(bus: &PrivateBus) -> Vec<String> {
    let reply = call(
        bus,
        "org.freedesktop.DBus.Properties.Get",
        &["string:org.mpris.MediaPlayer2.TrackList", "string:Tracks"],
    );
    reply
        .lines()
        .filter_map(|line| line.trim().strip_prefix("object path \""))
        .map(|rest| rest.trim_end_matches('"').to_string())
        .collect()
}

fn wait_for_tracks(bus: &PrivateBus, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
    poll(
        &format!("TrackList showed {what}"),
        || tracks(bus),
        |now| ok(now),
    )
}

#[test]
fn the_queue_is_a_track_list_that_clients_read_add_to_remove_from_and_go_to() {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let bus = PrivateBus::start();
    let dir = TempDir::new("mpris-tracklist");
    let xvfb = Xvfb::start();
    let mut hearth =
        hearth_with_mpris(&hearth_tests::xvfb::hearth_binary(), &bus, &xvfb, &dir, &[]);
    let mut monitor = SignalMonitor::start(&bus, "/org/mpris/MediaPlayer2");
    std::thread::sleep(Duration::from_millis(300));

    let has_list = call(
        &bus,
        "org.freedesktop.DBus.Properties.Get",
        &["string:org.mpris.MediaPlayer2", "string:HasTrackList"],
    );
    assert!(has_list.contains("boolean true"), "{has_list}");
    playerctl(&bus, &["open", &file_uri(&media.join("Long album"))]);
    wait_for_answer(&bus, &["status"], "Playing", |s| s == "Playing");
    playerctl(&bus, &["pause"]);
    let album = wait_for_tracks(&bus, "the album's two songs", |t| t.len() == 2);
    let second = call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.GetTracksMetadata",
        &[&format!("array:objpath:{}", album[1])],
    );
    assert!(second.contains("02 Second wind"), "{second}");
    assert!(!second.contains("01 First light"), "{second}");

    // A song added after the first track lands between the two.
    let morning = media.join("Music/Ada Lind - Blue Hour/01 Morning.flac");
    call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.AddTrack",
        &[
            &format!("string:{}", file_uri(&morning)),
            &format!("objpath:{}", album[0]),
            "boolean:false",
        ],
    );
    let three = wait_for_tracks(&bus, "the song added in the middle", |t| {
        t.len() == 3 && t[0] == album[0] && t[2] == album[1]
    });
    let added = call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.GetTracksMetadata",
        &[&format!("array:objpath:{}", three[1])],
    );
    assert!(added.contains("Morning"), "{added}");

    call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.RemoveTrack",
        &[&format!("objpath:{}", album[1])],
    );
    wait_for_tracks(&bus, "the second song removed", |t| {
        t == [album[0].clone(), three[1].clone()]
    });
    call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.GoTo",
        &[&format!("objpath:{}", three[1])],
    );
    wait_for_answer(&bus, &["metadata", "title"], "the song gone to", |t| {
        t == "Morning"
    });
    let id = playerctl(&bus, &["metadata", "mpris:trackid"]);
    assert_eq!(
        id.trim_matches('\''),
        three[1],
        "the player's track id is the list's"
    );

    // Added after NoTrack, a song goes first; asked to, it plays at once.
    let noon = media.join("Music/Ada Lind - Blue Hour/02 Noon.mp3");
    call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.AddTrack",
        &[
            &format!("string:{}", file_uri(&noon)),
            "objpath:/org/mpris/MediaPlayer2/TrackList/NoTrack",
            "boolean:true",
        ],
    );
    wait_for_tracks(&bus, "the song added first", |t| {
        t.len() == 3 && t[1] == album[0] && t[2] == three[1]
    });
    wait_for_answer(
        &bus,
        &["metadata", "title"],
        "the song added, playing",
        |t| t == "Noon",
    );
    // An id of the album's queue (its second song's) means nothing to the next queue, whose
    // second song has the same number.
    playerctl(&bus, &["open", &file_uri(&media.join("Long album"))]);
    let next_queue = wait_for_tracks(&bus, "a new queue", |t| {
        t.len() == 2 && !t.contains(&album[0])
    });
    call(
        &bus,
        "org.mpris.MediaPlayer2.TrackList.RemoveTrack",
        &[&format!("objpath:{}", album[1])],
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tracks(&bus), next_queue);

    wait_for_signals(
        &monitor,
        &mut hearth,
        &[
            "member=TrackAdded",
            "member=TrackRemoved",
            "member=TrackListReplaced",
            "string \"org.mpris.MediaPlayer2.TrackList\"",
        ],
    );
    monitor.stop();
}

#[test]
fn a_folder_of_albums_opened_plays_its_whole_tree_in_order() {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let dir = TempDir::new("mpris-tree");
    let music = dir.path().join("Music");
    for (album, song) in [
        ("A first album", "01 First light.ogg"),
        ("B second album", "02 Second wind.ogg"),
    ] {
        std::fs::create_dir_all(music.join(album)).expect("an album folder");
        std::fs::copy(
            media.join("Long album").join(song),
            music.join(album).join(song),
        )
        .expect("a song");
    }
    // A hidden file is not played (it would come first), and a link back up is no loop.
    std::fs::copy(
        media.join("Long album/02 Second wind.ogg"),
        music.join(".hidden.ogg"),
    )
    .expect("a hidden song");
    std::os::unix::fs::symlink(&music, music.join("B second album/loop")).expect("a link");
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let _hearth = hearth_with_mpris(&hearth_tests::xvfb::hearth_binary(), &bus, &xvfb, &dir, &[]);
    std::thread::sleep(Duration::from_millis(300));
    playerctl(&bus, &["open", &file_uri(&music)]);
    wait_for_answer(
        &bus,
        &["metadata", "title"],
        "the first album's song",
        |t| t == "01 First light",
    );
    wait_for_answer(&bus, &["status"], "Playing", |s| s == "Playing");
    playerctl(&bus, &["next"]);
    wait_for_answer(
        &bus,
        &["metadata", "title"],
        "the second album's song",
        |t| t == "02 Second wind",
    );
}

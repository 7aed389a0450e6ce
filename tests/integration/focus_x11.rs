//! The keys-only walk with the real binary on Xvfb, keys typed with xdotool (X11 keycodes
//! through winit's hook, as on a desktop): open Music, pick the album (of minute-long songs,
//! so that a loaded machine cannot finish one under the test), play its second song,
//! skip and pause with the media keys, Escape back home, a long Return for Work's actions,
//! over to Personal and back with the home key. Where the ring is comes from Hearth's own
//! debug log of the focus controller; screens and songs from its D-Bus API and MPRIS.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_tests::playback::{hearth_with_config, playerctl};
use hearth_tests::services::{PrivateBus, TempDir, shell_property};
use hearth_tests::xvfb::{Running, Xvfb, hearth_binary};

const WAIT: Duration = Duration::from_secs(30);

fn wait_for_property(bus: &PrivateBus, hearth: &mut Running, name: &str, value: &str) {
    let start = Instant::now();
    let wanted = format!("s \"{value}\"");
    while shell_property(bus, name) != wanted {
        assert!(
            start.elapsed() < WAIT,
            "{name} never became {value} (it is {}); Hearth logged:\n{}",
            shell_property(bus, name),
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where the controller last put the ring, from its log: (group, id).
fn ring(hearth: &mut Running) -> Option<(String, usize)> {
    let log = hearth.log();
    let line = log.lines().rev().find(|line| line.contains("group: \""))?;
    let group = line
        .split("group: \"")
        .nth(1)?
        .split('"')
        .next()?
        .to_string();
    let index = line
        .split("index: ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((group, index))
}

/// How many lines the focus controller has logged.
fn focus_lines(hearth: &mut Running) -> usize {
    hearth
        .log()
        .lines()
        .filter(|line| line.contains("group: \""))
        .count()
}

/// Types `key` and waits until the ring is where `done` wants it.
fn key_until(
    xvfb: &Xvfb,
    hearth: &mut Running,
    key: &str,
    what: &str,
    done: impl Fn(&(String, usize)) -> bool,
) {
    for _ in 0..12 {
        if ring(hearth).as_ref().is_some_and(&done) {
            return;
        }
        // One key at a time: the next only once Hearth has logged what this one did.
        let before = focus_lines(hearth);
        xvfb.keys(key);
        let start = Instant::now();
        while focus_lines(hearth) == before && start.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(
        ring(hearth).as_ref().is_some_and(&done),
        "{key} never brought the ring to {what}; it is at {:?}",
        ring(hearth)
    );
}

fn wait_for_ring(hearth: &mut Running, what: &str, done: impl Fn(&(String, usize)) -> bool) {
    let start = Instant::now();
    while !ring(hearth).as_ref().is_some_and(&done) {
        assert!(
            start.elapsed() < WAIT,
            "the ring never reached {what}; it is at {:?}",
            ring(hearth)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_for_player(bus: &PrivateBus, args: &[&str], value: &str) {
    let start = Instant::now();
    loop {
        let (_, answer, _) = playerctl(bus, args);
        if answer == value {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "playerctl {args:?} said {answer:?}, not {value:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An album of three minute-long songs, made once.
fn long_day() -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("focus-x11-music-v1");
    if folder.join("done").exists() {
        return folder;
    }
    let album = folder.join("Music/Ada Lind - Long Day");
    std::fs::create_dir_all(&album).expect("a folder for the album");
    for (track, title) in [(1, "Sunrise"), (2, "Midday"), (3, "Sunset")] {
        let tags = format!(
            "taginject tags=\"title=\\\"{title}\\\",artist=\\\"Ada Lind\\\",album=\\\"Long Day\\\",track-number=(uint){track},album-artist=\\\"Ada Lind\\\"\""
        );
        hearth_media::samples::encode(
            &format!(
                "audiotestsrc freq={} num-buffers=1300 samplesperbuffer=1024 ! audio/x-raw,rate=22050,channels=1 ! {tags} ! flacenc ! filesink name=out",
                300 + 50 * track
            ),
            &album.join(format!("0{track} {title}.flac")),
        )
        .expect("encoding a song");
    }
    std::fs::write(folder.join("done"), "").expect("a marker");
    folder
}

/// Waits for the controller to log that the ring follows `layer` onto its grid (its items
/// arrived).
fn wait_for_grid(hearth: &mut Running, layer: &str) {
    let start = Instant::now();
    let wanted = format!("layer={layer}");
    while !hearth
        .log()
        .lines()
        .any(|line| line.contains(&wanted) && line.contains("group: \"media.grid\""))
    {
        assert!(
            start.elapsed() < WAIT,
            "{layer}'s items never came; Hearth logged:\n{}",
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn keys_alone_walk_the_real_hearth_on_x11() {
    let media = long_day();
    let bus = PrivateBus::start();
    let dir = TempDir::new("focus-x11");
    let xvfb = Xvfb::start();
    let config = format!(
        "[media]\nroots = [{:?}]\n\n[playback]\naudio = \"none\"\n\n\
         [[vm]]\nname = \"Work\"\nrole = \"work\"\n\n\
         [[vm]]\nname = \"Personal\"\nrole = \"personal\"\n",
        media.to_str().expect("UTF-8")
    );
    // The focus controller's debug log says where the ring is.
    let log = [("HEARTH_LOG", "info,hearth::app::navigation=debug")];
    let mut hearth = hearth_with_config(&hearth_binary(), &bus, &xvfb, &dir, &config, &[], &log);
    xvfb.focus_hearth();

    // The first key shows the ring on Work's tile; down to the shelves, OK on each from the
    // left until Music opens.
    key_until(&xvfb, &mut hearth, "Down", "Work", |(g, i)| {
        g == "home.tiles" && *i == 0
    });
    key_until(&xvfb, &mut hearth, "Down", "the shelves", |(g, _)| {
        g == "home.shelves"
    });
    key_until(&xvfb, &mut hearth, "Left", "the first shelf", |(g, i)| {
        g == "home.shelves" && *i == 0
    });
    for shelf in 0..3 {
        xvfb.keys("Return");
        wait_for_property(&bus, &mut hearth, "Screen", "media");
        std::thread::sleep(Duration::from_millis(300));
        if hearth.log().contains("layer=media:Music") {
            break;
        }
        assert!(shelf < 2, "no shelf opened Music");
        xvfb.keys("Escape");
        wait_for_property(&bus, &mut hearth, "Screen", "home");
        key_until(&xvfb, &mut hearth, "Right", "the next shelf", |(g, i)| {
            g == "home.shelves" && *i == shelf + 1
        });
    }
    // The album arrives and gets the ring; OK opens it, its songs arrive.
    wait_for_grid(&mut hearth, "media:Music");
    xvfb.keys("Return");
    wait_for_grid(&mut hearth, "media:Long Day");
    key_until(&xvfb, &mut hearth, "Right", "the second song", |(g, i)| {
        g == "media.grid" && *i == 1
    });
    xvfb.keys("Return");
    wait_for_property(&bus, &mut hearth, "Screen", "player");
    wait_for_player(&bus, &["metadata", "title"], "Midday");
    wait_for_player(&bus, &["status"], "Playing");

    // The media keys.
    xvfb.keys("XF86AudioNext");
    wait_for_player(&bus, &["metadata", "title"], "Sunset");
    xvfb.keys("XF86AudioPlay");
    wait_for_player(&bus, &["status"], "Paused");

    // Escape: to the album, to Music, home.
    for _ in 0..3 {
        xvfb.keys("Escape");
        std::thread::sleep(Duration::from_millis(300));
    }
    wait_for_property(&bus, &mut hearth, "Screen", "home");

    // Up to the tiles, left to Work; a long Return is its long press: the actions sheet.
    key_until(&xvfb, &mut hearth, "Up", "the tiles", |(g, _)| {
        g == "home.tiles"
    });
    key_until(&xvfb, &mut hearth, "Left", "Work", |(g, i)| {
        g == "home.tiles" && *i == 0
    });
    let held = Command::new("xdotool")
        .args(["keydown", "Return", "sleep", "0.9", "keyup", "Return"])
        .env("DISPLAY", &xvfb.display)
        .status()
        .expect("xdotool");
    assert!(held.success(), "xdotool could not hold Return");
    wait_for_ring(&mut hearth, "Work's actions", |(g, _)| g == "sheet.actions");
    assert!(
        hearth
            .log()
            .contains("LongPress(Spot { group: \"home.tiles\", index: 0 })"),
        "the long Return was a long press on Work"
    );
    xvfb.keys("Escape");
    wait_for_ring(&mut hearth, "Work again", |(g, i)| {
        g == "home.tiles" && *i == 0
    });

    // Right past Work's actions button to Personal, OK; the home key comes back.
    key_until(&xvfb, &mut hearth, "Right", "Personal", |(g, i)| {
        g == "home.tiles" && *i == 2
    });
    xvfb.keys("Return");
    wait_for_property(&bus, &mut hearth, "Screen", "vm");
    wait_for_property(&bus, &mut hearth, "Front", "Personal");
    xvfb.keys("XF86HomePage");
    wait_for_property(&bus, &mut hearth, "Screen", "home");
}

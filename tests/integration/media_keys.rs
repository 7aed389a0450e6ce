//! The media keys of keyboards and remotes: on Hearth's screens they drive Hearth's player
//! (the real binary on Xvfb, keys typed with xdotool, real GStreamer, read back over MPRIS)
//! and Escape goes back;
//! in a VM's view they are the VM's, except the keys `[input] hearth_keys` keeps (by default
//! KEY_HOMEPAGE, which goes home and never reaches a guest).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hearth::config::InputSettings;
use hearth_tests::World;
use hearth_tests::playback::{hearth_with_mpris, media_under, playerctl};
use hearth_tests::services::{PrivateBus, TempDir, shell_property};
use hearth_tests::xvfb::{Running, Xvfb};
use hearth_ui::Screen;
use hearth_vm_bridge::keys;

const WAIT: Duration = Duration::from_secs(30);
const KEY_PLAYPAUSE: u32 = 164;
const KEY_NEXTSONG: u32 = 163;
const KEY_HOMEPAGE: u32 = 172;

/// Waits until `playerctl args` answers what `ok` accepts.
fn wait_for(bus: &PrivateBus, hearth: &mut Running, args: &[&str], ok: impl Fn(&str) -> bool) {
    let start = Instant::now();
    loop {
        let (succeeded, answer, errors) = playerctl(bus, args);
        if succeeded && ok(&answer) {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "playerctl {args:?} last said {answer:?} ({errors}); Hearth logged:\n{}",
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// The screen Hearth shows, from its own D-Bus service.
fn screen(bus: &PrivateBus) -> String {
    shell_property(bus, "Screen")
}

/// MPRIS Raise: the player comes to the front.
fn raise(bus: &PrivateBus) {
    let status = Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "call",
            "org.mpris.MediaPlayer2.hearth",
            "/org/mpris/MediaPlayer2",
            "org.mpris.MediaPlayer2",
            "Raise",
        ])
        .status()
        .expect("running busctl");
    assert!(status.success(), "MPRIS Raise failed");
}

fn wait_for_screen(bus: &PrivateBus, name: &str) {
    let start = Instant::now();
    let wanted = format!("s \"{name}\"");
    while screen(bus) != wanted {
        assert!(
            start.elapsed() < WAIT,
            "Hearth never showed {name}: {}",
            screen(bus)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn media_keys_drive_the_real_hearths_player() {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let bus = PrivateBus::start();
    let dir = TempDir::new("media-keys");
    let xvfb = Xvfb::start();
    let mut hearth =
        hearth_with_mpris(&hearth_tests::xvfb::hearth_binary(), &bus, &xvfb, &dir, &[]);
    let album = format!(
        "file://{}",
        media
            .join("Long album")
            .to_str()
            .expect("UTF-8")
            .replace(' ', "%20")
    );
    let (opened, _, errors) = playerctl(&bus, &["open", &album]);
    assert!(opened, "playerctl open: {errors}");
    wait_for(&bus, &mut hearth, &["status"], |s| s == "Playing");
    xvfb.focus_hearth();
    // The player brought up over home (KEY_INFO has no X11 keycode: it is above 255);
    // Escape goes back home, and the keys go on there.
    raise(&bus);
    wait_for_screen(&bus, "player");
    xvfb.keys("Escape");
    wait_for_screen(&bus, "home");

    xvfb.keys("XF86AudioNext");
    wait_for(&bus, &mut hearth, &["metadata", "title"], |t| {
        t == "02 Second wind"
    });
    xvfb.keys("XF86AudioPlay");
    wait_for(&bus, &mut hearth, &["status"], |s| s == "Paused");

    // Fast forward moves 10 s from where the paused song stands.
    let (_, before, _) = playerctl(&bus, &["position"]);
    let before = number(&before);
    xvfb.keys("XF86AudioForward");
    wait_for(&bus, &mut hearth, &["position"], |p| {
        (number(p) - before - 10.0).abs() < 0.5
    });
    xvfb.keys("XF86AudioPlay");
    wait_for(&bus, &mut hearth, &["status"], |s| s == "Playing");

    // Volume in steps of 5 %; mute remembers the level.
    wait_for(&bus, &mut hearth, &["volume"], |v| number(v) > 0.99);
    xvfb.keys("XF86AudioLowerVolume XF86AudioLowerVolume");
    wait_for(&bus, &mut hearth, &["volume"], |v| {
        (number(v) - 0.9).abs() < 1e-3
    });
    xvfb.keys("XF86AudioMute");
    wait_for(&bus, &mut hearth, &["volume"], |v| number(v) == 0.0);
    xvfb.keys("XF86AudioMute");
    wait_for(&bus, &mut hearth, &["volume"], |v| {
        (number(v) - 0.9).abs() < 1e-3
    });

    // The home key goes home from the player.
    raise(&bus);
    wait_for_screen(&bus, "player");
    xvfb.keys("XF86HomePage");
    wait_for_screen(&bus, "home");
    xvfb.keys("XF86AudioStop");
    wait_for(&bus, &mut hearth, &["status"], |s| s == "Stopped");
}

fn press(world: &World, code: u32) {
    world.app.physical_key(code, true);
    world.app.physical_key(code, false);
    world.settle();
}

#[test]
fn in_a_vms_view_media_keys_are_the_vms_and_the_home_key_is_hearths() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    press(&world, KEY_PLAYPAUSE);
    press(&world, KEY_HOMEPAGE);
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(
        world.key_events("Work"),
        vec![
            (keys::MEDIA_PLAY_PAUSE, true),
            (keys::MEDIA_PLAY_PAUSE, false)
        ],
        "the VM gets its media key and nothing of the home key"
    );
    // A media key pressed on home and let go in a VM's view never reaches that VM.
    world.app.physical_key(KEY_NEXTSONG, true);
    world.tap("Open Personal");
    world.settle();
    world.app.physical_key(KEY_NEXTSONG, false);
    world.settle();
    assert_eq!(world.key_events("Personal"), vec![]);
}

#[test]
fn hearth_keys_in_the_configuration_stay_hearths_in_a_vms_view() {
    let world = World::new();
    world.app.set_input(&InputSettings {
        hearth_keys: vec![KEY_PLAYPAUSE],
    });
    world.tap("Open Work");
    world.settle();
    press(&world, KEY_PLAYPAUSE);
    press(&world, KEY_HOMEPAGE);
    assert_eq!(world.screen(), Screen::Vm, "KEY_HOMEPAGE is the VM's now");
    assert_eq!(
        world.key_events("Work"),
        vec![(keys::BROWSER_HOME, true), (keys::BROWSER_HOME, false)]
    );
}

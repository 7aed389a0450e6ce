//! Files that bring their decoder down, opened the ways a user opens them: from the media
//! browser (the screen names the file and the reason while the next song plays, and a VM
//! switch right after works), with `hearth ctl open` on a folder, and over MPRIS `OpenUri`
//! on the real binary (Hearth's process stays the same one, goes on with the next file,
//! says why in its log and answers throughout, a hanging decoder included). The file is marked
//! failed in the library. The decoder is the test plugin's
//! (tests/plugin/hearth-test-decoder.c); the library reads the same files without harm.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth::config::PlaybackSettings;
use hearth_media::player::{AudioOutput, PlayerLimits};
use hearth_media::{Index, ItemStatus};
use hearth_tests::World;
use hearth_tests::ctl::{ctl, status, wait_for_status};
use hearth_tests::media::{player_screens, read_library_with, save_screen};
use hearth_tests::playback::{hearth_with_config, media_under, playerctl};
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::test_plugin::{Misbehaviour, helper_with_plugin, misbehaving_file};
use hearth_tests::xvfb::{Running, Xvfb, hearth_binary};
use hearth_ui::{MediaAdapter, PlayerAdapter, Screen};
use slint::{ComponentHandle, Model};

const WAIT: Duration = Duration::from_secs(40);

/// An album folder under `root`: a song that crashes the player's decoder, then a good one.
fn album_with_a_crash(root: &Path) -> PathBuf {
    let album = root.join("Music/Mixed");
    std::fs::create_dir_all(&album).expect("an album folder");
    misbehaving_file(&album, "01 Crash.mp3", Misbehaviour::Crash);
    let song =
        media_under(Path::new(env!("CARGO_TARGET_TMPDIR"))).join("Long album/01 First light.ogg");
    std::fs::copy(song, album.join("02 First light.ogg")).expect("a song");
    album
}

fn player(world: &World) -> PlayerAdapter<'_> {
    world.app.window().global::<PlayerAdapter>()
}

#[test]
fn a_song_that_crashes_the_player_from_the_browser_is_named_and_passed_over() {
    let dir = TempDir::new("player-isolation-browser");
    let root = dir.path().join("media");
    album_with_a_crash(&root);
    let helper = helper_with_plugin(dir.path());
    let settings = read_library_with(&root, dir.path(), helper.clone());
    let index_file = settings.index_file.clone();
    let world = World::with(1280, 800, "en-US", hearth_tests::test_sim_config());
    world.app.attach_media(settings);
    world.app.attach_playback(PlaybackSettings {
        audio: AudioOutput::Silent,
        player: PlayerLimits {
            binary: helper,
            ..PlayerLimits::default()
        },
        ..PlaybackSettings::default()
    });
    world.advance(20);
    world.draw();
    world.app.open_media_shelf("music");
    world.draw();
    world.tap("Songs");
    world.advance(50);
    world.draw();
    let titles: Vec<String> = world
        .app
        .window()
        .global::<MediaAdapter>()
        .get_items()
        .iter()
        .map(|card| card.title.to_string())
        .collect();
    let crash = titles
        .iter()
        .find(|title| title.contains("Crash"))
        .unwrap_or_else(|| panic!("the library lists the file: {titles:?}"));
    world.tap(crash);
    assert_eq!(world.screen(), Screen::Player);
    world.wait_until("the next song playing", WAIT, |w| {
        player(w).get_playing() && player(w).get_title().contains("First light")
    });
    let said = player(&world).get_skipped().to_string();
    assert!(
        said.contains("01 Crash.mp3") && said.contains("crashed"),
        "the screen says: {said:?}"
    );
    assert_eq!(player(&world).get_error_title(), "", "no error screen");
    // Marked failed in the library, as the helper's failures are.
    let crash_file = root.join("Music/Mixed/01 Crash.mp3");
    world.wait_until("the file marked failed", WAIT, |_| {
        Index::open(&index_file)
            .expect("the index")
            .item(&crash_file)
            .expect("reading the index")
            .is_some_and(|item| {
                item.status == ItemStatus::Failed
                    && item.reason.is_some_and(|reason| reason.contains("crashed"))
            })
    });
    save_screen(
        &world,
        &player_screens(Path::new(env!("CARGO_TARGET_TMPDIR"))),
        "passed-over-1280x800",
    );
    // A VM switch right after.
    world.app.request_switch(hearth::app::Target::Index(0), 1);
    world.settle();
    assert_eq!(world.screen(), Screen::Vm);
    world.app.go_home();
    world.settle();
}

/// The real binary with two running VMs, silent playback and the misbehaving decoder in its
/// player process; returns once MPRIS is offered.
fn real_hearth(dir: &TempDir) -> (PrivateBus, Xvfb, Running) {
    let helper = helper_with_plugin(dir.path());
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let config = "[media]\nroots = []\n\n[playback]\naudio = \"none\"\n\n\
         [[vm]]\nname = \"Work\"\nrole = \"work\"\nrunning = true\n\n\
         [[vm]]\nname = \"Personal\"\nrole = \"personal\"\nrunning = true\n";
    let hearth = hearth_with_config(
        &hearth_binary(),
        &bus,
        &xvfb,
        dir,
        config,
        &[],
        &[("HEARTH_MEDIA_HELPER", helper.to_str().expect("UTF-8"))],
    );
    (bus, xvfb, hearth)
}

#[test]
fn files_that_crash_the_player_cost_the_real_hearth_nothing() {
    let dir = TempDir::new("player-isolation-real");
    let album = album_with_a_crash(&dir.path().join("media"));
    let (bus, _xvfb, mut hearth) = real_hearth(&dir);
    let pid = hearth.process.id();

    // A folder over hearth ctl: the crash is passed over for the next song.
    let (code, _, errors) = ctl(&bus, &["open", album.to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "hearth ctl open: {errors}");
    wait_for_status(&bus, "the second song playing", |s| {
        s["screen"] == "player"
            && s["playback"]["state"] == "playing"
            && s["playback"]["file"]
                .as_str()
                .is_some_and(|file| file.ends_with("02 First light.ogg"))
    });
    hearth.wait_for_log("its decoder crashed (a segmentation fault)", WAIT);
    // A VM switch right after.
    assert_eq!(ctl(&bus, &["switch", "Work"]).0, 0);
    wait_for_status(&bus, "Work in front", |s| {
        s["front"] == "Work" && s["screen"] == "vm"
    });

    // The file alone over MPRIS: nothing follows it, so the player says why and stops.
    let crash = album.join("01 Crash.mp3");
    let uri = format!(
        "file://{}",
        crash.to_str().expect("UTF-8").replace(' ', "%20")
    );
    let (opened, _, errors) = playerctl(&bus, &["open", &uri]);
    assert!(opened, "playerctl open: {errors}");
    wait_for_status(&bus, "the player stopped on the file", |s| {
        s["screen"] == "player" && s["playback"]["state"] == "stopped"
    });
    let log = hearth.log();
    assert_eq!(
        log.matches("the player process ended").count(),
        2,
        "each crash is logged once:\n{log}"
    );
    assert_eq!(hearth.process.id(), pid);
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "Hearth is alive"
    );
    assert!(status(&bus).is_some(), "Hearth answers");
}

#[test]
fn a_decoder_that_hangs_is_killed_while_the_real_hearth_answers_throughout() {
    let dir = TempDir::new("player-isolation-stall");
    let album = dir.path().join("media/Music/Stuck");
    std::fs::create_dir_all(&album).expect("an album folder");
    misbehaving_file(&album, "01 Stuck.mp3", Misbehaviour::Stall);
    let song =
        media_under(Path::new(env!("CARGO_TARGET_TMPDIR"))).join("Long album/01 First light.ogg");
    std::fs::copy(song, album.join("02 First light.ogg")).expect("a song");
    let (bus, _xvfb, mut hearth) = real_hearth(&dir);
    let pid = hearth.process.id();
    let (code, _, errors) = ctl(&bus, &["open", album.to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "hearth ctl open: {errors}");
    // Every status asked while the decoder hangs is answered, until the next song plays.
    let since = std::time::Instant::now();
    let mut answers = 0;
    loop {
        let now = status(&bus).unwrap_or_else(|| {
            panic!(
                "hearth ctl status went unanswered {:.1} s in:\n{}",
                since.elapsed().as_secs_f64(),
                hearth.log()
            )
        });
        answers += 1;
        let next_plays = now["playback"]["state"] == "playing"
            && now["playback"]["file"]
                .as_str()
                .is_some_and(|file| file.ends_with("02 First light.ogg"));
        if next_plays {
            break;
        }
        assert!(
            since.elapsed() < WAIT,
            "the next song never played: {now}\n{}",
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // Killed within its deadline: 8 s to open, 6 s without an answer, and a margin.
    assert!(
        since.elapsed() < Duration::from_secs(25),
        "the hang lasted {:?}",
        since.elapsed()
    );
    assert!(answers > 10, "only {answers} answers while it hung");
    hearth.wait_for_log("it stopped responding and was stopped after 6 s", WAIT);
    assert_eq!(hearth.process.id(), pid);
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "Hearth is alive"
    );
}

//! The player runs in a process of its own: a file that crashes its decoder, one whose
//! decoder allocates without bound and one whose decoder hangs each cost only themselves.
//! The player names the file and the reason, goes on with the next file in a new process,
//! and the caller's process (Hearth's) neither dies nor grows. A player with nothing open
//! closes its process and starts another on the next play. The misbehaving decoder is a real
//! GStreamer plugin, built by the test (tests/plugin/hearth-test-decoder.c).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hearth_media::player::{
    AudioOutput, OpenRequest, PlayState, PlayerEvent, PlayerLimits, Problem,
};
use hearth_tests::playback::{Watched, media_under};
use hearth_tests::services::TempDir;
use hearth_tests::startup::rss_mib;
use hearth_tests::test_plugin::{Misbehaviour, helper_with_plugin, misbehaving_file};

const SOON: Duration = Duration::from_secs(20);

/// A player whose process loads the test plugin, with `memory_mib` for its limit.
fn player(dir: &TempDir, memory_mib: u64, idle: Duration) -> Watched {
    Watched::with_limits(
        PlayerLimits {
            binary: helper_with_plugin(dir.path()),
            memory_mib,
            idle,
        },
        AudioOutput::Silent,
    )
}

fn song() -> PathBuf {
    media_under(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
        .join("Long album/01 First light.ogg")
}

/// Opens the misbehaving file then a good song; returns the reason given for the first,
/// once the song plays in a new process.
fn passed_over(watched: &mut Watched, bad: PathBuf, within: Duration) -> String {
    let first_pid = {
        watched.player.open(OpenRequest {
            files: vec![bad.clone(), song()],
            ..OpenRequest::default()
        });
        watched.player.pid().expect("a player process runs")
    };
    assert_ne!(first_pid, std::process::id());
    let opened = Instant::now();
    let failed = watched.wait("the bad file's failure", within, |e| {
        matches!(e, PlayerEvent::Failed { .. })
    });
    let PlayerEvent::Failed { path, problem, .. } = failed else {
        unreachable!()
    };
    assert_eq!(path, bad, "the failure names the file");
    let Problem::Process(end) = problem else {
        panic!("{problem:?} is not the player process's end")
    };
    let reason = end.to_string();
    assert!(opened.elapsed() <= within, "took {:?}", opened.elapsed());
    watched.wait("the next song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 1, .. })
    });
    watched.wait("the song playing", SOON, |e| {
        *e == PlayerEvent::State(PlayState::Playing)
    });
    let second_pid = watched.player.pid().expect("a new player process");
    assert_ne!(second_pid, first_pid, "the song plays in a new process");
    assert!(
        !std::path::Path::new(&format!("/proc/{first_pid}")).exists(),
        "the first process is collected"
    );
    reason
}

#[test]
fn a_decoder_that_crashes_costs_its_file_only() {
    let dir = TempDir::new("player-crash");
    let mut watched = player(&dir, 2048, Duration::from_secs(30));
    let bad = misbehaving_file(dir.path(), "Crash.mp3", Misbehaviour::Crash);
    let reason = passed_over(&mut watched, bad, SOON);
    assert!(reason.contains("crashed"), "{reason}");
    assert!(reason.contains("segmentation fault"), "{reason}");
    assert_eq!(watched.player.starts(), 2);
}

#[test]
fn a_decoder_that_allocates_without_bound_is_stopped_by_the_limit() {
    let dir = TempDir::new("player-hog");
    let mut watched = player(&dir, 768, Duration::from_secs(30));
    let before = rss_mib(std::process::id());
    let bad = misbehaving_file(dir.path(), "Hog.mp3", Misbehaviour::Hog);
    let reason = passed_over(&mut watched, bad, SOON);
    assert!(reason.contains("768 MiB"), "{reason}");
    let after = rss_mib(std::process::id());
    assert!(
        after <= before + 32.0,
        "this process grew from {before:.0} to {after:.0} MiB"
    );
}

#[test]
fn a_decoder_that_hangs_is_killed_within_its_deadline() {
    let dir = TempDir::new("player-stall");
    let mut watched = player(&dir, 2048, Duration::from_secs(30));
    let bad = misbehaving_file(dir.path(), "Stall.mp3", Misbehaviour::Stall);
    // The open deadline (8 s) and then the ping deadline (6 s), with room for a loaded
    // machine; the player answers calls at once throughout.
    let reason = passed_over(&mut watched, bad, Duration::from_secs(30));
    assert!(reason.contains("stopped responding"), "{reason}");
}

#[test]
fn a_player_with_nothing_open_closes_its_process_and_starts_another() {
    let dir = TempDir::new("player-idle");
    let mut watched = player(&dir, 2048, Duration::from_secs(1));
    watched.player.open(OpenRequest {
        files: vec![song()],
        ..OpenRequest::default()
    });
    watched.wait("the song playing", SOON, |e| {
        *e == PlayerEvent::State(PlayState::Playing)
    });
    let first = watched.player.pid().expect("a player process");
    watched.player.stop();
    watched.wait("stopped", SOON, |e| {
        *e == PlayerEvent::State(PlayState::Stopped)
    });
    let since = Instant::now();
    while watched.player.pid().is_some() {
        assert!(since.elapsed() < SOON, "the idle process stays");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!std::path::Path::new(&format!("/proc/{first}")).exists());
    // Closing it was no failure.
    assert!(
        !watched
            .during(Duration::from_millis(300))
            .iter()
            .any(|e| matches!(e, PlayerEvent::Failed { .. })),
    );
    watched.player.open(OpenRequest {
        files: vec![song()],
        ..OpenRequest::default()
    });
    watched.wait("the song again", SOON, |e| {
        *e == PlayerEvent::State(PlayState::Playing)
    });
    assert_ne!(watched.player.pid(), Some(first));
    assert_eq!(watched.player.starts(), 2);
}

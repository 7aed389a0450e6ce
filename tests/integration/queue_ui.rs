//! The music queue on screen over a real library and the real pipeline: the panel lists the
//! song playing and what follows; a song held and dragged moves, its cross removes it, a
//! tap plays it. Screens are saved to the test target's `player-screens/`.

use std::path::Path;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{PlayerAdapter, Screen};
use slint::platform::WindowEvent;
use slint::{ComponentHandle, LogicalPosition, Model};

const WAIT: Duration = Duration::from_secs(20);

fn media() -> &'static Path {
    media_under(Path::new(env!("CARGO_TARGET_TMPDIR")))
}

fn player(world: &World) -> PlayerAdapter<'_> {
    world.app.window().global::<PlayerAdapter>()
}

fn shot(world: &World, name: &str) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    hearth_tests::media::save_screen(world, &hearth_tests::media::player_screens(scratch), name);
}

/// The titles the queue panel lists, the one playing first.
fn rows(world: &World) -> Vec<String> {
    player(world)
        .get_queue()
        .iter()
        .map(|row| row.title.to_string())
        .collect()
}

/// Holds the element labelled `label` still for `hold` ms, then drags it `dy` down (up when
/// negative) and lets go, as a finger would; `before_release` runs with the finger still down.
fn hold_and_drag(world: &World, label: &str, hold: u64, dy: f32, before_release: impl Fn()) {
    world.draw();
    let element = world
        .find(label)
        .unwrap_or_else(|| panic!("no visible element labelled {label:?}"));
    let (position, size) = (element.absolute_position(), element.size());
    let from = LogicalPosition::new(
        position.x + size.width / 2.0,
        position.y + size.height / 2.0,
    );
    let window = world.app.window().window();
    world.pointer(from, true);
    world.advance(hold);
    for step in 1..=8 {
        let position = LogicalPosition::new(from.x, from.y + dy * step as f32 / 8.0);
        window.dispatch_event(WindowEvent::PointerMoved { position });
        world.advance(16);
    }
    before_release();
    world.pointer(LogicalPosition::new(from.x, from.y + dy), false);
    world.advance(20);
}

#[test]
fn queued_songs_are_moved_by_a_held_drag_removed_and_played_from_the_panel() {
    let dir = TempDir::new("queue-panel");
    let world = library_world(media(), &dir, 1280, 800);
    world.app.open_media_shelf("music");
    world.draw();
    world.tap("Blue Hour");
    world.draw();
    world.tap("Morning");
    world.wait_until("the song playing", WAIT, |w| player(w).get_playing());
    // Paused, the 2 s songs wait while the queue is changed.
    world.tap("Pause");
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());
    world.tap("Queue");
    world.wait_until("the album in the queue", WAIT, |w| {
        rows(w) == ["Morning", "Noon", "Evening"]
    });
    assert_eq!(player(&world).get_queue_summary(), "2 songs follow");
    assert!(
        player(&world)
            .get_queue()
            .row_data(0)
            .is_some_and(|row| row.playing),
        "the one playing comes first"
    );
    shot(&world, "queue-1280x800");

    // A song held still lifts and follows the finger: Evening up one row plays next.
    hold_and_drag(&world, "Evening", 700, -48.0, || {
        shot(&world, "queue-drag-1280x800");
    });
    world.wait_until("Evening moved up", WAIT, |w| {
        rows(w) == ["Morning", "Evening", "Noon"]
    });
    world.wait_until("up next after the move", WAIT, |w| {
        player(w).get_up_next() == "Up next: Evening"
    });
    // A short press that moves is not a drag: nothing changes.
    hold_and_drag(&world, "Noon", 100, -68.0, || ());
    world.advance(100);
    assert_eq!(rows(&world), ["Morning", "Evening", "Noon"]);

    world.tap("Remove Evening from the queue");
    world.wait_until("Evening removed", WAIT, |w| rows(w) == ["Morning", "Noon"]);
    assert_eq!(player(&world).get_queue_summary(), "1 song follows");
    assert_eq!(player(&world).get_up_next(), "Up next: Noon");
    assert_eq!(player(&world).get_title(), "Morning", "what plays goes on");

    world.resize(800, 480);
    world.draw();
    shot(&world, "queue-800x480");
    world.resize(1280, 800);

    // A tap on a song plays it now.
    world.tap("Noon");
    world.wait_until("Noon playing", WAIT, |w| {
        player(w).get_title() == "Noon" && player(w).get_playing()
    });
    world.wait_until("nothing after Noon", WAIT, |w| rows(w) == ["Noon"]);
    assert_eq!(player(&world).get_queue_summary(), "Nothing follows");
    assert!(
        !player(&world).get_can_next(),
        "nothing after the last song"
    );
    player(&world).invoke_toggle();
    world.wait_until("Noon paused", WAIT, |w| !player(w).get_playing());

    // Under repeat-all the songs before come round again after it.
    player(&world).invoke_cycle_repeat();
    world.wait_until("Morning round again", WAIT, |w| {
        rows(w) == ["Noon", "Morning"]
    });
    // New rows while a song is lifted (repeat changed meanwhile, say from MPRIS) end the
    // drag: letting go moves nothing, and the panel takes taps again.
    hold_and_drag(&world, "Morning", 700, -68.0, || {
        player(&world).invoke_cycle_repeat();
        world.wait_until("repeat-one: Noon alone", WAIT, |w| rows(w) == ["Noon"]);
    });
    player(&world).invoke_cycle_repeat();
    world.wait_until("repeat off", WAIT, |w| player(w).get_repeat() == "off");
    player(&world).invoke_cycle_repeat();
    world.wait_until("Morning round again", WAIT, |w| {
        rows(w) == ["Noon", "Morning"]
    });
    world.tap("Morning");
    world.wait_until("Morning playing", WAIT, |w| {
        player(w).get_title() == "Morning"
    });

    world.tap("Close the queue");
    world.draw();
    assert!(world.find("Close the queue").is_none());
    assert_eq!(world.screen(), Screen::Player);
}

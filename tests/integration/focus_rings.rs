//! Every control the focus controller can put the ring on, on every screen and sheet, is one
//! the UI draws the ring around: the keys walk each layer row by row, left to right, and every
//! move must draw a new ring (`FocusAdapter.rings` counts rings drawn). The layers are saved
//! with the ring on their first control, at 1280x800 and 800x480, to be looked at.

use std::path::Path;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{FocusAdapter, PlayerAdapter};
use slint::ComponentHandle;
use slint::platform::Key;

const WAIT: Duration = Duration::from_secs(20);
const UP: u32 = 103;
const DOWN: u32 = 108;
const LEFT: u32 = 105;
const RIGHT: u32 = 106;

fn key(world: &World, code: u32) {
    world.app.physical_key(code, true);
    world.app.physical_key(code, false);
    world.advance(20);
    world.draw();
}

fn rings(world: &World) -> i32 {
    world.app.window().global::<FocusAdapter>().get_rings()
}

/// One move with `code`; false when the ring stays. A move must draw the ring at its new
/// place.
fn step(world: &World, layer: &str, code: u32) -> bool {
    let before = world.app.focus_ring();
    let drawn = rings(world);
    key(world, code);
    let after = world.app.focus_ring();
    if after == before {
        return false;
    }
    assert!(
        rings(world) > drawn,
        "{layer}: the ring moved to {after:?}, which the UI does not draw"
    );
    true
}

/// Moves with `code` until the ring stops.
fn sweep(world: &World, layer: &str, code: u32) {
    for _ in 0..400 {
        if !step(world, layer, code) {
            return;
        }
    }
    panic!("{layer}: the ring never stops");
}

/// Shows the ring (saving the layer as `name`), then visits every row and every control in it.
fn every_control(world: &World, name: &str, shots: &Path) {
    let drawn = rings(world);
    key(world, DOWN);
    let start = world.app.focus_ring();
    assert!(start.is_some(), "{name}: no ring");
    assert!(
        rings(world) > drawn,
        "{name}: the first ring, {start:?}, is not drawn"
    );
    hearth_tests::media::save_screen(world, shots, name);
    sweep(world, name, UP);
    loop {
        sweep(world, name, LEFT);
        sweep(world, name, RIGHT);
        // One row down, until the bottom.
        if !step(world, name, DOWN) {
            break;
        }
    }
}

/// Presses `code` until the ring is where `done` wants it.
fn key_until(world: &World, code: u32, done: impl Fn(&(String, usize)) -> bool) {
    for _ in 0..20 {
        if world.app.focus_ring().as_ref().is_some_and(&done) {
            return;
        }
        key(world, code);
    }
    panic!(
        "the ring never got there: it is at {:?}",
        world.app.focus_ring()
    );
}

/// A touch hides the ring, as a finger does.
fn hide_ring(world: &World) {
    world.app.pointer_used();
    world.draw();
}

fn escape(world: &World) {
    world.app.physical_key(1, true);
    world.key_down(Key::Escape);
    world.app.physical_key(1, false);
    world.key_up(Key::Escape);
    world.advance(50);
    world.draw();
}

fn all_layers(width: u32, height: u32) {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let dir = TempDir::new("focus-rings");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("focus-layers")
        .join(format!("{width}x{height}"));
    let world = library_world(media, &dir, width, height);
    // A tap, which also hides the ring as a finger does on a real screen.
    let tap = |label: &str| {
        world.draw();
        world.tap(label);
        world.app.pointer_used();
        world.advance(50);
        world.draw();
    };

    every_control(&world, "home", &shots);

    // A VM's actions (from its actions button), and the confirmation one of them asks for.
    key_until(&world, UP, |(group, _)| group == "home.tiles");
    key_until(&world, LEFT, |(_, index)| *index == 0);
    key(&world, RIGHT);
    key(&world, 28);
    hide_ring(&world);
    every_control(&world, "vm-actions", &shots);
    tap("Force off");
    every_control(&world, "confirm", &shots);
    escape(&world);

    tap("Settings");
    every_control(&world, "settings", &shots);
    escape(&world);

    world.app.open_media_shelf("music");
    hearth_tests::media::wait_for_items(&world, "the albums", 0);
    every_control(&world, "browser", &shots);
    key_until(&world, UP, |(group, _)| group == "media.bar");
    key_until(&world, RIGHT, |(_, index)| *index == 2);
    key(&world, 28);
    hide_ring(&world);
    every_control(&world, "sort", &shots);
    escape(&world);
    tap("Blue Hour");
    tap("Morning");
    world.wait_until("the song playing", WAIT, |w| {
        w.app.window().global::<PlayerAdapter>().get_playing()
    });
    world.draw();
    every_control(&world, "player", &shots);
    tap("Queue");
    every_control(&world, "queue", &shots);
    escape(&world);
    escape(&world);
    escape(&world);
    escape(&world);

    world.app.open_media_shelf("photos");
    hearth_tests::media::wait_for_items(&world, "the photos", 0);
    world.draw();
    // OK on the first photo.
    key(&world, DOWN);
    key_until(&world, DOWN, |(group, _)| group == "media.grid");
    key(&world, 28);
    hide_ring(&world);
    every_control(&world, "photo", &shots);
    escape(&world);

    // The search field's keyboard.
    tap("Search");
    every_control(&world, "keyboard", &shots);
}

#[test]
fn every_control_gets_a_ring_on_every_layer_at_1280x800() {
    all_layers(1280, 800);
}

#[test]
fn every_control_gets_a_ring_on_every_layer_at_800x480() {
    all_layers(800, 480);
}

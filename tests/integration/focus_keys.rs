//! Hearth's screens driven by keys alone, as from a sofa: arrows move the focus ring, Return
//! presses what it is on, a long Return is a long press, Escape goes back, the media keys
//! drive the player and KEY_HOMEPAGE comes home from a VM. The same walk at 1280x800 and
//! 800x480, with the real media library and GStreamer; the screens with the ring are saved
//! as PNG (under the tests' scratch folder) to be looked at.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{FocusAdapter, MediaAdapter, PlayerAdapter, Screen};
use slint::platform::Key;
use slint::{ComponentHandle, Model};

const WAIT: Duration = Duration::from_secs(20);
const KEY_NEXTSONG: u32 = 163;
const KEY_PLAYPAUSE: u32 = 164;
const KEY_HOMEPAGE: u32 = 172;

/// A key as the platform reports it: first by its evdev code to Hearth, then, if Hearth
/// leaves it, as text to the UI (as the winit and LinuxKMS hooks do).
fn key_event(world: &World, key: &Key, pressed: bool) {
    let code = match key {
        Key::UpArrow => 103,
        Key::DownArrow => 108,
        Key::LeftArrow => 105,
        Key::RightArrow => 106,
        Key::Return => 28,
        Key::Escape => 1,
        other => panic!("no evdev code for {other:?} here"),
    };
    if world.app.physical_key(code, pressed) {
        world.advance(5);
    } else if pressed {
        world.key_down(*key);
    } else {
        world.key_up(*key);
    }
}

fn press(world: &World, key: Key) {
    key_event(world, &key, true);
    key_event(world, &key, false);
    world.advance(30);
    world.draw();
}

fn ring(world: &World) -> (String, usize) {
    world.app.focus_ring().expect("the focus ring is shown")
}

/// Presses `key` until the ring is in `group`, at most `limit` times.
fn until_in(world: &World, key: Key, group: &str, limit: usize) {
    for _ in 0..limit {
        if ring(world).0 == group {
            return;
        }
        press(world, key);
    }
    assert_eq!(ring(world).0, group, "{key:?} never reached {group}");
}

/// Presses `key` until `done` holds for the control the ring is on.
fn until(world: &World, key: Key, what: &str, done: impl Fn(&World, usize) -> bool) {
    for _ in 0..20 {
        if done(world, ring(world).1) {
            return;
        }
        press(world, key);
    }
    panic!(
        "{key:?} never reached {what}; the ring is at {:?}",
        ring(world)
    );
}

fn shelf_id(world: &World, index: usize) -> String {
    let shelves = world.app.window().global::<MediaAdapter>().get_shelves();
    shelves
        .row_data(index)
        .map(|s| s.id.to_string())
        .unwrap_or_default()
}

fn item_title(world: &World, index: usize) -> String {
    let items = world.app.window().global::<MediaAdapter>().get_items();
    items
        .row_data(index)
        .map(|i| i.title.to_string())
        .unwrap_or_default()
}

fn browser_title(world: &World) -> String {
    let media = world.app.window().global::<MediaAdapter>();
    media.get_browser_title().to_string()
}

fn player(world: &World) -> PlayerAdapter<'_> {
    world.app.window().global::<PlayerAdapter>()
}

/// Saves what is on screen as `name`.png in `folder`.
fn save(world: &World, folder: &Path, name: &str) {
    world.draw();
    let image = world.headless.snapshot().expect("a snapshot");
    hearth::headless::write_png(&folder.join(format!("{name}.png")), &image)
        .expect("writing a screenshot");
}

fn walk(width: u32, height: u32) {
    let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let dir = TempDir::new("focus-keys");
    let shots: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("focus-walk")
        .join(format!("{width}x{height}"));
    std::fs::create_dir_all(&shots).expect("a folder for the screenshots");
    let world = library_world(media, &dir, width, height);
    world.wait_until("the library", WAIT, |w| {
        let shelves = w.app.window().global::<MediaAdapter>().get_shelves();
        (0..shelves.row_count()).any(|i| shelf_id(w, i) == "music")
    });

    // No ring until the first key, which only shows it, on the first VM.
    assert_eq!(world.app.focus_ring(), None);
    press(&world, Key::DownArrow);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 0));
    save(&world, &shots, "01-home-tiles");

    // Down to the shelves, right to Music, OK.
    until_in(&world, Key::DownArrow, "home.shelves", 10);
    until(&world, Key::RightArrow, "Music", |w, i| {
        shelf_id(w, i) == "music"
    });
    let music_shelf = ring(&world);
    save(&world, &shots, "02-home-shelves");
    press(&world, Key::Return);
    assert_eq!(world.screen(), Screen::Media);
    assert_eq!(browser_title(&world), "Music");
    hearth_tests::media::wait_for_items(&world, "the albums", 0);
    world.draw();
    assert_eq!(ring(&world).0, "media.grid", "focus starts on the grid");
    save(&world, &shots, "03-browser-albums");

    // The album, then its second song.
    until(&world, Key::RightArrow, "Blue Hour", |w, i| {
        item_title(w, i) == "Blue Hour"
    });
    press(&world, Key::Return);
    assert_eq!(browser_title(&world), "Blue Hour");
    hearth_tests::media::wait_for_items(&world, "the songs", 1);
    world.draw();
    press(&world, Key::RightArrow);
    assert_eq!(ring(&world), ("media.grid".to_string(), 1));
    let second = item_title(&world, 1);
    save(&world, &shots, "04-browser-album");
    press(&world, Key::Return);
    world.wait_until("the second song playing", WAIT, |w| {
        player(w).get_playing() && player(w).get_title() == second.as_str()
    });
    world.draw();
    assert_eq!(world.screen(), Screen::Player);
    assert_eq!(
        ring(&world),
        ("player.middle".to_string(), 1),
        "on play/pause"
    );
    save(&world, &shots, "05-player");

    // The media keys: next, then pause.
    world.app.physical_key(KEY_NEXTSONG, true);
    world.app.physical_key(KEY_NEXTSONG, false);
    world.wait_until("the next song", WAIT, |w| {
        player(w).get_playing() && player(w).get_title() != second.as_str()
    });
    world.app.physical_key(KEY_PLAYPAUSE, true);
    world.app.physical_key(KEY_PLAYPAUSE, false);
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());

    // Down to the bottom row and into the queue, which gets the ring; Escape closes it.
    until_in(&world, Key::DownArrow, "player.bottom", 5);
    until(&world, Key::RightArrow, "the queue button", |_, i| i == 2);
    press(&world, Key::Return);
    assert_eq!(ring(&world).0, "sheet.queue");
    save(&world, &shots, "06-queue");
    press(&world, Key::Escape);
    assert_eq!(world.screen(), Screen::Player);

    // Back to the album, to Music, home: the ring is back on Music's shelf.
    press(&world, Key::Escape);
    assert_eq!(browser_title(&world), "Blue Hour");
    assert_eq!(
        ring(&world),
        ("media.grid".to_string(), 1),
        "the album remembers"
    );
    press(&world, Key::Escape);
    assert_eq!(browser_title(&world), "Music");
    press(&world, Key::Escape);
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(ring(&world), music_shelf);

    // Up to the tiles (the row remembers Work), a long Return opens Work's actions.
    until_in(&world, Key::UpArrow, "home.tiles", 10);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 0));
    key_event(&world, &Key::Return, true);
    world.advance(700);
    world.draw();
    assert_eq!(ring(&world).0, "sheet.actions", "Work's actions are open");
    save(&world, &shots, "07-vm-actions");
    key_event(&world, &Key::Return, false);
    world.advance(30);
    assert_eq!(ring(&world).0, "sheet.actions", "letting go chose nothing");
    press(&world, Key::Escape);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 0));

    // Right past Work's actions button to Personal, OK: Personal's view; Home comes back.
    press(&world, Key::RightArrow);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 1));
    press(&world, Key::RightArrow);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 2));
    press(&world, Key::Return);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    world.app.physical_key(KEY_HOMEPAGE, true);
    world.app.physical_key(KEY_HOMEPAGE, false);
    world.settle();
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 2));
    // Not one of those keys reached a guest.
    assert_eq!(world.key_events("Work"), vec![]);
    assert_eq!(world.key_events("Personal"), vec![]);

    // A touch hides the ring; the next key brings it back where it was.
    world.app.pointer_used();
    assert_eq!(world.app.focus_ring(), None);
    press(&world, Key::LeftArrow);
    assert_eq!(ring(&world), ("home.tiles".to_string(), 2));
    assert!(world.app.window().global::<FocusAdapter>().get_shown());
}

#[test]
fn keys_alone_walk_hearth_at_1280x800() {
    walk(1280, 800);
}

#[test]
fn keys_alone_walk_hearth_at_800x480() {
    walk(800, 480);
}

//! The on-screen keyboard: tapped like a finger would, it types into the media search in German
//! ("Grüße") and Polish ("Żółć", its letters by long press and AltGr) and finds the song of
//! that title, without covering the field at 800x480; and into a real QEMU guest set to a German
//! layout it sends the physical keys a German keyboard would, to that guest alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::guest::TwoVms;
use hearth_tests::playback::library_world;
use hearth_tests::services::{TempDir, wait_for};
use hearth_ui::{MediaAdapter, OskAdapter};
use hearth_vm_bridge::libvirt::LibvirtHypervisor;
use slint::{ComponentHandle, Model};

const WAIT: Duration = Duration::from_secs(20);
const BOOT: Duration = Duration::from_secs(120);

/// Three songs, two named in German and Polish (by their file names), made once.
fn songs() -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("osk-songs-v2");
    if folder.join("done").exists() {
        return folder;
    }
    let music = folder.join("Music");
    std::fs::create_dir_all(&music).expect("a folder for songs");
    for title in ["Grüße", "Żółć", "Morning"] {
        hearth_media::samples::encode(
            "audiotestsrc num-buffers=40 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! vorbisenc ! oggmux ! filesink name=out",
            &music.join(format!("{title}.ogg")),
        )
        .expect("encoding a song");
    }
    std::fs::write(folder.join("done"), "").expect("a marker");
    folder
}

fn titles(world: &World) -> Vec<String> {
    let items = world.app.window().global::<MediaAdapter>().get_items();
    items.iter().map(|item| item.title.to_string()).collect()
}

fn keyboard_shown(world: &World) -> bool {
    world.app.window().global::<OskAdapter>().get_shown()
}

fn tap(world: &World, label: &str) {
    world.draw();
    world.tap(label);
    world.advance(30);
}

/// A long press on a key, then its first alternate.
fn alternate(world: &World, key: &str, choice: &str) {
    world.draw();
    world.long_press(key, 700);
    world.advance(30);
    tap(world, choice);
}

/// The search field's bottom and the keyboard's top, in window coordinates.
fn field_and_keyboard(world: &World, field: &str, keyboard: &str) -> (f32, f32) {
    world.draw();
    let field = world.find(field).expect("the search field");
    let panel = world.find(keyboard).expect("the keyboard");
    (
        field.absolute_position().y + field.size().height,
        panel.absolute_position().y,
    )
}

/// The music section's songs in `language` at 800x480, its search field tapped: the keyboard
/// is up.
fn searching(language: &str, songs_tab: &str, search_label: &str, dir: &TempDir) -> World {
    let media = songs();
    let world = library_world(&media, dir, 800, 480);
    world.app.set_language(language);
    world.app.open_media_shelf("music");
    world.advance(50);
    tap(&world, songs_tab);
    assert!(!keyboard_shown(&world));
    tap(&world, search_label);
    assert!(keyboard_shown(&world), "the keyboard opens for the field");
    world
}

/// Saves the screen as `name`.png under the tests' scratch folder, to be looked at.
fn save(world: &World, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("osk-screens");
    hearth_tests::media::save_screen(world, &dir, name);
}

fn finds(world: &World, title: &str) {
    let start = std::time::Instant::now();
    while !titles(world).contains(&title.to_string()) {
        assert!(
            start.elapsed() < WAIT,
            "the search did not find {title}; the grid holds {:?}",
            titles(world)
        );
        std::thread::sleep(Duration::from_millis(10));
        world.advance(10);
    }
}

#[test]
fn german_on_the_keyboard_finds_gruesse() {
    let dir = TempDir::new("osk-de");
    let world = searching("de", "Titel", "Suchen", &dir);
    let (field_bottom, keyboard_top) = field_and_keyboard(&world, "Suchen", "Bildschirmtastatur");
    assert!(
        field_bottom <= keyboard_top,
        "the keyboard ({keyboard_top}) covers the field ({field_bottom})"
    );
    tap(&world, "Umschalt");
    for key in ["G", "r", "ü", "ß", "e"] {
        tap(&world, key);
    }
    assert_eq!(
        world.app.window().global::<MediaAdapter>().get_search(),
        "Grüße"
    );
    finds(&world, "Grüße");
    save(&world, "de-800x480");
    // From the sofa: the first key shows the ring on q, Right moves to w, OK types it.
    let key = |code: u32| {
        world.app.physical_key(code, true);
        world.app.physical_key(code, false);
        world.advance(30);
    };
    key(106);
    assert_eq!(world.app.focus_ring(), Some(("osk.keys".to_string(), 0)));
    key(106);
    key(28);
    assert_eq!(
        world.app.window().global::<MediaAdapter>().get_search(),
        "Grüßew"
    );
    save(&world, "de-ring-800x480");
    tap(&world, "Rücktaste");
    // Enter closes the keyboard and leaves the results.
    tap(&world, "Eingabe");
    assert!(!keyboard_shown(&world));
    assert_eq!(titles(&world), vec!["Grüße".to_string()]);
}

#[test]
fn polish_on_the_keyboard_finds_zolc() {
    let dir = TempDir::new("osk-pl");
    let world = searching("pl", "Utwory", "Szukaj", &dir);
    let (field_bottom, keyboard_top) = field_and_keyboard(&world, "Szukaj", "Klawiatura ekranowa");
    assert!(field_bottom <= keyboard_top);
    tap(&world, "Shift");
    world.draw();
    world.long_press("Z", 700);
    world.advance(30);
    save(&world, "pl-alternates-800x480");
    tap(&world, "Ż");
    tap(&world, "AltGr");
    tap(&world, "ó");
    alternate(&world, "l", "ł");
    alternate(&world, "c", "ć");
    assert_eq!(
        world.app.window().global::<MediaAdapter>().get_search(),
        "Żółć"
    );
    finds(&world, "Żółć");
    save(&world, "pl-800x480");
}

#[test]
fn the_keyboard_types_german_keys_into_the_guest_it_was_opened_for() {
    let vms = TwoVms::start();
    let config = vms.config();
    let world = World::over(Arc::new(LibvirtHypervisor::new(config)));
    world.wait_until("both VMs listed", BOOT, |w| w.app.vms().len() == 2);
    wait_for("both guests to boot", BOOT, || {
        vms.a.ready() && vms.b.ready()
    });
    world.tap("Open vmA");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("vmA"));
    let before_a = vms.a.keys_logged().len();
    let before_b = vms.b.keys_logged().len();

    tap(&world, "Keyboard");
    assert!(keyboard_shown(&world));
    save(&world, "vm-1280x800");
    // The layout key goes from US English to German, and vmA keeps it.
    tap(&world, "Layout (English (US))");
    tap(&world, "Shift");
    for key in ["G", "r", "ü", "ß", "e"] {
        tap(&world, key);
    }
    const SHIFT: u16 = 42;
    let expected: Vec<(u16, bool)> = vec![
        (SHIFT, true),
        (34, true),
        (34, false),
        (SHIFT, false),
        (19, true),
        (19, false),
        (26, true),
        (26, false),
        (12, true),
        (12, false),
        (18, true),
        (18, false),
    ];
    wait_for("vmA to log the keys", BOOT, || {
        vms.a.keys_logged().len() >= before_a + expected.len()
    });
    assert_eq!(vms.a.keys_logged()[before_a..].to_vec(), expected);

    // Closed and opened again, the keyboard is still German for vmA.
    tap(&world, "Hide the keyboard");
    tap(&world, "Keyboard");
    world.draw();
    assert!(world.find("Layout (Deutsch)").is_some());
    tap(&world, "Hide the keyboard");

    // Over to vmB: nothing of that reached it.
    world.hotkey(slint::platform::Key::RightArrow);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("vmB"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(vms.b.keys_logged().len(), before_b, "vmB got keys");
}

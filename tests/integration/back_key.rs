//! Back (Escape on a keyboard, KEY_BACK on a remote) from every screen and sheet goes where a
//! user expects: the sheet or dialog on top closes, the player and the photo viewer go back
//! to the browser they were opened from, the browser goes up a level and then home, settings
//! goes home; home stays home; in a VM's view the key is the VM's.

use std::path::Path;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{MediaAdapter, PlayerAdapter, Screen};
use hearth_vm_bridge::keys;
use slint::ComponentHandle;
use slint::platform::Key;

const WAIT: Duration = Duration::from_secs(20);
const KEY_BACK: u32 = 158;

fn shown(world: &World, label: &str) -> bool {
    world.draw();
    world.find(label).is_some()
}

fn browser_title(world: &World) -> String {
    world
        .app
        .window()
        .global::<MediaAdapter>()
        .get_browser_title()
        .to_string()
}

fn escape(world: &World) {
    world.key_down(Key::Escape);
    world.key_up(Key::Escape);
}

fn tap(world: &World, label: &str) {
    world.tap(label);
    world.advance(50);
    world.draw();
}

/// Music's album "Blue Hour" open in the browser.
fn in_the_album(world: &World) {
    world.app.open_media_shelf("music");
    world.draw();
    tap(world, "Blue Hour");
}

/// A song of the album playing, with the player on screen.
fn playing(world: &World) {
    in_the_album(world);
    tap(world, "Morning");
    world.wait_until("the song playing", WAIT, |w| {
        w.app.window().global::<PlayerAdapter>().get_playing()
    });
}

struct Case {
    what: &'static str,
    /// Brings the screen or sheet up.
    setup: fn(&World),
    /// Where Back goes from there.
    after: fn(&World) -> bool,
}

const CASES: &[Case] = &[
    Case {
        what: "home stays home",
        setup: |_| {},
        after: |w| w.screen() == Screen::Home,
    },
    Case {
        what: "a VM's actions sheet closes, home stays",
        setup: |w| tap(w, "Actions for Work"),
        after: |w| w.screen() == Screen::Home && !shown(w, "Force off"),
    },
    Case {
        what: "a confirmation closes without doing anything",
        setup: |w| {
            tap(w, "Actions for Work");
            tap(w, "Force off");
        },
        after: |w| {
            w.screen() == Screen::Home
                && !shown(w, "Force off")
                && w.state_of("Work") == Some(hearth_vm_bridge::VmState::Running)
        },
    },
    Case {
        what: "settings go home",
        setup: |w| tap(w, "Settings"),
        after: |w| w.screen() == Screen::Home,
    },
    Case {
        what: "an album goes back to its section",
        setup: in_the_album,
        after: |w| w.screen() == Screen::Media && browser_title(w) == "Music",
    },
    Case {
        what: "a section goes home",
        setup: |w| {
            w.app.open_media_shelf("music");
            w.draw();
        },
        after: |w| w.screen() == Screen::Home,
    },
    Case {
        what: "the sort sheet closes, the browser stays",
        setup: |w| {
            w.app.open_media_shelf("photos");
            w.draw();
            tap(w, "Sort: Date");
        },
        after: |w| w.screen() == Screen::Media && !shown(w, "Name"),
    },
    Case {
        what: "the player goes back to the album it was opened from",
        setup: playing,
        after: |w| w.screen() == Screen::Media && browser_title(w) == "Blue Hour",
    },
    Case {
        what: "the queue panel closes, the player stays",
        setup: |w| {
            playing(w);
            tap(w, "Queue");
        },
        after: |w| w.screen() == Screen::Player && !shown(w, "Close the queue"),
    },
    Case {
        what: "the photo viewer goes back to its section",
        setup: |w| {
            w.app.open_media_shelf("photos");
            w.draw();
            tap(w, "Sort: Date");
            tap(w, "Name");
            tap(w, "Coast");
        },
        after: |w| w.screen() == Screen::Media && browser_title(w) == "Photos",
    },
];

/// Brings up `case` in a world of its own (one per thread, as the headless platform asks),
/// presses Back with `press`, and says whether it went where it should.
fn back_in_a_world_of_its_own(case: &'static Case, press: fn(&World)) -> bool {
    std::thread::spawn(move || {
        let media = media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
        let dir = TempDir::new("back-key");
        let world = library_world(media, &dir, 1280, 800);
        (case.setup)(&world);
        press(&world);
        world.advance(50);
        world.draw();
        (case.after)(&world)
    })
    .join()
    .expect("the case ran")
}

#[test]
fn back_from_every_screen_and_sheet_goes_where_a_user_expects() {
    for case in CASES {
        assert!(
            back_in_a_world_of_its_own(case, escape),
            "Escape: {}",
            case.what
        );
        // A remote's Back key does the same.
        let remote_back = |world: &World| {
            world.app.physical_key(KEY_BACK, true);
            world.app.physical_key(KEY_BACK, false);
        };
        assert!(
            back_in_a_world_of_its_own(case, remote_back),
            "KEY_BACK: {}",
            case.what
        );
    }
}

#[test]
fn in_a_vms_view_escape_and_back_are_the_vms() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    escape(&world);
    world.app.physical_key(KEY_BACK, true);
    world.app.physical_key(KEY_BACK, false);
    world.settle();
    assert_eq!(world.screen(), Screen::Vm);
    assert_eq!(
        world.key_events("Work"),
        vec![
            (keys::ESCAPE, true),
            (keys::ESCAPE, false),
            (keys::BROWSER_BACK, true),
            (keys::BROWSER_BACK, false),
        ]
    );
}

//! Kiosk mode: a table of escape attempts (every hotkey, every gesture, every D-Bus command,
//! the UI's own ways out, a VM stopping, the idle timeout), none of which leaves the allowed
//! places; the admin gesture and PIN, with the delay after wrong PINs surviving a restart.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use hearth::gestures::Phase;
use hearth::kiosk::KioskSettings;
use hearth::service::{Command, Refusal};
use hearth_tests::World;
use hearth_tests::services::TempDir;
use hearth_ui::{AppAdapter, KioskAdapter, Screen};
use hearth_vm_bridge::{Hypervisor, Lifecycle, VmState};
use slint::ComponentHandle;
use slint::platform::Key;

fn only_work() -> KioskSettings {
    KioskSettings::allowing(vec!["Work".into()])
}

fn kiosk_world(settings: KioskSettings, lockout: Option<PathBuf>) -> World {
    let world = World::new();
    world.app.enter_kiosk(settings, lockout);
    world.settle();
    world
}

fn assert_on_work(world: &World, attempt: &str) {
    world.settle();
    assert_eq!(world.screen(), Screen::Vm, "{attempt}: left the VM view");
    assert_eq!(
        world.shown_vm().as_deref(),
        Some("Work"),
        "{attempt}: another VM is in front"
    );
}

type Attempt = (&'static str, Box<dyn Fn(&World)>);

fn hotkey(key: impl Into<slint::SharedString>) -> Box<dyn Fn(&World)> {
    let key: slint::SharedString = key.into();
    Box::new(move |world: &World| world.hotkey(key.clone()))
}

fn attempts() -> Vec<Attempt> {
    let mut attempts: Vec<Attempt> = vec![
        ("Ctrl+Alt+Left", hotkey(Key::LeftArrow)),
        ("Ctrl+Alt+Right", hotkey(Key::RightArrow)),
        ("Ctrl+Alt+Up (home)", hotkey(Key::UpArrow)),
    ];
    for digit in ["1", "2", "3", "9"] {
        attempts.push(("Ctrl+Alt+digit", hotkey(digit)));
    }
    attempts.extend::<Vec<Attempt>>(vec![
        (
            "swipe in from the left edge",
            Box::new(|w: &World| w.swipe(1, (2.0, 300.0), (900.0, 320.0), 200, true)),
        ),
        (
            "swipe in from the right edge",
            Box::new(|w: &World| w.swipe(1, (1278.0, 400.0), (300.0, 400.0), 200, true)),
        ),
        (
            "three-finger swipe",
            Box::new(|w: &World| w.swipe(3, (700.0, 400.0), (150.0, 410.0), 200, true)),
        ),
        (
            "swipe up from the bottom (home)",
            Box::new(|w: &World| w.swipe(1, (640.0, 798.0), (650.0, 200.0), 250, true)),
        ),
        (
            "slow swipe up, held, then let go",
            Box::new(|w: &World| {
                w.swipe(1, (640.0, 798.0), (640.0, 300.0), 900, false);
                w.touch(0, Phase::Up, 640.0, 300.0);
            }),
        ),
        (
            "the UI's home button",
            Box::new(|w: &World| w.app.window().global::<AppAdapter>().invoke_go_home()),
        ),
        (
            "the UI's settings button",
            Box::new(|w: &World| w.app.window().global::<AppAdapter>().invoke_open_settings()),
        ),
        (
            "a media screen opened by someone",
            Box::new(|w: &World| w.app.open_media_shelf("videos")),
        ),
        (
            "the player screen set directly",
            Box::new(|w: &World| {
                w.app
                    .window()
                    .global::<AppAdapter>()
                    .set_screen(Screen::Player)
            }),
        ),
    ]);
    attempts
}

#[test]
fn no_hotkey_gesture_or_screen_change_leaves_the_only_vm() {
    let world = kiosk_world(only_work(), None);
    assert_on_work(&world, "start");
    assert_eq!(
        world
            .app
            .vms()
            .iter()
            .map(|vm| vm.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Work"],
        "the other VM is hidden"
    );
    for (name, attempt) in attempts() {
        attempt(&world);
        assert_on_work(&world, name);
    }
    // Nothing of the attempts reached the guest as keys of a hotkey.
    assert!(
        world
            .app
            .window()
            .global::<AppAdapter>()
            .get_settings_hidden(),
        "the settings button is hidden"
    );
}

#[test]
fn every_dbus_command_outside_the_kiosk_is_refused() {
    let world = kiosk_world(only_work(), None);
    let media = std::env::temp_dir().join("kiosk-media-that-exists");
    std::fs::create_dir_all(&media).expect("a folder");
    let refused = [
        Command::Switch("Personal".into()),
        Command::Home,
        Command::Start("Personal".into()),
        Command::Stop("Work".into()),
        Command::Stop("Personal".into()),
        Command::OpenMedia(media.display().to_string()),
    ];
    for command in refused {
        let result = world.app.command(command.clone());
        assert!(
            matches!(&result, Err(Refusal::Forbidden(text)) if text.contains("vm:Work")),
            "{command:?} was not refused as forbidden: {result:?}"
        );
        assert_on_work(&world, &format!("{command:?}"));
    }
    // What kiosk mode allows still works.
    assert_eq!(world.app.command(Command::Switch("work".into())), Ok(()));
    assert_on_work(&world, "switch to the allowed VM");
    let status = world.app.status();
    assert!(status.kiosk);
    assert_eq!(status.kiosk_targets, vec!["vm:Work"]);
    assert_eq!(status.front, "Work");
}

#[test]
fn the_only_vm_stopping_is_started_again_and_stays_in_front() {
    let world = kiosk_world(only_work(), None);
    world.sim().request(&world.vm("Work"), Lifecycle::ForceOff);
    world.wait_until("Work to stop", Duration::from_secs(10), |w| {
        w.state_of("Work") == Some(VmState::ShutOff)
    });
    world.wait_until("Work to run again", Duration::from_secs(10), |w| {
        w.state_of("Work") == Some(VmState::Running)
    });
    assert_on_work(&world, "after the VM stopped");
}

#[test]
fn with_two_vms_switching_between_them_works_and_idle_returns_to_the_start() {
    let mut settings = only_work();
    settings.vms.push("Personal".into());
    settings.idle_timeout = Some(Duration::from_secs(60));
    let world = kiosk_world(settings, None);
    assert_on_work(&world, "start");
    world.hotkey(slint::SharedString::from(Key::RightArrow));
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    // Home stays out of reach.
    world.hotkey(slint::SharedString::from(Key::UpArrow));
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    // Touches keep it awake...
    for _ in 0..3 {
        world.advance(40_000);
        world.touch(5, Phase::Down, 640.0, 400.0);
        world.touch(5, Phase::Up, 640.0, 400.0);
    }
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    // ...and a minute without any brings the start back.
    world.advance(61_000);
    assert_on_work(&world, "after the idle timeout");
}

fn lockout_file(dir: &TempDir) -> PathBuf {
    dir.path().join("state/kiosk-lockout.json")
}

fn with_pin(pin: &str) -> KioskSettings {
    let mut settings = only_work();
    settings.pin = Some(hearth::kiosk::pin::hash(pin).expect("hashed"));
    settings
}

/// Five quick taps in the top-left corner.
fn admin_gesture(world: &World) {
    for finger in 0..5 {
        world.touch(100 + finger, Phase::Down, 12.0, 12.0);
        world.touch(100 + finger, Phase::Up, 12.0, 12.0);
        world.advance(100);
    }
    world.draw();
}

fn enter_pin(world: &World, pin: &str) {
    for digit in pin.chars() {
        world.tap(&format!("PIN digit {digit}"));
    }
    world.tap("Unlock");
    world.wait_until("the PIN check", Duration::from_secs(20), |w| {
        !w.app.window().global::<KioskAdapter>().get_pin_checking()
    });
    world.draw();
}

fn pad_message(world: &World) -> String {
    world
        .app
        .window()
        .global::<KioskAdapter>()
        .get_pin_message()
        .to_string()
}

#[test]
fn wrong_pins_delay_the_pad_across_a_restart_and_the_right_pin_leaves() {
    let dir = TempDir::new("kiosk-pin");
    let lockout = lockout_file(&dir);
    let settings = with_pin("2468");
    let start = SystemTime::now();

    // First run: three wrong PINs lock the pad for 30 s.
    {
        let (settings, lockout) = (settings.clone(), lockout.clone());
        std::thread::spawn(move || {
            let world = kiosk_world(settings, Some(lockout));
            world.app.set_kiosk_clock(Rc::new(move || start));
            admin_gesture(&world);
            assert!(
                world.app.window().global::<KioskAdapter>().get_pin_open(),
                "five taps in the corner open the PIN pad"
            );
            // The corner taps never reached the guest.
            assert!(world.sim().input_received(&world.vm("Work")).is_empty());
            enter_pin(&world, "1111");
            assert_eq!(pad_message(&world), "Wrong PIN");
            enter_pin(&world, "1357");
            enter_pin(&world, "0000");
            assert_eq!(
                pad_message(&world),
                "Too many wrong PINs. Try again in 30 s"
            );
            hearth_tests::media::save_screen(
                &world,
                &std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kiosk-screens"),
                "pin-locked-en-US-1280x800",
            );
            assert!(world.app.window().global::<KioskAdapter>().get_pin_locked());
        })
        .join()
        .expect("the first run");
    }
    assert!(lockout.exists(), "the lockout is kept on disk");

    // Second run, ten seconds later: still locked; the right PIN cannot even be typed.
    std::thread::spawn(move || {
        let now = Rc::new(Cell::new(start + Duration::from_secs(10)));
        let world = kiosk_world(settings, Some(lockout));
        let clock = now.clone();
        world.app.set_kiosk_clock(Rc::new(move || clock.get()));
        admin_gesture(&world);
        assert_eq!(
            pad_message(&world),
            "Too many wrong PINs. Try again in 20 s"
        );
        world.tap("PIN digit 2");
        assert_eq!(
            world.app.window().global::<KioskAdapter>().get_pin_length(),
            0,
            "digits are refused while locked"
        );
        assert!(world.app.in_kiosk());

        // Once the delay is over, the right PIN leaves kiosk mode.
        now.set(start + Duration::from_secs(31));
        world.advance(1_000);
        assert!(!world.app.window().global::<KioskAdapter>().get_pin_locked());
        enter_pin(&world, "2468");
        assert!(!world.app.in_kiosk(), "the right PIN leaves kiosk mode");
        assert!(!world.app.window().global::<KioskAdapter>().get_pin_open());
        assert_eq!(
            world.app.notice_text(),
            "Kiosk mode is off until Hearth restarts"
        );
        let names: Vec<String> = world.app.vms().into_iter().map(|vm| vm.name).collect();
        assert_eq!(names, vec!["Work", "Personal"], "every VM is back");
        world.hotkey(slint::SharedString::from(Key::UpArrow));
        world.settle();
        assert_eq!(world.screen(), Screen::Home, "home is reachable again");
        assert!(world.find("Settings").is_some(), "settings are back");
    })
    .join()
    .expect("the second run");
}

#[test]
fn the_pin_pad_fits_both_screens_in_every_language() {
    let dir = TempDir::new("kiosk-screens");
    let world = kiosk_world(with_pin("2468"), Some(lockout_file(&dir)));
    let screens = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kiosk-screens");
    admin_gesture(&world);
    for (width, height) in [(1280, 800), (800, 480)] {
        world.resize(width, height);
        for language in ["en-US", "de", "pl"] {
            world.app.set_language(language);
            let digit = match language {
                "de" => "PIN-Ziffer",
                "pl" => "Cyfra PIN-u",
                _ => "PIN digit",
            };
            world.tap(&format!("{digit} 1"));
            world.tap(&format!("{digit} 2"));
            hearth_tests::media::save_screen(
                &world,
                &screens,
                &format!("pin-{language}-{width}x{height}"),
            );
            let unlock = world.find(match language {
                "de" => "Entsperren",
                "pl" => "Odblokuj",
                _ => "Unlock",
            });
            let unlock = unlock.expect("the unlock key is on screen");
            let bottom = unlock.absolute_position().y + unlock.size().height;
            assert!(
                bottom <= height as f32,
                "the pad fits {width}x{height} in {language}"
            );
            world.tap(match language {
                "de" => "Letzte Ziffer löschen",
                "pl" => "Usuń ostatnią cyfrę",
                _ => "Erase the last digit",
            });
            world.tap(match language {
                "de" => "Letzte Ziffer löschen",
                "pl" => "Usuń ostatnią cyfrę",
                _ => "Erase the last digit",
            });
            assert_eq!(
                world.app.window().global::<KioskAdapter>().get_pin_length(),
                0
            );
        }
    }
}

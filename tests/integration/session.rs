//! What the user had is kept on disk and restored by the next run: the screen at once, the
//! VM in front once the hypervisor lists it running, and never against the user having moved
//! on, nor outside what kiosk mode allows.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hearth::kiosk::KioskSettings;
use hearth::service::Command;
use hearth::session::{Session, SessionFile};
use hearth_tests::services::TempDir;
use hearth_tests::{World, test_sim_config};
use hearth_ui::Screen;
use hearth_vm_bridge::sim::SimHypervisor;
use slint::ComponentHandle;

fn kept(dir: &TempDir, session: &Session) -> SessionFile {
    let path = dir.path().join("state/hearth/session.json");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folder");
    std::fs::write(&path, serde_json::to_vec(session).expect("JSON")).expect("the session");
    SessionFile::new(path)
}

fn in_front(name: &str) -> Session {
    Session {
        screen: "vm".into(),
        front: Some(name.into()),
        ..Session::default()
    }
}

/// A world that restores `file`'s session before its hypervisor answers, as `hearth` does.
fn restoring(file: SessionFile, kiosk: Option<KioskSettings>) -> World {
    let world = World::unattached();
    if let Some(kiosk) = kiosk {
        world.app.enter_kiosk(kiosk, None);
    }
    world.app.keep_session(file);
    world
        .app
        .attach(Arc::new(SimHypervisor::new(test_sim_config())));
    world.settle();
    world
}

fn read(path: &Path) -> Option<Session> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

#[test]
fn the_vm_in_front_comes_back_and_the_file_follows_what_is_shown() {
    let dir = TempDir::new("session-front");
    let file = kept(&dir, &in_front("Personal"));
    let path = file.path().to_path_buf();
    let world = restoring(file, None);
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    assert_eq!(world.app.command(Command::Switch("Work".into())), Ok(()));
    world.settle();
    world.wait_until(
        "the session file to follow",
        Duration::from_secs(10),
        |_| read(&path).is_some_and(|s| s.front.as_deref() == Some("Work") && s.screen == "vm"),
    );
    world.app.go_home();
    world.wait_until("home in the session file", Duration::from_secs(10), |_| {
        read(&path).is_some_and(|s| s.front.is_none() && s.screen == "home")
    });
}

#[test]
fn the_settings_screen_is_restored_at_once() {
    let dir = TempDir::new("session-settings");
    let file = kept(
        &dir,
        &Session {
            screen: "settings".into(),
            ..Session::default()
        },
    );
    let world = World::unattached();
    world.app.keep_session(file);
    assert_eq!(
        world.screen(),
        Screen::Settings,
        "before the hypervisor answers"
    );
}

#[test]
fn a_user_who_moved_on_is_not_pulled_back() {
    let dir = TempDir::new("session-moved-on");
    let file = kept(&dir, &in_front("Personal"));
    let world = World::unattached();
    world.app.keep_session(file);
    world.app.show_settings();
    world
        .app
        .attach(Arc::new(SimHypervisor::new(test_sim_config())));
    world.settle();
    assert_eq!(world.screen(), Screen::Settings);
}

#[test]
fn kiosk_mode_restores_only_what_it_allows() {
    let dir = TempDir::new("session-kiosk");
    let file = kept(&dir, &in_front("Personal"));
    let world = restoring(file, Some(KioskSettings::allowing(vec!["Work".into()])));
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    let dir = TempDir::new("session-kiosk-allowed");
    let file = kept(&dir, &in_front("Personal"));
    drop(world);
    let world = std::thread::spawn(move || {
        let world = restoring(
            file,
            Some(KioskSettings::allowing(vec![
                "Work".into(),
                "Personal".into(),
            ])),
        );
        world.shown_vm()
    })
    .join()
    .expect("a second world");
    assert_eq!(world.as_deref(), Some("Personal"));
}

#[test]
fn a_damaged_session_is_nothing_to_restore() {
    let dir = TempDir::new("session-damaged");
    let path = dir.path().join("session.json");
    std::fs::write(&path, b"{\"screen\": \"vm\", \"front\": 7").expect("damaged");
    let world = restoring(SessionFile::new(path), None);
    assert_eq!(world.screen(), Screen::Home);
}

#[test]
fn settings_chosen_on_screen_are_kept_and_come_back() {
    let dir = TempDir::new("session-choices");
    let file = kept(&dir, &Session::default());
    let path = file.path().to_path_buf();
    {
        let world = World::unattached();
        world
            .app
            .attach_playback(hearth::config::PlaybackSettings::default());
        world.app.keep_session(file);
        world.app.show_settings();
        world.draw();
        world.tap("Swipe sideways on a video to seek");
        world.tap("Deutsch");
        world.wait_until("the choices on disk", Duration::from_secs(10), |_| {
            read(&path).is_some_and(|s| {
                s.settings.swipe_seek == Some(false)
                    && s.settings.double_tap_seek == Some(true)
                    && s.settings.language.as_deref() == Some("de")
            })
        });
    }
    // The next start: the gesture stays off (the language is chosen before the window
    // exists, by `hearth` itself, from the same file).
    let restored = std::thread::spawn(move || {
        let world = World::unattached();
        world
            .app
            .attach_playback(hearth::config::PlaybackSettings::default());
        world.app.keep_session(SessionFile::new(path.clone()));
        let player = world.app.window().global::<hearth_ui::PlayerAdapter>();
        let peeked = SessionFile::peek(&path).and_then(|s| s.settings.language);
        (
            player.get_swipe_seek(),
            player.get_double_tap_seek(),
            peeked,
        )
    })
    .join()
    .expect("the next start");
    assert_eq!(restored, (false, true, Some("de".to_string())));
}

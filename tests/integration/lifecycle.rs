//! Lifecycle actions from the home screen, their confirmations, errors in words, and the
//! language switch in settings.

use std::time::Duration;

use hearth_tests::World;
use hearth_vm_bridge::{Hypervisor, Lifecycle, VmState};

fn state_of(world: &World, name: &str) -> VmState {
    world
        .app
        .vms()
        .into_iter()
        .find(|vm| vm.name == name)
        .map(|vm| vm.state)
        .expect("VM exists")
}

#[test]
fn pausing_from_the_actions_button_and_resuming_from_a_long_press() {
    let world = World::new();
    world.tap("Actions for Work");
    world.tap("Pause");
    world.advance(20);
    assert_eq!(state_of(&world, "Work"), VmState::Paused);
    assert!(
        world.find("Pause").is_none(),
        "the sheet closes after a choice"
    );
    world.long_press("Open Work", 700);
    world.tap("Resume");
    world.advance(20);
    assert_eq!(state_of(&world, "Work"), VmState::Running);
    // A long press opens the actions, not the VM.
    assert_eq!(world.shown_vm(), None);
}

#[test]
fn shutting_down_asks_first_and_can_be_cancelled() {
    let world = World::new();
    world.tap("Actions for Personal");
    world.tap("Shut down");
    assert!(
        world.find("Shut down Personal?").is_some(),
        "a destructive action asks to confirm"
    );
    world.tap("Cancel");
    assert_eq!(state_of(&world, "Personal"), VmState::Running);
    world.tap("Actions for Personal");
    world.tap("Shut down");
    world.tap("Shut down");
    world.advance(20);
    assert_eq!(state_of(&world, "Personal"), VmState::Stopping);
    world.wait_until("Personal to shut off", Duration::from_secs(5), |w| {
        state_of(w, "Personal") == VmState::ShutOff
    });
    // Starting takes a moment and passes through Starting.
    world.tap("Actions for Personal");
    world.tap("Start");
    world.advance(20);
    assert_eq!(state_of(&world, "Personal"), VmState::Starting);
    world.wait_until("Personal to run", Duration::from_secs(5), |w| {
        state_of(w, "Personal") == VmState::Running
    });
}

#[test]
fn a_vm_that_is_off_says_so_in_its_view_and_starts_from_there() {
    let world = World::new();
    world.tap("Actions for Work");
    world.tap("Force off");
    world.tap("Force off");
    world.advance(20);
    assert_eq!(state_of(&world, "Work"), VmState::ShutOff);
    world.tap("Open Work");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    world.key("q");
    assert!(
        world.sim().input_received(&world.vm("Work")).is_empty(),
        "a VM that is off gets no input"
    );
    world.tap("Start");
    world.wait_until("Work to run", Duration::from_secs(5), |w| {
        state_of(w, "Work") == VmState::Running
    });
    world.key("q");
    assert_eq!(world.sim().typed_text(&world.vm("Work")), "q");
}

#[test]
fn errors_from_the_hypervisor_are_shown_in_words() {
    let world = World::new();
    world.sim().request(&world.vm("Work"), Lifecycle::Start);
    world.advance(20);
    assert_eq!(world.app.notice_text(), "Work is already running");
    assert!(
        world.find("Work is already running").is_some(),
        "the notice is on screen"
    );
    world.app.set_language("de");
    assert_eq!(world.app.notice_text(), "Work läuft bereits");
    world.tap("Ausblenden");
    assert_eq!(world.app.notice_text(), "");
}

#[test]
fn the_language_changes_at_runtime_from_settings() {
    let world = World::new();
    assert!(world.find("Open Work").is_some());
    world.tap("Settings");
    world.tap("Deutsch");
    world.advance(20);
    world.tap("Zurück");
    assert!(
        world.find("Work öffnen").is_some(),
        "tiles are re-labelled in German"
    );
    world.tap("Einstellungen");
    world.tap("Polski");
    world.advance(20);
    let back = hearth_ui::i18n::Translator::new("pl").tr("back");
    world.tap(&back);
    let open = hearth_ui::i18n::Translator::new("pl")
        .tr_args("open-vm", &[("name", hearth_ui::i18n::Arg::Text("Work"))]);
    assert!(
        world.find(&open).is_some(),
        "tiles are re-labelled in Polish: {open}"
    );
}

#[test]
fn the_actions_sheet_offers_what_the_new_state_allows() {
    let world = World::new();
    world.tap("Actions for Work");
    world.tap("Pause");
    world.advance(20);
    assert_eq!(state_of(&world, "Work"), VmState::Paused);
    world.tap("Actions for Work");
    world.tap("Resume");
    world.advance(20);
    assert_eq!(state_of(&world, "Work"), VmState::Running);
}

#[test]
fn errors_are_shown_over_the_vm_view_too() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.sim().request(&world.vm("Work"), Lifecycle::Resume);
    world.advance(20);
    assert_eq!(world.app.notice_text(), "Work is already running");
    assert!(
        world.find("Work is already running").is_some(),
        "the notice is on the VM view"
    );
    world.tap("Dismiss");
    assert_eq!(world.app.notice_text(), "");
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
}

//! Hearth's hotkeys switch VMs and never reach a guest; held keys are released on a switch.

use hearth_tests::World;
use hearth_ui::Screen;
use hearth_vm_bridge::{InputEvent, keys};
use slint::platform::Key;

fn no_arrow_or_digit_reached(world: &World, vm: &str) {
    for event in world.sim().input_received(&world.vm(vm)) {
        if let InputEvent::Key { key, .. } = event {
            assert!(
                ![
                    keys::ARROW_LEFT,
                    keys::ARROW_RIGHT,
                    keys::ARROW_UP,
                    keys::DIGIT_1,
                    keys::DIGIT_2
                ]
                .contains(&key),
                "{vm} received Hearth's hotkey key {key:?}"
            );
        }
    }
}

#[test]
fn ctrl_alt_arrows_digits_and_up_switch_and_go_home() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.hotkey(Key::RightArrow);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    world.hotkey(Key::LeftArrow);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    world.hotkey("2");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    world.hotkey("1");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    world.hotkey(Key::UpArrow);
    world.settle();
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(world.app.focused(), None);
    no_arrow_or_digit_reached(&world, "Work");
    no_arrow_or_digit_reached(&world, "Personal");
    // The modifiers a guest saw go down were released in it when focus left.
    assert!(world.sim().keys_held(&world.vm("Work")).is_empty());
    assert!(world.sim().keys_held(&world.vm("Personal")).is_empty());
}

#[test]
fn hotkeys_work_from_home() {
    let world = World::new();
    world.hotkey("2");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
}

#[test]
fn keys_held_during_a_switch_are_released_in_the_vm_that_had_them() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.key_down("a");
    world.key_down(Key::Shift);
    assert_eq!(
        world.sim().keys_held(&world.vm("Work")),
        vec![keys::A, keys::SHIFT_LEFT]
    );
    world.hotkey(Key::RightArrow);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    assert!(
        world.sim().keys_held(&world.vm("Work")).is_empty(),
        "keys stayed pressed in Work"
    );
    // Letting go after the switch sends nothing to Personal, which never saw the presses.
    world.key_up("a");
    world.key_up(Key::Shift);
    assert!(world.sim().input_received(&world.vm("Personal")).is_empty());
}

#[test]
fn a_second_switch_during_one_in_flight_is_queued() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.hotkey(Key::RightArrow);
    assert!(world.app.switch_in_flight());
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    // Asked for while the first transition still moves: it runs after it.
    world.hotkey("1");
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    assert_eq!(world.app.focused(), Some(world.vm("Personal")));
    world.settle();
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    assert_eq!(world.app.focused(), Some(world.vm("Work")));
    assert!(!world.app.switch_in_flight());
}

//! Hearth's hotkeys switch VMs and never reach a guest; held keys are released on a switch.

use hearth_tests::World;
use hearth_ui::Screen;
use hearth_vm_bridge::{InputEvent, keys};
use slint::platform::Key;

fn no_key_reached(world: &World, vm: &str) {
    let keys: Vec<InputEvent> = world
        .sim()
        .input_received(&world.vm(vm))
        .into_iter()
        .filter(|event| matches!(event, InputEvent::Key { .. }))
        .collect();
    assert!(keys.is_empty(), "{vm} received key events {keys:?}");
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
    // Not even the modifiers of a hotkey reach a guest.
    no_key_reached(&world, "Work");
    no_key_reached(&world, "Personal");
}

#[test]
fn lone_ctrl_and_ctrl_c_still_reach_the_focused_vm_in_order() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.key_down(Key::Control);
    world.key_up(Key::Control);
    world.key_down(Key::Control);
    world.key("c");
    world.key_up(Key::Control);
    world.hotkey(Key::RightArrow);
    world.settle();
    assert_eq!(
        world.key_events("Work"),
        vec![
            (keys::CONTROL_LEFT, true),
            (keys::CONTROL_LEFT, false),
            (keys::CONTROL_LEFT, true),
            (keys::C, true),
            (keys::C, false),
            (keys::CONTROL_LEFT, false),
        ]
    );
    no_key_reached(&world, "Personal");
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

#[test]
fn a_held_ctrl_reaches_the_guest_before_a_click() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.key_down(Key::Control);
    let position = slint::LogicalPosition::new(640.0, 400.0);
    world.pointer(position, true);
    world.pointer(position, false);
    world.key_up(Key::Control);
    let events: Vec<InputEvent> = world
        .sim()
        .input_received(&world.vm("Work"))
        .into_iter()
        .filter(|event| !matches!(event, InputEvent::PointerMove { .. }))
        .collect();
    use hearth_vm_bridge::PointerButton;
    assert_eq!(
        events,
        vec![
            InputEvent::Key {
                key: keys::CONTROL_LEFT,
                pressed: true
            },
            InputEvent::PointerButton {
                button: PointerButton::Left,
                pressed: true
            },
            InputEvent::PointerButton {
                button: PointerButton::Left,
                pressed: false
            },
            InputEvent::Key {
                key: keys::CONTROL_LEFT,
                pressed: false
            },
        ]
    );
}

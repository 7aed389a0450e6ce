//! Edge swipes, the three-finger swipe and the swipe home, with synthetic touch sequences.

use hearth::gestures::Phase;
use hearth_tests::World;
use hearth_ui::{Screen, VmAdapter};
use hearth_vm_bridge::{InputEvent, TouchPhase};
use slint::ComponentHandle;

fn open_work() -> World {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.sim().clear_input_record();
    world
}

fn no_touch_reached(world: &World, vm: &str) {
    let touches: Vec<InputEvent> = world
        .sim()
        .input_received(&world.vm(vm))
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                InputEvent::Touch {
                    phase: TouchPhase::Begin | TouchPhase::Update,
                    ..
                }
            )
        })
        .collect();
    assert!(
        touches.is_empty(),
        "{vm} received a system gesture's touches: {touches:?}"
    );
}

#[test]
fn an_edge_swipe_from_the_right_follows_the_finger_and_switches() {
    let world = open_work();
    world.touch(0, Phase::Down, 1278.0, 400.0);
    world.advance(16);
    world.touch(0, Phase::Move, 1100.0, 400.0);
    world.touch(0, Phase::Move, 900.0, 400.0);
    let adapter = world.app.window().global::<VmAdapter>();
    // Mid-swipe both VMs are on screen, Work moving left and Personal coming in.
    assert!(
        adapter.get_swipe_progress() < -0.2,
        "progress {}",
        adapter.get_swipe_progress()
    );
    assert_eq!(adapter.get_neighbour(), 1);
    world.advance(16);
    world.touch(0, Phase::Move, 600.0, 400.0);
    world.touch(0, Phase::Up, 600.0, 400.0);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    assert_eq!(adapter.get_swipe_progress(), 0.0);
    no_touch_reached(&world, "Work");
    no_touch_reached(&world, "Personal");
}

#[test]
fn an_edge_swipe_from_the_left_switches_the_other_way() {
    let world = open_work();
    world.swipe(1, (2.0, 300.0), (700.0, 320.0), 200, true);
    world.settle();
    // Two VMs: the previous one, wrapping around, is Personal.
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    world.swipe(1, (2.0, 300.0), (700.0, 320.0), 200, true);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    no_touch_reached(&world, "Work");
    no_touch_reached(&world, "Personal");
}

#[test]
fn a_swipe_cancelled_half_way_snaps_back() {
    let world = open_work();
    // Out a quarter of the screen slowly, then back towards the edge, then release.
    world.swipe(1, (1278.0, 400.0), (960.0, 400.0), 600, false);
    let adapter = world.app.window().global::<VmAdapter>();
    assert!(adapter.get_swipe_progress() < -0.2);
    world.advance(300);
    world.touch(0, Phase::Move, 1200.0, 400.0);
    world.advance(300);
    world.touch(0, Phase::Up, 1200.0, 400.0);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Work"));
    assert_eq!(adapter.get_swipe_progress(), 0.0);
    assert_eq!(adapter.get_neighbour(), -1);
    assert_eq!(world.app.focused(), Some(world.vm("Work")));
    no_touch_reached(&world, "Work");
}

#[test]
fn a_three_finger_swipe_switches_and_cancels_the_touches_the_guest_saw() {
    let world = open_work();
    world.swipe(3, (700.0, 400.0), (150.0, 410.0), 200, true);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    let work = world.sim().input_received(&world.vm("Work"));
    // The first two fingers reached Work before the third made it a gesture; Work saw them
    // cancelled and nothing of the swipe itself.
    let begins = work
        .iter()
        .filter(|e| {
            matches!(
                e,
                InputEvent::Touch {
                    phase: TouchPhase::Begin,
                    ..
                }
            )
        })
        .count();
    let cancels = work
        .iter()
        .filter(|e| {
            matches!(
                e,
                InputEvent::Touch {
                    phase: TouchPhase::Cancel,
                    ..
                }
            )
        })
        .count();
    assert_eq!((begins, cancels), (2, 2), "Work saw {work:?}");
    assert!(!work.iter().any(|e| matches!(
        e,
        InputEvent::Touch {
            phase: TouchPhase::Update,
            ..
        }
    )));
    no_touch_reached(&world, "Personal");
}

#[test]
fn a_swipe_up_from_the_bottom_goes_home() {
    let world = open_work();
    world.swipe(1, (640.0, 798.0), (650.0, 420.0), 250, true);
    world.settle();
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(world.app.focused(), None);
    no_touch_reached(&world, "Work");
}

#[test]
fn ordinary_touches_reach_the_focused_vm_in_its_coordinates() {
    let world = open_work();
    world.touch(4, Phase::Down, 640.0, 400.0);
    world.touch(4, Phase::Move, 650.0, 410.0);
    world.touch(4, Phase::Up, 650.0, 410.0);
    assert_eq!(
        world.sim().input_received(&world.vm("Work")),
        vec![
            InputEvent::Touch {
                slot: 4,
                phase: TouchPhase::Begin,
                x: 640.0,
                y: 400.0
            },
            InputEvent::Touch {
                slot: 4,
                phase: TouchPhase::Update,
                x: 650.0,
                y: 410.0
            },
            InputEvent::Touch {
                slot: 4,
                phase: TouchPhase::End,
                x: 650.0,
                y: 410.0
            },
        ]
    );
    assert!(world.sim().input_received(&world.vm("Personal")).is_empty());
}

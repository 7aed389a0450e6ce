//! Tapping tiles on the home screen, and where input goes afterwards.

use hearth_tests::World;
use hearth_ui::Screen;
use hearth_vm_bridge::{InputEvent, keys};

#[test]
fn tapping_a_tile_shows_that_vm_and_input_reaches_it_alone() {
    let world = World::new();
    assert_eq!(world.screen(), Screen::Home);
    world.tap("Open Personal");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("Personal"));
    assert_eq!(world.app.focused(), Some(world.vm("Personal")));
    for c in ["h", "i"] {
        world.key(c);
    }
    assert_eq!(world.sim().typed_text(&world.vm("Personal")), "hi");
    assert!(
        world.sim().input_received(&world.vm("Work")).is_empty(),
        "Work got input meant for Personal"
    );
    let keys: Vec<InputEvent> = world
        .sim()
        .input_received(&world.vm("Personal"))
        .into_iter()
        .filter(|event| matches!(event, InputEvent::Key { .. }))
        .collect();
    assert_eq!(
        keys,
        vec![
            InputEvent::Key {
                key: keys::H,
                pressed: true
            },
            InputEvent::Key {
                key: keys::H,
                pressed: false
            },
            InputEvent::Key {
                key: keys::I,
                pressed: true
            },
            InputEvent::Key {
                key: keys::I,
                pressed: false
            },
        ]
    );
}

#[test]
fn the_vm_view_shows_the_live_frame_of_the_vm() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    world.key("x");
    world.advance(20);
    let snapshot = world.headless.snapshot().expect("snapshot");
    // The simulated Work desktop is blue; Hearth's own background is near black.
    let pixel = snapshot.as_slice()[(400 * snapshot.width() + 640) as usize];
    assert!(
        pixel.b > 100 && pixel.b > pixel.r,
        "expected Work's blue desktop, got {pixel:?}"
    );
}

#[test]
fn mouse_input_in_the_vm_view_is_mapped_to_the_guest_screen() {
    // A 800x480 window shows the 1280x800 guest scaled down with bars at the sides.
    let world = World::with(800, 480, "en-US", hearth_tests::test_sim_config());
    world.tap("Open Work");
    world.settle();
    world.sim().clear_input_record();
    world.pointer(slint::LogicalPosition::new(400.0, 240.0), true);
    world.pointer(slint::LogicalPosition::new(400.0, 240.0), false);
    world.advance(20);
    let received = world.sim().input_received(&world.vm("Work"));
    assert!(
        received.contains(&InputEvent::PointerMove { x: 640, y: 400 }),
        "got {received:?}"
    );
    assert!(received.contains(&InputEvent::PointerButton {
        button: hearth_vm_bridge::PointerButton::Left,
        pressed: true
    }));
    assert!(world.sim().input_received(&world.vm("Personal")).is_empty());
}

#[test]
fn thumbnails_on_home_are_live() {
    let world = World::new();
    world.advance(300);
    let work = world.find("Open Work").expect("Work tile");
    let _ = work;
    let tile_has_thumbnail = |world: &World| {
        let tiles = world
            .app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms();
        use slint::Model;
        tiles.row_data(0).is_some_and(|tile| tile.has_thumbnail)
    };
    assert!(tile_has_thumbnail(&world));
    let before = {
        use slint::Model;
        world
            .app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms()
            .row_data(0)
            .map(|t| t.thumbnail)
    };
    hearth::screens::type_text(world.sim(), &world.vm("Work"), "changes");
    world.advance(300);
    let after = {
        use slint::Model;
        world
            .app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms()
            .row_data(0)
            .map(|t| t.thumbnail)
    };
    assert_ne!(
        before, after,
        "the thumbnail did not follow the VM's screen"
    );
}

use slint::ComponentHandle;

#[test]
fn a_configured_icon_stands_in_while_a_vm_shows_no_picture() {
    let world = World::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/icons/monitor.svg");
    let icon = slint::Image::load_from_path(&path).expect("the icon loads");
    world
        .app
        .set_icons([("Work".to_string(), icon.clone())].into_iter().collect());
    world.tap("Actions for Work");
    world.tap("Force off");
    world.tap("Force off");
    world.advance(400);
    let tile = {
        use slint::Model;
        world
            .app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms()
            .row_data(0)
            .expect("Work's tile")
    };
    assert!(
        tile.has_icon && !tile.has_thumbnail,
        "a VM that is off shows its icon"
    );
    assert_eq!(tile.icon, icon);
}

#[test]
fn the_cursor_a_guest_defines_is_drawn_where_it_puts_it() {
    let world = World::new();
    world.tap("Open Work");
    world.settle();
    let display = world
        .app
        .hypervisor()
        .and_then(|h| h.display(&world.vm("Work")))
        .expect("Work's display");
    let red_arrow = hearth_vm_bridge::Cursor {
        width: 2,
        height: 2,
        hot_x: 1,
        hot_y: 1,
        pixels: [0, 0, 255, 255].repeat(4),
    };
    display.set_cursor(Some(red_arrow));
    display.set_cursor_position(Some((100, 50)));
    world.advance(20);
    let adapter = world.app.window().global::<hearth_ui::VmAdapter>();
    assert!(adapter.get_has_cursor());
    assert_eq!((adapter.get_cursor_x(), adapter.get_cursor_y()), (99, 49));
    assert_eq!(
        (adapter.get_frame_width(), adapter.get_frame_height()),
        (1280, 800)
    );
    let snapshot = world.headless.snapshot().expect("snapshot");
    let pixel = snapshot.as_slice()[(49 * snapshot.width() + 99) as usize];
    assert!(
        pixel.r > 200 && pixel.b < 80,
        "the cursor is drawn in red at its place, got {pixel:?}"
    );
    display.set_cursor_position(None);
    world.advance(20);
    assert!(!adapter.get_has_cursor(), "a hidden cursor is not drawn");
}

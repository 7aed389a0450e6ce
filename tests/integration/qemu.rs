//! Two real QEMU VMs with their D-Bus displays, behind the libvirt backend (Test driver
//! domains of the same names): real frames, switching, keys to the focused VM only, and a
//! QEMU killed under Hearth.

use std::sync::Arc;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::guest::TwoVms;
use hearth_tests::services::wait_for;
use hearth_vm_bridge::VmState;
use hearth_vm_bridge::libvirt::LibvirtHypervisor;
use slint::platform::Key;

const BOOT: Duration = Duration::from_secs(120);

fn type_line(world: &World, text: &str) {
    for c in text.chars() {
        world.key(&c.to_string());
    }
    world.key("\n");
}

/// How many distinct colours the view's centre band holds: a blank screen has one.
fn colours_in_view(world: &World) -> usize {
    let image = world.headless.snapshot().expect("snapshot");
    let width = image.width() as usize;
    let pixels = image.as_slice();
    let mut colours = std::collections::BTreeSet::new();
    for y in (100..700).step_by(7) {
        for x in (100..1180).step_by(5) {
            let p = pixels[y * width + x];
            colours.insert((p.r, p.g, p.b));
        }
    }
    colours.len()
}

#[test]
fn real_vms_show_their_screens_and_only_the_focused_one_gets_keys() {
    let mut vms = TwoVms::start();
    let config = vms.config();
    let world = World::over(Arc::new(LibvirtHypervisor::new(config)));
    world.wait_until("both VMs listed", BOOT, |w| w.app.vms().len() == 2);
    wait_for("both guests to boot", BOOT, || {
        vms.a.ready() && vms.b.ready()
    });
    let hypervisor = world.app.hypervisor().expect("attached");
    let listed = world.app.vms();
    let (id_a, id_b) = (listed[0].id.clone(), listed[1].id.clone());
    world.wait_until("both screens connected", BOOT, |_| {
        [&id_a, &id_b]
            .iter()
            .all(|id| hypervisor.display(id).and_then(|d| d.size()).is_some())
    });

    // VM A's real frame, at its console's size.
    world.tap("Open vmA");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("vmA"));
    let (width, height) = hypervisor
        .display(&id_a)
        .and_then(|d| d.size())
        .expect("A's size");
    assert!(
        width >= 640 && height >= 400,
        "A's screen is {width}x{height}"
    );
    world.wait_until("A's banner on screen", BOOT, |w| colours_in_view(w) > 1);

    if let Ok(dir) = std::env::var("HEARTH_TEST_SHOTS") {
        let image = world.headless.snapshot().expect("snapshot");
        hearth::headless::write_png(&std::path::Path::new(&dir).join("qemu-vmA.png"), &image)
            .expect("png");
    }
    type_line(&world, "hello");
    wait_for("A to read the line", BOOT, || {
        vms.a.lines_typed().contains(&"hello".to_string())
    });
    assert!(
        vms.b.lines_typed().is_empty(),
        "B read {:?}",
        vms.b.lines_typed()
    );

    // Switch to B: its own frame, its own keys.
    world.hotkey(Key::RightArrow);
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("vmB"));
    world.wait_until("B's banner on screen", BOOT, |w| colours_in_view(w) > 1);
    type_line(&world, "world");
    if let Ok(dir) = std::env::var("HEARTH_TEST_SHOTS") {
        world.advance(500);
        std::thread::sleep(Duration::from_millis(500));
        world.advance(100);
        let image = world.headless.snapshot().expect("snapshot");
        hearth::headless::write_png(&std::path::Path::new(&dir).join("qemu-vmB.png"), &image)
            .expect("png");
    }
    wait_for("B to read the line", BOOT, || {
        vms.b.lines_typed().contains(&"world".to_string())
    });
    assert_eq!(
        vms.a.lines_typed(),
        vec!["hello".to_string()],
        "A got keys meant for B"
    );

    // B's QEMU dies: Hearth stays up, B is shown as crashed, A carries on.
    vms.b.process.kill();
    world.wait_until("B shown as crashed", BOOT, |w| {
        w.state_of("vmB") == Some(VmState::Crashed)
    });
    assert_eq!(world.state_of("vmA"), Some(VmState::Running));
    world.hotkey("1");
    world.settle();
    assert_eq!(world.shown_vm().as_deref(), Some("vmA"));
    type_line(&world, "again");
    wait_for("A to read after B died", BOOT, || {
        vms.a.lines_typed().contains(&"again".to_string())
    });

    // libvirt-dbus dies: the screen and the keyboard are QEMU's, and stay.
    vms.libvirt.process.kill();
    world.wait_until("libvirt shown unavailable", BOOT, |w| {
        w.hypervisor_status().ends_with("unavailable")
    });
    type_line(&world, "still");
    wait_for("A to read while libvirt is down", BOOT, || {
        vms.a.lines_typed().contains(&"still".to_string())
    });
    assert!(
        hypervisor.display(&id_a).and_then(|d| d.size()).is_some(),
        "A's screen stays"
    );
}

//! A VM with several consoles: a real QEMU guest whose virtio-vga has two heads offers both
//! in the VM view; the one chosen is shown (its own frames, told the view's size) and the
//! choice can be undone.

use std::sync::Arc;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::guest::{Hardware, Qemu, UUID_A};
use hearth_tests::services::{LibvirtDbus, PrivateBus, test_domain_xml, wait_for};
use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, LibvirtHypervisor, SelectedVm};
use hearth_vm_bridge::qemu::Viewer;
use hearth_vm_bridge::{Console, VmRole};

const BOOT: Duration = Duration::from_secs(120);

fn shown(consoles: &[Console]) -> Option<u32> {
    consoles.iter().find(|c| c.shown).map(|c| c.id)
}

#[test]
fn a_second_head_can_be_chosen_in_the_vm_view_and_shows_its_own_frames() {
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    let path = LibvirtDbus::define(&bus, &test_domain_xml("vmA", UUID_A));
    LibvirtDbus::create(&bus, &path);
    let guest = Qemu::start_with(
        &bus,
        "vmA",
        UUID_A,
        Hardware {
            vga: "none",
            devices: &["virtio-vga,max_outputs=2"],
        },
    );
    let config = LibvirtConfig {
        bus: Bus::Address(bus.address.clone()),
        connection: "Test".into(),
        vms: vec![SelectedVm {
            name: "vmA".into(),
            role: VmRole::Work,
        }],
        displays: DisplaySource::Bus(Bus::Address(bus.address.clone())),
    };
    let world = World::over(Arc::new(LibvirtHypervisor::new(config)));
    world.wait_until("vmA listed", BOOT, |w| w.app.vms().len() == 1);
    wait_for("the guest to boot", BOOT, || guest.ready());
    let hypervisor = world.app.hypervisor().expect("attached");
    let id = world.app.vms()[0].id.clone();
    world.wait_until("both heads listed", BOOT, |_| {
        hypervisor.consoles(&id).len() == 2
    });
    assert!(
        world.find("Choose a screen").is_none(),
        "no choice offered on home"
    );
    world.tap("Open vmA");
    world.settle();
    world.wait_until("the first head at the view's size", BOOT, |_| {
        hypervisor.display(&id).and_then(|d| d.size()) == Some((1280, 800))
    });
    let consoles = hypervisor.consoles(&id);
    assert_eq!(shown(&consoles), Some(consoles[0].id), "{consoles:?}");
    let second = consoles[1].clone();

    world.tap("Choose a screen");
    world.advance(50);
    if let Ok(dir) = std::env::var("HEARTH_TEST_SHOTS") {
        let image = world.headless.snapshot().expect("snapshot");
        hearth::headless::write_png(&std::path::Path::new(&dir).join("consoles.png"), &image)
            .expect("png");
    }
    world.tap(&second.label);
    world.advance(50);
    world.wait_until("the second head shown", BOOT, |_| {
        shown(&hypervisor.consoles(&id)) == Some(second.id)
    });
    world.wait_until("the second head at the view's size", BOOT, |_| {
        hypervisor.display(&id).and_then(|d| d.size()) == Some((1280, 800))
    });

    // Only the head shown is told of a new view size: Hearth's screen follows it, while the
    // first head, watched by a viewer of its own, keeps 1280x800.
    world.resize(800, 480);
    world.advance(400);
    world.wait_until("the second head at 800x480", BOOT, |_| {
        hypervisor.display(&id).and_then(|d| d.size()) == Some((800, 480))
    });
    let first = Viewer::connect(&Bus::Address(bus.address.clone()), "vmA", UUID_A)
        .expect("a viewer of the first head");
    wait_for("the first head's frame", BOOT, || {
        first.display.size().is_some()
    });
    assert_eq!(
        first.display.size(),
        Some((1280, 800)),
        "the first head kept its size"
    );

    // And back.
    world.tap("Choose a screen");
    world.advance(50);
    world.tap(&consoles[0].label);
    world.advance(50);
    world.wait_until("the first head shown again", BOOT, |_| {
        shown(&hypervisor.consoles(&id)) == Some(consoles[0].id)
    });
}

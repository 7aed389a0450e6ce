//! A VM with several consoles: a real QEMU guest whose virtio-vga has two heads offers both
//! in the VM view; the one chosen is shown (its own frames, told the view's size) and the
//! choice can be undone.

use std::time::Duration;

use hearth::gestures::Phase;
use hearth_tests::guest::{Hardware, OneVm, UUID_A};
use hearth_tests::services::wait_for;
use hearth_vm_bridge::Console;
use hearth_vm_bridge::libvirt::Bus;
use hearth_vm_bridge::qemu::Viewer;

const BOOT: Duration = Duration::from_secs(120);

fn shown(consoles: &[Console]) -> Option<u32> {
    consoles.iter().find(|c| c.shown).map(|c| c.id)
}

#[test]
fn a_second_head_can_be_chosen_in_the_vm_view_and_shows_its_own_frames() {
    let vm = OneVm::start(Hardware {
        vga: "none",
        // A tablet, so that a touch that wrongly reached the guest would show in its log.
        devices: &["virtio-vga,max_outputs=2", "virtio-tablet-pci"],
        disk: false,
    });
    // The guest's GPU driver is loaded before it is ready: from then on it follows mode hints.
    let (world, id) = vm.world();
    let hypervisor = world.app.hypervisor().expect("attached");
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

    // On a touch screen the button's corner is the UI's, not the guest's, and so is every
    // finger while the chooser is open. The guest logs input over its serial line, so what
    // the tap that opened the view moved there may still be arriving: wait until it is quiet.
    let mut before = vm.guest.input_events().len();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(300));
        let now = vm.guest.input_events().len();
        if now == before {
            break;
        }
        before = now;
    }
    assert!(
        !world.touch(0, Phase::Down, 1240.0, 40.0),
        "the corner is the button's"
    );
    assert!(!world.touch(0, Phase::Up, 1240.0, 40.0));
    world.tap("Choose a screen");
    world.advance(50);
    assert!(
        !world.touch(1, Phase::Down, 640.0, 300.0),
        "the chooser is open"
    );
    assert!(!world.touch(1, Phase::Up, 640.0, 300.0));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        vm.guest.input_events().split_off(before),
        Vec::new(),
        "the guest got touches"
    );
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
    let first = Viewer::connect(&Bus::Address(vm.bus.address.clone()), "vmA", UUID_A)
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

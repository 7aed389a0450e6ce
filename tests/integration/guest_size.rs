//! Guests sized to the view: a real QEMU guest with virtio-vga changes its resolution to the
//! size of the view Hearth shows it in, 800x480 and then 1280x800, and one that is configured
//! to keep its size, or cannot change it, is scaled instead.

use std::time::Duration;

use hearth_tests::guest::{Hardware, OneVm};

const BOOT: Duration = Duration::from_secs(120);

#[test]
fn a_virtio_vga_guest_takes_the_size_of_the_view() {
    let vm = OneVm::start(Hardware {
        vga: "virtio",
        devices: &[],
        disk: false,
    });
    // The guest's GPU driver is loaded before it is ready: from then on it follows mode hints.
    let (world, id) = vm.world();
    let hypervisor = world.app.hypervisor().expect("attached");
    let size = || hypervisor.display(&id).and_then(|d| d.size());
    world.wait_until("the guest's screen", BOOT, |_| size().is_some());

    world.resize(800, 480);
    world.tap("Open vmA");
    world.settle();
    world.wait_until("the guest at 800x480", BOOT, |_| size() == Some((800, 480)));

    world.resize(1280, 800);
    // Asked only once the size has held still.
    world.advance(400);
    world.wait_until("the guest at 1280x800", BOOT, |_| {
        size() == Some((1280, 800))
    });

    // Configured to keep its own size: the view changes, the guest does not.
    world
        .app
        .keep_guest_sizes(std::collections::BTreeSet::from(["vmA".to_string()]));
    world.resize(800, 480);
    world.advance(400);
    std::thread::sleep(Duration::from_secs(3));
    world.advance(10);
    assert_eq!(size(), Some((1280, 800)), "the guest kept its size");
}

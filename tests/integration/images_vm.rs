//! A real QEMU guest under the system's libvirtd whose disk is a VM image from the image
//! service: the guest prints the marker it reads from its disk to its serial log, so the log
//! says which version booted. Version 1 runs, version 2 downloads meanwhile and is used at the
//! next start, a rollback brings version 1 back, and a broken version 3 (it powers off at
//! once) is rolled back by Hearth on its own, with the reason on screen.

use std::path::Path;

use hearth_tests::image_guest::{
    BOOT, GuestUnderHearth, boots, force_off, image_action, start, wait_for_boots,
    wait_for_ready_badge,
};
use hearth_tests::image_service::ImageService;
use hearth_tests::images::{Nginx, Publisher};
use hearth_tests::services::{PrivateBus, ensure_system_libvirtd};
use hearth_ui::DownloadsAdapter;
use hearth_vm_bridge::VmState;
use slint::{ComponentHandle, Model};

/// A disk image whose first line is `marker`, then data shared between versions.
fn write_version(path: &Path, marker: &str) {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
        .take(2 << 20)
        .collect();
    bytes[..marker.len()].copy_from_slice(marker.as_bytes());
    bytes[marker.len()] = b'\n';
    std::fs::write(path, bytes).expect("writing a version");
}

#[test]
fn a_guest_boots_each_version_and_a_broken_one_rolls_back_by_itself() {
    ensure_system_libvirtd();
    let publisher = Publisher::new();
    let name = format!("hearth-image-{}", std::process::id());
    let v1 = publisher.path("v1.img");
    write_version(&v1, "HEARTH-IMAGE v1");
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    let service = ImageService::start_for_vm(
        &publisher,
        &bus,
        None,
        &origin.url(),
        "max_rate_kib = 2048",
        &name,
    );
    service.wait_for_phase("ready", BOOT);

    let guest = GuestUnderHearth::start(publisher.dir.path(), &bus, &name);
    let (world, serial) = (&guest.world, &guest.serial);
    world.wait_until("its image ready", BOOT, |w| {
        w.app
            .window()
            .global::<DownloadsAdapter>()
            .get_cards()
            .row_count()
            == 1
    });

    // The first start makes version 1 current and boots it.
    start(world, &name);
    wait_for_boots(world, serial, &["HEARTH-IMAGE v1"]);
    assert_eq!(service.number("Current"), 1);

    // Version 2 downloads while version 1 runs, and is used at the next start.
    let v2 = publisher.path("v2.img");
    write_version(&v2, "HEARTH-IMAGE v2");
    publisher.publish("work", &v2, &[]);
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", BOOT);
    wait_for_ready_badge(world, &name);
    assert_eq!(world.state_of(&name), Some(VmState::Running));
    assert_eq!(boots(serial), ["HEARTH-IMAGE v1"]);
    force_off(world, &name);
    start(world, &name);
    wait_for_boots(world, serial, &["HEARTH-IMAGE v1", "HEARTH-IMAGE v2"]);
    assert_eq!(service.number("Current"), 2);

    // Rollback from the image's sheet brings version 1 back.
    force_off(world, &name);
    image_action(world, &name, "Go back to version 1 as you left it");
    wait_for_boots(
        world,
        serial,
        &["HEARTH-IMAGE v1", "HEARTH-IMAGE v2", "HEARTH-IMAGE v1"],
    );
    assert_eq!(service.number("Current"), 1);

    // Version 3 powers off as soon as it boots: Hearth goes back to version 1 by itself.
    let v3 = publisher.path("v3.img");
    write_version(&v3, "HEARTH-IMAGE v3 PANIC");
    publisher.publish("work", &v3, &[]);
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", BOOT);
    wait_for_ready_badge(world, &name);
    force_off(world, &name);
    start(world, &name);
    // Version 3 booted, powered off at once, and version 1 started again.
    wait_for_boots(
        world,
        serial,
        &[
            "HEARTH-IMAGE v1",
            "HEARTH-IMAGE v2",
            "HEARTH-IMAGE v1",
            "HEARTH-IMAGE v3 PANIC",
            "HEARTH-IMAGE v1",
        ],
    );
    assert_eq!(service.number("Current"), 1);
    assert_eq!(service.number("Declined"), 3);
    // The reason stays in the image's history (the notice on screen fades after a while).
    let history = service.property("History");
    let last = history.as_array().and_then(|h| h.last()).cloned().unwrap();
    assert_eq!(
        (last[0].as_u64(), last[1].as_str()),
        (Some(3), Some("rolled_back"))
    );
    // libvirt reports the guest's sudden power-off as a crash or a shutdown.
    let reason = last[3].as_str().unwrap();
    assert!(
        reason.starts_with("Version 3 crashed ")
            || reason.starts_with("Version 3 shut off by itself "),
        "{last}"
    );
    force_off(world, &name);
}

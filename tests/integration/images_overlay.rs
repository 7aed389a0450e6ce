//! Versions stay as IT signed them. A real QEMU guest under the system's libvirtd runs on an
//! overlay over its image version and keeps its user's data on a data disk: it writes 200 MiB
//! over its system disk under version 1, yet version 1 keeps its published hash and the update
//! to version 2 costs what it costs a device that never ran version 1. The data disk reads
//! back byte for byte after the update, a rollback as left (which has the writes), a reset and
//! a rollback as shipped (which have none). A write to a version from outside is reported by
//! `hearth-image verify --installed` and seeds nothing; a version that does not fit once the
//! data disk's room is counted is refused before a byte is written.

use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use hearth_tests::World;
use hearth_tests::image_guest::{
    BOOT, GuestUnderHearth, boots, force_off, image_action, serial_lines, start,
    wait_for_ready_badge, wait_for_serial,
};
use hearth_tests::image_service::ImageService;
use hearth_tests::images::{
    Nginx, Publisher, SmallDisk, b3, fetch, hearth_image, outcome, used_bytes,
};
use hearth_tests::services::{PrivateBus, ensure_system_libvirtd};
use hearth_vm_bridge::VmState;

const MIB: u64 = 1 << 20;
const IMAGE_SIZE: u64 = 256 * MIB;
/// Stretches of data in each version, 256 KiB each, 8 MiB apart from 6 MiB on: most of them
/// under the guest's 200 MiB of writes.
const ISLANDS: u64 = 32;

/// A sparse 256 MiB version: `marker` on its first line, then the islands; those in
/// `changed` differ from version 1's.
fn write_version(path: &Path, marker: &str, changed: &[u64], seed: u64) {
    let file = std::fs::File::create(path).expect("creating a version");
    file.set_len(IMAGE_SIZE).unwrap();
    for island in 0..ISLANDS {
        let seed = if changed.contains(&island) { seed } else { 0 };
        let mut rng = fastrand::Rng::with_seed(island * 1000 + seed);
        let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
            .take(256 << 10)
            .collect();
        file.write_all_at(&bytes, (6 + 8 * island) * MIB).unwrap();
    }
    file.write_all_at(format!("{marker}\n").as_bytes(), 0)
        .unwrap();
}

/// Bytes the origin sent after the first `mark` requests of its log.
fn sent_since(origin: &Nginx, mark: usize) -> u64 {
    origin.settled_log()[mark..].iter().map(|r| r.bytes).sum()
}

fn allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map_or(0, |m| m.blocks() * 512)
}

/// Waits for the guest's `count`th `WRITTEN` (its 200 MiB and marker are on disk).
fn wait_for_writes(world: &World, serial: &Path, count: usize) {
    wait_for_serial(world, serial, &format!("write #{count}"), |serial| {
        serial_lines(serial, "WRITTEN").len() >= count
    });
}

#[test]
fn versions_stay_as_signed_while_the_vm_writes_to_its_overlay_and_data_disk() {
    ensure_system_libvirtd();
    let publisher = Publisher::new();
    let name = format!("hearth-overlay-{}", std::process::id());
    let v1 = publisher.path("v1.img");
    write_version(&v1, "HEARTH-IMAGE v1", &[], 0);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    // A device that gets version 1 and never runs it.
    let pristine = publisher.path("pristine");
    let first = fetch(&pristine, &publisher.public_key, &[origin.url()], &[]);
    assert_eq!(outcome(&first)["version"], 1, "{first:?}");

    // The device's image folder on a disk of its own, so that space can run out.
    let device = publisher.path("device");
    let disk = SmallDisk::mount_at(&device, 1024);
    let bus = PrivateBus::start();
    let service = ImageService::start_with_image_keys(
        &publisher,
        &bus,
        None,
        &origin.url(),
        "",
        &name,
        "data_disk = { size_mib = 64 }\nkeep_free_mib = 16",
    );
    service.wait_for_phase("ready", BOOT);
    let folder = device.join("work");
    let data_file = folder.join("data.img");
    assert_eq!(std::fs::metadata(&data_file).unwrap().len(), 64 * MIB);
    assert!(allocated(&data_file) < MIB, "the data disk is not sparse");

    let guest = GuestUnderHearth::start(publisher.dir.path(), &bus, &name);
    let (world, serial) = (&guest.world, guest.serial.as_path());

    // Version 1 runs and writes 200 MiB over its system disk: into its overlay.
    start(world, &name);
    wait_for_writes(world, serial, 1);
    force_off(world, &name);
    let version_1 = folder.join("versions/1.img");
    assert_eq!(b3(&version_1), b3(&v1), "version 1 was written to");
    let mode = std::fs::metadata(&version_1).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "version 1 is writable: {mode:o}");
    assert!(allocated(&folder.join("overlays/1.qcow2")) > 200 * MIB);

    // The update costs what it costs a device that never ran version 1.
    let v2 = publisher.path("v2.img");
    write_version(&v2, "HEARTH-IMAGE v2", &[3, 17], 2);
    publisher.publish("work", &v2, &[]);
    let mark = origin.settled_log().len();
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", BOOT);
    let used = sent_since(&origin, mark);
    assert!(service.number("BytesReused") > 0);
    let mark = origin.settled_log().len();
    let second = fetch(&pristine, &publisher.public_key, &[origin.url()], &[]);
    assert_eq!(outcome(&second)["version"], 2, "{second:?}");
    let never_run = sent_since(&origin, mark);
    let difference = used.abs_diff(never_run) as f64 / never_run as f64;
    assert!(
        difference <= 0.02,
        "the device that ran version 1 fetched {used} bytes, one that never ran it {never_run}"
    );

    // Version 2 starts on a fresh overlay, with the data disk as version 1 left it.
    wait_for_ready_badge(world, &name);
    start(world, &name);
    wait_for_writes(world, serial, 2);
    force_off(world, &name);
    // Back to version 1 as it was left: with what was written under it.
    image_action(world, &name, "Go back to version 1 as you left it");
    wait_for_serial(world, serial, "the third boot's overlay", |serial| {
        serial_lines(serial, "LEFT").len() == 3
    });
    force_off(world, &name);
    // Reset to version 1 as shipped: none of it.
    image_action(world, &name, "Reset version 1 as shipped");
    wait_for_writes(world, serial, 3);
    force_off(world, &name);
    // Version 3 made current while the VM is off, then back to version 1 as shipped.
    let v3 = publisher.path("v3.img");
    write_version(&v3, "HEARTH-IMAGE v3", &[5], 3);
    publisher.publish("work", &v3, &[]);
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", BOOT);
    service.call("Activate", &[]);
    world.wait_until("Hearth to see version 3 current", BOOT, |w| {
        w.app
            .downloads()
            .and_then(|d| d.image_of_vm(&name))
            .is_some_and(|i| i.current == 3)
    });
    image_action(world, &name, "Go back to version 1 as shipped");
    wait_for_writes(world, serial, 4);

    let v1_marker = "HEARTH-IMAGE v1";
    let v2_marker = "HEARTH-IMAGE v2";
    assert_eq!(
        boots(serial),
        [v1_marker, v2_marker, v1_marker, v1_marker, v1_marker]
    );
    assert_eq!(
        serial_lines(serial, "LEFT"),
        ["", "", &format!("WROTE {v1_marker}"), "", ""]
    );
    let data = serial_lines(serial, "DATA");
    assert_eq!(data.len(), 5, "{data:?}");
    assert!(
        data.iter().all(|line| *line == data[0] && line.len() > 40),
        "the data disk changed between boots: {data:?}"
    );
    assert_eq!(b3(&version_1), b3(&v1));

    // A write to version 1 from outside: reported, and it seeds nothing from here on.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&version_1)
        .expect("root opens a read-only file for writing")
        .write_all_at(b"tampered", 6 * MIB)
        .unwrap();
    let verify = Command::new(hearth_image())
        .args(["verify", "--installed", "--image", "work", "--state"])
        .arg(&device)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&verify.stdout);
    assert!(!verify.status.success(), "{printed}");
    assert!(printed.contains("work version 1: damaged"), "{printed}");
    assert!(String::from_utf8_lossy(&verify.stderr).contains("is damaged"));
    let tampered = b3(&version_1);

    // Version 4 would fit in what is free, but not beside the data disk's room to grow.
    let v4 = publisher.path("v4.img");
    write_version(&v4, "HEARTH-IMAGE v4", &[9], 4);
    publisher.publish("work", &v4, &[]);
    disk.resize(used_bytes(&device) + 40 * MIB);
    service.call("CheckNow", &[]);
    service.wait_for_phase("failed", BOOT);
    let error = service.text("LastError");
    assert!(
        error.contains("version 4 of work needs") && error.contains("for the data disk"),
        "{error}"
    );
    let staged: Vec<_> = std::fs::read_dir(folder.join("staging"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(staged.is_empty(), "half a download was left: {staged:?}");
    assert_eq!(world.state_of(&name), Some(VmState::Running));
    assert_eq!((service.number("Current"), b3(&version_1)), (1, tampered));

    // With room again it downloads, from nothing: the damaged version gives no chunk.
    disk.resize(1024 * MIB);
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", BOOT);
    assert_eq!(service.number("Ready"), 4);
    assert_eq!(service.number("BytesReused"), 0);
    assert_eq!(b3(&folder.join("versions/4.img")), b3(&v4));
    force_off(world, &name);
}

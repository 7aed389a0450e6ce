//! Delta frames compressed against the base version's content at the same places: a block
//! changed in place costs about its difference, and a base that changed on the device since
//! it was installed seeds nothing rather than a wrong byte.

use std::os::unix::fs::FileExt;
use std::path::Path;

use hearth_tests::images::{
    Nginx, Publisher, Request, assert_succeeded, b3, device_state, fetch, hearth_image, outcome,
    run_ok,
};

/// Incompressible data, like the packages and archives on a system disk.
const RANDOM: usize = 6 << 20;
const SIZE: usize = 8 << 20;

/// Version 1: random bytes, then free space. Version 2: one byte in every 32 KiB of the
/// random bytes changed in place, so every one of their chunks is new.
fn versions(publisher: &Publisher) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut rng = fastrand::Rng::with_seed(11);
    let mut image = vec![0u8; SIZE];
    rng.fill(&mut image[..RANDOM]);
    let v1 = publisher.path("v1.img");
    std::fs::write(&v1, &image).unwrap();
    for at in (1000..RANDOM).step_by(32 << 10) {
        image[at] ^= 0x5a;
    }
    let v2 = publisher.path("v2.img");
    std::fs::write(&v2, &image).unwrap();
    (v1, v2)
}

fn install_version_1(publisher: &Publisher, v1: &Path, mirrors: &[String], device: &Path) {
    let first = fetch(device, &publisher.public_key, mirrors, &["--activate"]);
    assert_succeeded(&first);
    assert_eq!(b3(&device.join("work/versions/1.img")), b3(v1));
}

fn data(requests: &[Request]) -> u64 {
    requests
        .iter()
        .filter(|r| !r.is_metadata())
        .map(|r| r.bytes)
        .sum()
}

#[test]
fn a_block_changed_in_place_costs_its_difference_not_its_size() {
    let publisher = Publisher::new();
    let (v1, v2) = versions(&publisher);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let mirrors = [origin.url()];
    let (by_pack, by_chunk) = (
        publisher.path("device-pack"),
        publisher.path("device-chunk"),
    );
    for device in [&by_pack, &by_chunk] {
        install_version_1(&publisher, &v1, &mirrors, device);
    }

    publisher.publish("work", &v2, &[]);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(publisher.store.join(publisher.current().1)).unwrap(),
    )
    .unwrap();
    let delta = manifest["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pack| pack["from"] == 1)
        .expect("a pack for devices on version 1");
    for frame in delta["frames"].as_array().unwrap() {
        assert!(
            !frame[3].as_array().unwrap().is_empty(),
            "every frame of the delta refers to version 1's chunks: {frame}"
        );
    }

    let before = origin.settled_log().len();
    let pack = outcome(&fetch(&by_pack, &publisher.public_key, &mirrors, &[]));
    let pack_requests = origin.settled_log()[before..].to_vec();
    let chunk = outcome(&fetch(
        &by_chunk,
        &publisher.public_key,
        &mirrors,
        &["--no-packs"],
    ));
    let chunk_requests = origin.settled_log()[before + pack_requests.len()..].to_vec();
    assert_eq!(pack["outcome"], "ready", "{pack}");
    assert_eq!(chunk["outcome"], "ready", "{chunk}");
    for device in [&by_pack, &by_chunk] {
        assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));
        assert_eq!(b3(&device.join("work/versions/1.img")), b3(&v1));
    }
    // Single chunks bring every changed chunk whole; the pack brings about the changed bytes.
    assert!(
        data(&chunk_requests) > RANDOM as u64 * 9 / 10,
        "{chunk_requests:?}"
    );
    assert!(
        data(&pack_requests) * 20 < data(&chunk_requests),
        "pack {} bytes, single chunks {} bytes",
        data(&pack_requests),
        data(&chunk_requests)
    );
    assert!(pack_requests.iter().all(|r| !r.uri.starts_with("/chunks/")));

    // The publisher's own check decodes each delta frame against version 1 in the store.
    run_ok(
        std::process::Command::new(hearth_image())
            .args(["verify", "--image", "work", "--store"])
            .arg(&publisher.store)
            .arg("--public-key")
            .arg(&publisher.public_key),
    );
}

#[test]
fn a_base_changed_on_the_device_seeds_nothing_and_costs_no_wrong_byte() {
    let publisher = Publisher::new();
    let (v1, v2) = versions(&publisher);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let mirrors = [origin.url()];
    let device = publisher.path("device");
    install_version_1(&publisher, &v1, &mirrors, &device);
    // Something wrote to the installed version from outside (versions are read-only and
    // VMs write to overlays, so only that can): a megabyte is no longer what was verified.
    let installed = std::fs::OpenOptions::new()
        .write(true)
        .open(device.join("work/versions/1.img"))
        .expect("root opens a read-only file for writing");
    installed
        .write_all_at(&vec![0xee; 1 << 20], 2 << 20)
        .unwrap();
    drop(installed);

    publisher.publish("work", &v2, &[]);
    let before = origin.settled_log().len();
    let output = fetch(&device, &publisher.public_key, &mirrors, &[]);
    let requests = origin.settled_log()[before..].to_vec();
    let ready = outcome(&output);
    assert_eq!(ready["outcome"], "ready", "{ready}");
    assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));
    assert_eq!(device_state(&device)["ready"], 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("version 1 is not used as a base"),
        "the log says why nothing was seeded: {stderr}"
    );
    // Not one chunk of it, not even those it still has right: version 2 came whole, by
    // the pack for a first install.
    assert_eq!(ready["reused"], 0, "{ready}");
    let packs: Vec<&Request> = requests
        .iter()
        .filter(|r| r.uri.starts_with("/packs/"))
        .collect();
    assert!(!packs.is_empty(), "{requests:?}");
}

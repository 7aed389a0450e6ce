//! Publishing versions into a store served by nginx, and devices fetching them: a first
//! install, a delta by pack and by single chunks, a qcow2 input; the manifest checks out with
//! Debian's minisign.

use std::process::Command;

use hearth_tests::images::{
    Nginx, Publisher, assert_succeeded, b3, change_image, device_state, fetch, fetch_command,
    hearth_image, outcome, run_ok, write_image,
};

const SIZE: usize = 24 << 20;

fn ready(output: &std::process::Output) -> serde_json::Value {
    assert_succeeded(output);
    outcome(output)
}

#[test]
fn devices_install_and_update_by_pack_or_by_chunk_with_verified_bytes() {
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 1, SIZE);
    change_image(&v1, &v2, 2);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let mirrors = [origin.url()];

    // Two devices install version 1 from nothing.
    let (by_pack, by_chunk) = (
        publisher.path("device-pack"),
        publisher.path("device-chunk"),
    );
    for device in [&by_pack, &by_chunk] {
        let first = ready(&fetch(
            device,
            &publisher.public_key,
            &mirrors,
            &["--activate"],
        ));
        assert_eq!(first["version"], 1);
        assert_eq!(first["reused"], 0);
        assert_eq!(b3(&device.join("work/versions/1.img")), b3(&v1));
        assert_eq!(device_state(device)["current"], 1);
    }

    publisher.publish("work", &v2, &[]);
    let log_before = origin.settled_log().len();
    let pack = ready(&fetch(&by_pack, &publisher.public_key, &mirrors, &[]));
    let pack_requests = origin.settled_log()[log_before..].to_vec();
    let chunk = ready(&fetch(
        &by_chunk,
        &publisher.public_key,
        &mirrors,
        &["--no-packs"],
    ));
    let chunk_requests = origin.settled_log()[log_before + pack_requests.len()..].to_vec();

    for device in [&by_pack, &by_chunk] {
        assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));
        let state = device_state(device);
        assert_eq!(
            (state["current"].as_u64(), state["ready"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(
            b3(&device.join("work/versions/1.img")),
            b3(&v1),
            "the version in use is untouched"
        );
    }
    let data = |requests: &[hearth_tests::images::Request]| -> u64 {
        requests
            .iter()
            .filter(|r| !r.is_metadata())
            .map(|r| r.bytes)
            .sum()
    };
    // What nginx sent is what the agent planned, and most of the image came from version 1.
    assert_eq!(data(&pack_requests), pack["planned"].as_u64().unwrap());
    assert_eq!(data(&chunk_requests), chunk["planned"].as_u64().unwrap());
    // What it reports as fetched is every byte that came: the data, the channel, the manifest
    // and its signature.
    for (outcome, requests) in [(&pack, &pack_requests), (&chunk, &chunk_requests)] {
        let sent: u64 = requests.iter().map(|r| r.bytes).sum();
        assert_eq!(outcome["fetched"].as_u64(), Some(sent), "{outcome}");
    }
    assert!(
        pack["reused"].as_u64().unwrap() > (SIZE as u64) / 2,
        "{pack}"
    );
    assert!(
        pack_requests
            .iter()
            .all(|r| r.status == 200 || r.status == 206)
    );
    assert!(
        pack_requests
            .iter()
            .any(|r| r.uri.starts_with("/packs/") && r.status == 206)
    );
    assert!(chunk_requests.iter().all(|r| !r.uri.starts_with("/packs/")));
    // The pack costs fewer bytes and far fewer requests than single chunks.
    assert!(
        data(&pack_requests) < data(&chunk_requests),
        "pack {pack} chunks {chunk}"
    );
    assert!(
        pack_requests.len() * 4 < chunk_requests.len(),
        "{} vs {}",
        pack_requests.len(),
        chunk_requests.len()
    );

    // A third fetch finds nothing newer.
    let again = ready(&fetch(&by_pack, &publisher.public_key, &mirrors, &[]));
    assert_eq!(again["outcome"], "up_to_date");

    // The publisher's own check, and Debian's minisign, accept the store.
    run_ok(
        Command::new(hearth_image())
            .args(["verify", "--image", "work", "--store"])
            .arg(&publisher.store)
            .arg("--public-key")
            .arg(&publisher.public_key),
    );
    let manifest = publisher.store.join(publisher.current().1);
    let minisign = run_ok(
        Command::new("minisign")
            .arg("-Vm")
            .arg(&manifest)
            .arg("-p")
            .arg(&publisher.public_key),
    );
    let said = String::from_utf8_lossy(&minisign.stdout);
    assert!(said.contains("image=work version=2"), "{said}");
}

#[test]
fn verify_names_a_damaged_file_and_fetch_reports_progress_as_json_lines() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 4, 8 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);

    let device = publisher.path("device");
    let output = fetch(
        &device,
        &publisher.public_key,
        &[origin.url()],
        &["--progress"],
    );
    assert_succeeded(&output);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    let (last, progress) = lines.split_last().unwrap();
    assert_eq!(last["outcome"], "ready");
    assert_eq!(progress.first().unwrap()["phase"], "checking");
    assert!(progress.iter().all(|line| line["image"] == "work"));

    let chunk = std::fs::read_dir(publisher.store.join("chunks"))
        .unwrap()
        .flatten()
        .flat_map(|folder| std::fs::read_dir(folder.path()).unwrap().flatten())
        .next()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&chunk).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&chunk, bytes).unwrap();
    let verify = Command::new(hearth_image())
        .args(["verify", "--image", "work", "--store"])
        .arg(&publisher.store)
        .arg("--public-key")
        .arg(&publisher.public_key)
        .output()
        .unwrap();
    assert!(!verify.status.success());
    let stderr = String::from_utf8_lossy(&verify.stderr);
    let name = chunk.file_name().unwrap().to_string_lossy();
    assert!(
        stderr.contains(&*name) && stderr.contains("failed verification"),
        "{stderr}"
    );
}

#[test]
fn a_qcow2_image_is_published_as_the_guest_sees_it() {
    let publisher = Publisher::new();
    let raw = publisher.path("v1.img");
    write_image(&raw, 5, 8 << 20);
    let qcow2 = publisher.path("v1.qcow2");
    run_ok(
        Command::new("qemu-img")
            .args(["convert", "-q", "-f", "raw", "-O", "qcow2"])
            .arg(&raw)
            .arg(&qcow2),
    );
    publisher.publish("work", &qcow2, &[]);
    let origin = Nginx::origin(&publisher.store);
    let device = publisher.path("device");
    ready(&fetch(&device, &publisher.public_key, &[origin.url()], &[]));
    assert_eq!(b3(&device.join("work/versions/1.img")), b3(&raw));
}

#[test]
fn versions_only_go_up_and_keys_are_never_overwritten() {
    let publisher = Publisher::new();
    let raw = publisher.path("v1.img");
    write_image(&raw, 6, 2 << 20);
    publisher.publish("work", &raw, &["--version", "5"]);
    let refused = Command::new(hearth_image())
        .args(["publish", "--image", "work", "--version", "5", "--store"])
        .arg(&publisher.store)
        .arg("--secret-key")
        .arg(&publisher.secret_key)
        .arg(&raw)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not newer than the published version 5")
    );
    // A version is cut like the one before it unless told otherwise, so versions share chunks.
    let smaller = publisher.path("v6.img");
    write_image(&smaller, 16, 2 << 20);
    publisher.publish("work", &smaller, &["--average-chunk", "16384"]);
    publisher.publish("work", &raw, &[]);
    let (version, path) = publisher.current();
    assert_eq!(version, 7);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(publisher.store.join(path)).unwrap()).unwrap();
    assert_eq!(manifest["chunking"]["avg"], 16384);

    let keygen = Command::new(hearth_image())
        .arg("keygen")
        .arg("--secret-key")
        .arg(&publisher.secret_key)
        .arg("--public-key")
        .arg(publisher.path("other.pub"))
        .output()
        .unwrap();
    assert!(!keygen.status.success());
    assert!(String::from_utf8_lossy(&keygen.stderr).contains("never overwritten"));
}

#[test]
fn one_agent_works_on_a_device_folder_at_a_time() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 7, 8 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let device = publisher.path("device");
    let mut slow = fetch_command(
        &device,
        &publisher.public_key,
        &[origin.url()],
        &["--limit-rate", "200000"],
    );
    slow.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _running = hearth_tests::services::Process::spawn("hearth-image fetch", &mut slow);
    hearth_tests::services::wait_for(
        "the first fetch to hold the folder",
        std::time::Duration::from_secs(10),
        || {
            device
                .join("work/staging")
                .read_dir()
                .is_ok_and(|mut entries| entries.next().is_some())
        },
    );
    let second = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another hearth-image is working in"));
    // Activation only changes the state, under a lock of its own: it is answered at once
    // mid-download (here with why it cannot: nothing is ready yet).
    let activate = Command::new(hearth_image())
        .args(["activate", "--image", "work", "--state"])
        .arg(&device)
        .output()
        .unwrap();
    assert!(!activate.status.success());
    assert!(String::from_utf8_lossy(&activate.stderr).contains("no version is ready to activate"));
}

#[test]
fn a_watching_agent_fetches_each_new_version_as_it_is_published() {
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 8, 6 << 20);
    change_image(&v1, &v2, 9);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let device = publisher.path("device");
    let mut watching = fetch_command(
        &device,
        &publisher.public_key,
        &[origin.url()],
        &["--every", "1", "--activate"],
    );
    watching
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _agent =
        hearth_tests::services::Process::spawn("hearth-image fetch --every", &mut watching);
    let state_file = device.join("work/state.json");
    let current = |version: u64| {
        let state_file = state_file.clone();
        move || {
            std::fs::read(&state_file)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .is_some_and(|state| state["current"] == version)
        }
    };
    hearth_tests::services::wait_for(
        "version 1 to be current",
        std::time::Duration::from_secs(30),
        current(1),
    );
    publisher.publish("work", &v2, &[]);
    hearth_tests::services::wait_for(
        "version 2 to be current",
        std::time::Duration::from_secs(30),
        current(2),
    );
    assert_eq!(b3(&publisher.path("device/work/versions/2.img")), b3(&v2));
}

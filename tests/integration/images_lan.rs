//! Devices on one local network: each in a network namespace of its own on a bridge, the
//! origin on the bridge's host, mDNS between them. A device that has the new version
//! announces it; another finds it without being told and takes the version from it.

use std::path::PathBuf;
use std::process::Command;

use hearth_tests::images::{
    Publisher, assert_succeeded, b3, change_image, fetch_args, hearth_image, outcome, run_ok,
    write_image,
};
use hearth_tests::lab::{Lab, LabOrigin};
use hearth_tests::peers::Share;

/// A lab of `devices` devices, version 1 published and installed on each of them, then
/// version 2 published.
struct Office {
    lab: Lab,
    publisher: Publisher,
    origin: LabOrigin,
    devices: Vec<PathBuf>,
    v2: PathBuf,
}

impl Office {
    fn new(devices: usize, seed: u64, size: usize) -> Office {
        let lab = Lab::new(devices);
        let publisher = Publisher::new();
        let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
        write_image(&v1, seed, size);
        change_image(&v1, &v2, seed + 1);
        publisher.publish("work", &v1, &[]);
        let origin = lab.origin(&publisher.store);
        let devices: Vec<PathBuf> = (0..devices)
            .map(|index| publisher.path(&format!("device-{index}")))
            .collect();
        let office = Office {
            lab,
            publisher,
            origin,
            devices,
            v2,
        };
        for index in 0..office.devices.len() {
            run_ok(&mut office.fetch(index, &["--activate"]));
        }
        office.publisher.publish("work", &office.v2, &[]);
        office
    }

    /// `hearth-image fetch` on device `index`, from the origin.
    fn fetch(&self, index: usize, extra: &[&str]) -> Command {
        let mut command = self.lab.on_device(index, &hearth_image());
        command.args(fetch_args(
            &self.devices[index],
            &self.publisher.public_key,
            &[self.origin.url()],
            extra,
        ));
        command
    }

    /// `hearth-image share --announce` on device `index`.
    fn share(&self, index: usize) -> Share {
        let mut command = self.lab.on_device(index, &hearth_image());
        command.args(["share", "--listen", "0.0.0.0:47390"]);
        Share::run(
            command,
            &self.devices[index],
            &["--announce", "--interface", "eth0"],
        )
    }
}

#[test]
fn a_device_finds_a_peer_over_mdns_and_updates_from_it() {
    let office = Office::new(2, 41, 16 << 20);
    run_ok(&mut office.fetch(0, &["--activate"]));
    let _share = office.share(0);
    let before = office.origin.settled_log().len();

    let output = office
        .fetch(1, &["--discover", "10", "--interface", "eth0"])
        .output()
        .expect("running hearth-image fetch");
    assert_succeeded(&output);
    let outcome = outcome(&output);

    let from_peers = outcome["peers"]["bytes"].as_u64().unwrap();
    let from_origin = outcome["fetched"].as_u64().unwrap();
    assert!(
        from_peers as f64 >= 0.9 * (from_peers + from_origin) as f64,
        "at least 90 % from the peer found over mDNS: {outcome}"
    );
    assert_eq!(
        data_bytes(&office.origin.settled_log()[before..]),
        0,
        "the origin sent only metadata"
    );
    assert_eq!(
        b3(&office.devices[1].join("work/versions/2.img")),
        b3(&office.v2)
    );
}

#[test]
fn devices_updating_at_the_same_time_share_the_download_from_the_origin() {
    const DEVICES: usize = 3;
    // One more device, to measure one device's delta alone at the end.
    let office = Office::new(DEVICES + 1, 43, 24 << 20);
    let _shares: Vec<Share> = (0..DEVICES).map(|index| office.share(index)).collect();
    let before = office.origin.settled_log().len();

    let fetches: Vec<_> = (0..DEVICES)
        .map(|index| {
            office
                .fetch(index, &["--discover", "10", "--interface", "eth0"])
                .env("HEARTH_LOG", "hearth_images=info")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starting hearth-image fetch")
        })
        .collect();
    let outputs: Vec<_> = fetches
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let together = data_bytes(&office.origin.settled_log()[before..]);

    let alone_from = office.origin.settled_log().len();
    run_ok(&mut office.fetch(DEVICES, &[]));
    let alone = data_bytes(&office.origin.settled_log()[alone_from..]);

    eprintln!("{DEVICES} devices at once cost the origin {together} bytes, one alone {alone}");
    for (index, output) in outputs.iter().enumerate() {
        assert_succeeded(output);
        let outcome = outcome(output);
        assert_eq!(
            outcome["peers"]["together"],
            DEVICES,
            "device {index} fetched together with the others: {outcome}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            b3(&office.devices[index].join("work/versions/2.img")),
            b3(&office.v2)
        );
    }
    assert!(
        together as f64 <= 1.3 * alone as f64,
        "{DEVICES} devices at once cost the origin {together} bytes, one alone {alone}"
    );
}

#[test]
fn devices_updating_one_after_another_take_the_version_from_those_done() {
    const DEVICES: usize = 3;
    let office = Office::new(DEVICES + 1, 45, 16 << 20);
    // Every device serves and announces from the start: what the first holds is announced
    // a moment after it is done, while the next has already started.
    let _shares: Vec<Share> = (0..DEVICES).map(|index| office.share(index)).collect();
    let before = office.origin.settled_log().len();
    for index in 0..DEVICES {
        let output = office
            .fetch(index, &["--discover", "10", "--interface", "eth0"])
            .output()
            .expect("running hearth-image fetch");
        assert_succeeded(&output);
        assert_eq!(
            b3(&office.devices[index].join("work/versions/2.img")),
            b3(&office.v2)
        );
    }
    let one_after_another = data_bytes(&office.origin.settled_log()[before..]);
    let alone_from = office.origin.settled_log().len();
    run_ok(&mut office.fetch(DEVICES, &[]));
    let alone = data_bytes(&office.origin.settled_log()[alone_from..]);
    assert!(
        one_after_another as f64 <= 1.3 * alone as f64,
        "{DEVICES} devices one after another cost the origin {one_after_another} bytes, one alone {alone}"
    );
}

fn data_bytes(requests: &[hearth_tests::images::Request]) -> u64 {
    requests
        .iter()
        .filter(|request| !request.is_metadata())
        .map(|request| request.bytes)
        .sum()
}

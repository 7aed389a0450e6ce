//! Devices on one local network: each in a network namespace of its own on a bridge, the
//! origin on the bridge's host, mDNS between them. A device that has the new version
//! announces it; another finds it without being told and takes the version from it.

use hearth_tests::images::{
    Publisher, assert_succeeded, b3, change_image, fetch_args, hearth_image, outcome, run_ok,
    write_image,
};
use hearth_tests::lab::Lab;
use hearth_tests::peers::Share;

#[test]
fn a_device_finds_a_peer_over_mdns_and_updates_from_it() {
    let lab = Lab::new(2);
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 41, 16 << 20);
    change_image(&v1, &v2, 42);
    publisher.publish("work", &v1, &[]);
    let origin = lab.origin(&publisher.store);
    let mirrors = [origin.url()];
    let devices = [publisher.path("device-a"), publisher.path("device-b")];
    for (index, state) in devices.iter().enumerate() {
        run_ok(lab.on_device(index, &hearth_image()).args(fetch_args(
            state,
            &publisher.public_key,
            &mirrors,
            &["--activate"],
        )));
    }
    publisher.publish("work", &v2, &[]);
    run_ok(lab.on_device(0, &hearth_image()).args(fetch_args(
        &devices[0],
        &publisher.public_key,
        &mirrors,
        &["--activate"],
    )));
    let mut command = lab.on_device(0, &hearth_image());
    command.args(["share", "--listen", "0.0.0.0:47390"]);
    let _share = Share::run(command, &devices[0], &["--announce", "--interface", "eth0"]);
    let before = origin.settled_log().len();

    let output = lab
        .on_device(1, &hearth_image())
        .args(fetch_args(
            &devices[1],
            &publisher.public_key,
            &mirrors,
            &["--discover", "10", "--interface", "eth0"],
        ))
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
    let asked: Vec<_> = origin.settled_log()[before..]
        .iter()
        .filter(|request| !request.is_metadata())
        .cloned()
        .collect();
    assert!(asked.is_empty(), "the origin sent only metadata: {asked:?}");
    assert_eq!(b3(&devices[1].join("work/versions/2.img")), b3(&v2));
}

#[test]
fn devices_updating_at_the_same_time_share_the_download_from_the_origin() {
    const DEVICES: usize = 3;
    let lab = Lab::new(DEVICES + 1);
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 43, 24 << 20);
    change_image(&v1, &v2, 44);
    publisher.publish("work", &v1, &[]);
    let origin = lab.origin(&publisher.store);
    let mirrors = [origin.url()];
    let devices: Vec<_> = (0..=DEVICES)
        .map(|index| publisher.path(&format!("device-{index}")))
        .collect();
    for (index, state) in devices.iter().enumerate() {
        run_ok(lab.on_device(index, &hearth_image()).args(fetch_args(
            state,
            &publisher.public_key,
            &mirrors,
            &["--activate"],
        )));
    }
    publisher.publish("work", &v2, &[]);
    let _shares: Vec<Share> = (0..DEVICES)
        .map(|index| {
            let mut command = lab.on_device(index, &hearth_image());
            command.args(["share", "--listen", "0.0.0.0:47390"]);
            Share::run(
                command,
                &devices[index],
                &["--announce", "--interface", "eth0"],
            )
        })
        .collect();
    let before = origin.settled_log().len();

    let fetches: Vec<_> = (0..DEVICES)
        .map(|index| {
            lab.on_device(index, &hearth_image())
                .args(fetch_args(
                    &devices[index],
                    &publisher.public_key,
                    &mirrors,
                    &["--discover", "10", "--interface", "eth0"],
                ))
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
    let logs: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    let outcomes: Vec<serde_json::Value> = outputs
        .iter()
        .map(|output| {
            assert_succeeded(output);
            outcome(output)
        })
        .collect();
    let together: u64 = data_bytes(&origin.settled_log()[before..]);

    // The same update for one device alone, for the size of one delta.
    let alone_from = origin.settled_log().len();
    run_ok(lab.on_device(DEVICES, &hearth_image()).args(fetch_args(
        &devices[DEVICES],
        &publisher.public_key,
        &mirrors,
        &[],
    )));
    let alone = data_bytes(&origin.settled_log()[alone_from..]);

    eprintln!("{DEVICES} devices at once cost the origin {together} bytes, one alone {alone}");
    for (index, outcome) in outcomes.iter().enumerate() {
        assert_eq!(
            outcome["peers"]["together"], DEVICES,
            "device {index} fetched together with the others: {outcome}\n{}",
            logs[index]
        );
        assert_eq!(b3(&devices[index].join("work/versions/2.img")), b3(&v2));
    }
    assert!(
        together as f64 <= 1.3 * alone as f64,
        "{DEVICES} devices at once cost the origin {together} bytes, one alone {alone}: {outcomes:?}"
    );
}

fn data_bytes(requests: &[hearth_tests::images::Request]) -> u64 {
    requests
        .iter()
        .filter(|request| !request.is_metadata())
        .map(|request| request.bytes)
        .sum()
}

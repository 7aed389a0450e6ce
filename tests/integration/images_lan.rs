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

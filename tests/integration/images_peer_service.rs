//! Peers through the image service (`[peers]` in `images.toml`): it takes a version from a
//! peer and says over D-Bus how much came from peers, Hearth's sheet says it too, and it
//! serves nothing while the device is on battery or on a metered connection.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hearth::downloads::Bus;
use hearth_tests::World;
use hearth_tests::image_service::{ImageService, SystemConditions};
use hearth_tests::images::{Nginx, Publisher, assert_succeeded, b3, fetch, free_port, write_image};
use hearth_tests::peers::{Share, request};
use hearth_tests::services::{PrivateBus, wait_for};
use hearth_ui::DownloadsAdapter;
use slint::{ComponentHandle, Model};

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn the_service_takes_a_version_from_a_peer_and_says_so() {
    let publisher = Publisher::new();
    let v1 = publisher.path("v1.img");
    write_image(&v1, 51, 8 << 20);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let neighbour = publisher.path("neighbour");
    assert_succeeded(&fetch(
        &neighbour,
        &publisher.public_key,
        &[origin.url()],
        &["--activate"],
    ));
    let share = Share::start(&neighbour, &[]);
    let bus = PrivateBus::start();
    let service = ImageService::start_for_vm(
        &publisher,
        &bus,
        None,
        &origin.url(),
        &format!(
            "[peers]\nenabled = true\nport = {}\ninterfaces = [\"lo\"]\nknown = [\"{}\"]",
            free_port(),
            share.url()
        ),
        "Work",
    );
    service.wait_for_phase("ready", MINUTE);
    let from_peers = service.number("BytesFromPeers");
    let done = service.number("BytesDone");
    assert!(
        from_peers > 0 && from_peers as f64 >= 0.9 * done as f64,
        "{from_peers} bytes from the peer of {done}"
    );
    assert_eq!(service.number("BytesWastedByPeers"), 0);
    let from_mirrors = service.number("BytesFromMirrors");
    assert!(
        from_mirrors > 0 && from_mirrors < from_peers / 10,
        "only the channel and manifest from the origin: {from_mirrors} bytes"
    );
    assert_eq!(
        b3(&service.state_dir.join("work/versions/1.img")),
        b3(&v1),
        "the version is exact"
    );

    // Hearth's sheet says how much came from devices nearby.
    let world = World::new();
    world
        .app
        .attach_downloads(Bus::Address(bus.address.clone()), None);
    world.app.start_downloads();
    world.wait_until("the ready card", MINUTE, |w| {
        !w.app
            .window()
            .global::<DownloadsAdapter>()
            .get_cards()
            .iter()
            .collect::<Vec<_>>()
            .is_empty()
    });
    world.draw();
    world.tap("Actions for Work");
    world.draw();
    world.tap("Update and versions");
    world.draw();
    let facts: Vec<String> = world
        .app
        .window()
        .global::<DownloadsAdapter>()
        .get_sheet_facts()
        .iter()
        .map(|fact| fact.to_string())
        .collect();
    assert!(
        facts
            .iter()
            .any(|fact| fact.ends_with("of it from devices on this network")),
        "{facts:?}"
    );
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("downloads-screens");
    std::fs::create_dir_all(&dir).unwrap();
    world.advance(50);
    let image = world.headless.snapshot().expect("a frame");
    hearth::headless::write_png(&dir.join("sheet-from-peers.png"), &image).unwrap();
}

#[test]
fn the_service_serves_peers_only_off_battery_and_off_metered_links() {
    let publisher = Publisher::new();
    let v1 = publisher.path("v1.img");
    write_image(&v1, 52, 4 << 20);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    let system_bus = PrivateBus::start();
    let conditions = SystemConditions::start(&system_bus);
    let port = free_port();
    let service = ImageService::start(
        &publisher,
        &bus,
        Some(&system_bus),
        &origin.url(),
        &format!("[peers]\nenabled = true\nport = {port}\ninterfaces = [\"lo\"]"),
    );
    service.wait_for_phase("ready", MINUTE);
    let manifest = hearth_images::Manifest::parse(
        &std::fs::read(service.state_dir.join("work/staging/1.json"))
            .or_else(|_| std::fs::read(service.state_dir.join("work/versions/1.json")))
            .unwrap(),
    )
    .unwrap();
    let chunk = manifest.chunks.iter().find_map(|c| c.id).unwrap();
    let path = format!("/{}", hearth_images::store::chunk_path(chunk));
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let status = || request(IpAddr::from([127, 0, 0, 1]), server, "GET", &path).status;
    wait_for("the service to serve its version", MINUTE, || {
        status() == 200
    });

    conditions.set_metered(1);
    wait_for("nothing served on a metered link", MINUTE, || {
        status() == 503
    });
    conditions.set_metered(4);
    wait_for("serving again", MINUTE, || status() == 200);

    conditions.set_on_battery(true);
    wait_for("nothing served on battery", MINUTE, || status() == 503);
    conditions.set_on_battery(false);
    wait_for("serving again once plugged in", MINUTE, || status() == 200);
}

//! Devices fetching from each other: `hearth-image share` on device A, `hearth-image fetch
//! --peer` on device B, nginx as the origin whose log shows what B still asked it for. A peer
//! is never trusted: a hostile one (flipped bytes, truncated answers, stalls, garbage) costs
//! a bounded waste and is dropped, and one that vanishes leaves B to finish from the origin.

use std::collections::HashSet;
use std::net::IpAddr;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_images::{ChunkId, Manifest};
use hearth_tests::images::{
    Nginx, Publisher, assert_succeeded, b3, change_image, fetch, fetch_command, hearth_image,
    outcome, run_ok, write_image,
};
use hearth_tests::peers::{HostilePeer, Lie, Share, request};

const SIZE: usize = 16 << 20;

/// Version 1 published and installed on devices A and B, version 2 published and installed on
/// A only: B is the device that updates.
struct Fleet {
    publisher: Publisher,
    origin: Nginx,
    v2: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

impl Fleet {
    fn new() -> Fleet {
        let publisher = Publisher::new();
        let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
        write_image(&v1, 31, SIZE);
        change_image(&v1, &v2, 32);
        publisher.publish("work", &v1, &[]);
        let origin = Nginx::origin(&publisher.store);
        let (a, b) = (publisher.path("device-a"), publisher.path("device-b"));
        for device in [&a, &b] {
            assert_succeeded(&fetch(
                device,
                &publisher.public_key,
                &[origin.url()],
                &["--activate"],
            ));
        }
        publisher.publish("work", &v2, &[]);
        assert_succeeded(&fetch(
            &a,
            &publisher.public_key,
            &[origin.url()],
            &["--activate"],
        ));
        Fleet {
            publisher,
            origin,
            v2,
            a,
            b,
        }
    }

    fn mirrors(&self) -> Vec<String> {
        vec![self.origin.url()]
    }

    /// B's update to version 2 with these peers; its outcome.
    fn update_b(&self, peers: &[String]) -> serde_json::Value {
        let mut extra = Vec::new();
        for peer in peers {
            extra.extend(["--peer", peer.as_str()]);
        }
        let output = fetch(&self.b, &self.publisher.public_key, &self.mirrors(), &extra);
        assert_succeeded(&output);
        outcome(&output)
    }

    /// B's version 2 is the published one, checked against its manifest.
    fn assert_b_exact(&self) {
        assert_eq!(b3(&self.b.join("work/versions/2.img")), b3(&self.v2));
        run_ok(
            Command::new(hearth_image())
                .args(["verify", "--installed", "--image", "work", "--state"])
                .arg(&self.b),
        );
    }

    fn manifest(&self, version: u64) -> Manifest {
        let path = self.a.join(format!("work/versions/{version}.json"));
        Manifest::parse(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The chunks of version 2 that version 1 lacks: what B must fetch.
    fn new_chunks(&self) -> Vec<(ChunkId, u64, u64)> {
        let old: HashSet<ChunkId> = self
            .manifest(1)
            .chunks
            .iter()
            .filter_map(|c| c.id)
            .collect();
        let mut seen = HashSet::new();
        self.manifest(2)
            .chunks
            .iter()
            .filter_map(|c| Some((c.id?, c.offset, c.length)))
            .filter(|(id, _, _)| !old.contains(id) && seen.insert(*id))
            .collect()
    }
}

fn number(value: &serde_json::Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

fn data_requests(origin: &Nginx, before: usize) -> Vec<hearth_tests::images::Request> {
    origin.settled_log()[before..]
        .iter()
        .filter(|request| !request.is_metadata())
        .cloned()
        .collect()
}

/// Overwrites a chunk's bytes in a device's installed image, as a failing disk would.
fn damage(image: &Path, offset: u64) {
    std::fs::set_permissions(image, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(image).unwrap();
    file.write_all_at(b"not what the manifest says", offset)
        .unwrap();
}

#[test]
fn a_device_takes_a_new_version_from_a_peer_and_only_what_the_peer_lacks_from_the_origin() {
    let fleet = Fleet::new();
    let new_chunks = fleet.new_chunks();
    assert!(new_chunks.len() > 10, "version 2 has new chunks");
    // A's copy of one new chunk went bad on its disk: A must not serve it, so B gets it from
    // the origin.
    let (lacked, offset, _) = new_chunks[new_chunks.len() / 2];
    damage(&fleet.a.join("work/versions/2.img"), offset);
    let share = Share::start(&fleet.a, &[]);
    let before = fleet.origin.settled_log().len();

    let outcome = fleet.update_b(&[share.url()]);

    let from_peers = number(&outcome["peers"]["bytes"]);
    let from_origin = number(&outcome["fetched"]);
    assert!(
        from_peers as f64 >= 0.9 * (from_peers + from_origin) as f64,
        "at least 90 % from the peer: {outcome}"
    );
    assert_eq!(outcome["peers"]["wasted"], 0, "{outcome}");
    assert_eq!(
        outcome["peers"]["dropped"],
        serde_json::json!([]),
        "{outcome}"
    );
    let asked = data_requests(&fleet.origin, before);
    assert!(!asked.is_empty(), "the chunk A lacked came from the origin");
    let lacked_path = format!("/{}", hearth_images::store::chunk_path(lacked));
    for request in &asked {
        // The chunk itself, or the delta frame holding it: a small part of the version.
        assert!(
            request.uri == lacked_path || request.uri.starts_with("/packs/"),
            "only what A lacked: {asked:?}"
        );
    }
    let asked_bytes: u64 = asked.iter().map(|request| request.bytes).sum();
    assert!(
        asked_bytes < from_peers / 4,
        "the origin sent {asked_bytes} bytes, the peer {from_peers}"
    );
    fleet.assert_b_exact();
}

#[test]
fn hostile_peers_cost_a_bounded_waste_and_plant_nothing() {
    let fleet = Fleet::new();
    let share = Share::start(&fleet.a, &[]);
    let lies = [Lie::FlippedByte, Lie::Truncated, Lie::Stalled, Lie::Endless];
    let hostile: Vec<HostilePeer> = lies
        .iter()
        .map(|&lie| HostilePeer::start(&fleet.publisher.store, lie))
        .collect();
    let mut peers: Vec<String> = hostile.iter().map(HostilePeer::url).collect();
    peers.push(share.url());
    let before = fleet.origin.settled_log().len();

    let outcome = fleet.update_b(&peers);

    fleet.assert_b_exact();
    let dropped: Vec<String> = outcome["peers"]["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry[0].as_str().unwrap().to_string())
        .collect();
    for (peer, lie) in hostile.iter().zip(lies) {
        assert!(
            dropped.contains(&peer.url()),
            "the peer telling {lie:?} was dropped: {outcome}"
        );
        assert!(peer.sent() > 0, "{lie:?} was asked");
    }
    assert!(
        !dropped.contains(&share.url()),
        "the honest peer stays: {outcome}"
    );
    // A liar is dropped after its first answers: at most one chunk's worth per request in
    // flight (8), each at most what a chunk of the largest size can compress to.
    let largest = fleet
        .manifest(2)
        .chunks
        .iter()
        .map(|c| c.length)
        .max()
        .unwrap();
    let wasted = number(&outcome["peers"]["wasted"]);
    assert!(wasted > 0, "the waste is reported: {outcome}");
    assert!(
        wasted <= 4 * 8 * (largest + largest / 64 + 1024),
        "wasted {wasted} bytes: {outcome}"
    );
    let from_peers = number(&outcome["peers"]["bytes"]);
    let from_origin = number(&outcome["fetched"]);
    assert!(
        from_peers as f64 >= 0.9 * (from_peers + from_origin) as f64,
        "the honest peer still gave almost everything: {outcome}"
    );
    assert!(
        data_requests(&fleet.origin, before).is_empty(),
        "nothing came from the origin but the manifest"
    );
}

#[test]
fn a_peer_that_goes_away_mid_transfer_leaves_the_rest_to_the_origin() {
    let fleet = Fleet::new();
    // Slow enough that B is still fetching when A goes.
    let mut share = Share::start(&fleet.a, &["--rate-kib", "256"]);
    let before = fleet.origin.settled_log().len();
    let mut child = fetch_command(
        &fleet.b,
        &fleet.publisher.public_key,
        &fleet.mirrors(),
        &["--peer", &share.url(), "--progress"],
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("starting hearth-image fetch");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let started = Instant::now();
    loop {
        let line = lines
            .next()
            .expect("progress until the peer has given something")
            .unwrap();
        let progress: serde_json::Value = serde_json::from_str(&line).unwrap();
        if number(&progress["from_peers"]) > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
    }
    share.kill();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "the same run finished: {rest:?}");
    let outcome: serde_json::Value = serde_json::from_str(rest.last().unwrap()).unwrap();
    assert_eq!(outcome["outcome"], "ready", "{outcome}");
    assert!(number(&outcome["peers"]["bytes"]) > 0, "{outcome}");
    assert_eq!(
        outcome["peers"]["dropped"][0][0],
        share.url(),
        "the peer that went is dropped: {outcome}"
    );
    assert!(
        !data_requests(&fleet.origin, before).is_empty(),
        "the rest came from the origin"
    );
    fleet.assert_b_exact();
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

#[test]
fn a_peer_serves_verified_chunks_and_nothing_else() {
    let fleet = Fleet::new();
    let share = Share::start(&fleet.a, &[]);
    let address = share.address;
    let get = |method: &str, path: &str| request(loopback(1), address, method, path);

    let chunks = fleet.new_chunks();
    let (good, _, length) = chunks[0];
    let answer = get(
        "GET",
        &format!("/{}", hearth_images::store::chunk_path(good)),
    );
    assert_eq!(answer.status, 200);
    let data = zstd::bulk::decompress(&answer.body, length as usize).unwrap();
    assert_eq!(ChunkId::of(&data), good, "the chunk as its name says");
    assert_eq!(
        get(
            "HEAD",
            &format!("/{}", hearth_images::store::chunk_path(good))
        )
        .status,
        200
    );

    // A chunk whose copy on A no longer matches its name is not served.
    let (bad, offset, _) = chunks[1];
    damage(&fleet.a.join("work/versions/2.img"), offset);
    let bad_path = format!("/{}", hearth_images::store::chunk_path(bad));
    assert_eq!(get("GET", &bad_path).status, 404, "unverified data");

    let (_, manifest_path) = fleet.publisher.current();
    let unknown = hearth_images::store::chunk_path(ChunkId([7; 32]));
    for (method, path, status) in [
        ("GET", "/".to_string(), 404),
        ("GET", "/chunks/".to_string(), 404),
        ("GET", format!("/chunks/{}/", &good.to_hex()[..4]), 404),
        ("GET", "/../../etc/passwd".to_string(), 404),
        ("GET", "/chunks/../state.json".to_string(), 404),
        ("GET", "/work/state.json".to_string(), 404),
        ("GET", "/work/versions/2.img".to_string(), 404),
        ("GET", format!("/{manifest_path}"), 404),
        ("GET", "/channels/work.json".to_string(), 404),
        ("GET", format!("/{unknown}"), 404),
        (
            "GET",
            format!("/{}?x", hearth_images::store::chunk_path(good)),
            404,
        ),
        (
            "PUT",
            format!("/{}", hearth_images::store::chunk_path(good)),
            405,
        ),
        (
            "DELETE",
            format!("/{}", hearth_images::store::chunk_path(good)),
            405,
        ),
    ] {
        assert_eq!(get(method, &path).status, status, "{method} {path}");
    }
    assert!(
        std::fs::metadata(fleet.a.join("work/versions/2.img")).is_ok(),
        "nothing was removed"
    );
}

#[test]
fn at_most_four_peers_are_served_at_once_within_the_upload_cap() {
    let fleet = Fleet::new();
    let rate_kib = 64;
    let share = Share::start(&fleet.a, &["--rate-kib", &rate_kib.to_string()]);
    let address = share.address;
    let chunks = fleet.new_chunks();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(5));
    let started = Instant::now();
    let clients: Vec<_> = (0..5u8)
        .map(|client| {
            let barrier = barrier.clone();
            // Each client asks for two chunks so that it is still being served when the
            // others arrive.
            let paths: Vec<String> = chunks[client as usize * 2..client as usize * 2 + 2]
                .iter()
                .map(|(id, _, _)| format!("/{}", hearth_images::store::chunk_path(*id)))
                .collect();
            std::thread::spawn(move || {
                barrier.wait();
                let source = loopback(client + 2);
                paths
                    .iter()
                    .map(|path| request(source, address, "GET", path))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let answers: Vec<_> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let served: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    let busy = answers.iter().filter(|a| a.status == 503).count();
    assert!(busy >= 1, "a fifth peer is told to come back later");
    assert!(served.len() >= 4, "four peers are served");
    let bytes: u64 = served.iter().map(|a| a.body.len() as u64).sum();
    let cap = (rate_kib << 10) as f64;
    // The cap's bucket starts with a quarter second of bytes.
    assert!(
        bytes as f64 <= cap * elapsed + cap / 4.0 + 1.0,
        "{bytes} bytes in {elapsed:.2} s under a cap of {cap} bytes/s"
    );
}

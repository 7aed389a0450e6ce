//! Whatever a hostile mirror or publisher serves (flipped bits in a chunk or a pack frame, a
//! tampered manifest, another key's signature, an older version, impossible chunk tables, a
//! gigabyte of manifest), the agent refuses it with a clear error and the version in use is
//! untouched.

use std::path::Path;

use hearth_images::Manifest;
use hearth_images::signing;
use hearth_images::store;
use hearth_tests::images::{
    Nginx, Publisher, assert_succeeded, b3, change_image, device_state, fetch, outcome, write_image,
};

/// A published store whose channel offers `bytes` (with `signature`) as `channel_version`.
fn offer(
    store_root: &Path,
    bytes: &[u8],
    signature: &str,
    channel_version: u64,
    manifest_version: u64,
) {
    let path = store::manifest_path("work", manifest_version, bytes);
    std::fs::write(store_root.join(&path), bytes).unwrap();
    std::fs::write(store_root.join(store::signature_path(&path)), signature).unwrap();
    let channel =
        serde_json::json!({ "image": "work", "version": channel_version, "manifest": path });
    std::fs::write(
        store_root.join(store::channel_path("work")),
        channel.to_string(),
    )
    .unwrap();
}

fn flip_byte(path: &Path, at_fraction: f64) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = ((bytes.len() as f64) * at_fraction) as usize;
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

/// Changes a copy of the good store.
type Spoil = Box<dyn Fn(&World, &Path)>;

struct Case {
    name: &'static str,
    /// Changes a copy of the good store (which offers version 2).
    spoil: Spoil,
    extra: &'static [&'static str],
    expected: &'static str,
}

struct World {
    publisher: Publisher,
    good_manifest: Vec<u8>,
    v1_manifest_path: String,
}

impl World {
    fn sign(&self, bytes: &[u8], key: &Path) -> String {
        let key = signing::load_secret_key(key, None).unwrap();
        signing::sign(bytes, &key, "image=work").unwrap()
    }

    fn resigned(&self, store_root: &Path, change: impl FnOnce(&mut Manifest)) {
        let mut manifest: Manifest = serde_json::from_slice(&self.good_manifest).unwrap();
        change(&mut manifest);
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let signature = self.sign(&bytes, &self.publisher.secret_key);
        offer(
            store_root,
            &bytes,
            &signature,
            manifest.version,
            manifest.version,
        );
    }

    /// A chunk of version 2 that version 1 lacks.
    fn new_chunk(&self) -> hearth_images::ChunkId {
        self.new_chunks()[0]
    }

    /// The chunks of version 2 that version 1 lacks.
    fn new_chunks(&self) -> Vec<hearth_images::ChunkId> {
        let v2: Manifest = serde_json::from_slice(&self.good_manifest).unwrap();
        let v1: Manifest = serde_json::from_slice(
            &std::fs::read(self.publisher.store.join(&self.v1_manifest_path)).unwrap(),
        )
        .unwrap();
        let old: std::collections::HashSet<_> = v1.chunks.iter().filter_map(|c| c.id).collect();
        let new: std::collections::HashSet<_> = v2
            .chunks
            .iter()
            .filter_map(|c| c.id)
            .filter(|id| !old.contains(id))
            .collect();
        assert!(!new.is_empty(), "version 2 has new chunks");
        new.into_iter().collect()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn hostile_stores_are_refused_and_the_current_image_is_untouched() {
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 11, 12 << 20);
    change_image(&v1, &v2, 12);
    publisher.publish("work", &v1, &[]);
    let (_, v1_manifest_path) = publisher.current();
    publisher.publish("work", &v2, &[]);
    let good_manifest = std::fs::read(publisher.store.join(publisher.current().1)).unwrap();
    let other_secret = publisher.path("other.key");
    signing::keygen(&other_secret, &publisher.path("other.pub"), None).unwrap();

    // nginx serves whatever `served` points at; each case points it at a spoiled copy.
    let served = publisher.path("served");
    let origin = Nginx::origin(&served);
    let world = World {
        publisher,
        good_manifest,
        v1_manifest_path,
    };
    let publisher = &world.publisher;

    let cases = vec![
        Case {
            name: "a bit-flipped chunk",
            spoil: Box::new(|world, root| {
                flip_byte(&root.join(store::chunk_path(world.new_chunk())), 0.5)
            }),
            extra: &["--no-packs"],
            expected: "failed verification",
        },
        Case {
            name: "a bit-flipped pack frame whose chunks are damaged too",
            spoil: Box::new(|world, root| {
                let manifest: Manifest = serde_json::from_slice(&world.good_manifest).unwrap();
                let pack = manifest.pack_from(Some(1)).expect("a pack from version 1");
                flip_byte(&root.join(&pack.path), 0.5);
                for id in world.new_chunks() {
                    flip_byte(&root.join(store::chunk_path(id)), 0.5);
                }
            }),
            extra: &[],
            expected: "failed verification",
        },
        Case {
            name: "a tampered manifest",
            spoil: Box::new(|world, root| {
                let mut bytes = world.good_manifest.clone();
                let text = String::from_utf8(bytes.clone()).unwrap().replacen(
                    "\"version\":2",
                    "\"version\":7",
                    1,
                );
                bytes = text.into_bytes();
                let path = store::manifest_path("work", 2, &world.good_manifest);
                let signature =
                    std::fs::read_to_string(root.join(store::signature_path(&path))).unwrap();
                offer(root, &bytes, &signature, 7, 7);
            }),
            extra: &[],
            expected: "signature does not verify",
        },
        Case {
            name: "a manifest signed with another key",
            spoil: Box::new(move |world, root| {
                let signature =
                    world.sign(&world.good_manifest, &world.publisher.path("other.key"));
                offer(root, &world.good_manifest, &signature, 2, 2);
            }),
            extra: &[],
            expected: "different from public key",
        },
        Case {
            name: "a channel that lies about the version",
            spoil: Box::new(|world, root| {
                let bytes = std::fs::read(root.join(&world.v1_manifest_path)).unwrap();
                let signature = std::fs::read_to_string(
                    root.join(store::signature_path(&world.v1_manifest_path)),
                )
                .unwrap();
                offer(root, &bytes, &signature, 3, 1);
            }),
            extra: &[],
            expected: "its manifest is work version 1",
        },
        Case {
            name: "overlapping chunks",
            spoil: Box::new(|world, root| world.resigned(root, |m| m.chunks[3].offset -= 100)),
            extra: &[],
            expected: "overlaps the chunk before it",
        },
        Case {
            name: "a chunk past the image's end",
            spoil: Box::new(|world, root| {
                world.resigned(root, |m| {
                    let last = m.chunks.len() - 1;
                    m.chunks[last].length += 4096;
                })
            }),
            extra: &[],
            expected: "runs past the image's end",
        },
        Case {
            name: "an absurd size",
            spoil: Box::new(|world, root| world.resigned(root, |m| m.size = 1 << 62)),
            extra: &[],
            expected: "declares an image of 4611686018427387904 bytes",
        },
        Case {
            name: "a manifest of a gigabyte",
            spoil: Box::new(|_, root| {
                let path = "manifests/work/9-0123456789abcdef.json";
                let file = std::fs::File::create(root.join(path)).unwrap();
                file.set_len(1 << 30).unwrap();
                std::fs::write(root.join(store::signature_path(path)), "x").unwrap();
                let channel =
                    serde_json::json!({ "image": "work", "version": 9, "manifest": path });
                std::fs::write(root.join("channels/work.json"), channel.to_string()).unwrap();
            }),
            extra: &[],
            expected: "larger than the 67108864 bytes allowed",
        },
    ];

    let device = publisher.path("device");
    // The device runs version 1, installed from a good store.
    copy_tree(&publisher.store, &served);
    let channel_v2 = std::fs::read(served.join("channels/work.json")).unwrap();
    let v1_signature =
        std::fs::read_to_string(served.join(store::signature_path(&world.v1_manifest_path)))
            .unwrap();
    let v1_bytes = std::fs::read(served.join(&world.v1_manifest_path)).unwrap();
    offer(&served, &v1_bytes, &v1_signature, 1, 1);
    let first = fetch(
        &device,
        &publisher.public_key,
        &[origin.url()],
        &["--activate"],
    );
    assert_succeeded(&first);
    std::fs::write(served.join("channels/work.json"), &channel_v2).unwrap();
    let current = b3(&device.join("work/versions/1.img"));

    let installed = device;
    for (index, case) in cases.iter().enumerate() {
        // Each case starts from the device as it was, with nothing fetched of version 2.
        let device = publisher.path(&format!("device-{index}"));
        copy_tree(&installed, &device);
        std::fs::remove_dir_all(&served).unwrap();
        copy_tree(&publisher.store, &served);
        (case.spoil)(&world, &served);
        let output = fetch(&device, &publisher.public_key, &[origin.url()], case.extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{} was accepted", case.name);
        assert!(
            stderr.contains(case.expected),
            "{}: expected an error mentioning {:?}, got {stderr}",
            case.name,
            case.expected
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        assert_eq!(
            b3(&device.join("work/versions/1.img")),
            current,
            "{} touched the current image",
            case.name
        );
        let state = device_state(&device);
        assert_eq!(
            (state["current"].as_u64(), state["ready"].as_u64()),
            (Some(1), None),
            "{}",
            case.name
        );
    }

    // A damaged pack frame alone costs a warning: its chunks come one by one instead, and
    // the damaged bytes never reach the image.
    let device = publisher.path("device-pack-only");
    copy_tree(&installed, &device);
    std::fs::remove_dir_all(&served).unwrap();
    copy_tree(&publisher.store, &served);
    let manifest: Manifest = serde_json::from_slice(&world.good_manifest).unwrap();
    flip_byte(
        &served.join(&manifest.pack_from(Some(1)).unwrap().path),
        0.5,
    );
    let recovered = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    let stderr = String::from_utf8_lossy(&recovered.stderr);
    assert!(recovered.status.success(), "{stderr}");
    assert!(
        stderr.contains("failed verification") && stderr.contains("fetched one by one"),
        "{stderr}"
    );
    assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));

    // The good store still updates the device; then an older version offered again is a replay.
    let device = installed;
    std::fs::remove_dir_all(&served).unwrap();
    copy_tree(&publisher.store, &served);
    let good = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert_succeeded(&good);
    assert_eq!(outcome(&good)["version"], 2);
    offer(&served, &v1_bytes, &v1_signature, 1, 1);
    let replay = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert!(!replay.status.success());
    assert!(
        String::from_utf8_lossy(&replay.stderr).contains("not newer than the installed version 2"),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert_eq!(b3(&device.join("work/versions/1.img")), current);
    assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));
}

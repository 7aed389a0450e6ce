//! A hostile manifest is refused with its reason; a sane one passes.

use super::*;

fn id(byte: u8) -> Option<ChunkId> {
    Some(ChunkId([byte; 32]))
}

fn sane() -> Manifest {
    Manifest {
        format: FORMAT,
        image: "work".to_string(),
        version: 3,
        size: 3000,
        hash: ChunkId([9; 32]),
        chunking: Chunking {
            min: 256,
            avg: 1024,
            max: 4096,
        },
        chunks: vec![
            ChunkEntry::from((0, 1000, id(1), 600)),
            ChunkEntry::from((1000, 500, None, 0)),
            ChunkEntry::from((1500, 1000, id(1), 600)),
            ChunkEntry::from((2500, 500, id(2), 300)),
        ],
        packs: vec![Pack {
            from: Some(2),
            path: format!("packs/{}.pack", "b".repeat(64)),
            size: 700,
            frames: vec![
                Frame::from((0, 400, vec![0], vec![(0, 2), (5, 6)])),
                Frame::from((400, 300, vec![3])),
            ],
        }],
    }
}

/// Applies `change` to a sane manifest and checks the refusal mentions `expected`.
fn check(change: impl FnOnce(&mut Manifest), expected: &str) {
    let mut manifest = sane();
    change(&mut manifest);
    let bytes = manifest.to_json();
    match Manifest::parse(&bytes) {
        Err(Error::BadManifest(reason)) => assert!(
            reason.contains(expected),
            "expected a refusal mentioning {expected:?}, got {reason:?}"
        ),
        other => panic!("expected a refusal mentioning {expected:?}, got {other:?}"),
    }
}

#[test]
fn a_sane_manifest_round_trips() {
    let manifest = sane();
    assert_eq!(Manifest::parse(&manifest.to_json()).unwrap(), manifest);
    assert_eq!(
        manifest.unique_chunks(),
        vec![(ChunkId([1; 32]), 0), (ChunkId([2; 32]), 3)]
    );
    assert_eq!(manifest.data_bytes(), 2500);
}

#[test]
fn hostile_manifests_are_refused_with_their_reason() {
    check(|m| m.format = 1, "format 1");
    check(|m| m.image = "../etc".to_string(), "not a valid image name");
    check(|m| m.version = 0, "versions start at 1");
    check(|m| m.size = u64::MAX, "declares an image of");
    check(|m| m.chunking.max = 1 << 30, "chunk sizes");
    check(
        |m| m.chunks[2].offset = 1400,
        "overlaps the chunk before it",
    );
    check(|m| m.chunks[2].offset = 1600, "leaving a gap");
    check(|m| m.chunks[3].length = 5000, "more than the 4096 maximum");
    check(|m| m.chunks[3].length = 600, "runs past the image's end");
    check(|m| m.size = 3100, "cover 3000 bytes of an image of 3100");
    check(|m| m.chunks[1].length = 0, "is empty");
    check(|m| m.chunks[2].length = 900, "listed with two lengths");
    check(
        |m| m.chunks[3].stored = 1 << 40,
        "claims 1099511627776 stored bytes",
    );
    check(|m| m.chunks[1].stored = 5, "claims stored bytes");
    check(
        |m| m.packs[0].path = "packs/../../x.pack".to_string(),
        "not a pack's path",
    );
    check(|m| m.packs[0].from = Some(3), "not older");
    check(
        |m| m.packs[0].frames[1].offset = 300,
        "not where the frame before it ends",
    );
    check(
        |m| m.packs[0].frames[1].chunks = vec![1],
        "not a data chunk",
    );
    check(
        |m| m.packs[0].frames[1].chunks = vec![99],
        "not a data chunk",
    );
    check(|m| m.packs[0].size = 800, "cover 700 bytes of 800");
    check(|m| m.packs.push(m.packs[0].clone()), "same base version");
    check(
        |m| m.packs[0].frames[0].base = vec![(3, 3)],
        "lists base chunks 3..3 out of order",
    );
    check(
        |m| m.packs[0].frames[0].base = vec![(4, 6), (5, 8)],
        "lists base chunks 5..8 out of order",
    );
    check(
        |m| m.packs[0].frames[0].base = vec![(0, 1 << 20)],
        "refers to 1048576 base chunks",
    );
    check(
        |m| m.packs[0].from = None,
        "refers to a base version, in a pack for a first install",
    );
}

#[test]
fn oversized_or_foreign_documents_are_refused_before_parsing() {
    let huge = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
    assert!(
        matches!(Manifest::parse(&huge), Err(Error::BadManifest(reason)) if reason.contains("more than"))
    );
    assert!(
        matches!(Manifest::parse(b"{\"format\":1}"), Err(Error::BadManifest(reason)) if reason.contains("not a manifest"))
    );
    let mut value: serde_json::Value = serde_json::from_slice(&sane().to_json()).unwrap();
    value["extra"] = serde_json::Value::Bool(true);
    assert!(Manifest::parse(&serde_json::to_vec(&value).unwrap()).is_err());
}

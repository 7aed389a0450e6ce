//! The free space of ext4 filesystems is published as zeros: a deleted file's old data never
//! reaches a device, whether the filesystem is the whole image or a partition of an MBR or GPT
//! disk, while everything the guest can read arrives unchanged. `--keep-free-space` publishes
//! the image as it is.

use std::path::{Path, PathBuf};
use std::process::Command;

use hearth_tests::images::{Nginx, Publisher, assert_succeeded, b3, hearth_image, run_ok};

const FILESYSTEM: u64 = 24 << 20;
const PARTITION_START: u64 = 1 << 20;

/// An ext4 filesystem holding `kept.bin`, whose free space still holds the 6 MiB of
/// `deleted.bin` (as every upgrade leaves deleted packages and caches behind).
fn filesystem(publisher: &Publisher, kept: &[u8]) -> PathBuf {
    let tree = publisher.path("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("kept.bin"), kept).unwrap();
    let image = publisher.path("fs.img");
    run_ok(
        Command::new("mkfs.ext4")
            .args(["-q", "-F", "-d"])
            .arg(&tree)
            .arg(&image)
            .arg(format!("{}k", FILESYSTEM >> 10)),
    );
    let deleted = publisher.path("deleted.bin");
    let mut rng = fastrand::Rng::with_seed(5);
    let mut garbage = vec![0u8; 6 << 20];
    rng.fill(&mut garbage);
    std::fs::write(&deleted, &garbage).unwrap();
    debugfs(&image, &format!("write {} deleted.bin", deleted.display()));
    debugfs(&image, "rm deleted.bin");
    let raw = std::fs::read(&image).unwrap();
    assert!(
        raw.windows(64).any(|window| window == &garbage[4096..4160]),
        "the deleted file's data is still in the filesystem's free space"
    );
    image
}

fn debugfs(image: &Path, request: &str) {
    run_ok(
        Command::new("debugfs")
            .arg("-w")
            .arg("-R")
            .arg(request)
            .arg(image),
    );
}

/// The filesystem as e2fsprogs copies its blocks in use: what a device must end up with.
fn used_blocks(publisher: &Publisher, image: &Path, offset: u64) -> Vec<u8> {
    let copy = publisher.path("expected-fs.img");
    let _ = std::fs::remove_file(&copy);
    run_ok(
        Command::new("e2image")
            .args(["-ra", "-o", &offset.to_string()])
            .arg(image)
            .arg(&copy),
    );
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes.resize(FILESYSTEM as usize, 0);
    bytes
}

/// A disk with a partition table of `label` (gpt or dos), a boot loader's bytes before the
/// partition and `filesystem` in it.
fn disk(publisher: &Publisher, label: &str, filesystem: &Path) -> PathBuf {
    let disk = publisher.path(&format!("disk-{label}.img"));
    std::fs::File::create(&disk)
        .unwrap()
        .set_len(PARTITION_START + FILESYSTEM + (1 << 20))
        .unwrap();
    let table = format!(
        "label: {label}\nstart={}, size={}, type=L\n",
        PARTITION_START / 512,
        FILESYSTEM / 512
    );
    let mut sfdisk = Command::new("sfdisk")
        .arg("-q")
        .arg(&disk)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("starting sfdisk");
    std::io::Write::write_all(&mut sfdisk.stdin.take().unwrap(), table.as_bytes()).unwrap();
    assert!(sfdisk.wait().unwrap().success(), "sfdisk failed");
    let mut bytes = std::fs::read(&disk).unwrap();
    let boot_loader = PARTITION_START as usize / 2;
    bytes[boot_loader..boot_loader + 4096].fill(0xb0);
    let contents = std::fs::read(filesystem).unwrap();
    bytes[PARTITION_START as usize..PARTITION_START as usize + contents.len()]
        .copy_from_slice(&contents);
    std::fs::write(&disk, bytes).unwrap();
    disk
}

/// Publishes `input` as version 1 of `name` and fetches it onto a new device; returns the
/// device's image and what the publisher said.
fn published_and_fetched(
    publisher: &Publisher,
    name: &str,
    input: &Path,
    extra: &[&str],
) -> (PathBuf, String) {
    let said = publisher.publish(name, input, extra);
    let origin = Nginx::origin(&publisher.store);
    let device = publisher.path(&format!("device-{name}"));
    assert_succeeded(
        &Command::new(hearth_image())
            .args(["fetch", "--image", name, "--mirror", &origin.url()])
            .arg("--state")
            .arg(&device)
            .arg("--public-key")
            .arg(&publisher.public_key)
            .output()
            .expect("running hearth-image fetch"),
    );
    (device.join(name).join("versions/1.img"), said)
}

fn kept_file(rng_seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(rng_seed);
    let mut kept = vec![0u8; 3 << 20];
    rng.fill(&mut kept);
    kept
}

#[test]
fn a_deleted_file_in_an_ext4_image_never_reaches_a_device() {
    let publisher = Publisher::new();
    let kept = kept_file(3);
    let image = filesystem(&publisher, &kept);
    let expected = used_blocks(&publisher, &image, 0);

    let (fetched, said) = published_and_fetched(&publisher, "work", &image, &[]);
    assert!(said.contains("published as zeros"), "{said}");
    let on_device = std::fs::read(&fetched).unwrap();
    assert!(
        on_device == expected,
        "the device has the blocks in use and zeros"
    );
    assert_ne!(b3(&fetched), b3(&image), "the deleted data is gone");
    // The guest's view is whole: the filesystem checks clean and the file reads back.
    run_ok(Command::new("e2fsck").arg("-fn").arg(&fetched));
    let dumped = publisher.path("kept-from-device.bin");
    run_ok(
        Command::new("debugfs")
            .arg("-R")
            .arg(format!("dump kept.bin {}", dumped.display()))
            .arg(&fetched),
    );
    assert!(std::fs::read(&dumped).unwrap() == kept);

    // Asked to, the publisher ships the image byte for byte.
    let (as_it_is, _) = published_and_fetched(&publisher, "raw", &image, &["--keep-free-space"]);
    assert_eq!(b3(&as_it_is), b3(&image));
}

#[test]
fn partitions_of_mbr_and_gpt_disks_lose_their_free_space_and_keep_the_rest() {
    let publisher = Publisher::new();
    let kept = kept_file(4);
    let image = filesystem(&publisher, &kept);
    let expected_filesystem = used_blocks(&publisher, &image, 0);
    for label in ["gpt", "dos"] {
        let disk = disk(&publisher, label, &image);
        let name = format!("disk-{label}");
        let (fetched, said) = published_and_fetched(&publisher, &name, &disk, &[]);
        assert!(
            said.contains(&format!("ext filesystem at byte {PARTITION_START}")),
            "{said}"
        );
        let on_device = std::fs::read(&fetched).unwrap();
        let original = std::fs::read(&disk).unwrap();
        let (start, end) = (
            PARTITION_START as usize,
            (PARTITION_START + FILESYSTEM) as usize,
        );
        assert_eq!(on_device.len(), original.len());
        assert!(
            on_device[..start] == original[..start],
            "{label}: the partition table and the boot loader's bytes are kept"
        );
        assert!(
            on_device[start..end] == expected_filesystem[..],
            "{label}: the partition holds the blocks in use and zeros"
        );
        assert!(
            on_device[end..] == original[end..],
            "{label}: the rest is kept"
        );
    }
}

//! The benchmark's disk images, made once and kept in a cache folder: two versions of a real
//! Debian system on ext4, the second the first upgraded in place as an admin would (packages
//! added with apt inside it), and each compressed whole with `zstd -19` as the baseline. Beside
//! them, both versions as Hearth publishes them (free space zeroed by `e2image -ra`), with
//! their own `zstd -19` copies and casync store, so the baselines can also be given the same
//! bytes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Bump when the images change, so old caches are made again.
const VERSION: &str = "1";
/// The filesystem's size; most of it stays free (a sparse file).
const IMAGE_SIZE: &str = "1G";
/// What the admin adds for version 2.
pub const UPGRADE: &[&str] = &[
    "less",
    "vim-tiny",
    "curl",
    "ca-certificates",
    "procps",
    "iproute2",
];

pub struct Images {
    pub root: PathBuf,
}

impl Images {
    pub fn v1(&self) -> PathBuf {
        self.root.join("v1.img")
    }

    pub fn v2(&self) -> PathBuf {
        self.root.join("v2.img")
    }

    pub fn zst(&self, image: &Path) -> PathBuf {
        image.with_extension("img.zst")
    }

    /// The casync index and store of version 2, made with casync's defaults.
    pub fn casync_index(&self) -> PathBuf {
        self.root.join("casync/v2.caibx")
    }

    pub fn casync_store(&self) -> PathBuf {
        self.root.join("casync/store.castr")
    }

    /// `image` with the free space of its filesystem zeroed, as Hearth publishes it.
    pub fn zeroed(&self, image: &Path) -> PathBuf {
        self.root
            .join(ZEROED)
            .join(image.file_name().expect("images have names"))
    }

    /// The casync index of version 2 with its free space zeroed; its store is beside it.
    pub fn zeroed_casync_index(&self) -> PathBuf {
        self.root.join(ZEROED).join("casync/v2.caibx")
    }
}

/// The folder of the images with their free space zeroed, under the cache folder (and under
/// the URL that serves it).
pub const ZEROED: &str = "zeroed";

fn run(what: &str, command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(status.success(), "{what} failed");
}

/// Mounts an image on a loop device for as long as it lives.
struct Mounted {
    point: PathBuf,
    extra: Vec<PathBuf>,
}

impl Mounted {
    fn new(image: &Path, point: &Path) -> Mounted {
        std::fs::create_dir_all(point).unwrap();
        run(
            "mounting the image",
            Command::new("mount")
                .arg("-o")
                .arg("loop")
                .arg(image)
                .arg(point),
        );
        Mounted {
            point: point.to_path_buf(),
            extra: Vec::new(),
        }
    }

    fn bind(&mut self, what: &str) {
        let target = self.point.join(what.trim_start_matches('/'));
        run(
            "binding into the chroot",
            Command::new("mount").arg("--bind").arg(what).arg(&target),
        );
        self.extra.push(target);
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        for target in self.extra.iter().rev() {
            let _ = Command::new("umount").arg(target).status();
        }
        let _ = Command::new("umount").arg(&self.point).status();
    }
}

pub fn ensure() -> Images {
    let root = PathBuf::from("/var/cache/hearth/bench-images");
    let images = Images { root: root.clone() };
    let done = root.join(format!("complete-{VERSION}"));
    if done.exists() {
        ensure_zeroed(&images);
        return images;
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    eprintln!("bench-images: making two Debian images with debootstrap (once; a few minutes)");
    let (v1, v2) = (images.v1(), images.v2());
    run(
        "making the image file",
        Command::new("truncate").args(["-s", IMAGE_SIZE]).arg(&v1),
    );
    run(
        "making the filesystem",
        Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&v1),
    );
    {
        let point = root.join("mnt");
        let _mounted = Mounted::new(&v1, &point);
        run(
            "debootstrap",
            Command::new("debootstrap")
                .args(["--variant=minbase", "bookworm"])
                .arg(&point)
                .arg("http://deb.debian.org/debian"),
        );
        let _ = std::fs::remove_dir_all(point.join("var/cache/apt/archives"));
        std::fs::create_dir_all(point.join("var/cache/apt/archives/partial")).unwrap();
    }
    run(
        "copying version 1",
        Command::new("cp").arg("--sparse=always").arg(&v1).arg(&v2),
    );
    {
        let point = root.join("mnt");
        let mut mounted = Mounted::new(&v2, &point);
        mounted.bind("/proc");
        mounted.bind("/dev");
        std::fs::copy("/etc/resolv.conf", point.join("etc/resolv.conf")).unwrap();
        run(
            "apt-get update in version 2",
            Command::new("chroot")
                .arg(&point)
                .args(["apt-get", "-q", "update"]),
        );
        run(
            "apt-get install in version 2",
            Command::new("chroot")
                .arg(&point)
                .args(["apt-get", "-q", "-y", "install"])
                .args(UPGRADE)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        );
        run(
            "apt-get clean in version 2",
            Command::new("chroot")
                .arg(&point)
                .args(["apt-get", "clean"]),
        );
    }
    for image in [&v1, &v2] {
        run(
            "compressing with zstd -19",
            Command::new("zstd")
                .args(["-q", "-19", "-T0", "-f"])
                .arg(image)
                .arg("-o")
                .arg(images.zst(image)),
        );
    }
    std::fs::create_dir_all(root.join("casync")).unwrap();
    run(
        "casync make",
        Command::new("casync")
            .arg("make")
            .arg(format!("--store={}", images.casync_store().display()))
            .arg(images.casync_index())
            .arg(&v2),
    );
    let _ = std::fs::remove_dir(root.join("mnt"));
    std::fs::write(&done, "").unwrap();
    ensure_zeroed(&images);
    images
}

/// Both versions with their free space zeroed, compressed, and in a casync store.
fn ensure_zeroed(images: &Images) {
    let folder = images.root.join(ZEROED);
    let done = folder.join(format!("complete-{VERSION}"));
    if done.exists() {
        return;
    }
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(folder.join("casync")).unwrap();
    for image in [images.v1(), images.v2()] {
        let zeroed = images.zeroed(&image);
        run(
            "e2image -ra",
            Command::new("e2image").arg("-ra").arg(&image).arg(&zeroed),
        );
        run(
            "compressing with zstd -19",
            Command::new("zstd")
                .args(["-q", "-19", "-T0", "-f"])
                .arg(&zeroed)
                .arg("-o")
                .arg(images.zst(&zeroed)),
        );
    }
    run(
        "casync make",
        Command::new("casync")
            .arg("make")
            .arg(format!(
                "--store={}",
                folder.join("casync/store.castr").display()
            ))
            .arg(images.zeroed_casync_index())
            .arg(images.zeroed(&images.v2())),
    );
    std::fs::write(&done, "").unwrap();
}

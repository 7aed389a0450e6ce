//! The appliance guest's disk: a Debian 12 root filesystem made with debootstrap from the
//! system's Debian mirror, with Debian's kernel, systemd, udev, the system bus, the QEMU guest
//! agent and the runtime libraries of the `linuxkms` build. Made once per machine into
//! [`GUEST_DIR`] and made again only when its recipe (the text [`recipe`] returns) changes.
//! Hearth is not in it: the tests and `cargo xtask appliance` install Hearth into each boot
//! with docs/DEPLOY.md's script.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Where the guest's files are (the same path is in tests/src/appliance/mod.rs): `root.img`
/// (ext4, the whole root filesystem), `vmlinuz`, `initrd.img`, and `recipe`, written last.
pub const GUEST_DIR: &str = "/var/tmp/hearth-appliance";

/// Debian packages in the guest beyond debootstrap's minimal base.
const PACKAGES: &[&str] = &[
    // The machine: kernel (virtio_gpu, virtio_input, uinput), systemd as PID 1, udev, the
    // system bus with logind, and the agent the tests and `cargo xtask appliance` drive it by.
    "linux-image-amd64",
    "systemd-sysv",
    "udev",
    "dbus",
    "libpam-systemd",
    "kmod",
    "procps",
    "qemu-guest-agent",
    // What the `linuxkms` build of hearth links: DRM, GBM, libinput, xkbcommon, fontconfig,
    // GStreamer, with the plugins that play media and ALSA for sound.
    "libdrm2",
    "libgbm1",
    "libinput10",
    "libudev1",
    "libxkbcommon0",
    "libfontconfig1",
    "libgstreamer1.0-0",
    "libgstreamer-plugins-base1.0-0",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-alsa",
    // Gamepads and other evdev devices made on /dev/uinput for tests.
    "evemu-tools",
];

/// Files written into the root filesystem, after the packages.
const FILES: &[(&str, &str)] = &[
    ("etc/hostname", "hearth-appliance\n"),
    (
        "etc/hosts",
        "127.0.0.1 localhost\n127.0.1.1 hearth-appliance\n",
    ),
    ("etc/fstab", "/dev/vda / ext4 defaults 0 1\n"),
    // The host (an image origin, say) through QEMU's user-mode network, when it has one.
    (
        "etc/systemd/network/20-wired.network",
        "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
    ),
];

/// Units enabled in the guest beyond what the packages enable.
const ENABLE: &[&str] = &["systemd-networkd.service"];

/// The root filesystem's size; sparse, so only what is written takes room.
const ROOT_SIZE: &str = "3G";

/// What the guest is made of; a change to it makes the guest again.
pub fn recipe() -> String {
    let mut text = String::from("debian bookworm minbase\npackages:");
    for package in PACKAGES {
        text.push(' ');
        text.push_str(package);
    }
    text.push('\n');
    for (path, contents) in FILES {
        text.push_str(&format!("file {path}:\n{contents}"));
    }
    text.push_str(&format!("enable: {}\nsize {ROOT_SIZE}\n", ENABLE.join(" ")));
    text
}

/// Makes the guest unless the one in [`GUEST_DIR`] has the current recipe.
pub fn ensure() -> anyhow::Result<()> {
    let dir = Path::new(GUEST_DIR);
    let recipe = recipe();
    let current = std::fs::read_to_string(dir.join("recipe")).is_ok_and(|made| made == recipe)
        && ["root.img", "vmlinuz", "initrd.img"]
            .iter()
            .all(|file| dir.join(file).exists());
    if current {
        return Ok(());
    }
    if !crate::packages::is_root() {
        bail!(
            "the appliance guest ({GUEST_DIR}) must be made as root (debootstrap, chroot): \
             run `sudo cargo xtask setup test`"
        );
    }
    crate::packages::install_now(&["debootstrap", "e2fsprogs", "qemu-utils"])?;
    eprintln!("xtask: making the appliance guest in {GUEST_DIR} (once; a few minutes)");
    let _ = std::fs::remove_file(dir.join("recipe"));
    let work = dir.join("work");
    if work.exists() {
        unmount_all(&work.join("root"));
        std::fs::remove_dir_all(&work).context("removing an unfinished guest")?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let root = work.join("root");
    bootstrap(&root)?;
    for file in ["vmlinuz", "initrd.img"] {
        let source = newest(&root.join("boot"), file)?;
        std::fs::copy(&source, work.join(file))
            .with_context(|| format!("copying {}", source.display()))?;
    }
    run(
        Command::new("truncate")
            .args(["-s", ROOT_SIZE])
            .arg(work.join("root.img")),
        "making the root filesystem's file",
    )?;
    run(
        Command::new("mkfs.ext4")
            .args(["-q", "-F", "-L", "hearth-root", "-d"])
            .arg(&root)
            .arg(work.join("root.img")),
        "mkfs.ext4 -d (the root filesystem from the folder)",
    )?;
    for file in ["root.img", "vmlinuz", "initrd.img"] {
        std::fs::rename(work.join(file), dir.join(file))
            .with_context(|| format!("moving {file} into {GUEST_DIR}"))?;
    }
    std::fs::remove_dir_all(&work).context("removing the guest's build folder")?;
    // Written last: its presence says the guest is complete.
    std::fs::write(dir.join("recipe"), recipe).context("writing the guest's recipe")?;
    eprintln!("xtask: the appliance guest is ready");
    Ok(())
}

/// debootstrap, then the packages with apt inside the new system (debootstrap's own
/// resolver cannot pick between alternatives such as dbus-session-bus), then the files.
fn bootstrap(root: &Path) -> anyhow::Result<()> {
    let (mirror, _) = crate::packages::debian_mirror()?;
    run(
        Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(root)
            .arg(&mirror),
        "debootstrap (the appliance guest's base)",
    )?;
    // Services are not started inside the chroot.
    let policy = root.join("usr/sbin/policy-rc.d");
    std::fs::write(&policy, "#!/bin/sh\nexit 101\n").context("writing policy-rc.d")?;
    set_mode(&policy, 0o755)?;
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf"))
        .context("copying resolv.conf into the guest")?;
    let installed = {
        let _mounts = Mounts::new(root)?;
        let mut install = Command::new("chroot");
        install
            .arg(root)
            .args(["apt-get", "install", "-y", "-q", "--no-install-recommends"])
            .args(PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive");
        run(
            &mut install,
            "apt-get install (the appliance guest's packages)",
        )
        .and_then(|()| {
            run(
                Command::new("chroot").arg(root).args(["apt-get", "clean"]),
                "apt-get clean",
            )
        })
    };
    installed?;
    std::fs::remove_file(&policy).context("removing policy-rc.d")?;
    std::fs::write(root.join("etc/resolv.conf"), "").context("emptying resolv.conf")?;
    for (path, contents) in FILES {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, contents).with_context(|| format!("writing /{path}"))?;
    }
    run(
        Command::new("systemctl")
            .arg(format!("--root={}", root.display()))
            .arg("enable")
            .args(ENABLE),
        "enabling the guest's units",
    )
}

/// /proc, /sys and /dev inside the chroot while apt runs there; unmounted when dropped.
struct Mounts {
    root: PathBuf,
}

impl Mounts {
    fn new(root: &Path) -> anyhow::Result<Mounts> {
        let mounts = Mounts {
            root: root.to_path_buf(),
        };
        run(
            Command::new("mount")
                .args(["-t", "proc", "proc"])
                .arg(root.join("proc")),
            "mounting /proc in the guest",
        )?;
        run(
            Command::new("mount")
                .args(["-t", "sysfs", "sys"])
                .arg(root.join("sys")),
            "mounting /sys in the guest",
        )?;
        run(
            Command::new("mount")
                .args(["--bind", "/dev"])
                .arg(root.join("dev")),
            "binding /dev into the guest",
        )?;
        Ok(mounts)
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        unmount_all(&self.root);
    }
}

fn unmount_all(root: &Path) {
    for point in ["dev", "sys", "proc"] {
        let target = root.join(point);
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(&target)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The newest `<prefix>-<version>` file in `dir` (the kernel and its initrd in /boot).
fn newest(dir: &Path, prefix: &str) -> anyhow::Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&format!("{prefix}-")))
        })
        .collect();
    found.sort();
    found
        .pop()
        .with_context(|| format!("no {prefix}-* in the guest's {}", dir.display()))
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("starting: {what}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        let start = tail.len().saturating_sub(30);
        bail!(
            "failed: {what} ({})\n{}",
            output.status,
            tail[start..].join("\n")
        );
    }
    Ok(())
}

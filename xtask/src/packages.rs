//! System packages: what each command needs, installed only when missing.

use std::process::Command;

use anyhow::{Context, bail};

/// The playback benchmark's baselines (`gst-launch-1.0`, mpv) and its MPRIS client.
pub const BENCH_PLAYBACK: &[&str] = &["gstreamer1.0-tools", "mpv", "playerctl", "xvfb", "dbus"];
/// The baselines `cargo xtask bench media` compares with.
pub const BENCH_MEDIA: &[&str] = &[
    "gstreamer1.0-plugins-base-apps",
    "libvips-tools",
    "imagemagick",
    "findutils",
];

/// The baselines and tools `cargo xtask bench images` uses (nginx and minisign come with
/// [`TEST`]).
pub const BENCH_IMAGES: &[&str] = &[
    "casync",
    "zstd",
    "curl",
    "debootstrap",
    "e2fsprogs",
    "coreutils",
];

/// GStreamer, to build the media crate and to read and play media; cmake and nasm build the
/// libjpeg-turbo the media helper decodes photos with.
pub const GSTREAMER: &[&str] = &[
    "cmake",
    "nasm",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    // Subtitles drawn over video (the pango plugin) and ALSA for appliances without a
    // sound server.
    "gstreamer1.0-x",
    "gstreamer1.0-alsa",
];

/// Building and running Hearth, on a display or a virtual one (with [`GSTREAMER`]).
pub const RUN: &[&str] = &[
    "pkg-config",
    "libfontconfig-dev",
    "libxkbcommon-dev",
    "xvfb",
    "xauth",
    "imagemagick",
    // The demo's image store and its image service's bus.
    "nginx-light",
    "dbus",
];
/// Everything the tests need, from Debian 12 itself (with [`GSTREAMER`]).
pub const TEST: &[&str] = &[
    "pkg-config",
    "libfontconfig-dev",
    "libxkbcommon-dev",
    "dbus",
    "libvirt-daemon",
    "libvirt-dbus",
    "libvirt-clients",
    "busybox-static",
    "xvfb",
    "xauth",
    "xdotool",
    "x11-xkb-utils",
    "imagemagick",
    "nginx-light",
    "minisign",
    "libglib2.0-bin",
    "python3-dbusmock",
    // An MPRIS client, to drive Hearth's player as desktop widgets do.
    "playerctl",
    // busctl as a client of Hearth's own service, systemd-analyze to check its unit.
    "systemd",
    // The appliance build: Slint's LinuxKMS backend with libinput (GBM and DRM come with
    // TEST_BACKPORTS).
    "libinput-dev",
    "libudev-dev",
    // ext4 images and partitioned disks for the publisher's free-space tests.
    "e2fsprogs",
    "fdisk",
];
/// What the tests need from bookworm-backports: QEMU 10 with its D-Bus display, and Mesa's
/// lavapipe, which renders wgpu correctly only from backports. GStreamer's development
/// headers need the GBM and DRM headers of the same Mesa, so those come from there too and
/// are installed first.
pub const TEST_BACKPORTS: &[&str] = &[
    "qemu-system-x86",
    // qemu-img makes each VM's overlay over its image version (the image service).
    "qemu-utils",
    "qemu-system-modules-opengl",
    "mesa-vulkan-drivers",
    "libgbm-dev",
    "libdrm-dev",
];

const BACKPORTS_SUITE: &str = "bookworm-backports";
const BACKPORTS_SOURCE: &str = "/etc/apt/sources.list.d/hearth-backports.sources";

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs what building and running Hearth needs, `extra` and GStreamer, with apt-get as
/// root, or says the command to run.
pub fn ensure_with_gstreamer(extra: &[&str]) -> anyhow::Result<()> {
    install(&[GSTREAMER, extra].concat(), None)
}

/// Installs the missing packages from Debian 12 itself.
pub fn install_now(packages: &[&str]) -> anyhow::Result<()> {
    install(packages, None)
}

/// Installs the missing packages from bookworm-backports, adding that suite first if needed.
pub fn ensure_backports(packages: &[&str]) -> anyhow::Result<()> {
    if packages.iter().all(|p| installed(p)) {
        return Ok(());
    }
    if is_root() {
        add_backports_source()?;
    }
    install(packages, Some(BACKPORTS_SUITE))
}

fn install(packages: &[&str], suite: Option<&str>) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let target = suite.map(|s| format!("-t {s} ")).unwrap_or_default();
    if !is_root() {
        bail!(
            "missing system packages; install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends {target}{list}"
        );
    }
    eprintln!("xtask: installing {target}{list}");
    let update = Command::new("apt-get")
        .args(["update", "-qq"])
        .status()
        .context("running apt-get update")?;
    if !update.success() {
        bail!("apt-get update failed");
    }
    let mut command = Command::new("apt-get");
    command.args(["install", "-y", "-qq", "--no-install-recommends"]);
    if let Some(suite) = suite {
        command.args(["-t", suite]);
    }
    let install = command
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .context("running apt-get install")?;
    if !install.status.success() {
        bail!(
            "apt-get install {target}{list} failed:\n{}{}",
            String::from_utf8_lossy(&install.stdout),
            String::from_utf8_lossy(&install.stderr)
        );
    }
    Ok(())
}

/// Adds bookworm-backports with the same mirror and key as the system's first Debian source,
/// so no host name is written here.
fn add_backports_source() -> anyhow::Result<()> {
    if std::path::Path::new(BACKPORTS_SOURCE).exists() {
        return Ok(());
    }
    let (uris, key) = debian_mirror()?;
    let mut stanza =
        format!("Types: deb\nURIs: {uris}\nSuites: {BACKPORTS_SUITE}\nComponents: main\n");
    if let Some(key) = key {
        stanza.push_str(&format!("Signed-By: {key}\n"));
    }
    std::fs::write(BACKPORTS_SOURCE, stanza)
        .with_context(|| format!("writing {BACKPORTS_SOURCE}"))?;
    eprintln!("xtask: added {BACKPORTS_SUITE} in {BACKPORTS_SOURCE}");
    Ok(())
}

/// The system's Debian mirror and its key, from its first Debian source, so no host name is
/// written here.
pub fn debian_mirror() -> anyhow::Result<(String, Option<String>)> {
    let system = std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources")
        .context("reading /etc/apt/sources.list.d/debian.sources to find the Debian mirror")?;
    let first = system.split("\n\n").next().unwrap_or("");
    let field = |name: &str| {
        first.lines().find_map(|line| {
            line.strip_prefix(name)
                .map(|value| value.trim().to_string())
        })
    };
    let uris = field("URIs:").context("no URIs in the first Debian source")?;
    // A stanza may list several mirrors; the first serves.
    let first_uri = uris.split_whitespace().next().unwrap_or(&uris).to_string();
    Ok((first_uri, field("Signed-By:")))
}

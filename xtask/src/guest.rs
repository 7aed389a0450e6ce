//! The guest kernel the VM tests boot: Debian's own, taken out of its package once and kept
//! outside the clone, with the few modules the test guests load (evdev for their input logs,
//! virtio input devices, the virtio disk that carries a VM image, the virtio GPU that follows
//! Hearth's view size). The tests build a
//! busybox initramfs around them themselves.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// Where the tests find the kernel (the same path is in tests/src/guest.rs).
pub const GUEST_KERNEL: &str = "/var/cache/hearth/guest/vmlinuz";
/// Where the tests find the modules, with `order` listing them in loading order.
pub const GUEST_MODULES: &str = "/var/cache/hearth/guest/modules";

/// The modules the test guests load, each after the ones it needs (`modinfo -F depends`).
const MODULES: &[&str] = &[
    "drivers/input/evdev.ko",
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci.ko",
    "drivers/block/virtio_blk.ko",
    "drivers/virtio/virtio_input.ko",
    "drivers/gpu/drm/drm.ko",
    "drivers/gpu/drm/drm_kms_helper.ko",
    "drivers/gpu/drm/drm_shmem_helper.ko",
    "drivers/virtio/virtio_dma_buf.ko",
    "drivers/gpu/drm/virtio/virtio-gpu.ko",
];

fn output(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn ensure_kernel() -> anyhow::Result<()> {
    let target = Path::new(GUEST_KERNEL);
    let modules = Path::new(GUEST_MODULES);
    let complete = std::fs::read_to_string(modules.join("order")).is_ok_and(|order| {
        MODULES.iter().all(|module| {
            let name = module.rsplit('/').next().unwrap_or(module);
            order.lines().any(|line| line == name)
        })
    });
    if target.exists() && complete {
        return Ok(());
    }
    let depends = output(
        Command::new("apt-cache").args(["depends", "linux-image-amd64"]),
        "apt-cache depends",
    )?;
    let package = depends
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|name| name.starts_with("linux-image-"))
        .context("no kernel package behind linux-image-amd64")?
        .to_string();
    let work = std::env::temp_dir().join(format!("hearth-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&work).context("creating a download folder")?;
    eprintln!("xtask: fetching the guest kernel from {package}");
    output(
        Command::new("apt-get")
            .args(["download", "-qq", &package])
            .current_dir(&work),
        "apt-get download",
    )?;
    let deb = std::fs::read_dir(&work)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .context("apt-get download left no .deb")?;
    let unpacked = work.join("unpacked");
    output(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked),
        "dpkg-deb -x",
    )?;
    let kernel = std::fs::read_dir(unpacked.join("boot"))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .context("the kernel package holds no vmlinuz")?;
    std::fs::create_dir_all(target.parent().context("kernel path has a folder")?)?;
    std::fs::copy(&kernel, target)
        .with_context(|| format!("copying the kernel to {GUEST_KERNEL}"))?;
    copy_modules(&unpacked, modules)?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Copies [`MODULES`] out of the unpacked package, flat, and writes their loading order.
fn copy_modules(unpacked: &Path, target: &Path) -> anyhow::Result<()> {
    let tree = std::fs::read_dir(unpacked.join("lib/modules"))
        .context("the kernel package holds no lib/modules")?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("kernel"))
        .find(|path| path.is_dir())
        .context("the kernel package holds no module tree")?;
    std::fs::create_dir_all(target).with_context(|| format!("creating {}", target.display()))?;
    let mut order = String::new();
    for module in MODULES {
        let source = tree.join(module);
        let name = Path::new(module)
            .file_name()
            .context("module path has a file name")?;
        std::fs::copy(&source, target.join(name))
            .with_context(|| format!("copying the guest module {}", source.display()))?;
        order.push_str(&name.to_string_lossy());
        order.push('\n');
    }
    // Written last: its presence says the set is complete.
    std::fs::write(target.join("order"), order).context("writing the module order")
}

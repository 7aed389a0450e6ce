//! System packages: what each command needs, installed only when missing.

use std::process::Command;

use anyhow::{Context, bail};

/// Building and running Hearth, on a display or a virtual one.
pub const RUN: &[&str] = &[
    "pkg-config",
    "libfontconfig-dev",
    "libxkbcommon-dev",
    "xvfb",
    "xauth",
    "imagemagick",
];
/// Everything the tests need.
pub const TEST: &[&str] = &["pkg-config", "libfontconfig-dev", "libxkbcommon-dev"];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs the missing packages with apt-get as root, or says the command to run.
pub fn ensure(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "missing system packages; install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends {list}"
        );
    }
    eprintln!("xtask: installing {list}");
    let update = Command::new("apt-get")
        .args(["update", "-qq"])
        .status()
        .context("running apt-get update")?;
    if !update.success() {
        bail!("apt-get update failed");
    }
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get install")?;
    if !install.success() {
        bail!("apt-get install {list} failed");
    }
    Ok(())
}

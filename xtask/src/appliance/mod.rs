//! `cargo xtask appliance`: the appliance guest (a Debian 12 machine in QEMU with systemd,
//! DRM and libinput devices), booted for a person with Hearth's release build installed by
//! docs/DEPLOY.md's script, and driven from another terminal with the same command.

pub mod image;

use std::process::Command;

use crate::{cargo, packages, status};

/// `cargo xtask appliance [boot OPTIONS | tap X Y | swipe … | keys … | type … | run … | stop]`.
pub fn appliance(args: &[String]) -> anyhow::Result<()> {
    let booting = args.first().is_none_or(|command| command == "boot");
    if booting {
        crate::setup_test()?;
        build_release()?;
    } else {
        // Driving a running guest needs only the driver.
        let mut build = cargo();
        build.args([
            "build",
            "--release",
            "-p",
            "hearth-tests",
            "--bin",
            "appliance",
        ]);
        status(build, "cargo build --release --bin appliance")?;
    }
    let mut driver = Command::new(crate::target_dir().join("release").join("appliance"));
    if args.is_empty() {
        driver.arg("boot");
    }
    driver.args(args);
    let what = if booting {
        "booting the appliance guest"
    } else {
        "driving the appliance guest"
    };
    status(driver, what)
}

/// What the guest runs: the `linuxkms` build of hearth, the media helper and hearth-image,
/// as docs/DEPLOY.md builds them, and the driver.
fn build_release() -> anyhow::Result<()> {
    packages::ensure_with_gstreamer(packages::RUN)?;
    crate::build_appliance(true)?;
    let mut rest = cargo();
    rest.args([
        "build",
        "--release",
        "-p",
        "hearth-media",
        "-p",
        "hearth-images",
        "-p",
        "hearth-tests",
        "--bin",
        "hearth-media-helper",
        "--bin",
        "hearth-image",
        "--bin",
        "appliance",
    ]);
    status(
        rest,
        "cargo build --release (the media helper, hearth-image, the driver)",
    )
}

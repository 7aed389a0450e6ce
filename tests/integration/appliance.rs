//! The appliance build (`--no-default-features --features linuxkms`, built by `cargo xtask
//! test` into `<target>/appliance`): its start-up path on DRM/KMS. Where the kernel offers a
//! DRM device (vkms, real hardware) Hearth must come up on it; where it offers none (this
//! machine: no /dev/dri, no kernel modules) Hearth must stop with a clear error, not a panic
//! or a hang.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hearth_tests::services::TempDir;

fn appliance_binary() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("appliance/debug/hearth")
}

#[test]
fn the_linuxkms_build_starts_on_drm_or_says_clearly_why_it_cannot() {
    let binary = appliance_binary();
    assert!(
        binary.exists(),
        "{} is missing: `cargo xtask test` builds it first",
        binary.display()
    );
    let dir = TempDir::new("appliance");
    let config = dir.path().join("hearth.toml");
    std::fs::write(
        &config,
        "[media]\nroots = []\n\n[playback]\naudio = \"none\"\n\n[service]\nbus = \"none\"\n\n\
         [appliance]\nrotation = 90\ntouch_calibration = [0.0, 1.0, 0.0, -1.0, 0.0, 1.0]\n",
    )
    .expect("a config");
    let mut child = Command::new(&binary)
        .arg("--config")
        .arg(&config)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("SLINT_BACKEND", "linuxkms-software")
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("HEARTH_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the appliance build");
    let started = Instant::now();
    let drm = Path::new("/dev/dri/card0").exists();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(if drm { 10 } else { 30 }) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if status.is_none() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().expect("its output");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        !errors.contains("panicked"),
        "the appliance build panicked:\n{errors}"
    );
    if drm {
        // A DRM device: Hearth is up and stays up until it is stopped.
        assert!(
            status.is_none(),
            "Hearth stopped on a DRM device:\n{errors}"
        );
        assert!(errors.contains("starting"), "{errors}");
    } else {
        let status = status.expect("without a DRM device Hearth stops at once");
        assert!(!status.success());
        assert!(
            errors.contains("hearth: creating the window")
                && errors.contains("Could not initialize software display"),
            "the error says what is missing:\n{errors}"
        );
    }
}

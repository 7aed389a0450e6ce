//! `hearth --check-media` as an ordinary user (the tests run as root, who may read
//! anything): folders and files it may not read are reported with the reason, and the rest of
//! the library is read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use hearth_tests::media::png_bytes;
use hearth_tests::services::TempDir;
use hearth_tests::xvfb::hearth_binary;

fn png(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
    std::fs::write(path, png_bytes(32, 24, 90)).expect("a photo");
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn unreadable_folders_and_files_are_reported_and_the_rest_is_read() {
    let dir = TempDir::new("media-check");
    chmod(dir.path(), 0o755);
    let library = dir.path().join("Pictures");
    png(&library.join("fine.png"));
    png(&library.join("locked.png"));
    png(&library.join("Private/inside.png"));
    chmod(&library.join("locked.png"), 0o000);
    chmod(&library.join("Private"), 0o000);
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("a folder");
    chmod(&state, 0o777);
    let config = dir.path().join("hearth.toml");
    std::fs::write(
        &config,
        format!("[media]\nroots = [\"{}\"]\n", library.display()),
    )
    .expect("a config");

    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(hearth_binary())
        .arg("--config")
        .arg(&config)
        .arg("--check-media")
        .env("HOME", &state)
        .env("XDG_DATA_HOME", state.join("data"))
        .env("XDG_CACHE_HOME", state.join("cache"))
        .output()
        .expect("running hearth --check-media as nobody");
    let report = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    chmod(&library.join("Private"), 0o755);
    assert!(output.status.success(), "{report}\n{errors}");
    assert!(
        report.contains("library: 0 videos, 0 songs in 0 albums, 1 photo"),
        "{report}"
    );
    let line_for = |name: &str| {
        report
            .lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("{name} is not in the report:\n{report}"))
            .to_string()
    };
    assert!(
        line_for("Private").contains("Permission denied"),
        "{report}"
    );
    assert!(
        line_for("locked.png").contains("Permission denied"),
        "{report}"
    );
    assert!(
        report.contains("could not be entered or read (2):"),
        "{report}"
    );
}

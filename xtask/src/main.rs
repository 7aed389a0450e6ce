//! Project chores: `cargo xtask run|test|bench|screenshots|setup`.

mod appliance;
mod bench;
mod demo_images;
mod guest;
mod packages;
mod private_bus;
mod run;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run            install what is missing, build, and start Hearth in demo mode
                 (on a virtual display with screenshots when there is no display)
  test [ARGS]    install what the tests need, then fmt, clippy, boundaries and every test
                 (ARGS go to `cargo test`, e.g. a test name filter)
  bench [NAME]   benchmarks, printed as tables beside their baselines (NAME: switch, display, media,
                 images, playback, appliance)
  appliance [COMMAND]  boot the appliance guest (QEMU, systemd, DRM/KMS) with Hearth
                 installed, and drive it: tap X Y, swipe X1 Y1 X2 Y2 [FINGERS],
                 keys KEY..., type KEY..., screenshot FILE, run 'COMMAND', stop
  screenshots    render the main screens to docs/screenshots
  setup [run|test]  only install the system packages";

fn main() {
    if let Err(error) = dispatch() {
        eprintln!("xtask: {error:#}");
        std::process::exit(1);
    }
}

fn dispatch() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "run" => run::run(&rest),
        "test" => test(&rest),
        "bench" => bench::bench(&rest),
        "appliance" => appliance::appliance(&rest),
        "screenshots" => screenshots(),
        "setup" => match rest.first().map(String::as_str) {
            Some("run") => packages::ensure_with_gstreamer(packages::RUN),
            None | Some("test") => setup_test(),
            Some(other) => bail!("unknown setup target {other:?} (expected run or test)"),
        },
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    // `cargo run` says where xtask's manifest is now; the path compiled in is where it was
    // built, which may be another clone sharing the target folder.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs a command and fails with its name when it fails.
pub fn status(mut command: Command, what: &str) -> anyhow::Result<()> {
    eprintln!("xtask: {what}");
    let status = command
        .status()
        .with_context(|| format!("starting: {what}"))?;
    if !status.success() {
        bail!("failed: {what} ({status})");
    }
    Ok(())
}

/// Everything the tests need: packages, QEMU from backports, the guest kernel, the
/// appliance guest.
pub fn setup_test() -> anyhow::Result<()> {
    packages::ensure_backports(packages::TEST_BACKPORTS)?;
    packages::ensure_with_gstreamer(packages::TEST)?;
    guest::ensure_kernel()?;
    appliance::image::ensure()
}

fn test(extra: &[String]) -> anyhow::Result<()> {
    setup_test()?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    status(fmt, "cargo fmt --all --check")?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    status(
        clippy,
        "cargo clippy --workspace --all-targets -- -D warnings",
    )?;
    check_boundaries()?;
    // The renderer tests start the real binary, the media tests the media helper, and the
    // image tests `hearth-image`.
    let mut build = cargo();
    build.args([
        "build",
        "-p",
        "hearth",
        "-p",
        "hearth-media",
        "-p",
        "hearth-images",
    ]);
    status(
        build,
        "cargo build -p hearth -p hearth-media -p hearth-images",
    )?;
    // The footprint test measures the build a device runs (built as the benchmarks build
    // it, so the two share one build).
    bench::build_release()?;
    // The appliance build (LinuxKMS, without wgpu) must compile as well: its start-up is
    // tested here and in the appliance guest.
    build_appliance(false)?;
    if !extra.is_empty() {
        let mut tests = cargo();
        tests.args(["test", "--workspace"]).args(extra);
        return status(tests, "cargo test --workspace");
    }
    // The appliance guests run apart, after the rest: each keeps both cores busy under TCG,
    // which would starve the tests that play media in real time.
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--", "--skip", APPLIANCE_GUEST_TESTS]);
    status(
        tests,
        "cargo test --workspace (all but the appliance guest)",
    )?;
    let mut guests = cargo();
    guests.args([
        "test",
        "-p",
        "hearth-tests",
        "--test",
        "integration",
        APPLIANCE_GUEST_TESTS,
    ]);
    status(guests, "cargo test (the appliance guest)")
}

/// The tests that boot the appliance guest (tests/integration/appliance_machine.rs).
const APPLIANCE_GUEST_TESTS: &str = "appliance_machine::";

/// The target folder: CARGO_TARGET_DIR, else `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Builds `hearth` for appliances (`--features linuxkms`, docs/DEPLOY.md) into
/// `appliance/` in the target folder, so it never replaces the `hearth` other tests start;
/// with it, the empty window the appliance benchmark compares Hearth with.
pub fn build_appliance(release: bool) -> anyhow::Result<()> {
    let mut build = cargo();
    build.arg("build");
    if release {
        build.arg("--release");
    }
    build
        .args([
            "-p",
            "hearth",
            "-p",
            "hearth-empty-window",
            "--no-default-features",
            "--features",
            "hearth/linuxkms,hearth-empty-window/linuxkms",
        ])
        .arg("--target-dir")
        .arg(target_dir().join("appliance"));
    let profile = if release { "--release " } else { "" };
    status(
        build,
        &format!("cargo build {profile}-p hearth -p hearth-empty-window --features linuxkms"),
    )
}

/// Fails when a crate depends on what its boundary forbids (docs/ARCHITECTURE.md).
fn check_boundaries() -> anyhow::Result<()> {
    const RULES: &[(&str, &[&str])] = &[
        (
            "hearth-ui",
            &[
                "zbus",
                "gstreamer",
                "hearth-vm-bridge",
                "hearth-media",
                "hearth-images",
                "tokio",
                "rusqlite",
                "reqwest",
                "hyper",
            ],
        ),
        (
            "hearth-vm-bridge",
            &[
                "slint",
                "gstreamer",
                "hearth-ui",
                "hearth-media",
                "hearth-images",
                "rusqlite",
                "reqwest",
                "hyper",
            ],
        ),
        (
            "hearth-media",
            &[
                "slint",
                "zbus",
                "hearth-ui",
                "hearth-vm-bridge",
                "hearth-images",
                "reqwest",
                "hyper",
                "tokio",
            ],
        ),
        (
            "hearth-images",
            &[
                "slint",
                "gstreamer",
                "rusqlite",
                "hearth-ui",
                "hearth-vm-bridge",
                "hearth-media",
            ],
        ),
        ("hearth", &["gstreamer", "rusqlite", "reqwest", "hyper"]),
    ];
    for (krate, forbidden) in RULES {
        let output = cargo()
            .args([
                "tree",
                "--offline",
                "-p",
                krate,
                "-e",
                "normal",
                "--depth",
                "1",
                "--prefix",
                "none",
            ])
            .output()
            .with_context(|| format!("listing the dependencies of {krate}"))?;
        if !output.status.success() {
            bail!(
                "cargo tree failed for {krate}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let listing = String::from_utf8_lossy(&output.stdout);
        for line in listing.lines().skip(1) {
            let name = line.split_whitespace().next().unwrap_or("");
            if forbidden.contains(&name) {
                bail!("{krate} must not depend on {name} (see docs/ARCHITECTURE.md)");
            }
        }
    }
    eprintln!("xtask: crate boundaries hold");
    Ok(())
}

fn screenshots() -> anyhow::Result<()> {
    packages::ensure_with_gstreamer(packages::RUN)?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "hearth", "-p", "hearth-media"]);
    status(build, "cargo build --release -p hearth -p hearth-media")?;
    let dir = root().join("docs/screenshots");
    let mut render = Command::new(run::binary("release"));
    render.arg("--render-screens").arg(&dir);
    status(render, "rendering the screens")?;
    println!("screenshots are in {}", dir.display());
    Ok(())
}

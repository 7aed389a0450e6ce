//! `cargo xtask bench`: figures beside baselines measured in the same run.

use anyhow::bail;

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        None => {
            switch()?;
            display()?;
            media()?;
            images()?;
            playback()?;
            appliance()
        }
        Some("switch") => switch(),
        Some("display") => display(),
        Some("media") => media(),
        Some("images") => images(),
        Some("playback") => playback(),
        Some("appliance") => appliance(),
        // An hour by default, so not part of the run above.
        Some("soak") => soak(args.get(1).map(String::as_str)),
        Some(other) => {
            bail!(
                "unknown benchmark {other:?} (expected: switch, display, media, images, playback, \
                 appliance, or soak [MINUTES])"
            )
        }
    }
}

/// Builds everything the benchmarks start: themselves, `hearth` and the baseline programs.
fn build() -> anyhow::Result<()> {
    crate::setup_test()?;
    build_release()
}

/// The release build of `hearth`, its helpers, the benchmarks and the baselines.
pub fn build_release() -> anyhow::Result<()> {
    let mut build = crate::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "hearth",
        "-p",
        "hearth-media",
        "-p",
        "hearth-images",
        "-p",
        "hearth-tests",
        "-p",
        "hearth-empty-window",
        "--bins",
    ]);
    crate::status(
        build,
        "cargo build --release (hearth, the benchmarks, the baselines)",
    )
}

fn run_benchmark(name: &str, what: &str) -> anyhow::Result<()> {
    build()?;
    let command = std::process::Command::new(crate::run::binary("release").with_file_name(name));
    crate::status(command, what)
}

fn switch() -> anyhow::Result<()> {
    run_benchmark("bench-switch", "switch latency and start-up benchmarks")
}

fn media() -> anyhow::Result<()> {
    crate::packages::ensure_with_gstreamer(crate::packages::BENCH_MEDIA)?;
    run_benchmark(
        "bench-media",
        "media library benchmarks (scan, metadata, thumbnails, start-up)",
    )
}

fn images() -> anyhow::Result<()> {
    crate::packages::ensure_with_gstreamer(crate::packages::BENCH_IMAGES)?;
    run_benchmark(
        "bench-images",
        "image delivery benchmarks (delta bytes and requests, full install, memory)",
    )
}

fn playback() -> anyhow::Result<()> {
    crate::packages::ensure_with_gstreamer(crate::packages::BENCH_PLAYBACK)?;
    run_benchmark(
        "bench-playback",
        "playback benchmarks (CPU beside decode-only, lost frames, paused on screen)",
    )
}

fn soak(minutes: Option<&str>) -> anyhow::Result<()> {
    crate::packages::ensure_with_gstreamer(crate::packages::BENCH_PLAYBACK)?;
    build()?;
    let mut command =
        std::process::Command::new(crate::run::binary("release").with_file_name("bench-soak"));
    command.args(minutes);
    crate::status(
        command,
        "soak benchmark (VM switches with music playing: RSS, files, threads)",
    )
}

fn display() -> anyhow::Result<()> {
    run_benchmark(
        "bench-display",
        "display update path and real-VM switch benchmarks",
    )
}

fn appliance() -> anyhow::Result<()> {
    crate::build_appliance(true)?;
    run_benchmark(
        "bench-appliance",
        "appliance benchmarks (boot and start to home on DRM/KMS beside an empty window, RSS)",
    )
}

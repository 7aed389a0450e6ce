//! `cargo xtask bench`: figures beside baselines measured in the same run.

use anyhow::bail;

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        None => {
            switch()?;
            display()
        }
        Some("switch") => switch(),
        Some("display") => display(),
        Some(other) => bail!("unknown benchmark {other:?} (expected: switch or display)"),
    }
}

fn switch() -> anyhow::Result<()> {
    let mut command = crate::cargo();
    command.args([
        "run",
        "--release",
        "-p",
        "hearth-tests",
        "--bin",
        "bench-switch",
    ]);
    crate::status(command, "switch latency and start-up benchmarks")
}

fn display() -> anyhow::Result<()> {
    crate::setup_test()?;
    let mut build = crate::cargo();
    build.args(["build", "--release", "-p", "hearth-tests", "--bins"]);
    crate::status(build, "cargo build --release (the benchmarks)")?;
    let command =
        std::process::Command::new(crate::run::binary("release").with_file_name("bench-display"));
    crate::status(command, "display update path and real-VM switch benchmarks")
}

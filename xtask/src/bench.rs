//! `cargo xtask bench`: figures beside baselines measured in the same run.

use anyhow::bail;

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        None | Some("switch") => switch(),
        Some(other) => bail!("unknown benchmark {other:?} (expected: switch)"),
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

//! `cargo xtask bench appliance`: Hearth's `linuxkms` build in the appliance guest (systemd,
//! DRM/KMS through virtio-gpu, TCG), beside an empty Slint window started by a copy of Hearth's
//! own unit on the same guest in the same run: unit start to first frame and to settled home,
//! kernel start to first frame, and memory after settling, with the X11 build's memory on this
//! machine beside it.

mod guest;
mod x11;

use std::path::PathBuf;
use std::time::Duration;

use hearth_tests::appliance::{Appliance, Binaries, GUEST_CONFIG, Options};
use hearth_tests::startup::median;

use guest::{Boot, Memory, Start, Unit};

/// Starts of each unit on a booted guest.
const STARTS: usize = 5;
/// Boots into each unit.
const BOOTS: usize = 2;

fn main() {
    let release = std::env::current_exe().expect("own path");
    let release = release.parent().expect("the release folder");
    let target = release.parent().expect("the target folder");
    let mut binaries = Binaries::in_target(target, "release");
    binaries
        .extra
        .push(target.join("appliance/release/empty-window"));
    let dir: PathBuf = target.join("bench-appliance");
    let options = Options::default();
    let appliance = Appliance::boot(&dir, &binaries, &options).expect("booting the guest");
    appliance
        .wait_for_agent(Duration::from_secs(300))
        .expect("the guest boots");
    let installed = appliance.install(GUEST_CONFIG).expect("install.sh runs");
    assert!(
        installed.success(),
        "install.sh failed:\n{}{}",
        installed.stdout,
        installed.stderr
    );
    guest::add_baseline_unit(&appliance);

    // Each program's first start writes what later starts read (Hearth's last screens, the
    // font cache); the figures are of the starts after it.
    for unit in [Unit::EmptyWindow, Unit::Hearth] {
        guest::start_and_watch(&appliance, unit);
    }
    let mut starts: Vec<(Unit, Start)> = Vec::new();
    for _ in 0..STARTS {
        for unit in [Unit::EmptyWindow, Unit::Hearth] {
            starts.push((unit, guest::start_and_watch(&appliance, unit)));
        }
    }
    let memory: Vec<(Unit, Memory)> = [Unit::EmptyWindow, Unit::Hearth]
        .into_iter()
        .map(|unit| (unit, guest::settled_memory(&appliance, unit)))
        .collect();
    let mut boots: Vec<(Unit, Boot)> = Vec::new();
    for _ in 0..BOOTS {
        for unit in [Unit::EmptyWindow, Unit::Hearth] {
            boots.push((unit, guest::boot_into(&appliance, unit)));
        }
    }
    drop(appliance);
    let desktop = x11::settled_memory();

    report(&starts, &boots, &memory, &desktop, &options);
}

fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

fn report(
    starts: &[(Unit, Start)],
    boots: &[(Unit, Boot)],
    memory: &[(Unit, Memory)],
    desktop: &[(&str, Memory)],
    options: &Options,
) {
    let of = |unit: Unit| {
        starts
            .iter()
            .filter(move |(u, _)| *u == unit)
            .map(|(_, start)| start)
    };
    let median_of = |unit: Unit, pick: fn(&Start) -> Duration| median(of(unit).map(pick).collect());
    let worst_of =
        |unit: Unit, pick: fn(&Start) -> Duration| of(unit).map(pick).max().unwrap_or_default();
    println!();
    println!(
        "## Appliance: start to home on DRM/KMS (Debian 12 guest under TCG, virtio-gpu \
         {}x{}, software renderer; {STARTS} starts of each unit on one boot)",
        options.width, options.height
    );
    println!();
    println!(
        "Unit start → READY=1 is systemd's own timestamps (READY=1 is sent once the first \
         frame is handed to DRM). First frame → settled is judged from QMP screendumps, one \
         every 100 ms: the first dump after which the screen never again \
         differs from its final state by more than 1 % of its sampled pixels."
    );
    println!();
    println!(
        "| unit | start → READY=1 p50 | max | first frame → settled p50 | max | \
         start → settled p50 | max | screendumps a second |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for unit in [Unit::EmptyWindow, Unit::Hearth] {
        let rate: f64 = of(unit).map(|start| start.dumps_per_second).sum::<f64>()
            / of(unit).count().max(1) as f64;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {rate:.1} |",
            unit.title(),
            millis(median_of(unit, |s| s.ready)),
            millis(worst_of(unit, |s| s.ready)),
            millis(median_of(unit, |s| s.settling)),
            millis(worst_of(unit, |s| s.settling)),
            millis(median_of(unit, Start::settled)),
            millis(worst_of(unit, Start::settled)),
        );
    }
    let ratio = |pick: fn(&Start) -> Duration| {
        median_of(Unit::Hearth, pick).as_secs_f64()
            / median_of(Unit::EmptyWindow, pick).as_secs_f64()
    };
    println!(
        "| ratio hearth / empty window | {:.2} | | | | {:.2} | | goal: start → settled ≤ 1.5 |",
        ratio(|s| s.ready),
        ratio(Start::settled)
    );

    println!();
    println!(
        "## Appliance: kernel start to first frame ({BOOTS} boots into each unit, enabled alone; \
         systemd's timestamps)"
    );
    println!();
    println!("| unit | kernel → READY=1 | unit start → READY=1 |");
    println!("| --- | --- | --- |");
    for (unit, boot) in boots {
        println!(
            "| {} | {} | {} |",
            unit.title(),
            millis(boot.kernel_to_ready),
            millis(boot.unit_to_ready)
        );
    }

    println!();
    println!(
        "## Memory after settling ({} s idle after the first frame)",
        guest::IDLE.as_secs()
    );
    println!();
    println!(
        "| program | where | RSS of the program | RSS of it and every process it started | processes |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (unit, figures) in memory {
        print_memory(unit.title(), "appliance guest (DRM/KMS)", figures);
    }
    for (name, figures) in desktop {
        print_memory(name, "this machine, Xvfb (X11 build)", figures);
    }
}

fn print_memory(name: &str, place: &str, memory: &Memory) {
    println!(
        "| {name} | {place} | {:.1} MiB | {:.1} MiB | {} |",
        memory.main_mib, memory.tree_mib, memory.processes
    );
}

//! What is measured in the appliance guest: starts watched on its screen and timed by systemd,
//! boots, and the memory of a unit's processes.

use std::time::{Duration, Instant};

use hearth_tests::appliance::Appliance;
use hearth_tests::startup::changed_share;

/// How long a unit is left alone before its memory is read.
pub const IDLE: Duration = Duration::from_secs(10);
/// How long the screen is watched after a start (TCG: a release Hearth draws its first frame
/// about a second after its start).
const WATCH: Duration = Duration::from_secs(10);
/// How often the screen is dumped while a start is watched.
const DUMP_EVERY: Duration = Duration::from_millis(100);
/// Every `GRID`th pixel in each direction is compared.
const GRID: usize = 4;
/// A change to more than this share of the sampled pixels is not a small update (a clock).
const SMALL_UPDATE: f64 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    EmptyWindow,
    Hearth,
}

impl Unit {
    fn service(self) -> &'static str {
        match self {
            Unit::EmptyWindow => "empty-window.service",
            Unit::Hearth => "hearth.service",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Unit::EmptyWindow => "empty Slint window (baseline)",
            Unit::Hearth => "hearth",
        }
    }
}

pub struct Start {
    /// systemd's unit start to READY=1 (the first frame handed to DRM).
    pub ready: Duration,
    /// From the first screendump that shows the unit's frame to the one where it settled.
    pub settling: Duration,
    pub dumps_per_second: f64,
}

impl Start {
    pub fn settled(&self) -> Duration {
        self.ready + self.settling
    }
}

pub struct Boot {
    /// The guest's monotonic clock (it starts with the kernel) at READY=1.
    pub kernel_to_ready: Duration,
    pub unit_to_ready: Duration,
}

pub struct Memory {
    pub main_mib: f64,
    pub tree_mib: f64,
    pub processes: usize,
}

/// Installs the baseline: the empty window under a copy of the installed hearth.service, so
/// both start as the same user, with the same devices, environment and hardening (less the
/// watchdog, which the empty window does not ping).
pub fn add_baseline_unit(appliance: &Appliance) {
    appliance
        .run_ok(
            "set -e; install -m 755 /mnt/hearth-source/bin/empty-window /usr/local/bin/; \
             sed -e 's|^ExecStart=.*|ExecStart=/usr/local/bin/empty-window|' \
                 -e '/^WatchdogSec=/d' \
                 -e 's|^Description=.*|Description=An empty Slint window (the baseline)|' \
                 -e '/^Conflicts=getty/a Conflicts=hearth.service' \
                 /etc/systemd/system/hearth.service > /etc/systemd/system/empty-window.service; \
             systemctl daemon-reload",
        )
        .expect("installing the empty window's unit");
}

/// Every GRIDth pixel of every GRIDth row of the guest's screen.
fn sample(appliance: &Appliance) -> Vec<u32> {
    let (width, height, rgb) = appliance.screen_rgb().expect("a screendump");
    let mut grid = Vec::with_capacity((width / GRID + 1) * (height / GRID + 1));
    for y in (0..height).step_by(GRID) {
        for x in (0..width).step_by(GRID) {
            let at = (y * width + x) * 3;
            grid.push(u32::from_le_bytes([rgb[at], rgb[at + 1], rgb[at + 2], 0]));
        }
    }
    grid
}

/// Stops both units, starts `unit` and watches the screen.
pub fn start_and_watch(appliance: &Appliance, unit: Unit) -> Start {
    appliance
        .run_ok("systemctl stop hearth.service empty-window.service")
        .expect("stopping the units");
    std::thread::sleep(Duration::from_secs(1));
    let before = sample(appliance);
    appliance
        .run_ok(&format!("systemctl start --no-block {}", unit.service()))
        .expect("starting the unit");
    let started = Instant::now();
    let mut samples: Vec<(Duration, Vec<u32>)> = Vec::new();
    while started.elapsed() < WATCH {
        let at = started.elapsed();
        samples.push((at, sample(appliance)));
        // Dumping as fast as QEMU can takes a core from the guest's two and slows both
        // programs down; one dump per DUMP_EVERY leaves them their machine.
        std::thread::sleep(DUMP_EVERY.saturating_sub(started.elapsed() - at));
    }
    let dumps_per_second = samples.len() as f64 / WATCH.as_secs_f64();
    let (started_at, ready_at) = wait_until_ready(appliance, unit, Duration::from_secs(60));
    let first = samples
        .iter()
        .position(|(_, grid)| changed_share(grid, &before) > SMALL_UPDATE)
        .unwrap_or_else(|| panic!("{} never drew on the guest's screen", unit.title()));
    let last = &samples.last().expect("at least one screendump").1;
    let settled = samples
        .iter()
        .rposition(|(_, grid)| changed_share(grid, last) > SMALL_UPDATE)
        .map_or(first, |index| (index + 1).max(first));
    let start = Start {
        ready: ready_at.saturating_sub(started_at),
        settling: samples[settled].0.saturating_sub(samples[first].0),
        dumps_per_second,
    };
    eprintln!(
        "{}: start → READY=1 {:?}, first frame → settled {:?} ({dumps_per_second:.1} dumps/s)",
        unit.title(),
        start.ready,
        start.settling
    );
    start
}

/// Waits until `unit` is active, and returns its start and its READY=1 on the guest's clock.
fn wait_until_ready(appliance: &Appliance, unit: Unit, timeout: Duration) -> (Duration, Duration) {
    let started = Instant::now();
    loop {
        let shown = appliance
            .run_ok(&format!(
                "systemctl show -p ActiveState -p InactiveExitTimestampMonotonic \
                 -p ActiveEnterTimestampMonotonic {}",
                unit.service()
            ))
            .expect("systemctl show");
        let property = |name: &str| {
            shown
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or_default()
                .to_owned()
        };
        let micros = |name: &str| Duration::from_micros(property(name).parse().unwrap_or(0));
        if property("ActiveState") == "active" {
            return (
                micros("InactiveExitTimestampMonotonic"),
                micros("ActiveEnterTimestampMonotonic"),
            );
        }
        assert!(
            started.elapsed() < timeout,
            "{} was not active within {timeout:?}: {shown}\n{}",
            unit.service(),
            appliance
                .run(&format!("journalctl -b -u {} | tail -n 30", unit.service()))
                .map(|output| output.stdout)
                .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Starts `unit` (stopping the other), leaves it alone for [`IDLE`], and reads the memory of
/// every process in its control group.
pub fn settled_memory(appliance: &Appliance, unit: Unit) -> Memory {
    let service = unit.service();
    // The two units conflict, but without an order between them systemd would stop one while
    // starting the other, and the second could find DRM still held.
    appliance
        .run_ok(&format!(
            "systemctl stop hearth.service empty-window.service && systemctl start {service}"
        ))
        .expect("starting the unit");
    std::thread::sleep(IDLE);
    let listed = appliance
        .run_ok(&format!(
            "main=$(systemctl show -p MainPID --value {service}); \
             for pid in $(cat /sys/fs/cgroup/system.slice/{service}/cgroup.procs); do \
                 echo \"$pid $(awk '/^VmRSS:/ {{ print $2 }}' /proc/$pid/status) $main\"; \
             done"
        ))
        .expect("reading the unit's processes");
    let mut memory = Memory {
        main_mib: 0.0,
        tree_mib: 0.0,
        processes: 0,
    };
    for line in listed.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [pid, kib, main] = fields[..] else {
            continue;
        };
        let mib = kib.parse::<f64>().unwrap_or(0.0) / 1024.0;
        memory.tree_mib += mib;
        memory.processes += 1;
        if pid == main {
            memory.main_mib = mib;
        }
    }
    assert!(
        memory.main_mib > 0.0,
        "no memory read for {service}'s main process:\n{listed}"
    );
    memory
}

/// Enables `unit` alone, reboots, and reads when it was ready.
pub fn boot_into(appliance: &Appliance, unit: Unit) -> Boot {
    appliance
        .run_ok(&format!(
            "systemctl disable -q hearth.service empty-window.service && \
             systemctl enable -q {}",
            unit.service()
        ))
        .expect("enabling the unit");
    appliance
        .reboot(Duration::from_secs(300))
        .expect("the guest reboots");
    let (started, ready) = wait_until_ready(appliance, unit, Duration::from_secs(120));
    eprintln!("{}: booted, kernel → READY=1 {ready:?}", unit.title());
    Boot {
        kernel_to_ready: ready,
        unit_to_ready: ready.saturating_sub(started),
    }
}

//! Start-up time, idle CPU and memory of the real `hearth` binary under Xvfb, beside an empty
//! Slint window of the same size, backend and renderer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 7;
const IDLE: Duration = Duration::from_secs(10);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent().expect("own folder").join(name)
}

/// Starts a program and waits for its "first-frame" line; returns it with the time taken.
fn launch(program: &Path, args: &[&str], display: &str) -> (Killed, Duration) {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("DISPLAY", display)
        .env("HEARTH_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
    // Drained on a thread so a chatty program never blocks on a full pipe.
    let stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading the first-frame line");
    let elapsed = start.elapsed();
    if !line.starts_with("first-frame") {
        let status = child.wait();
        panic!(
            "{} printed {line:?} and ended with {status:?}:\n{}",
            program.display(),
            errors.join().unwrap_or_default()
        );
    }
    (Killed(child), elapsed)
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

struct Figures {
    first_frame_median: Duration,
    first_frame_worst: Duration,
    idle_cpu_percent: f64,
    rss_mib: f64,
}

fn measure(program: &Path, args: &[&str], display: &str) -> Figures {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| launch(program, args, display).1)
        .collect();
    times.sort();
    let (child, _) = launch(program, args, display);
    let pid = child.0.id();
    std::thread::sleep(Duration::from_secs(2));
    let ticks_per_second = 100.0;
    let before = cpu_ticks(pid);
    std::thread::sleep(IDLE);
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_second;
    Figures {
        first_frame_median: times[RUNS / 2],
        first_frame_worst: times[RUNS - 1],
        idle_cpu_percent: used / IDLE.as_secs_f64() * 100.0,
        rss_mib: rss_mib(pid),
    }
}

fn still_config() -> PathBuf {
    let path = std::env::temp_dir().join("hearth-bench-still.toml");
    let text = "[[vm]]\nname = \"Work\"\nrole = \"work\"\nrunning = false\n\n[[vm]]\nname = \"Personal\"\nrole = \"personal\"\nrunning = false\n";
    std::fs::write(&path, text).expect("writing the bench config");
    path
}

pub fn report() {
    let xvfb = hearth_tests::xvfb::Xvfb::start();
    let display = xvfb.display.clone();
    let hearth = sibling("hearth");
    let empty = sibling("empty-window");
    let config = still_config();
    let config = config.to_str().expect("utf-8 temp path");
    let rows = [
        (
            "empty Slint window (baseline)",
            measure(&empty, &[], &display),
        ),
        (
            "hearth, VMs off (nothing changes)",
            measure(
                &hearth,
                &["--report-first-frame", "--config", config],
                &display,
            ),
        ),
        (
            "hearth demo (VM clocks tick each second)",
            measure(&hearth, &["--report-first-frame"], &display),
        ),
    ];
    println!();
    println!("## Start-up and idle (winit, software renderer, Xvfb 1280x800, {RUNS} starts each)");
    println!();
    println!(
        "| program | first frame p50 | first frame max | idle CPU over {} s | RSS after idle |",
        IDLE.as_secs()
    );
    println!("| --- | --- | --- | --- | --- |");
    for (name, figures) in &rows {
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2} % of a core | {:.1} MiB |",
            figures.first_frame_median.as_secs_f64() * 1000.0,
            figures.first_frame_worst.as_secs_f64() * 1000.0,
            figures.idle_cpu_percent,
            figures.rss_mib
        );
    }
    let base = &rows[0].1;
    for (name, figures) in &rows[1..] {
        println!(
            "| ratio {name} / baseline | {:.2} | {:.2} | | {:.2} |",
            figures.first_frame_median.as_secs_f64() / base.first_frame_median.as_secs_f64(),
            figures.first_frame_worst.as_secs_f64() / base.first_frame_worst.as_secs_f64(),
            figures.rss_mib / base.rss_mib
        );
    }
}

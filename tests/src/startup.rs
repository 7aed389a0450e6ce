//! Measuring start-up, idle CPU and memory of a program under Xvfb, for the benchmarks.
//!
//! Times are judged from the pixels on the X screen, not from what a program says of itself:
//! Xvfb keeps its framebuffer in a file (`-fbdir`), which is sampled every 2 ms from the
//! moment the program is started. The first frame is the first sample that differs from the
//! empty screen; the home is settled at the first sample after which the screen never again
//! differs from its final state by more than small updates (a clock, a thumbnail's content:
//! under 1 % of the sampled pixels).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const RUNS: usize = 7;
pub const IDLE: Duration = Duration::from_secs(10);
/// How long the screen is watched after each start.
pub const WATCH: Duration = Duration::from_millis(2500);
const SAMPLE_EVERY: Duration = Duration::from_millis(2);
/// Every `GRID`th pixel in each direction is sampled.
const GRID: usize = 4;
/// A change to more than this share of the sampled pixels is not a small update.
const SMALL_UPDATE: f64 = 0.01;

pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent().expect("own folder").join(name)
}

/// Xvfb's screen 0, read from its framebuffer file (XWD: a big-endian header, a colour map,
/// then 32-bit pixels).
pub struct Screen {
    file: std::fs::File,
    offset: u64,
    width: usize,
    height: usize,
    stride: usize,
}

impl Screen {
    pub fn open(dir: &Path) -> Screen {
        let path = dir.join("Xvfb_screen0");
        let file = std::fs::File::open(&path).expect("Xvfb's framebuffer file");
        let mut header = [0u8; 100];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut header, 0).expect("XWD header");
        let field = |index: usize| {
            u32::from_be_bytes(
                header[index * 4..index * 4 + 4]
                    .try_into()
                    .expect("4 bytes"),
            )
        };
        let (header_size, width, height) = (field(0), field(4), field(5));
        let (bits_per_pixel, stride, colours) = (field(11), field(12), field(19));
        assert_eq!(
            bits_per_pixel, 32,
            "Xvfb must run at depth 24 (32 bits a pixel)"
        );
        Screen {
            file,
            offset: header_size as u64 + colours as u64 * 12,
            width: width as usize,
            height: height as usize,
            stride: stride as usize,
        }
    }

    /// Every GRIDth pixel of every GRIDth row.
    pub fn sample(&self, rows: &mut Vec<u8>) -> Vec<u32> {
        rows.resize(self.stride * self.height, 0);
        std::os::unix::fs::FileExt::read_exact_at(&self.file, rows, self.offset)
            .expect("reading the framebuffer");
        let mut grid = Vec::with_capacity((self.width / GRID) * (self.height / GRID));
        for y in (0..self.height).step_by(GRID) {
            let row = &rows[y * self.stride..];
            for x in (0..self.width).step_by(GRID) {
                let at = x * 4;
                grid.push(u32::from_le_bytes([row[at], row[at + 1], row[at + 2], 0]));
            }
        }
        grid
    }
}

/// The share of sampled pixels that differ visibly (a channel by more than 8).
pub fn changed_share(a: &[u32], b: &[u32]) -> f64 {
    let differ = |p: u32, q: u32| {
        (0..3).any(|shift| ((p >> (shift * 8)) & 0xff).abs_diff((q >> (shift * 8)) & 0xff) > 8)
    };
    let count = a.iter().zip(b).filter(|(p, q)| differ(**p, **q)).count();
    count as f64 / a.len().max(1) as f64
}

pub struct Start {
    pub first_frame: Duration,
    pub settled: Duration,
}

/// Starts a program, watches the screen, and judges its first frame and settled time.
pub fn start_and_watch(
    screen: &Screen,
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    display: &str,
) -> (Killed, Start) {
    // Whatever ran before has just been killed; let the server take its window away.
    std::thread::sleep(Duration::from_millis(300));
    let mut rows = Vec::new();
    let empty = screen.sample(&mut rows);
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .env("XDG_STATE_HOME", crate::services::fresh_state_home())
        .envs(env.iter().copied())
        .env("DISPLAY", display)
        .env("HEARTH_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
    let child = Killed(child);
    let mut samples: Vec<(Duration, Vec<u32>)> = Vec::new();
    while start.elapsed() < WATCH {
        let grid = screen.sample(&mut rows);
        let at = start.elapsed();
        if samples.last().is_none_or(|(_, last)| *last != grid) {
            samples.push((at, grid));
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    let first_frame = samples
        .iter()
        .find(|(_, grid)| changed_share(grid, &empty) > 0.0)
        .map(|(at, _)| *at)
        .unwrap_or_else(|| panic!("{} never drew", program.display()));
    let (_, last) = samples.last().expect("at least one sample");
    // The last sample that still differs from the final screen by more than a small update;
    // the screen settled at the sample after it.
    let settled = match samples
        .iter()
        .rposition(|(_, grid)| changed_share(grid, last) > SMALL_UPDATE)
    {
        Some(index) => samples[index + 1].0,
        None => samples[0].0,
    };
    (
        child,
        Start {
            first_frame,
            settled,
        },
    )
}

/// The numeric fields of /proc/PID/stat after the process's name (field 3 on), 0 where a
/// field is not a number.
fn stat_fields(pid: u32) -> Vec<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The name may hold spaces and parentheses; it ends at the last ')'.
    stat.rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap_or(0))
        .collect()
}

/// A `Name:   1234 kB` line of a /proc file, in MiB; 0 when absent.
fn kib_line_mib(file: &str, name: &str) -> f64 {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

pub fn cpu_ticks(pid: u32) -> u64 {
    // utime and stime: fields 14 and 15 of the whole line.
    stat_fields(pid).iter().skip(11).take(2).sum()
}

pub fn rss_mib(pid: u32) -> f64 {
    kib_line_mib(&format!("/proc/{pid}/status"), "VmRSS:")
}

pub struct Figures {
    pub first_frame_median: Duration,
    pub settled_median: Duration,
    pub settled_worst: Duration,
    pub idle_cpu_percent: f64,
    /// The program's own resident memory after [`IDLE`].
    pub rss_mib: f64,
    /// The program with every process it started, after [`IDLE`] and [`LATER`] more.
    pub idle: Footprint,
    pub later: Footprint,
}

/// How long after the idle figures the footprint is taken again (helpers that linger show).
pub const LATER: Duration = Duration::from_secs(60);

/// Memory of a process and every process it started, counted whole.
#[derive(Debug, Clone, Copy, Default)]
pub struct Footprint {
    pub rss_mib: f64,
    /// Proportional set size: shared pages split among those who map them.
    pub pss_mib: f64,
    /// How many processes: the program and its descendants.
    pub processes: usize,
}

/// `pid` and every process it started that still runs, from /proc.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // The parent: field 4 of the whole line (the state, field 3, reads as 0).
            if let Some(&parent) = stat_fields(child).get(1) {
                parents.push((child, parent as u32));
            }
        }
    }
    let mut tree = vec![pid];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        index += 1;
    }
    tree
}

/// [`Footprint`] of `pid` and its descendants, from /proc.
pub fn footprint(pid: u32) -> Footprint {
    let tree = process_tree(pid);
    Footprint {
        rss_mib: tree.iter().map(|&pid| rss_mib(pid)).sum(),
        pss_mib: tree.iter().map(|&pid| pss_mib(pid)).sum(),
        processes: tree.len(),
    }
}

/// CPU ticks of `pid` and every process it started: each live one's own and those of its
/// children it has collected, so a player process that came and went still counts.
pub fn tree_cpu_ticks(pid: u32) -> u64 {
    process_tree(pid)
        .into_iter()
        // utime, stime, cutime, cstime: fields 14 to 17 of the whole line.
        .map(|pid| stat_fields(pid).iter().skip(11).take(4).sum::<u64>())
        .sum()
}

/// A process's proportional set size (`Pss:` of /proc/PID/smaps_rollup).
pub fn pss_mib(pid: u32) -> f64 {
    kib_line_mib(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
}

pub struct Program<'a> {
    pub name: &'static str,
    pub path: PathBuf,
    pub args: Vec<&'a str>,
    pub env: Vec<(&'a str, &'a str)>,
}

impl Program<'_> {
    /// The baseline every start-up is compared with: an empty Slint window of the same size,
    /// backend and renderer.
    pub fn empty_window() -> Program<'static> {
        Program {
            name: "empty Slint window (baseline)",
            path: sibling("empty-window"),
            args: vec![],
            env: vec![],
        }
    }
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

pub fn measure(screen: &Screen, program: &Program<'_>, display: &str) -> Figures {
    let run = || start_and_watch(screen, &program.path, &program.args, &program.env, display);
    let starts: Vec<Start> = (0..RUNS).map(|_| run().1).collect();
    let (child, _) = run();
    let pid = child.0.id();
    let ticks_per_second = 100.0;
    let before = cpu_ticks(pid);
    std::thread::sleep(IDLE);
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_second;
    let rss = rss_mib(pid);
    let idle = footprint(pid);
    std::thread::sleep(LATER);
    let later = footprint(pid);
    let settled: Vec<Duration> = starts.iter().map(|s| s.settled).collect();
    Figures {
        idle,
        later,
        first_frame_median: median(starts.iter().map(|s| s.first_frame).collect()),
        settled_worst: settled.iter().copied().max().unwrap_or_default(),
        settled_median: median(settled),
        idle_cpu_percent: used / IDLE.as_secs_f64() * 100.0,
        rss_mib: rss,
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("creating a folder");
    std::fs::write(path, text).expect("writing a bench file");
}

pub fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Waits until the media library in `index_file` holds media and has read all of it: a warm-up
/// start has made the demo's library and its thumbnails.
pub fn wait_for_media(index_file: &Path, timeout: Duration) {
    let start = Instant::now();
    loop {
        let ready = hearth_media::Index::open_existing(index_file)
            .and_then(|index| index.counts().ok())
            .is_some_and(|counts| {
                counts.pending == 0 && counts.videos + counts.songs + counts.photos > 0
            });
        if ready {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "the media library in {} was not ready within {} s",
            index_file.display(),
            timeout.as_secs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

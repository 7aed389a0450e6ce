//! The real `hearth` binary on a virtual X display, driven with xdotool and photographed
//! with ImageMagick, for tests of what only a real window shows (the wgpu renderer).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::services::{Process, wait_for};

pub struct Xvfb {
    pub display: String,
    _process: Process,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        Xvfb::start_with(&[])
    }

    /// Starts with extra server arguments, such as `-fbdir DIR` to have the screen's pixels
    /// in a file.
    pub fn start_with(extra: &[&str]) -> Xvfb {
        // Tests start displays in parallel: each number is handed out once in this process,
        // so two tests never both find the same one free before either server takes it.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(300);
        let number =
            std::iter::from_fn(|| Some(NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)))
                .take_while(|n| *n < 400)
                .find(|n| display_is_free(*n))
                .expect("a free X display number");
        let display = format!(":{number}");
        let process = Process::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    // Without it the server resets when its last client leaves, and a layout
                    // set before Hearth connects is lost.
                    "-noreset",
                ])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        wait_for("Xvfb", Duration::from_secs(20), || socket.exists());
        Xvfb {
            display,
            _process: process,
        }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let output = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("xdotool");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Gives the keyboard to Hearth's window (there is no window manager to do it).
    pub fn focus_hearth(&self) {
        let window = self.xdotool(&["search", "--sync", "--name", "Hearth"]);
        let window = window.lines().next().unwrap_or("").to_string();
        assert!(!window.is_empty(), "no Hearth window on {}", self.display);
        self.xdotool(&["windowfocus", "--sync", &window]);
    }

    /// Switches the display's keyboard layout, as a user's desktop would ("de", "pl").
    pub fn set_layout(&self, layout: &str) {
        let status = Command::new("setxkbmap")
            .arg(layout)
            .env("DISPLAY", &self.display)
            .status()
            .expect("setxkbmap");
        assert!(status.success(), "setxkbmap {layout} failed");
    }

    /// Presses and releases keys by their keysyms on the current layout, as `xdotool key`
    /// does (a keysym that needs AltGr or Shift gets it pressed around it).
    /// `keys` is a space-separated list, such as "z ctrl+c".
    pub fn keys(&self, keys: &str) {
        let mut args = vec!["key", "--delay", "60"];
        args.extend(keys.split_whitespace());
        self.xdotool(&args);
    }

    /// Clicks the first button at (x, y) of the screen, as a tap reaches an X window.
    pub fn click(&self, x: u32, y: u32) {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    }

    pub fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "60", text]);
    }

    /// The whole screen as RGB bytes (width, height, pixels).
    pub fn screenshot(&self) -> (u32, u32, Vec<u8>) {
        let output = Command::new("convert")
            .args(["x:root", "-depth", "8", "rgb:-"])
            .env("DISPLAY", &self.display)
            .output()
            .expect("ImageMagick's convert");
        assert!(
            output.status.success(),
            "screenshot failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        (1280, 800, output.stdout)
    }
}

/// Whether X display `number` can be used. A lock left by a server that was killed (tests end
/// theirs with SIGKILL) names a process that is gone: its lock and socket are cleared, so
/// stale files never use up the numbers.
fn display_is_free(number: u32) -> bool {
    let lock = format!("/tmp/.X{number}-lock");
    let socket = format!("/tmp/.X11-unix/X{number}");
    match std::fs::read_to_string(&lock) {
        Ok(text) => {
            let owner_alive = text
                .trim()
                .parse::<u32>()
                .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
            if owner_alive {
                return false;
            }
            let _ = std::fs::remove_file(&lock);
            let _ = std::fs::remove_file(&socket);
            true
        }
        Err(_) => !Path::new(&socket).exists(),
    }
}

/// The `hearth` binary built beside the tests (cargo xtask test builds it first).
pub fn hearth_binary() -> PathBuf {
    crate::services::built_binary("hearth")
}

/// One data folder for every Hearth this test run starts: the demo's sample media library is
/// made once (by the first) rather than once per test, and none lands in the real home.
fn shared_data_home() -> &'static std::path::Path {
    static DATA: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("hearth-test-data-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&path);
        path
    })
}

/// Hearth running on a display, with its log lines readable.
pub struct Running {
    pub process: Process,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub fn start(xvfb: &Xvfb, args: &[&str], env: &[(&str, &str)]) -> Running {
        Running::start_binary(&hearth_binary(), xvfb, args, env)
    }

    /// [`Running::start`] with a `hearth` of another build (a benchmark's release one).
    pub fn start_binary(
        binary: &Path,
        xvfb: &Xvfb,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Running {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("DISPLAY", &xvfb.display)
            .env("HEARTH_LOG", "info")
            .env("NO_COLOR", "1")
            .env("XDG_DATA_HOME", shared_data_home())
            .env("XDG_STATE_HOME", crate::services::fresh_state_home());
        for (key, value) in env {
            command.env(key, value);
        }
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut process = Process::spawn("hearth", &mut command);
        let stderr = process.take_stderr().expect("hearth's stderr");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            process,
            lines,
            seen: Vec::new(),
        }
    }

    /// Everything Hearth logged so far, for a failing test's message.
    pub fn log(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }

    /// Waits for a log line containing `text`.
    pub fn wait_for_log(&mut self, text: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            if self.seen.iter().any(|line| line.contains(text)) {
                return;
            }
            let left = timeout.saturating_sub(start.elapsed());
            assert!(
                !left.is_zero(),
                "hearth never logged {text:?}; it logged:\n{}",
                self.seen.join("\n")
            );
            if let Ok(line) = self
                .lines
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                self.seen.push(line);
            }
        }
    }
}

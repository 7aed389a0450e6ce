//! A service supervisor for tests, doing what systemd does for `hearth.service` where PID 1
//! is not systemd (this machine, CI): `Type=notify` (a `NOTIFY_SOCKET` datagram socket,
//! READY=1), `WatchdogSec` (WATCHDOG_USEC; a child that stops pinging WATCHDOG=1 is killed
//! with SIGKILL once the timeout passes) and `Restart=always` (a child that exits for any
//! reason is started again after `RestartSec`). What it saw is kept as [`Event`]s.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const RESTART_DELAY: Duration = Duration::from_millis(300);
/// How long a start may take before READY=1 (systemd's TimeoutStartSec).
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started(u32),
    Ready(u32),
    Ping(u32),
    /// No WATCHDOG=1 for longer than the watchdog timeout: killed.
    WatchdogKilled(u32),
    /// Exited by itself or by a signal (its number).
    Exited {
        pid: u32,
        signal: Option<i32>,
    },
}

pub struct Supervisor {
    events: Arc<Mutex<Vec<Event>>>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts supervising what `command` builds (called again for every restart), with its
    /// notify socket in `dir` and a watchdog of `watchdog`.
    pub fn start(
        command: impl Fn() -> Command + Send + 'static,
        watchdog: Duration,
        dir: &Path,
    ) -> Supervisor {
        let socket_path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&socket_path);
        let socket = UnixDatagram::bind(&socket_path).expect("binding the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("a read timeout");
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (events, log, stop) = (events.clone(), log.clone(), stop.clone());
            std::thread::spawn(move || {
                supervise(command, watchdog, socket, socket_path, events, log, stop)
            })
        };
        Supervisor {
            events,
            log,
            stop,
            thread: Some(thread),
        }
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("the events").clone()
    }

    /// Everything the children wrote to stderr, for a failing test's message.
    pub fn log(&self) -> String {
        self.log.lock().expect("the log").join("\n")
    }

    /// Waits for an event that `wanted` picks, returning it.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        wanted: impl Fn(&Event) -> bool,
    ) -> Event {
        let start = Instant::now();
        loop {
            if let Some(event) = self.events().into_iter().find(|event| wanted(event)) {
                return event;
            }
            assert!(
                start.elapsed() < timeout,
                "the supervisor never saw {what}; it saw {:?}; the log:\n{}",
                self.events(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn supervise(
    command: impl Fn() -> Command,
    watchdog: Duration,
    socket: UnixDatagram,
    socket_path: PathBuf,
    events: Arc<Mutex<Vec<Event>>>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) {
    let record = |event: Event| events.lock().expect("the events").push(event);
    while !stop.load(Ordering::SeqCst) {
        let mut child = with_watchdog_pid(&command())
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", watchdog.as_micros().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the supervised program");
        let pid = child.id();
        record(Event::Started(pid));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().expect("the log").push(format!("[{pid}] {line}"));
                }
            });
        }
        let started = Instant::now();
        let mut ready = false;
        let mut last_ping = Instant::now();
        let mut buffer = [0u8; 4096];
        loop {
            if stop.load(Ordering::SeqCst) {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            if let Ok(length) = socket.recv(&mut buffer) {
                for line in String::from_utf8_lossy(&buffer[..length]).lines() {
                    match line {
                        "READY=1" => {
                            ready = true;
                            last_ping = Instant::now();
                            record(Event::Ready(pid));
                        }
                        "WATCHDOG=1" => {
                            last_ping = Instant::now();
                            record(Event::Ping(pid));
                        }
                        _ => {}
                    }
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                record(Event::Exited {
                    pid,
                    signal: status.signal(),
                });
                break;
            }
            let late = if ready {
                last_ping.elapsed() > watchdog
            } else {
                started.elapsed() > START_TIMEOUT
            };
            if late {
                record(Event::WatchdogKilled(pid));
                let _ = child.kill();
                let status = child.wait().ok();
                record(Event::Exited {
                    pid,
                    signal: status.and_then(|status| status.signal()),
                });
                break;
            }
        }
        std::thread::sleep(RESTART_DELAY);
    }
}

/// `command` run through `sh`, which sets WATCHDOG_PID to its own PID and then becomes the
/// program (exec keeps the PID), as systemd sets it to the service's main PID.
fn with_watchdog_pid(command: &Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg("WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$@\"")
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped
}

//! Hearth's side of the helper: starts it, sends one request at a time, and stops and
//! restarts it when an answer is late or the helper dies, turning what happened into a
//! reason a person can read.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::protocol::{Reply, Request};

/// The bounds one file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperLimits {
    /// The helper's address space.
    pub memory_mib: u64,
    /// How long one file may take.
    pub time: Duration,
}

impl Default for HelperLimits {
    fn default() -> HelperLimits {
        HelperLimits {
            memory_mib: 768,
            time: Duration::from_secs(20),
        }
    }
}

/// Where the helper binary is: `$HEARTH_MEDIA_HELPER`, else beside the running program (or
/// one folder up, where Cargo puts test programs).
pub fn helper_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HEARTH_MEDIA_HELPER") {
        return PathBuf::from(path);
    }
    const NAME: &str = "hearth-media-helper";
    let exe = std::env::current_exe().unwrap_or_default();
    let beside = exe.with_file_name(NAME);
    if beside.exists() {
        return beside;
    }
    exe.parent()
        .and_then(|folder| folder.parent())
        .map(|folder| folder.join(NAME))
        .filter(|path| path.exists())
        .unwrap_or(beside)
}

/// One helper process, started when first needed.
#[derive(Debug)]
pub struct Helper {
    binary: PathBuf,
    limits: HelperLimits,
    running: Option<Running>,
    /// How many times the helper was stopped or died; for the scanning line and tests.
    pub restarts: usize,
}

#[derive(Debug)]
struct Running {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

const STDERR_LINES_KEPT: usize = 20;

impl Helper {
    pub fn new(binary: PathBuf, limits: HelperLimits) -> Helper {
        Helper {
            binary,
            limits,
            running: None,
            restarts: 0,
        }
    }

    /// Asks the helper to read one file. Never fails: a helper that cannot start, stalls or
    /// dies gives a [`Reply::Failed`] with the reason, and the next call starts a new one.
    pub fn read(&mut self, request: &Request) -> Reply {
        let running = match self.running.as_mut() {
            Some(running) => running,
            None => match self.start() {
                Ok(running) => self.running.insert(running),
                Err(reason) => return Reply::Failed { reason },
            },
        };
        let mut line = match serde_json::to_string(request) {
            Ok(line) => line,
            Err(error) => {
                return Reply::Failed {
                    reason: format!("the request cannot be written: {error}"),
                };
            }
        };
        line.push('\n');
        let sent = running
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| running.stdin.flush());
        if sent.is_err() {
            return Reply::Failed {
                reason: self.reap(),
            };
        }
        match running.replies.recv_timeout(self.limits.time) {
            Ok(answer) => serde_json::from_str(&answer).unwrap_or_else(|error| Reply::Failed {
                reason: format!("the helper's answer cannot be read: {error}"),
            }),
            Err(RecvTimeoutError::Timeout) => {
                self.stop();
                Reply::Failed {
                    reason: format!(
                        "took longer than {} s to read; the reader was stopped",
                        self.limits.time.as_secs()
                    ),
                }
            }
            Err(RecvTimeoutError::Disconnected) => Reply::Failed {
                reason: self.reap(),
            },
        }
    }

    fn start(&self) -> Result<Running, String> {
        let mut child = Command::new(&self.binary)
            .arg("--memory-mib")
            .arg(self.limits.memory_mib.to_string())
            // Few malloc arenas, so the address-space limit measures memory in use rather
            // than arenas reserved per thread.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                format!(
                    "the media helper {} cannot start: {error}",
                    self.binary.display()
                )
            })?;
        let stdin = child.stdin.take().ok_or("the helper has no stdin")?;
        let stdout = child.stdout.take().ok_or("the helper has no stdout")?;
        let stderr = child.stderr.take().ok_or("the helper has no stderr")?;
        let (sender, replies) = channel();
        std::thread::Builder::new()
            .name("media-helper-out".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|error| format!("cannot watch the helper: {error}"))?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr_tail.clone();
        std::thread::Builder::new()
            .name("media-helper-err".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut tail = tail.lock().unwrap_or_else(|poison| poison.into_inner());
                    if tail.len() == STDERR_LINES_KEPT {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            })
            .map_err(|error| format!("cannot watch the helper: {error}"))?;
        Ok(Running {
            child,
            stdin,
            replies,
            stderr_tail,
        })
    }

    fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let _ = running.child.kill();
            let _ = running.child.wait();
            self.restarts += 1;
        }
    }

    /// The helper died: collects it and says why, in words.
    fn reap(&mut self) -> String {
        let Some(mut running) = self.running.take() else {
            return "the reader stopped".to_string();
        };
        self.restarts += 1;
        drop(running.stdin);
        let status = running.child.wait();
        // Give the stderr reader a moment to collect the last words.
        std::thread::sleep(Duration::from_millis(20));
        let tail = running
            .stderr_tail
            .lock()
            .map(|tail| tail.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        let out_of_memory = [
            "memory allocation of",
            "failed to allocate",
            "out of memory",
            "Cannot allocate memory",
        ]
        .iter()
        .any(|sign| tail.contains(sign));
        if out_of_memory {
            return format!(
                "needed more than the reader's {} MiB of memory; the reader was stopped",
                self.limits.memory_mib
            );
        }
        match status {
            Ok(status) => match status.signal() {
                Some(signal) => format!("crashed the reader (signal {signal})"),
                None => format!("the reader quit ({status})"),
            },
            Err(error) => format!("the reader was lost: {error}"),
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }
}

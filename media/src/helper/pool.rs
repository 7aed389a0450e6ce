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

use super::protocol::{Envelope, Reply, Request};

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

/// The helper cannot be started at all (its binary is missing, say): no file is to blame,
/// so none is recorded as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// One helper process, started when first needed.
#[derive(Debug)]
pub struct Helper {
    binary: PathBuf,
    limits: HelperLimits,
    running: Option<Running>,
    next_id: u64,
    /// How many times the helper was stopped or died; for the scanning line and tests.
    pub restarts: usize,
}

#[derive(Debug)]
struct Running {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_reader: std::thread::JoinHandle<()>,
}

const STDERR_LINES_KEPT: usize = 20;
/// The longest line read from the helper: a reply (tags included) is far shorter, and a
/// helper gone wrong cannot make Hearth buffer more than this.
const MAX_REPLY_BYTES: u64 = 1024 * 1024;
const MAX_STDERR_LINE_BYTES: u64 = 1024;

/// Reads lines of at most `limit` bytes; stops at the end, an error, or an over-long line.
fn bounded_lines(source: impl std::io::Read, limit: u64, mut each: impl FnMut(String) -> bool) {
    let mut reader = BufReader::new(source);
    loop {
        let mut line = Vec::new();
        match std::io::Read::take(&mut reader, limit).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.last() != Some(&b'\n') && line.len() as u64 >= limit => return,
            Ok(_) => {
                if !each(String::from_utf8_lossy(&line).trim_end().to_string()) {
                    return;
                }
            }
        }
    }
}

impl Helper {
    pub fn new(binary: PathBuf, limits: HelperLimits) -> Helper {
        Helper {
            binary,
            limits,
            running: None,
            next_id: 0,
            restarts: 0,
        }
    }

    /// Asks the helper to read one file. A helper that stalls or dies gives a
    /// [`Reply::Failed`] with the reason (the file is to blame), and the next call starts a new
    /// one; a helper that cannot start at all gives [`Unavailable`].
    pub fn read(&mut self, request: &Request) -> Result<Reply, Unavailable> {
        let running = match self.running.as_mut() {
            Some(running) => running,
            None => self.running.insert(self.start().map_err(Unavailable)?),
        };
        self.next_id += 1;
        let id = self.next_id;
        let envelope = Envelope {
            id,
            body: request.clone(),
        };
        let mut line = serde_json::to_string(&envelope)
            .map_err(|error| Unavailable(format!("a request cannot be written: {error}")))?;
        line.push('\n');
        let sent = running
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| running.stdin.flush());
        if sent.is_err() {
            return Ok(Reply::Failed {
                reason: self.reap(),
            });
        }
        let deadline = std::time::Instant::now() + self.limits.time;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match running.replies.recv_timeout(left) {
                Ok(answer) => {
                    // Anything else on the helper's stdout is not the answer: skip it.
                    if let Ok(reply) = serde_json::from_str::<Envelope<Reply>>(&answer)
                        && reply.id == id
                    {
                        return Ok(reply.body);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.stop();
                    return Ok(Reply::Failed {
                        reason: format!(
                            "took longer than {} s to read; the reader was stopped",
                            self.limits.time.as_secs()
                        ),
                    });
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Ok(Reply::Failed {
                        reason: self.reap(),
                    });
                }
            }
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
        let watch_error = |error: std::io::Error| format!("cannot watch the helper: {error}");
        let spawned = std::thread::Builder::new()
            .name("media-helper-out".into())
            .spawn(move || {
                bounded_lines(stdout, MAX_REPLY_BYTES, |line| sender.send(line).is_ok());
            });
        if let Err(error) = spawned {
            let _ = child.kill();
            let _ = child.wait();
            return Err(watch_error(error));
        }
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr_tail.clone();
        let stderr_reader = std::thread::Builder::new()
            .name("media-helper-err".into())
            .spawn(move || {
                // Lines past the limit end the reading; the helper's own end is what matters.
                bounded_lines(stderr, MAX_STDERR_LINE_BYTES, |line| {
                    let mut tail = tail.lock().unwrap_or_else(|poison| poison.into_inner());
                    if tail.len() == STDERR_LINES_KEPT {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                    true
                });
            });
        let stderr_reader = match stderr_reader {
            Ok(reader) => reader,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(watch_error(error));
            }
        };
        Ok(Running {
            child,
            stdin,
            replies,
            stderr_tail,
            stderr_reader,
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
        // The stderr reader collects the last words; it ends when the pipe closes, which a
        // process the helper started could delay, so it is waited for briefly.
        let waited = std::time::Instant::now();
        while !running.stderr_reader.is_finished() && waited.elapsed() < Duration::from_millis(300)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
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

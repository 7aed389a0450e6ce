//! Hearth's side of the helper: starts it when a file is to be read, sends one request at a
//! time, and stops and restarts it when an answer is late or the helper dies, turning what
//! happened into a reason a person can read. A helper left idle exits by itself
//! ([`IDLE_EXIT`]); the next request starts another, and no file is blamed for it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::child::IDLE_EXIT;
use super::protocol::{Envelope, Reply, Request};

/// The bounds one file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperLimits {
    /// The helper's address space.
    pub memory_mib: u64,
    /// How long one file may take.
    pub time: Duration,
    /// How long the helper stays with nothing to read before it exits.
    pub idle: Duration,
}

impl Default for HelperLimits {
    fn default() -> HelperLimits {
        HelperLimits {
            memory_mib: 768,
            time: Duration::from_secs(20),
            idle: Duration::from_secs(5),
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
    /// Exits when idle are not counted.
    pub restarts: usize,
    /// How many helper processes were started.
    pub starts: usize,
}

#[derive(Debug)]
struct Running {
    /// Shared with the thread reading its answers, which collects it as soon as it ends (no
    /// zombie is left waiting for the next request).
    child: Arc<Mutex<Child>>,
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
pub(crate) fn bounded_lines(
    source: impl std::io::Read,
    limit: u64,
    mut each: impl FnMut(String) -> bool,
) {
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
            starts: 0,
        }
    }

    /// The running helper's process id, if one runs (one that exited idle counts until the
    /// next request finds it gone).
    pub fn pid(&self) -> Option<u32> {
        self.running
            .as_ref()
            .map(|running| lock(&running.child).id())
    }

    /// Asks the helper to read one file. A helper that stalls or dies gives a
    /// [`Reply::Failed`] with the reason (the file is to blame), and the next call starts a new
    /// one; a helper that cannot start at all gives [`Unavailable`]. One that exited because
    /// it was idle, even while this request was on its way, is started again for it.
    pub fn read(&mut self, request: &Request) -> Result<Reply, Unavailable> {
        self.forget_idle_exit();
        match self.read_once(request)? {
            Attempt::Answered(reply) => Ok(reply),
            Attempt::WentIdle => match self.read_once(request)? {
                Attempt::Answered(reply) => Ok(reply),
                Attempt::WentIdle => Ok(Reply::Failed {
                    reason: "the reader quit at once, twice".to_string(),
                }),
            },
        }
    }

    /// Collects a helper that exited while nothing was asked of it.
    fn forget_idle_exit(&mut self) {
        let exited = self
            .running
            .as_mut()
            .is_some_and(|running| matches!(lock(&running.child).try_wait(), Ok(Some(_))));
        if exited && let Some(running) = self.running.take() {
            let status = lock(&running.child).wait();
            if !status.is_ok_and(|status| status.code() == Some(IDLE_EXIT)) {
                self.restarts += 1;
            }
        }
    }

    fn read_once(&mut self, request: &Request) -> Result<Attempt, Unavailable> {
        let running = match self.running.as_mut() {
            Some(running) => running,
            None => {
                self.starts += 1;
                self.running.insert(self.start().map_err(Unavailable)?)
            }
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
            return Ok(self.reap());
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
                        return Ok(Attempt::Answered(reply.body));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.stop();
                    return Ok(Attempt::Answered(Reply::Failed {
                        reason: format!(
                            "took longer than {} s to read; the reader was stopped",
                            self.limits.time.as_secs()
                        ),
                    }));
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(self.reap()),
            }
        }
    }

    fn start(&self) -> Result<Running, String> {
        let mut child = Command::new(&self.binary)
            .arg("--memory-mib")
            .arg(self.limits.memory_mib.to_string())
            .arg("--idle-exit-ms")
            .arg(self.limits.idle.as_millis().to_string())
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
        let child = Arc::new(Mutex::new(child));
        let ended = child.clone();
        let spawned = std::thread::Builder::new()
            .name("media-helper-out".into())
            .spawn(move || {
                bounded_lines(stdout, MAX_REPLY_BYTES, |line| sender.send(line).is_ok());
                collect_when_ended(&ended);
            });
        if let Err(error) = spawned {
            let mut child = lock(&child);
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
                let mut child = lock(&child);
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
        if let Some(running) = self.running.take() {
            let mut child = lock(&running.child);
            let _ = child.kill();
            let _ = child.wait();
            self.restarts += 1;
        }
    }

    /// The helper ended: collects it and says why, in words; or, when it had exited because
    /// it was idle, says so (no file is to blame).
    fn reap(&mut self) -> Attempt {
        let failed = |reason: &str| {
            Attempt::Answered(Reply::Failed {
                reason: reason.to_string(),
            })
        };
        let Some(running) = self.running.take() else {
            return failed("the reader stopped");
        };
        drop(running.stdin);
        let status = lock(&running.child).wait();
        if status
            .as_ref()
            .is_ok_and(|status| status.code() == Some(IDLE_EXIT))
        {
            return Attempt::WentIdle;
        }
        self.restarts += 1;
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
        if out_of_memory(&tail) {
            return failed(&format!(
                "needed more than the reader's {} MiB of memory; the reader was stopped",
                self.limits.memory_mib
            ));
        }
        failed(&match status {
            Ok(status) => match status.signal() {
                Some(signal) => format!("crashed the reader (signal {signal})"),
                None => format!("the reader quit ({status})"),
            },
            Err(error) => format!("the reader was lost: {error}"),
        })
    }
}

/// Whether a child's last words say it ran out of memory (Rust's, GLib's and libc's words).
pub(crate) fn out_of_memory(stderr_tail: &str) -> bool {
    [
        "memory allocation of",
        "failed to allocate",
        "out of memory",
        "Cannot allocate memory",
    ]
    .iter()
    .any(|sign| stderr_tail.contains(sign))
}

/// What one try at a request came to.
enum Attempt {
    Answered(Reply),
    /// The helper had exited because it was idle: try again with a new one.
    WentIdle,
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let mut child = lock(&running.child);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn lock(child: &Mutex<Child>) -> std::sync::MutexGuard<'_, Child> {
    child.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// After the helper's stdout ended: collects the process once it has exited (it keeps its
/// status for whoever asks next), looking for a short while; one that closed its output but
/// lives on is left to the next request's deadline.
fn collect_when_ended(child: &Mutex<Child>) {
    let since = std::time::Instant::now();
    while since.elapsed() < Duration::from_secs(2) {
        if !matches!(lock(child).try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

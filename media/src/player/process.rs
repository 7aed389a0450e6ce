//! Hearth's side of the player process: starts it at the first play (and again after it
//! ended), forwards commands, turns its reports back into [`PlayerEvent`]s and its frames
//! into lent views of the shared slots, and watches it.
//!
//! A child that dies (a signal, its memory limit) or stops answering (a decoder that hangs
//! its pipeline; it is killed) costs the file it was playing: Hearth hears
//! [`Problem::Process`] for that file, in words, and the queue goes on with the next file in
//! a new child. A child left with nothing open for a while ([`PlayerLimits::idle`]) is closed.

use std::collections::VecDeque;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::serve::{FIRST_SLOT_FD, SOCKET_FD};
use super::slots::{self, Mapped};
use super::video::Lent;
use super::wire::{FromChild, ToChild};
use super::{
    AudioOutput, Command, OpenRequest, PlayState, PlayerEvent, PlayerSink, Problem, ProcessEnd,
    Repeat, VideoFormat, VideoOutput,
};

/// How long the player's thread may leave a ping unanswered before the child is killed.
pub(crate) const STALL: Duration = Duration::from_secs(6);
/// How often the child is pinged.
const PING_EVERY: Duration = Duration::from_secs(1);
/// How long a child with nothing open is kept, unless the limits say otherwise.
const IDLE: Duration = Duration::from_secs(30);
/// The longest line the child may send.
const MAX_LINE: u64 = 1 << 20;
const STDERR_LINES_KEPT: usize = 20;

/// How the player process is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerLimits {
    /// The `hearth-media-helper` binary.
    pub binary: PathBuf,
    /// Its address-space limit.
    pub memory_mib: u64,
    /// How long a child with nothing open is kept.
    pub idle: Duration,
}

impl Default for PlayerLimits {
    fn default() -> PlayerLimits {
        PlayerLimits {
            binary: crate::helper::helper_binary(),
            memory_mib: 2048,
            idle: IDLE,
        }
    }
}

/// What Hearth knows of the queue, to name a file that took the child down and to go on
/// after it.
#[derive(Default)]
struct Mirror {
    files: Vec<PathBuf>,
    /// The files' indices in play order, as the child last said.
    order: Vec<usize>,
    current: Option<usize>,
    shuffle: bool,
    repeat: Repeat,
    volume: Option<f64>,
    video_box: Option<(u32, u32)>,
    state: PlayState,
    /// Since when nothing has been open.
    stopped_since: Option<Instant>,
}

impl Mirror {
    /// Notes a command; returns what to open when no child runs and the command needs one.
    fn note(&mut self, command: &Command) -> Option<OpenRequest> {
        match command {
            Command::Open(request) => {
                self.files = request.files.clone();
                self.order = (0..self.files.len()).collect();
                self.current = Some(request.start);
                self.shuffle = request.shuffle;
                self.repeat = request.repeat;
                Some(request.clone())
            }
            Command::Add(files, _) => {
                let first = self.files.len();
                self.files.extend(files.iter().cloned());
                self.order.extend(first..self.files.len());
                (!files.is_empty()).then(|| self.open_at(first))
            }
            Command::Jump(index) => {
                self.current = Some(*index);
                (*index < self.files.len()).then(|| self.open_at(*index))
            }
            Command::Play | Command::Toggle => {
                let at = self.current.unwrap_or(0);
                (at < self.files.len()).then(|| self.open_at(at))
            }
            Command::Volume(volume) => {
                self.volume = Some(*volume);
                None
            }
            Command::VideoBox(width, height) => {
                self.video_box = Some((*width, *height));
                None
            }
            Command::Shuffle(shuffle) => {
                self.shuffle = *shuffle;
                None
            }
            Command::Repeat(repeat) => {
                self.repeat = *repeat;
                None
            }
            _ => None,
        }
    }

    fn open_at(&self, start: usize) -> OpenRequest {
        OpenRequest {
            files: self.files.clone(),
            start,
            shuffle: self.shuffle,
            repeat: self.repeat,
            ..OpenRequest::default()
        }
    }

    fn heard(&mut self, event: &PlayerEvent) {
        match event {
            PlayerEvent::Started { index, .. } => self.current = Some(*index),
            PlayerEvent::Order(order) => self.order = order.clone(),
            PlayerEvent::State(state) => {
                self.state = *state;
                self.stopped_since = (*state == PlayState::Stopped).then(Instant::now);
            }
            _ => {}
        }
    }

    /// The file after the current one in play order (never around again: a queue of files
    /// that each take the child down ends).
    fn after_current(&self) -> Option<usize> {
        let current = self.current?;
        match self.order.iter().position(|index| *index == current) {
            Some(at) => self.order.get(at + 1).copied(),
            None => (current + 1 < self.files.len()).then_some(current + 1),
        }
    }
}

/// One running child.
struct Running {
    generation: u64,
    process: Child,
    socket: UnixStream,
    pinged: u64,
    ponged: u64,
    ping_sent: Instant,
    /// Why Hearth killed it, when it did.
    killed_for: Option<ProcessEnd>,
    /// Hearth closed it (idle, or the player going away): its end is no news.
    closing: bool,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Running {
    fn write(&mut self, message: &ToChild) {
        let Ok(mut line) = serde_json::to_vec(message) else {
            return;
        };
        line.push(b'\n');
        // A child that is gone is found by its reader.
        let _ = self.socket.write_all(&line);
    }
}

#[derive(Default)]
struct Inner {
    running: Option<Running>,
    generation: u64,
    mirror: Mirror,
    quitting: bool,
    starts: u64,
}

/// Shared by the player, the child's reader and the watchdog.
pub(crate) struct Link {
    limits: PlayerLimits,
    audio: AudioOutput,
    video_format: VideoFormat,
    sink: PlayerSink,
    video: VideoOutput,
    inner: Mutex<Inner>,
    tick: Condvar,
}

impl Link {
    pub(crate) fn new(
        limits: PlayerLimits,
        audio: AudioOutput,
        video_format: VideoFormat,
        sink: PlayerSink,
        video: VideoOutput,
    ) -> Arc<Link> {
        Arc::new(Link {
            limits,
            audio,
            video_format,
            sink,
            video,
            inner: Mutex::new(Inner::default()),
            tick: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The running child's process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.lock()
            .running
            .as_ref()
            .map(|running| running.process.id())
    }

    /// How many children were started.
    pub(crate) fn starts(&self) -> u64 {
        self.lock().starts
    }

    pub(crate) fn send(self: &Arc<Self>, command: Command) {
        let mut inner = self.lock();
        if inner.quitting {
            return;
        }
        let open = inner.mirror.note(&command);
        if let Some(running) = inner.running.as_mut().filter(|running| !running.closing) {
            running.write(&ToChild::Command(command));
            return;
        }
        if let Some(open) = open {
            self.start(&mut inner, open);
        }
    }

    /// Starts a child and opens `open` in it; a child that cannot start fails the file.
    fn start(self: &Arc<Self>, inner: &mut Inner, open: OpenRequest) {
        let path = open.files.get(open.start).cloned().unwrap_or_default();
        // A child still closing (idle) is collected aside; its reader's news is old.
        if let Some(mut old) = inner.running.take() {
            let _ = std::thread::Builder::new()
                .name("player-collect".into())
                .spawn(move || collect(&mut old.process));
        }
        inner.mirror.current = Some(open.start);
        // Not idle: the new child has something to open.
        inner.mirror.heard(&PlayerEvent::State(PlayState::Opening));
        inner.generation += 1;
        match self.spawn(inner.generation) {
            Ok(mut running) => {
                inner.starts += 1;
                running.write(&ToChild::Setup {
                    audio: self.audio.clone(),
                    video_format: self.video_format,
                });
                if let Some(volume) = inner.mirror.volume {
                    running.write(&ToChild::Command(Command::Volume(volume)));
                }
                if let Some((width, height)) = inner.mirror.video_box {
                    running.write(&ToChild::Command(Command::VideoBox(width, height)));
                }
                running.write(&ToChild::Command(Command::Open(open)));
                inner.running = Some(running);
                self.tick.notify_all();
            }
            Err(detail) => {
                tracing::error!(%detail, "the player process cannot start");
                let sink = self.sink.clone();
                sink(PlayerEvent::Failed {
                    path,
                    problem: Problem::Output,
                    detail,
                });
                sink(PlayerEvent::State(PlayState::Stopped));
            }
        }
    }

    fn spawn(self: &Arc<Self>, generation: u64) -> Result<Running, String> {
        let cannot = |error: std::io::Error| format!("the player process cannot start: {error}");
        let fds = slots::make().map_err(cannot)?;
        let (ours, theirs) = UnixStream::pair().map_err(cannot)?;
        // Copies above the numbers the child gets, so that placing one never overwrites
        // another that is still to be placed.
        let high = std::iter::once(theirs.as_fd())
            .chain(fds.iter().map(|fd| fd.as_fd()))
            .map(|fd| rustix::io::fcntl_dupfd_cloexec(fd, 64))
            .collect::<Result<Vec<OwnedFd>, _>>()
            .map_err(|error| cannot(error.into()))?;
        let mapped = Arc::new(Mapped::new(fds).map_err(cannot)?);
        let raw: Vec<i32> = high.iter().map(|fd| fd.as_raw_fd()).collect();
        let mut command = std::process::Command::new(&self.limits.binary);
        command
            .arg("--player")
            .arg("--memory-mib")
            .arg(self.limits.memory_mib.to_string())
            // Few malloc arenas, so the address-space limit measures memory in use.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // The socket first, the slots after it.
        const _: () = assert!(FIRST_SLOT_FD == SOCKET_FD + 1);
        super::fds::place_at(&mut command, raw, SOCKET_FD);
        let mut process = command.spawn().map_err(|error| {
            format!(
                "the player process {} cannot start: {error}",
                self.limits.binary.display()
            )
        })?;
        drop(high);
        drop(theirs);
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = process.stderr.take() {
            let tail = stderr_tail.clone();
            let _ = std::thread::Builder::new()
                .name("player-stderr".into())
                .spawn(move || keep_tail(stderr, &tail));
        }
        let reader = ours.try_clone().map_err(cannot)?;
        let link = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("player-events".into())
            .spawn(move || listen(link, generation, reader, mapped));
        if let Err(error) = spawned {
            let _ = process.kill();
            let _ = process.wait();
            return Err(cannot(error));
        }
        Ok(Running {
            generation,
            process,
            socket: ours,
            pinged: 0,
            ponged: 0,
            ping_sent: Instant::now(),
            killed_for: None,
            closing: false,
            stderr_tail,
        })
    }

    /// Hands a slot back to the child that wrote it, if it still runs.
    fn release(&self, generation: u64, slot: usize) {
        let mut inner = self.lock();
        if let Some(running) = inner
            .running
            .as_mut()
            .filter(|running| running.generation == generation)
        {
            running.write(&ToChild::Release(slot));
        }
    }

    fn heard(
        &self,
        generation: u64,
        message: FromChild,
        lent: impl FnOnce(super::wire::FrameLayout) -> Option<Lent>,
    ) {
        match message {
            FromChild::Event(event) => {
                self.lock().mirror.heard(&event);
                (self.sink)(event);
            }
            FromChild::Frame(layout) => {
                if let Some(lent) = lent(layout)
                    && self.video.put_lent(lent)
                {
                    (self.sink)(PlayerEvent::Frame);
                }
            }
            FromChild::Cleared => self.video.clear(),
            FromChild::Pong(number) => {
                let mut inner = self.lock();
                if let Some(running) = inner
                    .running
                    .as_mut()
                    .filter(|running| running.generation == generation)
                {
                    running.ponged = running.ponged.max(number);
                }
            }
        }
    }

    /// The child's socket closed: collects it, and unless Hearth closed it, says why in
    /// words against the file it was playing and goes on with the next one.
    fn ended(self: &Arc<Self>, generation: u64) {
        let mut running = {
            let mut inner = self.lock();
            match inner
                .running
                .take_if(|running| running.generation == generation)
            {
                Some(running) => running,
                None => return,
            }
        };
        let status = collect(&mut running.process);
        self.video.clear();
        let mut inner = self.lock();
        if running.closing || inner.quitting {
            return;
        }
        let reason = running.killed_for.unwrap_or_else(|| {
            let tail = running
                .stderr_tail
                .lock()
                .map(|tail| tail.iter().cloned().collect::<Vec<_>>().join("\n"))
                .unwrap_or_default();
            ProcessEnd::from_exit(status, &tail, self.limits.memory_mib)
        });
        let path = inner
            .mirror
            .current
            .and_then(|index| inner.mirror.files.get(index).cloned())
            .unwrap_or_default();
        tracing::warn!(path = %path.display(), %reason, "the player process ended");
        let next = inner.mirror.after_current();
        inner.mirror.heard(&PlayerEvent::State(PlayState::Stopped));
        drop(inner);
        (self.sink)(PlayerEvent::Failed {
            path,
            problem: Problem::Process(reason),
            detail: reason.to_string(),
        });
        (self.sink)(PlayerEvent::State(PlayState::Stopped));
        let mut inner = self.lock();
        if let Some(next) = next
            && inner.running.is_none()
            && !inner.quitting
        {
            let open = inner.mirror.open_at(next);
            self.start(&mut inner, open);
        }
    }

    /// Pings the child, kills one that stopped answering, closes one left idle. Runs until
    /// the player goes away.
    pub(crate) fn watch(&self) {
        let mut inner = self.lock();
        loop {
            if inner.quitting {
                return;
            }
            let idle = inner
                .mirror
                .stopped_since
                .is_some_and(|since| since.elapsed() >= self.limits.idle);
            match inner.running.as_mut() {
                None => {
                    inner = self.tick.wait(inner).unwrap_or_else(|p| p.into_inner());
                    continue;
                }
                Some(running) if running.closing || running.killed_for.is_some() => {}
                Some(running) if running.ponged < running.pinged => {
                    if running.ping_sent.elapsed() >= STALL {
                        let reason = ProcessEnd::Stalled(STALL.as_secs());
                        tracing::warn!(%reason, "the player process hangs");
                        running.killed_for = Some(reason);
                        let _ = running.process.kill();
                    }
                }
                Some(running) if idle => {
                    tracing::debug!("the player process had nothing open; closed");
                    running.closing = true;
                    let _ = running.socket.shutdown(std::net::Shutdown::Both);
                }
                Some(running) => {
                    running.pinged += 1;
                    running.ping_sent = Instant::now();
                    let ping = ToChild::Ping(running.pinged);
                    running.write(&ping);
                }
            }
            inner = self
                .tick
                .wait_timeout(inner, PING_EVERY)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The player goes away: the child is told to quit, and killed if it does not.
    pub(crate) fn quit(&self) {
        let running = {
            let mut inner = self.lock();
            inner.quitting = true;
            self.tick.notify_all();
            inner.running.take()
        };
        if let Some(mut running) = running {
            running.closing = true;
            running.write(&ToChild::Command(Command::Quit));
            let _ = running.socket.shutdown(std::net::Shutdown::Both);
            collect(&mut running.process);
        }
    }
}

/// Reads the child's messages until its socket closes.
fn listen(link: Weak<Link>, generation: u64, socket: UnixStream, mapped: Arc<Mapped>) {
    let release: Arc<dyn Fn(usize) + Send + Sync> = {
        let link = link.clone();
        Arc::new(move |slot| {
            if let Some(link) = link.upgrade() {
                link.release(generation, slot);
            }
        })
    };
    crate::helper::bounded_lines(socket, MAX_LINE, |line| {
        let Some(link) = link.upgrade() else {
            return false;
        };
        match serde_json::from_str::<FromChild>(&line) {
            Ok(message) => link.heard(generation, message, |layout| {
                Lent::new(layout, mapped.clone(), release.clone())
                    .map_err(
                        |reason| tracing::warn!(%reason, "a frame outside its slot was ignored"),
                    )
                    .ok()
            }),
            Err(error) => tracing::warn!(%error, "the player process said something unreadable"),
        }
        true
    });
    if let Some(link) = link.upgrade() {
        link.ended(generation);
    }
}

/// Waits for a child whose socket closed: briefly, then it is killed.
fn collect(process: &mut Child) -> Option<std::process::ExitStatus> {
    let since = Instant::now();
    while since.elapsed() < Duration::from_secs(2) {
        match process.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => return None,
        }
    }
    let _ = process.kill();
    process.wait().ok()
}

fn keep_tail(stderr: impl std::io::Read, tail: &Mutex<VecDeque<String>>) {
    crate::helper::bounded_lines(stderr, 4096, |line| {
        let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == STDERR_LINES_KEPT {
            tail.pop_front();
        }
        tail.push_back(line);
        true
    });
}

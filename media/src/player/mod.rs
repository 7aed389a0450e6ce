//! Playback: one GStreamer `playbin` in a process of its own (the media helper started with
//! `--player`), driven by commands and reporting through [`PlayerEvent`]s.
//!
//! Everything the screen shows about playback (playing or paused, position, duration, tracks,
//! errors, the end) comes from the pipeline's bus, never from the command just sent. Video
//! frames come through shared memory to a [`VideoOutput`] that keeps the newest one for the
//! reader. The process starts at the first play, never before; GStreamer never loads in the
//! caller's process, and a file that crashes, exhausts or hangs a decoder costs only itself
//! ([`Problem::Process`]).
//!
//! Nothing crossing this module's boundary is a GStreamer type.

mod convert;
mod ended;
mod engine;
mod fds;
mod preview;
mod problem;
mod process;
mod queue;
pub mod serve;
mod sinks;
mod slots;
mod tracks;
mod video;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use ended::{Crash, ProcessEnd};
use preview::Previewer;
pub use preview::{PREVIEW_WIDTH, PreviewFrame};
pub use process::PlayerLimits;
pub use queue::{Edit, Placement, Repeat};
pub use video::{FrameFormat, FrameStats, FrameView, Plane, Shared, VideoFormat, VideoOutput};

/// Where sound goes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AudioOutput {
    /// The desktop's sound server if there is one, else ALSA (GStreamer's `autoaudiosink`).
    #[default]
    Auto,
    /// PulseAudio or PipeWire's PulseAudio service.
    Pulse,
    /// ALSA, on the named device or the default one.
    Alsa(Option<String>),
    /// Nowhere, at the pace of the clock (machines without sound).
    Silent,
    /// A WAV file, as fast as the files decode (checks of the audio itself).
    Wav(#[serde(with = "wire::path_bytes")] PathBuf),
}

/// What the player is doing, as the pipeline reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PlayState {
    /// Nothing is open.
    #[default]
    Stopped,
    /// A file is being opened.
    Opening,
    Playing,
    Paused,
    /// Waiting for data, with how much of it is there (percent).
    Buffering(u8),
    /// The queue played to its end; the last frame stays.
    Ended,
}

/// One audio or subtitle track of the file playing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Track {
    /// Language code, when the file says.
    pub language: Option<String>,
    /// Title, when the file says.
    pub title: Option<String>,
    /// Codec, in GStreamer's words.
    pub codec: Option<String>,
    /// Whether it comes from a file beside the media (`movie.srt` for `movie.mp4`).
    pub external: bool,
}

/// The tracks of the file playing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tracks {
    pub has_video: bool,
    pub audio: Vec<Track>,
    pub subtitles: Vec<Track>,
    pub current_audio: Option<usize>,
    /// None when subtitles are off.
    pub current_subtitle: Option<usize>,
}

/// Why a file cannot be played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// A decoder or demuxer is missing (the codec, in words).
    MissingCodec(String),
    /// The file is damaged or is not what it claims to be.
    Broken,
    /// The file cannot be read (gone, no permission).
    Unreadable,
    /// The sound or video output failed.
    Output,
    /// The player process died or hung on it (a decoder crashed, ran out of its memory or
    /// stopped responding).
    Process(ProcessEnd),
}

/// Tags of the file playing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub track: Option<u32>,
}

/// What the player reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PlayerEvent {
    /// A file of the queue started (by open, next, previous or the gapless hand-over).
    Started {
        index: usize,
        #[serde(with = "wire::path_bytes")]
        path: PathBuf,
    },
    State(PlayState),
    /// The index in the queue's files of what plays next by itself (the same one again under
    /// repeat-one), after each start and each change to the queue; None at its end.
    UpNext(Option<usize>),
    /// The files' indices in the order they play, after an open and after each change to
    /// the queue (files added, removed or moved, shuffle).
    Order(Vec<usize>),
    /// Position and duration, about four times a second while playing and after each seek.
    Position {
        position: Duration,
        duration: Option<Duration>,
    },
    /// A seek finished at this position.
    Seeked(Duration),
    Tracks(Tracks),
    Tags(Tags),
    Volume(f64),
    Shuffle(bool),
    Repeat(Repeat),
    /// A new video frame waits in the [`VideoOutput`] (sent once until it is taken).
    Frame,
    /// The picture asked for with [`Player::preview`].
    Preview(PreviewFrame),
    /// The file cannot be played; the player stops.
    Failed {
        #[serde(with = "wire::path_bytes")]
        path: PathBuf,
        problem: Problem,
        detail: String,
    },
}

/// Receives the player's events; called from the player's threads.
pub type PlayerSink = Arc<dyn Fn(PlayerEvent) + Send + Sync>;

/// How to open a queue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OpenRequest {
    #[serde(with = "wire::paths_bytes")]
    pub files: Vec<PathBuf>,
    /// Index in `files` to start with.
    pub start: usize,
    /// Where in that file to start.
    pub position: Option<Duration>,
    /// Start paused on the first frame rather than playing.
    pub paused: bool,
    pub shuffle: bool,
    pub repeat: Repeat,
}

#[derive(Debug, Serialize, Deserialize)]
enum Command {
    Open(OpenRequest),
    Play,
    Pause,
    Toggle,
    Stop,
    Seek(Duration),
    SeekBy(i64),
    Volume(f64),
    Next,
    Previous,
    Shuffle(bool),
    Repeat(Repeat),
    Audio(usize),
    Subtitle(Option<usize>),
    Add(#[serde(with = "wire::paths_bytes")] Vec<PathBuf>, Placement),
    Edit(Edit),
    Jump(usize),
    /// The largest picture the screen shows, in pixels.
    VideoBox(u32, u32),
    /// A seek preview of this file at this position (answered by [`PlayerEvent::Preview`]).
    Preview(#[serde(with = "wire::path_bytes")] PathBuf, Duration),
    Quit,
}

/// The engine on a thread of this process: what the player process runs.
struct Local {
    commands: Sender<engine::Message>,
}

impl Local {
    /// Starts the engine's thread (and GStreamer on it). Events go to `sink`, frames to
    /// `video`.
    fn start(audio: AudioOutput, sink: PlayerSink, video: VideoOutput) -> Local {
        let (commands, receiver) = std::sync::mpsc::channel();
        let to_self = commands.clone();
        let started = std::thread::Builder::new()
            .name("hearth-player".into())
            .spawn(move || engine::run(audio, sink, video, to_self, receiver));
        if let Err(error) = started {
            tracing::error!(%error, "the player's thread cannot start");
        }
        Local { commands }
    }

    fn send(&self, command: Command) {
        let _ = self.commands.send(engine::Message::Command(command));
    }

    /// Runs `call` on the engine's thread, between commands (a ping proves it answers).
    fn call(&self, call: Box<dyn FnOnce() + Send>) {
        let _ = self.commands.send(engine::Message::Call(call));
    }
}

/// The player: cheap to call from the UI thread, every call returns at once. Playback runs
/// in a child process, started at the first play.
pub struct Player {
    link: Arc<process::Link>,
    video: VideoOutput,
    watchdog: Option<std::thread::JoinHandle<()>>,
}

impl Player {
    /// A player whose process starts at the first play. Events go to `sink`.
    pub fn new(audio: AudioOutput, sink: PlayerSink) -> Player {
        Player::with_video(audio, VideoFormat::Bgrx, sink)
    }

    /// [`Player::new`], handing video frames over in `video` format.
    pub fn with_video(audio: AudioOutput, video_format: VideoFormat, sink: PlayerSink) -> Player {
        Player::with_limits(PlayerLimits::default(), audio, video_format, sink)
    }

    /// [`Player::with_video`], with the player process's binary and memory limit given.
    pub fn with_limits(
        limits: PlayerLimits,
        audio: AudioOutput,
        video_format: VideoFormat,
        sink: PlayerSink,
    ) -> Player {
        let video = VideoOutput::default();
        let link = process::Link::new(limits, audio, video_format, sink, video.clone());
        let watchdog = {
            let link = link.clone();
            std::thread::Builder::new()
                .name("player-watchdog".into())
                .spawn(move || link.watch())
                .ok()
        };
        Player {
            link,
            video,
            watchdog,
        }
    }

    /// The player process's id while one runs.
    pub fn pid(&self) -> Option<u32> {
        self.link.pid()
    }

    /// How many player processes were started.
    pub fn starts(&self) -> u64 {
        self.link.starts()
    }

    /// The newest frame of the video playing.
    pub fn video(&self) -> &VideoOutput {
        &self.video
    }

    fn send(&self, command: Command) {
        self.link.send(command);
    }

    /// Opens a queue of files and plays it (or shows its first frame, paused).
    pub fn open(&self, request: OpenRequest) {
        self.send(Command::Open(request));
    }
    pub fn play(&self) {
        self.send(Command::Play);
    }
    pub fn pause(&self) {
        self.send(Command::Pause);
    }
    pub fn toggle(&self) {
        self.send(Command::Toggle);
    }
    /// Closes the file; the player reports [`PlayState::Stopped`].
    pub fn stop(&self) {
        self.send(Command::Stop);
    }
    pub fn seek(&self, position: Duration) {
        self.send(Command::Seek(position));
    }
    /// Seeks by a signed number of milliseconds from the current position.
    pub fn seek_by(&self, milliseconds: i64) {
        self.send(Command::SeekBy(milliseconds));
    }
    /// Linear volume, 0.0 to 1.0.
    pub fn set_volume(&self, volume: f64) {
        self.send(Command::Volume(volume));
    }
    pub fn next(&self) {
        self.send(Command::Next);
    }
    /// Back to the start of the file, or to the previous one within its first 3 s.
    pub fn previous(&self) {
        self.send(Command::Previous);
    }
    pub fn set_shuffle(&self, shuffle: bool) {
        self.send(Command::Shuffle(shuffle));
    }
    pub fn set_repeat(&self, repeat: Repeat) {
        self.send(Command::Repeat(repeat));
    }
    pub fn select_audio(&self, track: usize) {
        self.send(Command::Audio(track));
    }
    /// A subtitle track, or None for none.
    pub fn select_subtitle(&self, track: Option<usize>) {
        self.send(Command::Subtitle(track));
    }
    /// Adds files to the queue, after the one playing or at the end; their indices follow
    /// the files already queued. A queue that played to its end goes on with them.
    pub fn add(&self, files: Vec<PathBuf>, placement: Placement) {
        self.send(Command::Add(files, placement));
    }
    /// Removes a queued file or moves it; the player reports the new order.
    pub fn edit(&self, edit: Edit) {
        self.send(Command::Edit(edit));
    }
    /// Plays the queued file with this index now.
    pub fn jump(&self, index: usize) {
        self.send(Command::Jump(index));
    }
    /// The video is shown within `width` x `height` pixels: BGRx frames come scaled to fit
    /// it (the video's shape kept, never enlarged), so the screen copies and draws them as
    /// they are.
    pub fn set_video_box(&self, width: u32, height: u32) {
        self.send(Command::VideoBox(width, height));
    }

    /// Asks for a small picture of `path` at `position` (the seek bar's preview), made in the
    /// player process and reported as [`PlayerEvent::Preview`]; a later ask replaces one not
    /// yet answered. Nothing is asked while no player process runs.
    pub fn preview(&self, path: &std::path::Path, position: Duration) {
        self.send(Command::Preview(path.to_path_buf(), position));
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.link.quit();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

/// The subtitle file beside a video (`movie.srt` or `movie.<lang>.srt` for `movie.mp4`).
pub fn subtitle_beside(video: &std::path::Path) -> Option<PathBuf> {
    let stem = video.file_stem()?.to_owned();
    let folder = video.parent()?;
    let exact = folder.join({
        let mut name = stem.clone();
        name.push(".srt");
        name
    });
    if exact.is_file() {
        return Some(exact);
    }
    let mut prefix = stem.into_encoded_bytes();
    prefix.push(b'.');
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default();
            name.starts_with(&prefix)
                && name.len() > prefix.len() + 4
                && name.to_ascii_lowercase().ends_with(b".srt")
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

//! The player's thread: it owns the `playbin`, takes commands and bus messages from one
//! channel, and polls the position only while playing (four times a second), so a paused
//! player sleeps.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::prelude::*;
use gstreamer as gst;
use gstreamer_app as gst_app;

use super::problem::classify;
use super::queue::{HandedOver, Placement, Queue};
use super::sinks::{audio_sink, make, video_caps};
use super::tracks::read_tracks;
use super::{
    AudioOutput, Command, OpenRequest, PlayState, PlayerEvent, PlayerSink, Problem, Tags,
    VideoOutput, subtitle_beside,
};

pub(super) enum Message {
    Command(Command),
    /// A bus message, with the epoch it was posted in.
    Bus(gst::Message, u64),
    /// Opening failed at once in this epoch; said only if the bus gave no reason first.
    OpenFailed(u64),
    /// Something to run on the engine's thread between commands.
    Call(Box<dyn FnOnce() + Send>),
}

const POSITION_INTERVAL: Duration = Duration::from_millis(250);
/// A file that has not shown its first frame (or sound) by then is given up: a damaged file
/// can leave GStreamer waiting without an error.
const OPEN_TIMEOUT: Duration = Duration::from_secs(8);
/// Previous within this much of a file's start goes to the file before.
const RESTART_WINDOW: Duration = Duration::from_secs(3);
const BASE_FLAGS: &str = "video+audio+soft-volume+deinterlace+soft-colorbalance";

/// What the streaming thread's gapless hand-over and the engine share.
#[derive(Default)]
struct Shared {
    queue: Queue,
    /// Files handed to playbin for gapless play that have not started yet (index, file).
    handed_over: std::collections::VecDeque<(usize, PathBuf)>,
}

struct Engine {
    playbin: gst::Element,
    /// Counts the files opened and closed: bus messages of an earlier one are ignored.
    epoch: Arc<AtomicU64>,
    to_self: Sender<Message>,
    sink: PlayerSink,
    video: VideoOutput,
    shared: Arc<Mutex<Shared>>,
    /// What the user asked for: playing (true) or paused.
    want_playing: bool,
    state: PlayState,
    /// A seek to do once the file has prerolled.
    pending_seek: Option<Duration>,
    /// Whether the open file has prerolled once.
    prerolled: bool,
    seeking: bool,
    subtitles_on: bool,
    external_subtitle: bool,
    missing: Vec<String>,
    last_position: Option<(Duration, Option<Duration>)>,
    path: Option<PathBuf>,
    /// When the file being opened was asked for.
    opened_at: Option<Instant>,
}

pub(super) fn run(
    audio: AudioOutput,
    sink: PlayerSink,
    video: VideoOutput,
    commands: Sender<Message>,
    receiver: Receiver<Message>,
) {
    let mut engine = match Engine::new(audio, sink.clone(), video, commands) {
        Ok(engine) => engine,
        Err(detail) => {
            tracing::error!(%detail, "the player cannot start");
            // Every open fails with the reason rather than nothing happening.
            while let Ok(message) = receiver.recv() {
                match message {
                    Message::Command(Command::Quit) => return,
                    Message::Command(Command::Open(request)) => sink(PlayerEvent::Failed {
                        path: request
                            .files
                            .get(request.start)
                            .cloned()
                            .unwrap_or_default(),
                        problem: Problem::Output,
                        detail: detail.clone(),
                    }),
                    _ => {}
                }
            }
            return;
        }
    };
    loop {
        let wait = match engine.state {
            PlayState::Playing => Some(POSITION_INTERVAL),
            PlayState::Opening => Some(
                engine
                    .opened_at
                    .map(|at| (at + OPEN_TIMEOUT).saturating_duration_since(Instant::now()))
                    .unwrap_or(OPEN_TIMEOUT),
            ),
            _ => None,
        };
        let message = if let Some(wait) = wait {
            match receiver.recv_timeout(wait) {
                Ok(message) => Some(message),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match receiver.recv() {
                Ok(message) => Some(message),
                Err(_) => break,
            }
        };
        match message {
            Some(Message::Command(Command::Quit)) => break,
            Some(Message::Command(command)) => engine.command(command),
            Some(Message::Bus(message, epoch)) if epoch == engine.epoch() => engine.bus(&message),
            Some(Message::Bus(..)) => {}
            Some(Message::OpenFailed(epoch)) if epoch == engine.epoch() => {
                if let Some(path) = engine.path.clone() {
                    engine.fail(&path, Problem::Broken, "the file cannot be opened".into());
                }
            }
            Some(Message::OpenFailed(_)) => {}
            Some(Message::Call(call)) => call(),
            None => {}
        }
        if engine.state == PlayState::Playing {
            engine.report_position(false);
        }
        if engine.state == PlayState::Opening
            && engine
                .opened_at
                .is_some_and(|at| at.elapsed() >= OPEN_TIMEOUT)
            && let Some(path) = engine.path.clone()
        {
            engine.fail(
                &path,
                Problem::Broken,
                format!("the file did not open within {} s", OPEN_TIMEOUT.as_secs()),
            );
        }
    }
    let _ = engine.playbin.set_state(gst::State::Null);
}

impl Engine {
    fn new(
        audio: AudioOutput,
        sink: PlayerSink,
        video: VideoOutput,
        commands: Sender<Message>,
    ) -> Result<Engine, String> {
        gst::init().map_err(|error| format!("GStreamer cannot start: {error}"))?;
        let playbin = make("playbin")?;
        let appsink = gst_app::AppSink::builder()
            .caps(&video_caps())
            .max_buffers(2)
            .drop(false)
            .enable_last_sample(false)
            .qos(true)
            .build();
        let frames = |video: VideoOutput, sink: PlayerSink| {
            move |sample: gst::Sample| {
                if video.put(sample) {
                    sink(PlayerEvent::Frame);
                }
            }
        };
        let on_sample = frames(video.clone(), sink.clone());
        let on_preroll = frames(video.clone(), sink.clone());
        appsink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |appsink| {
                    let sample = appsink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    on_sample(sample);
                    Ok(gst::FlowSuccess::Ok)
                })
                .new_preroll(move |appsink| {
                    let sample = appsink.pull_preroll().map_err(|_| gst::FlowError::Eos)?;
                    on_preroll(sample);
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        playbin.set_property("video-sink", &appsink);
        playbin.set_property("audio-sink", audio_sink(&audio)?);
        playbin.set_property_from_str("flags", BASE_FLAGS);

        let shared = Arc::new(Mutex::new(Shared::default()));
        {
            let shared = shared.clone();
            playbin.connect("about-to-finish", false, move |values| {
                let playbin = values.first()?.get::<gst::Element>().ok()?;
                let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
                // A hand-over that comes before the last one has started continues from it.
                let from = match shared.handed_over.back() {
                    Some((index, _)) => shared.queue.position_of(*index)?,
                    None => shared.queue.position(),
                };
                let next = shared.queue.after_end_of(from)?;
                let index = shared.queue.index_at(next)?;
                let path = shared.queue.file_at(next)?.clone();
                playbin.set_property("uri", file_uri(&path)?);
                shared.handed_over.push_back((index, path));
                None
            });
        }
        let bus = playbin.bus().ok_or("a playbin without a bus")?;
        let epoch = Arc::new(AtomicU64::new(0));
        {
            let epoch = epoch.clone();
            let commands = commands.clone();
            bus.set_sync_handler(move |_, message| {
                let now = epoch.load(Ordering::SeqCst);
                let _ = commands.send(Message::Bus(message.clone(), now));
                gst::BusSyncReply::Drop
            });
        }
        Ok(Engine {
            playbin,
            epoch,
            to_self: commands,
            sink,
            video,
            shared,
            want_playing: false,
            state: PlayState::Stopped,
            pending_seek: None,
            prerolled: false,
            seeking: false,
            subtitles_on: true,
            external_subtitle: false,
            missing: Vec::new(),
            last_position: None,
            path: None,
            opened_at: None,
        })
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Stops the pipeline and starts a new epoch, so nothing it posted before is taken for
    /// news of what comes next.
    fn halt(&self) {
        let _ = self.playbin.set_state(gst::State::Null);
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn emit(&self, event: PlayerEvent) {
        (self.sink)(event);
    }

    fn set_state(&mut self, state: PlayState) {
        if self.state != state {
            self.state = state;
            self.emit(PlayerEvent::State(state));
        }
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Open(request) => self.open(request),
            Command::Play => self.resume(),
            Command::Pause => self.pause(),
            Command::Toggle => {
                if self.want_playing && self.state != PlayState::Ended {
                    self.pause();
                } else {
                    self.resume();
                }
            }
            Command::Stop => self.stop(),
            Command::Seek(position) => self.seek(position),
            Command::SeekBy(milliseconds) => {
                let position = self.position().unwrap_or_default();
                let target = if milliseconds < 0 {
                    position.saturating_sub(Duration::from_millis(milliseconds.unsigned_abs()))
                } else {
                    position + Duration::from_millis(milliseconds.unsigned_abs())
                };
                let target = match self.duration() {
                    Some(duration) => {
                        target.min(duration.saturating_sub(Duration::from_millis(500)))
                    }
                    None => target,
                };
                self.seek(target);
            }
            Command::Volume(volume) => {
                let volume = volume.clamp(0.0, 1.0);
                self.playbin.set_property("volume", volume);
                self.emit(PlayerEvent::Volume(volume));
            }
            Command::Next => {
                let next = self.shared().queue.following();
                if let Some(next) = next {
                    self.play_at(next, None);
                }
            }
            Command::Previous => {
                let early = self.position().is_none_or(|p| p < RESTART_WINDOW);
                let previous = self.shared().queue.preceding();
                match previous {
                    Some(previous) if early => self.play_at(previous, None),
                    _ => self.seek(Duration::ZERO),
                }
            }
            Command::Shuffle(shuffle) => {
                self.shared().queue.set_shuffle(shuffle);
                self.emit(PlayerEvent::Shuffle(shuffle));
                self.report_order();
            }
            Command::Repeat(repeat) => {
                self.shared().queue.set_repeat(repeat);
                self.emit(PlayerEvent::Repeat(repeat));
                self.report_up_next();
            }
            Command::Add(files, placement) => self.add(files, placement),
            Command::Edit(edit) => {
                if self.shared().queue.edit(edit) {
                    self.report_order();
                }
            }
            Command::Jump(index) => {
                let at = self.shared().queue.position_of(index);
                if let Some(at) = at {
                    self.want_playing = true;
                    self.play_at(at, None);
                }
            }
            Command::Audio(track) => {
                let count = self.playbin.property::<i32>("n-audio");
                if let Ok(track) = i32::try_from(track)
                    && track < count
                {
                    self.playbin.set_property("current-audio", track);
                    self.report_tracks();
                }
            }
            Command::Subtitle(track) => {
                self.subtitles_on = track.is_some();
                let flags = if self.subtitles_on {
                    format!("{BASE_FLAGS}+text")
                } else {
                    BASE_FLAGS.to_string()
                };
                self.playbin.set_property_from_str("flags", &flags);
                if let Some(track) = track.and_then(|t| i32::try_from(t).ok())
                    && track < self.playbin.property::<i32>("n-text")
                {
                    self.playbin.set_property("current-text", track);
                }
                self.report_tracks();
            }
            // The player process scales frames and makes previews itself (`serve.rs`).
            Command::VideoBox(..) | Command::Preview(..) => {}
            Command::Quit => {}
        }
    }

    fn open(&mut self, request: OpenRequest) {
        let queue = Queue::new(
            request.files,
            request.start,
            request.shuffle,
            request.repeat,
        );
        let at = (!queue.is_empty()).then(|| queue.position());
        {
            let mut shared = self.shared();
            shared.queue = queue;
            shared.handed_over.clear();
        }
        self.emit(PlayerEvent::Shuffle(request.shuffle));
        self.emit(PlayerEvent::Repeat(request.repeat));
        self.report_order();
        self.want_playing = !request.paused;
        match at {
            Some(at) => self.play_at(at, request.position),
            None => self.stop(),
        }
    }

    /// Adds files to the queue. A queue that held nothing, was stopped or had played to its
    /// end goes on with the first of them.
    fn add(&mut self, files: Vec<PathBuf>, placement: Placement) {
        if files.is_empty() {
            return;
        }
        let (was_empty, first) = {
            let mut shared = self.shared();
            let was_empty = shared.queue.is_empty();
            (was_empty, shared.queue.add(files, placement))
        };
        self.report_order();
        if was_empty || self.path.is_none() || self.state == PlayState::Ended {
            self.want_playing = true;
            self.play_at(first, None);
        }
    }

    /// The play order, then what plays next by itself.
    fn report_order(&self) {
        let order = self.shared().queue.order().to_vec();
        self.emit(PlayerEvent::Order(order));
        self.report_up_next();
    }

    /// What plays next by itself, for "up next" on the screen.
    fn report_up_next(&self) {
        let up_next = {
            let shared = self.shared();
            shared
                .queue
                .after_end()
                .and_then(|at| shared.queue.index_at(at))
        };
        self.emit(PlayerEvent::UpNext(up_next));
    }

    /// Opens the file at `at` in the play order, from `position`.
    fn play_at(&mut self, at: usize, position: Option<Duration>) {
        let path = {
            let mut shared = self.shared();
            shared.queue.go_to(at);
            shared.queue.current_file().cloned()
        };
        let Some(path) = path else { return };
        self.halt();
        // Only now: a hand-over that ran until the pipeline stopped was of the old file.
        self.shared().handed_over.clear();
        self.video.clear();
        self.prerolled = false;
        self.seeking = false;
        self.missing.clear();
        self.last_position = None;
        self.pending_seek = position.filter(|p| !p.is_zero());
        let Some(uri) = file_uri(&path) else {
            self.fail(
                &path,
                Problem::Unreadable,
                "the file's name cannot be made a URI".into(),
            );
            return;
        };
        self.playbin.set_property("uri", uri);
        let subtitle = subtitle_beside(&path).and_then(|file| file_uri(&file));
        self.external_subtitle = subtitle.is_some();
        self.playbin.set_property("suburi", subtitle);
        let flags = if self.subtitles_on {
            format!("{BASE_FLAGS}+text")
        } else {
            BASE_FLAGS.to_string()
        };
        self.playbin.set_property_from_str("flags", &flags);
        self.path = Some(path.clone());
        let index = self.shared().queue.current().unwrap_or(0);
        self.emit(PlayerEvent::Started {
            index,
            path: path.clone(),
        });
        self.report_up_next();
        self.opened_at = Some(Instant::now());
        self.set_state(PlayState::Opening);
        if self.playbin.set_state(gst::State::Paused).is_err() {
            // The bus carries the reason, queued before this; this is for a failure that
            // posts none.
            let _ = self.to_self.send(Message::OpenFailed(self.epoch()));
        }
    }

    fn resume(&mut self) {
        self.want_playing = true;
        match self.state {
            PlayState::Ended => {
                // Play the last file again from its start, as players do after the end.
                let at = self.shared().queue.position();
                self.play_at(at, None);
            }
            PlayState::Paused => {
                let _ = self.playbin.set_state(gst::State::Playing);
            }
            _ => {}
        }
    }

    fn pause(&mut self) {
        self.want_playing = false;
        if matches!(self.state, PlayState::Playing | PlayState::Buffering(_)) {
            let _ = self.playbin.set_state(gst::State::Paused);
        }
    }

    fn stop(&mut self) {
        self.halt();
        self.video.clear();
        self.want_playing = false;
        self.path = None;
        self.set_state(PlayState::Stopped);
    }

    fn seek(&mut self, position: Duration) {
        if self.state == PlayState::Ended && !self.prerolled {
            // Ended with the pipeline closed: the last file opens again, paused there.
            let at = self.shared().queue.position();
            self.want_playing = false;
            self.play_at(at, Some(position));
            return;
        }
        if !self.prerolled {
            self.pending_seek = Some(position);
            return;
        }
        let position = match self.duration() {
            Some(duration) => position.min(duration),
            None => position,
        };
        let flags = gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE;
        let target =
            gst::ClockTime::from_nseconds(u64::try_from(position.as_nanos()).unwrap_or(u64::MAX));
        if self.state == PlayState::Ended {
            // The pipeline sits after EOS: seeking brings it back, paused.
            self.want_playing = false;
        }
        if self.playbin.seek_simple(flags, target).is_ok() {
            self.seeking = true;
        }
    }

    fn position(&self) -> Option<Duration> {
        self.playbin
            .query_position::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    fn duration(&self) -> Option<Duration> {
        self.playbin
            .query_duration::<gst::ClockTime>()
            .map(|t| Duration::from_nanos(t.nseconds()))
    }

    fn report_position(&mut self, always: bool) {
        let Some(position) = self.position() else {
            return;
        };
        let now = (position, self.duration());
        if always || self.last_position != Some(now) {
            self.last_position = Some(now);
            self.emit(PlayerEvent::Position {
                position: now.0,
                duration: now.1,
            });
        }
    }

    fn fail(&mut self, path: &Path, problem: Problem, detail: String) {
        tracing::warn!(path = %path.display(), ?problem, %detail, "cannot play");
        self.halt();
        self.path = None;
        self.video.clear();
        self.want_playing = false;
        self.emit(PlayerEvent::Failed {
            path: path.to_path_buf(),
            problem,
            detail,
        });
        self.set_state(PlayState::Stopped);
    }

    fn posted_by_playbin(&self, message: &gst::Message) -> bool {
        message
            .src()
            .is_some_and(|src| src == self.playbin.upcast_ref::<gst::Object>())
    }

    fn bus(&mut self, message: &gst::Message) {
        use gst::MessageView;
        match message.view() {
            MessageView::Error(error) => {
                let Some(path) = self.path.clone() else {
                    return;
                };
                let (problem, detail) =
                    classify(&error.error(), error.debug().as_deref(), &self.missing);
                self.fail(&path, problem, detail);
            }
            MessageView::Element(_) if gstreamer_pbutils::MissingPluginMessage::is(message) => {
                if let Ok(missing) = gstreamer_pbutils::MissingPluginMessage::parse(message) {
                    self.missing.push(missing.description().to_string());
                }
            }
            MessageView::StateChanged(change) if self.posted_by_playbin(message) => {
                match change.current() {
                    gst::State::Playing => self.set_state(PlayState::Playing),
                    gst::State::Paused
                        if self.prerolled
                            && change.pending() == gst::State::VoidPending
                            && self.state != PlayState::Ended =>
                    {
                        self.set_state(PlayState::Paused);
                    }
                    _ => {}
                }
            }
            MessageView::AsyncDone(_) => self.async_done(),
            MessageView::StreamStart(_) => self.stream_started(),
            MessageView::Eos(_) => {
                // Files added after the last one's hand-over was due (nothing was handed
                // over then) play now rather than the queue ending.
                let late = self.shared().queue.after_end();
                if let Some(at) = late {
                    self.want_playing = true;
                    self.play_at(at, None);
                    return;
                }
                self.report_position(true);
                self.end();
            }
            MessageView::Buffering(buffering) => {
                let percent = u8::try_from(buffering.percent().clamp(0, 100)).unwrap_or(100);
                if percent < 100 {
                    let _ = self.playbin.set_state(gst::State::Paused);
                    self.set_state(PlayState::Buffering(percent));
                } else if self.want_playing {
                    let _ = self.playbin.set_state(gst::State::Playing);
                }
            }
            MessageView::Tag(tag) => {
                let tags = tag.tags();
                let text = |name: &str| {
                    tags.generic(name)
                        .and_then(|value| value.get::<String>().ok())
                };
                let found = Tags {
                    title: text("title"),
                    artist: text("artist"),
                    album: text("album"),
                    track: tags
                        .get::<gst::tags::TrackNumber>()
                        .map(|value| value.get()),
                };
                if found != Tags::default() {
                    self.emit(PlayerEvent::Tags(found));
                }
            }
            MessageView::Qos(qos) => {
                let (_, dropped) = qos.stats();
                if let gst::GenericFormattedValue::Buffers(Some(dropped)) = dropped
                    && qos
                        .src()
                        .is_some_and(|src| src.type_().name() == "GstAppSink")
                {
                    self.video.set_late(*dropped);
                }
            }
            _ => {}
        }
    }

    /// The queue has played to its end: the pipeline waits, paused, for Play to start the
    /// last file again.
    fn end(&mut self) {
        self.set_state(PlayState::Ended);
        let _ = self.playbin.set_state(gst::State::Paused);
        self.want_playing = false;
    }

    fn async_done(&mut self) {
        let first = !self.prerolled;
        self.prerolled = true;
        if first {
            if !self.missing.is_empty() {
                let path = self.path.clone().unwrap_or_default();
                let detail = self.missing.join(", ");
                self.fail(&path, Problem::MissingCodec(detail.clone()), detail);
                return;
            }
            self.report_tracks();
        }
        if let Some(position) = self.pending_seek.take() {
            self.seek(position);
            return;
        }
        if self.seeking {
            self.seeking = false;
            if let Some(position) = self.position() {
                self.emit(PlayerEvent::Seeked(position));
            }
        }
        self.report_position(true);
        if self.want_playing {
            let _ = self.playbin.set_state(gst::State::Playing);
        } else {
            self.set_state(PlayState::Paused);
        }
    }

    /// A new stream began: after the gapless hand-over, the next file of the queue, unless
    /// the queue was changed after the hand-over (a file removed or moved, shuffle turned
    /// on). Then what the queue now says comes next replaces it, or nothing when nothing does.
    fn stream_started(&mut self) {
        let handed_over = {
            let mut shared = self.shared();
            match shared.handed_over.pop_front() {
                Some((index, path)) => match shared.queue.handed_over_started(index) {
                    HandedOver::Expected => Some((index, path)),
                    HandedOver::Replace(at) => {
                        drop(shared);
                        tracing::debug!(index, "the queue changed after the gapless hand-over");
                        return match at {
                            Some(at) => self.play_at(at, None),
                            None => {
                                // The pipeline holds the file that was taken out: closed,
                                // it cannot play on; Play or a seek opens the last one again.
                                self.halt();
                                self.video.clear();
                                self.prerolled = false;
                                self.set_state(PlayState::Ended);
                                self.want_playing = false;
                            }
                        };
                    }
                },
                None => None,
            }
        };
        if let Some((index, path)) = handed_over {
            self.path = Some(path.clone());
            self.missing.clear();
            self.last_position = None;
            self.emit(PlayerEvent::Started { index, path });
            self.report_up_next();
            self.report_tracks();
        }
    }

    fn report_tracks(&self) {
        let tracks = read_tracks(&self.playbin, self.subtitles_on, self.external_subtitle);
        self.emit(PlayerEvent::Tracks(tracks));
    }
}

fn file_uri(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    gst::glib::filename_to_uri(absolute, None)
        .ok()
        .map(|uri| uri.to_string())
}

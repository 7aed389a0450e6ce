//! The playback domain in the shell: the player screen, the mini player, and what a switch
//! to a VM does to what is playing.
//!
//! The player (`hearth_media::player`) runs GStreamer on its own thread, made on the first
//! play, never before the first frame. Its reports reach the UI thread through the app's
//! queue; the screen shows what they say, never what a button asked for.

mod frames;
pub mod mpris;
mod positions;
mod uri;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hearth_media::player::{
    OpenRequest, PlayState, Player, PlayerEvent, PlayerSink, Problem, Repeat, Track, Tracks,
};
use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{AppAdapter, AppWindow, PlayerAdapter, Screen, VmAction};
use slint::{ComponentHandle, Image, ModelRc, SharedString, VecModel};

use crate::config::PlaybackSettings;
use frames::VideoFrames;
use mpris::{Mpris, MprisCommand, MprisState, MprisTrack};

/// One file of the queue as the player screen names it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub path: PathBuf,
    pub title: String,
    /// The artist and album, or nothing.
    pub subtitle: String,
    /// Its thumbnail or album art, a PNG in the thumbnail cache.
    pub cover: Option<PathBuf>,
}

/// What the player screen is showing, kept to re-word it and to restore it.
#[derive(Default)]
struct Shown {
    state: PlayState,
    current: Option<usize>,
    position: Duration,
    duration: Option<Duration>,
    tracks: Tracks,
    problem: Option<(PathBuf, Problem)>,
    shuffle: bool,
    repeat: Repeat,
    volume: f64,
}

pub struct PlaybackController {
    window: slint::Weak<AppWindow>,
    settings: PlaybackSettings,
    translator: RefCell<Translator>,
    sink: PlayerSink,
    player: RefCell<Option<Player>>,
    queue: RefCell<Vec<QueueItem>>,
    shown: RefCell<Shown>,
    frames: RefCell<VideoFrames>,
    /// The screen the player was opened from, to go back to.
    opened_from: Cell<Screen>,
    /// A switch to a VM left the player screen; coming home returns to it.
    left_for_vm: Cell<bool>,
    /// A switch to a VM paused what was playing; coming back resumes it.
    paused_for_vm: Cell<bool>,
    mpris: RefCell<Option<Mpris>>,
    /// Counts the files started, to give each its own MPRIS track id.
    track_serial: Cell<u64>,
    positions: RefCell<Option<positions::PositionWriter>>,
    /// When the position playing was last written.
    saved_at: Cell<Option<Instant>>,
}

/// How often the position of what plays is written while it plays.
const SAVE_INTERVAL: Duration = Duration::from_secs(10);

impl PlaybackController {
    /// Wires the player screen; no player yet (it starts on the first play). `sink` hands
    /// the player's reports to the UI thread.
    pub fn new(
        window: &AppWindow,
        settings: PlaybackSettings,
        language: &str,
        sink: PlayerSink,
    ) -> Rc<PlaybackController> {
        let controller = Rc::new(PlaybackController {
            window: window.as_weak(),
            settings,
            translator: RefCell::new(Translator::new(language)),
            sink,
            player: RefCell::new(None),
            queue: RefCell::new(Vec::new()),
            shown: RefCell::new(Shown {
                volume: 1.0,
                ..Shown::default()
            }),
            frames: RefCell::new(VideoFrames::default()),
            opened_from: Cell::new(Screen::Home),
            left_for_vm: Cell::new(false),
            paused_for_vm: Cell::new(false),
            mpris: RefCell::new(None),
            track_serial: Cell::new(0),
            positions: RefCell::new(None),
            saved_at: Cell::new(None),
        });
        let adapter = window.global::<PlayerAdapter>();
        adapter.set_swipe_seek(controller.settings.swipe_seek);
        adapter.set_double_tap_seek(controller.settings.double_tap_seek);
        controller.connect(&adapter);
        controller
    }

    fn connect(self: &Rc<Self>, adapter: &PlayerAdapter<'_>) {
        let weak = Rc::downgrade(self);
        let with = move |f: fn(&PlaybackController)| {
            let weak = weak.clone();
            move || {
                if let Some(controller) = weak.upgrade() {
                    f(&controller);
                }
            }
        };
        adapter.on_toggle(with(|c| c.with_player(Player::toggle)));
        adapter.on_next(with(|c| c.with_player(Player::next)));
        adapter.on_previous(with(|c| c.with_player(Player::previous)));
        adapter.on_close(with(PlaybackController::close));
        adapter.on_open(with(PlaybackController::show));
        adapter.on_toggle_shuffle(with(|c| {
            let shuffle = !c.shown.borrow().shuffle;
            c.with_player(|player| player.set_shuffle(shuffle));
        }));
        adapter.on_cycle_repeat(with(|c| {
            let repeat = match c.shown.borrow().repeat {
                Repeat::Off => Repeat::All,
                Repeat::All => Repeat::One,
                Repeat::One => Repeat::Off,
            };
            c.with_player(|player| player.set_repeat(repeat));
        }));
        let weak = Rc::downgrade(self);
        adapter.on_seek(move |seconds| {
            if let Some(c) = weak.upgrade() {
                let position = Duration::from_secs_f32(seconds.max(0.0));
                c.with_player(|player| player.seek(position));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_seek_by(move |milliseconds| {
            if let Some(c) = weak.upgrade() {
                c.with_player(|player| player.seek_by(i64::from(milliseconds)));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_set_volume(move |volume| {
            if let Some(c) = weak.upgrade() {
                c.with_player(|player| player.set_volume(f64::from(volume)));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_choose_audio(move |id| {
            if let (Some(c), Ok(track)) = (weak.upgrade(), id.parse::<usize>()) {
                c.with_player(|player| player.select_audio(track));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_choose_subtitle(move |id| {
            if let Some(c) = weak.upgrade() {
                let track = id.parse::<usize>().ok();
                c.with_player(|player| player.select_subtitle(track));
            }
        });
    }

    fn with_player(&self, f: impl FnOnce(&Player)) {
        if let Some(player) = self.player.borrow().as_ref() {
            f(player);
        }
    }

    fn with_adapter(&self, f: impl FnOnce(&PlayerAdapter<'_>)) {
        if let Some(window) = self.window.upgrade() {
            f(&window.global::<PlayerAdapter>());
        }
    }

    fn screen(&self) -> Option<Screen> {
        self.window
            .upgrade()
            .map(|window| window.global::<AppAdapter>().get_screen())
    }

    fn set_screen(&self, screen: Screen) {
        if let Some(window) = self.window.upgrade() {
            window.global::<AppAdapter>().set_screen(screen);
        }
    }

    /// Plays `queue` from `start` on the player screen.
    pub fn play(&self, queue: Vec<QueueItem>, start: usize, position: Option<Duration>) {
        if queue.is_empty() {
            return;
        }
        if self.player.borrow().is_none() {
            *self.player.borrow_mut() =
                Some(Player::new(self.settings.audio.clone(), self.sink.clone()));
        }
        let files = queue.iter().map(|item| item.path.clone()).collect();
        *self.queue.borrow_mut() = queue;
        {
            let mut shown = self.shown.borrow_mut();
            let volume = shown.volume;
            *shown = Shown {
                volume,
                current: Some(start),
                ..Shown::default()
            };
        }
        self.frames.borrow_mut().reset();
        self.with_player(|player| {
            player.open(OpenRequest {
                files,
                start,
                position,
                ..OpenRequest::default()
            });
        });
        self.with_adapter(|adapter| adapter.set_frame(Image::default()));
        self.render();
        self.show();
    }

    /// Shows the player screen (from the mini player, or after a play).
    pub fn show(&self) {
        if let Some(screen) = self.screen()
            && screen != Screen::Player
        {
            self.opened_from.set(screen);
        }
        self.set_screen(Screen::Player);
        self.present_frame();
        self.render();
    }

    /// Leaves the player screen: a video stops, music plays on in the mini player.
    pub fn close(&self) {
        let video = self.shown.borrow().tracks.has_video;
        let failed = self.shown.borrow().problem.is_some();
        if video && !failed {
            self.save_position();
        }
        if video || failed {
            self.with_player(Player::stop);
            self.queue.borrow_mut().clear();
            let volume = self.shown.borrow().volume;
            *self.shown.borrow_mut() = Shown {
                volume,
                ..Shown::default()
            };
            self.frames.borrow_mut().reset();
            self.with_adapter(|adapter| adapter.set_frame(Image::default()));
        }
        let back = match self.opened_from.get() {
            Screen::Media => Screen::Media,
            _ => Screen::Home,
        };
        self.set_screen(back);
        self.render();
    }

    /// A VM came to the front from `from`: pauses what the settings say, and remembers the
    /// player screen so coming home returns to it.
    pub fn vm_shown(&self, from: Screen) {
        if from == Screen::Player {
            self.left_for_vm.set(true);
        }
        let (state, video) = {
            let shown = self.shown.borrow();
            (shown.state, shown.tracks.has_video)
        };
        let pause = if video {
            self.settings.pause_video_on_switch
        } else {
            self.settings.pause_music_on_switch
        };
        if pause
            && matches!(
                state,
                PlayState::Playing | PlayState::Buffering(_) | PlayState::Opening
            )
        {
            self.paused_for_vm.set(true);
            self.with_player(Player::pause);
        }
    }

    /// Hearth's own screens came back after a VM: resumes what the switch paused. Returns
    /// whether the player screen is shown again (instead of home).
    pub fn back_from_vm(&self) -> bool {
        if self.paused_for_vm.replace(false) {
            self.with_player(Player::play);
        }
        if self.left_for_vm.replace(false) && !self.queue.borrow().is_empty() {
            self.set_screen(Screen::Player);
            self.present_frame();
            self.render();
            return true;
        }
        false
    }

    pub fn set_language(&self, code: &str) {
        *self.translator.borrow_mut() = Translator::new(code);
        self.render();
    }

    /// Handles the player's reports, in order.
    pub fn handle(&self, events: Vec<PlayerEvent>) {
        let mut frame = false;
        for event in events {
            match event {
                PlayerEvent::Frame => frame = true,
                event => self.apply(event),
            }
        }
        if frame {
            self.present_frame();
        }
        self.render();
    }

    fn apply(&self, event: PlayerEvent) {
        // The file that was playing is recorded before the next one takes its place.
        if matches!(event, PlayerEvent::Started { .. }) {
            self.save_position();
        }
        self.apply_to_shown(&event);
        match event {
            PlayerEvent::State(PlayState::Paused | PlayState::Ended) => self.save_position(),
            PlayerEvent::Position { .. }
                if self.state() == PlayState::Playing
                    && self
                        .saved_at
                        .get()
                        .is_none_or(|at| at.elapsed() >= SAVE_INTERVAL) =>
            {
                self.save_position();
            }
            _ => {}
        }
    }

    fn apply_to_shown(&self, event: &PlayerEvent) {
        let event = event.clone();
        let mut shown = self.shown.borrow_mut();
        match event {
            PlayerEvent::Started { index, .. } => {
                self.track_serial.set(self.track_serial.get() + 1);
                shown.current = Some(index);
                shown.problem = None;
                shown.position = Duration::ZERO;
                shown.duration = None;
                drop(shown);
                self.frames.borrow_mut().reset();
            }
            PlayerEvent::State(state) => shown.state = state,
            PlayerEvent::Position { position, duration } => {
                shown.position = position;
                shown.duration = duration;
            }
            PlayerEvent::Seeked(position) => {
                shown.position = position;
                if let Some(mpris) = self.mpris.borrow().as_ref() {
                    mpris.seeked(micros(position));
                }
            }
            PlayerEvent::Tracks(tracks) => shown.tracks = tracks,
            PlayerEvent::Volume(volume) => shown.volume = volume,
            PlayerEvent::Shuffle(shuffle) => shown.shuffle = shuffle,
            PlayerEvent::Repeat(repeat) => shown.repeat = repeat,
            PlayerEvent::Failed { path, problem, .. } => shown.problem = Some((path, problem)),
            PlayerEvent::Tags(_) | PlayerEvent::Frame => {}
        }
    }

    /// Shows the newest video frame if the player screen is up (frames meanwhile wait in
    /// the player, so nothing is copied or drawn for a screen nobody sees).
    fn present_frame(&self) {
        if self.screen() != Some(Screen::Player) {
            return;
        }
        let image = {
            let player = self.player.borrow();
            let Some(player) = player.as_ref() else {
                return;
            };
            self.frames.borrow_mut().present(player.video())
        };
        if let Some(image) = image {
            self.with_adapter(|adapter| adapter.set_frame(image));
        }
    }

    /// What is playing, as the screen and the mini player show it.
    pub fn now_playing(&self) -> Option<QueueItem> {
        let current = self.shown.borrow().current?;
        self.queue.borrow().get(current).cloned()
    }

    pub fn state(&self) -> PlayState {
        self.shown.borrow().state
    }

    fn render(&self) {
        let translator = self.translator.borrow();
        let shown = self.shown.borrow();
        let item = shown
            .current
            .and_then(|i| self.queue.borrow().get(i).cloned());
        let count = self.queue.borrow().len();
        let screen = self.screen();
        self.with_adapter(|adapter| {
            let title = item.as_ref().map(|i| i.title.clone()).unwrap_or_default();
            set_if(adapter.get_title(), title.as_str(), |v| {
                adapter.set_title(v)
            });
            let subtitle = item
                .as_ref()
                .map(|i| i.subtitle.clone())
                .unwrap_or_default();
            set_if(adapter.get_subtitle(), subtitle.as_str(), |v| {
                adapter.set_subtitle(v)
            });
            adapter.set_has_video(shown.tracks.has_video);
            adapter.set_playing(matches!(
                shown.state,
                PlayState::Playing | PlayState::Buffering(_)
            ));
            let waiting = match shown.state {
                PlayState::Opening => translator.tr("player-opening"),
                PlayState::Buffering(percent) => translator.tr_args(
                    "player-buffering",
                    &[("percent", Arg::Number(i64::from(percent)))],
                ),
                _ => String::new(),
            };
            set_if(adapter.get_waiting(), waiting.as_str(), |v| {
                adapter.set_waiting(v)
            });
            let duration = shown.duration.unwrap_or_default();
            adapter.set_position(shown.position.as_secs_f32());
            adapter.set_duration(duration.as_secs_f32());
            let position_text = clock(shown.position);
            set_if(adapter.get_position_text(), position_text.as_str(), |v| {
                adapter.set_position_text(v)
            });
            let duration_text = shown.duration.map(clock).unwrap_or_default();
            set_if(adapter.get_duration_text(), duration_text.as_str(), |v| {
                adapter.set_duration_text(v)
            });
            adapter.set_can_next(count > 1);
            adapter.set_can_previous(count > 1);
            adapter.set_shuffle(shown.shuffle);
            let repeat = match shown.repeat {
                Repeat::Off => ("off", "player-repeat-off"),
                Repeat::All => ("all", "player-repeat-all"),
                Repeat::One => ("one", "player-repeat-one"),
            };
            adapter.set_repeat(repeat.0.into());
            adapter.set_repeat_label(translator.tr(repeat.1).into());
            adapter.set_volume(shown.volume as f32);
            let (error_title, error_text) = match &shown.problem {
                Some((path, problem)) => problem_words(&translator, path, problem),
                None => (String::new(), String::new()),
            };
            set_if(adapter.get_error_title(), error_title.as_str(), |v| {
                adapter.set_error_title(v)
            });
            set_if(adapter.get_error_text(), error_text.as_str(), |v| {
                adapter.set_error_text(v)
            });
            let audio = track_actions(
                &translator,
                &shown.tracks.audio,
                shown.tracks.current_audio,
                None,
            );
            if !same_actions(&adapter.get_audio_tracks(), &audio) {
                adapter.set_audio_tracks(ModelRc::from(Rc::new(VecModel::from(audio))));
            }
            let subtitles = track_actions(
                &translator,
                &shown.tracks.subtitles,
                shown.tracks.current_subtitle,
                Some(translator.tr("player-subtitles-off")),
            );
            if !same_actions(&adapter.get_subtitle_tracks(), &subtitles) {
                adapter.set_subtitle_tracks(ModelRc::from(Rc::new(VecModel::from(subtitles))));
            }
            let mini = item.is_some()
                && !shown.tracks.has_video
                && shown.problem.is_none()
                && !matches!(shown.state, PlayState::Stopped)
                && screen != Some(Screen::Player);
            adapter.set_mini_visible(mini);
        });
        if let Some(mpris) = self.mpris.borrow().as_ref() {
            mpris.update(self.mpris_state(&shown, item.as_ref(), count));
        }
        drop(shown);
        self.render_cover(item.as_ref());
    }

    /// Keeps resume points and played flags in the library's index at `index_file`;
    /// `saved` runs (on the writer's thread) after each write.
    pub fn keep_positions(&self, index_file: PathBuf, saved: positions::Saved) {
        *self.positions.borrow_mut() = Some(positions::PositionWriter::start(index_file, saved));
    }

    /// Writes where the file playing is (a file played to within a second of its end
    /// counts as played to the end).
    fn save_position(&self) {
        let (current, position, duration) = {
            let shown = self.shown.borrow();
            (shown.current, shown.position, shown.duration)
        };
        let (Some(current), Some(duration)) = (current, duration) else {
            return;
        };
        let Some(item) = self.queue.borrow().get(current).cloned() else {
            return;
        };
        let position = if position + Duration::from_secs(1) >= duration {
            duration
        } else {
            position
        };
        if let Some(writer) = self.positions.borrow().as_ref() {
            writer.save(item.path, position, duration);
        }
        self.saved_at.set(Some(Instant::now()));
    }

    /// Offers the player on the session bus (MPRIS); `commands` hands calls to the UI
    /// thread. A second call does nothing.
    pub fn start_mpris(&self, commands: mpris::CommandSink) {
        if self.mpris.borrow().is_some() {
            return;
        }
        *self.mpris.borrow_mut() = Some(Mpris::start(commands));
        self.render();
    }

    fn track_id(&self) -> String {
        format!("/org/hearth/Track/{}", self.track_serial.get())
    }

    fn mpris_state(&self, shown: &Shown, item: Option<&QueueItem>, count: usize) -> MprisState {
        let status = match shown.state {
            PlayState::Playing | PlayState::Buffering(_) => "Playing",
            PlayState::Paused | PlayState::Opening | PlayState::Ended => "Paused",
            PlayState::Stopped => "Stopped",
        };
        let status = if shown.problem.is_some() {
            "Stopped"
        } else {
            status
        };
        let (artist, album) = item
            .map(|item| {
                let mut parts = item.subtitle.split(" · ").map(str::to_string);
                (parts.next().filter(|p| !p.is_empty()), parts.next())
            })
            .unwrap_or_default();
        MprisState {
            status,
            loop_status: match shown.repeat {
                Repeat::Off => "None",
                Repeat::One => "Track",
                Repeat::All => "Playlist",
            },
            shuffle: shown.shuffle,
            volume: shown.volume,
            position: micros(shown.position),
            can_go_next: count > 1,
            can_go_previous: count > 1,
            can_play: item.is_some(),
            can_seek: item.is_some() && shown.duration.is_some(),
            track: item.map(|item| MprisTrack {
                id: self.track_id(),
                title: item.title.clone(),
                artist,
                album,
                length: shown.duration.map(micros),
                url: uri::file_uri(&item.path),
                art_url: item.cover.as_deref().and_then(uri::file_uri),
            }),
        }
    }

    /// Does what an MPRIS client asked.
    pub fn command(&self, command: MprisCommand) {
        match command {
            MprisCommand::Raise => {
                if !self.queue.borrow().is_empty() {
                    self.show();
                }
            }
            MprisCommand::Play => self.with_player(Player::play),
            MprisCommand::Pause => self.with_player(Player::pause),
            MprisCommand::PlayPause => self.with_player(Player::toggle),
            MprisCommand::Stop => self.with_player(Player::stop),
            MprisCommand::Next => self.with_player(Player::next),
            MprisCommand::Previous => self.with_player(Player::previous),
            MprisCommand::Seek(offset) => {
                self.with_player(|player| player.seek_by(offset / 1000));
            }
            MprisCommand::SetPosition(track, position) => {
                // A position for a track no longer playing is ignored, as MPRIS asks.
                if track == self.track_id() && position >= 0 {
                    let to = Duration::from_micros(position.unsigned_abs());
                    self.with_player(|player| player.seek(to));
                }
            }
            MprisCommand::OpenUri(address) => {
                let Some(path) = uri::path_of(&address) else {
                    tracing::warn!(uri = %address, "MPRIS OpenUri: not a local file");
                    return;
                };
                let queue = queue_for_path(&path);
                if queue.is_empty() {
                    tracing::warn!(path = %path.display(), "MPRIS OpenUri: nothing to play there");
                    return;
                }
                self.play(queue, 0, None);
            }
            MprisCommand::Volume(volume) => self.with_player(|player| player.set_volume(volume)),
            MprisCommand::Shuffle(shuffle) => {
                self.with_player(|player| player.set_shuffle(shuffle))
            }
            MprisCommand::Loop(status) => {
                let repeat = match status.as_str() {
                    "Track" => Repeat::One,
                    "Playlist" => Repeat::All,
                    _ => Repeat::Off,
                };
                self.with_player(|player| player.set_repeat(repeat));
            }
        }
    }

    fn render_cover(&self, item: Option<&QueueItem>) {
        thread_local! {
            static SHOWN_COVER: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
        }
        let file = item.and_then(|item| item.cover.clone());
        let changed = SHOWN_COVER.with(|shown| {
            let mut shown = shown.borrow_mut();
            let changed = *shown != file;
            shown.clone_from(&file);
            changed
        });
        if !changed {
            return;
        }
        let picture = file
            .as_deref()
            .and_then(crate::media::decode_thumbnail)
            .map(Image::from_rgb8);
        self.with_adapter(|adapter| {
            adapter.set_has_cover(picture.is_some());
            adapter.set_cover(picture.unwrap_or_default());
        });
    }
}

fn set_if(current: SharedString, new: &str, set: impl FnOnce(SharedString)) {
    if current != new {
        set(new.into());
    }
}

fn same_actions(model: &ModelRc<VmAction>, actions: &[VmAction]) -> bool {
    use slint::Model;
    model.row_count() == actions.len() && model.iter().zip(actions).all(|(a, b)| a == *b)
}

/// What a path opened from outside plays: the file, or a folder's videos and songs in name
/// order.
fn queue_for_path(path: &std::path::Path) -> Vec<QueueItem> {
    let item = |path: PathBuf| QueueItem {
        title: path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path,
        subtitle: String::new(),
        cover: None,
    };
    if !path.is_dir() {
        return vec![item(path.to_path_buf())];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.retain(|file| {
        matches!(
            hearth_media::hint_from_name(file),
            hearth_media::NameHint::Media(
                hearth_media::MediaKind::Audio | hearth_media::MediaKind::Video
            )
        )
    });
    files.sort();
    files.into_iter().map(item).collect()
}

fn micros(time: Duration) -> i64 {
    i64::try_from(time.as_micros()).unwrap_or(i64::MAX)
}

/// `0:42`, `3:04` or `1:02:09`.
pub fn clock(time: Duration) -> String {
    crate::media::duration_words(u64::try_from(time.as_millis()).unwrap_or(u64::MAX))
}

fn track_actions(
    translator: &Translator,
    tracks: &[Track],
    current: Option<usize>,
    off: Option<String>,
) -> Vec<VmAction> {
    let action = |id: String, label: String, chosen: bool| VmAction {
        id: id.into(),
        label: if chosen {
            format!("✓ {label}")
        } else {
            label
        }
        .into(),
        destructive: false,
        confirm_title: SharedString::new(),
        confirm_body: SharedString::new(),
    };
    let mut actions: Vec<VmAction> = off
        .map(|label| action("off".into(), label, current.is_none()))
        .into_iter()
        .collect();
    for (index, track) in tracks.iter().enumerate() {
        let number = translator.tr_args(
            "player-track",
            &[(
                "number",
                Arg::Number(i64::try_from(index + 1).unwrap_or(i64::MAX)),
            )],
        );
        let mut name = [track.title.clone(), track.language.clone()]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        if name.is_empty() {
            name = number;
        }
        if track.external {
            name = translator.tr_args("player-track-external", &[("name", Arg::Text(&name))]);
        }
        actions.push(action(index.to_string(), name, current == Some(index)));
    }
    actions
}

fn problem_words(
    translator: &Translator,
    path: &std::path::Path,
    problem: &Problem,
) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = translator.tr_args("player-error-title", &[("name", Arg::Text(&name))]);
    let text = match problem {
        Problem::MissingCodec(codec) => {
            translator.tr_args("player-error-codec", &[("codec", Arg::Text(codec))])
        }
        Problem::Broken => translator.tr("player-error-broken"),
        Problem::Unreadable => translator.tr("player-error-unreadable"),
        Problem::Output => translator.tr("player-error-output"),
    };
    (title, text)
}

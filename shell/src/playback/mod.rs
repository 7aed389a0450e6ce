//! The playback domain in the shell: the player screen, the mini player, and what a switch
//! to a VM does to what is playing.
//!
//! The player (`hearth_media::player`) runs GStreamer on its own thread, made on the first
//! play, never before the first frame. Its reports reach the UI thread through the app's
//! queue; the screen shows what they say, never what a button asked for.

mod direct;
mod frames;
#[cfg(feature = "wgpu")]
mod gpu;
pub mod mpris;
pub mod photos;
mod positions;
mod queue_view;
mod remote;
mod render;
mod tracklist;
mod uri;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_media::player::{
    OpenRequest, PREVIEW_WIDTH, Placement, PlayState, Player, PlayerEvent, PreviewFrame, Problem,
    Repeat, Tracks,
};
use hearth_ui::i18n::Translator;
use hearth_ui::{AppAdapter, AppWindow, PlayerAdapter, Screen};
use slint::{ComponentHandle, Image};

use crate::config::PlaybackSettings;
use frames::VideoFrames;
use mpris::{Mpris, MprisCommand};

/// What reaches the UI thread from the playback domain's threads.
pub enum PlaybackNews {
    Player(PlayerEvent),
    Photo(photos::Loaded),
    Mpris(MprisCommand),
}

/// Hands news to the UI thread; called from any thread.
pub type Post = Arc<dyn Fn(PlaybackNews) + Send + Sync>;

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
    /// A file the player process died on, passed over for the next one: said on screen
    /// while the queue goes on.
    skipped: Option<(PathBuf, Problem)>,
    shuffle: bool,
    repeat: Repeat,
    volume: f64,
    /// What plays next by itself, as the player reported it.
    up_next: Option<usize>,
    /// The files' indices in the order they play, as the player reported it.
    order: Vec<usize>,
}

pub struct PlaybackController {
    window: slint::Weak<AppWindow>,
    settings: PlaybackSettings,
    translator: RefCell<Translator>,
    post: Post,
    player: RefCell<Option<Player>>,
    queue: RefCell<Vec<QueueItem>>,
    shown: RefCell<Shown>,
    /// The files the queue panel lists, by row.
    queue_rows: RefCell<Vec<usize>>,
    /// The queue panel needs its rows made again.
    queue_changed: Cell<bool>,
    frames: RefCell<VideoFrames>,
    /// Frames the X server puts on screen itself while nothing covers the video.
    direct: RefCell<direct::Direct>,
    /// The size the player was last told to scale frames to: the window's.
    video_box: Cell<(u32, u32)>,
    /// The screen the player was opened from, to go back to.
    opened_from: Cell<Screen>,
    /// A switch to a VM left the player screen; coming home returns to it.
    left_for_vm: Cell<bool>,
    /// A switch to a VM paused what was playing; coming back resumes it.
    paused_for_vm: Cell<bool>,
    mpris: RefCell<Option<Mpris>>,
    /// Counts the queues played, so MPRIS track ids of one queue never name another's files.
    queue_serial: Cell<u64>,
    positions: RefCell<Option<positions::IndexWriter>>,
    /// The library's index, read when a path opened from outside is queued.
    index_file: RefCell<Option<PathBuf>>,
    photos: RefCell<Option<Rc<photos::PhotoViewer>>>,
    /// The album art on screen, so it is decoded again only when it changes.
    cover_shown: RefCell<Option<PathBuf>>,
    /// When the position playing was last written.
    saved_at: Cell<Option<Instant>>,
}

/// How often the position of what plays is written while it plays.
const SAVE_INTERVAL: Duration = Duration::from_secs(10);

impl PlaybackController {
    /// Wires the player screen; no player yet (it starts on the first play). `post` hands
    /// the domain's news to the UI thread.
    pub fn new(
        window: &AppWindow,
        settings: PlaybackSettings,
        language: &str,
        post: Post,
    ) -> Rc<PlaybackController> {
        let controller = Rc::new(PlaybackController {
            window: window.as_weak(),
            settings,
            translator: RefCell::new(Translator::new(language)),
            post,
            player: RefCell::new(None),
            queue: RefCell::new(Vec::new()),
            queue_rows: RefCell::new(Vec::new()),
            queue_changed: Cell::new(true),
            shown: RefCell::new(Shown {
                volume: 1.0,
                ..Shown::default()
            }),
            frames: RefCell::new(VideoFrames::default()),
            direct: RefCell::new(direct::Direct::default()),
            video_box: Cell::new((0, 0)),
            opened_from: Cell::new(Screen::Home),
            left_for_vm: Cell::new(false),
            paused_for_vm: Cell::new(false),
            mpris: RefCell::new(None),
            queue_serial: Cell::new(0),
            positions: RefCell::new(None),
            index_file: RefCell::new(None),
            photos: RefCell::new(None),
            cover_shown: RefCell::new(None),
            saved_at: Cell::new(None),
        });
        let adapter = window.global::<PlayerAdapter>();
        adapter.set_swipe_seek(controller.settings.swipe_seek);
        adapter.set_double_tap_seek(controller.settings.double_tap_seek);
        controller.connect(&adapter);
        controller.connect_queue(&adapter);
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
        let weak = Rc::downgrade(self);
        adapter.on_scrub(move |seconds| {
            if let Some(c) = weak.upgrade() {
                c.scrub(Duration::from_secs_f32(seconds.max(0.0)));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_set_gestures(move |swipe, double_tap| {
            if let Some(c) = weak.upgrade() {
                c.set_gestures(swipe, double_tap);
            }
        });
        adapter.on_next(with(|c| c.with_player(Player::next)));
        adapter.on_previous(with(|c| c.with_player(Player::previous)));
        adapter.on_close(with(PlaybackController::close));
        adapter.on_video_bare_changed(with(PlaybackController::present_frame));
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

    /// Which seek gestures a video takes: a sideways swipe, a double tap on a side.
    pub fn set_gestures(&self, swipe: bool, double_tap: bool) {
        self.with_adapter(|adapter| {
            adapter.set_swipe_seek(swipe);
            adapter.set_double_tap_seek(double_tap);
        });
    }

    /// Plays `queue` from `start` on the player screen.
    pub fn play(&self, queue: Vec<QueueItem>, start: usize, position: Option<Duration>) {
        if queue.is_empty() {
            return;
        }
        if self.player.borrow().is_none() {
            let post = self.post.clone();
            *self.player.borrow_mut() = Some(Player::with_limits(
                self.settings.player.clone(),
                self.settings.audio.clone(),
                self.frames.borrow().format(),
                Arc::new(move |event| post(PlaybackNews::Player(event))),
            ));
        }
        // The video fills the player screen: frames come at the size they are shown at.
        self.video_box.set((0, 0));
        if let Some(window) = self.window.upgrade() {
            self.follow_window_size(&window);
        }
        let files = queue.iter().map(|item| item.path.clone()).collect();
        *self.queue.borrow_mut() = queue;
        self.queue_serial.set(self.queue_serial.get() + 1);
        self.queue_changed.set(true);
        {
            let mut shown = self.shown.borrow_mut();
            let volume = shown.volume;
            *shown = Shown {
                volume,
                current: Some(start),
                ..Shown::default()
            };
        }
        self.forget_frames();
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

    /// Adds songs to the music playing, after the one playing or at the end; true when they
    /// were queued. With no music in the player (nothing, a video, a file that failed), they
    /// play now instead, on the player screen.
    pub fn add(&self, items: Vec<QueueItem>, placement: Placement) -> bool {
        if items.is_empty() {
            return false;
        }
        let music = {
            let shown = self.shown.borrow();
            !self.queue.borrow().is_empty() && !shown.tracks.has_video && shown.problem.is_none()
        };
        if !music || self.player.borrow().is_none() {
            self.play(items, 0, None);
            return false;
        }
        let files = items.iter().map(|item| item.path.clone()).collect();
        // The player numbers added files after those it has, as this list does; a stopped
        // or finished queue goes on with them.
        self.queue.borrow_mut().extend(items);
        self.with_player(|player| player.add(files, placement));
        self.render();
        true
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
            self.queue_changed.set(true);
            let volume = self.shown.borrow().volume;
            *self.shown.borrow_mut() = Shown {
                volume,
                ..Shown::default()
            };
            self.forget_frames();
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
        self.queue_changed.set(true);
        if let Some(photos) = self.photos() {
            photos.set_language(code);
        }
        self.render();
    }

    /// Video frames go through wgpu from now on: the player hands over I420 and the GPU
    /// converts it (a player already made for the CPU is made again).
    #[cfg(feature = "wgpu")]
    pub fn use_gpu(
        &self,
        device: slint::wgpu_30::wgpu::Device,
        queue: slint::wgpu_30::wgpu::Queue,
    ) {
        *self.frames.borrow_mut() =
            frames::VideoFrames::Gpu(Box::new(gpu::GpuVideo::new(device, queue)));
        if self.queue.borrow().is_empty() {
            self.player.borrow_mut().take();
        }
        tracing::info!("video frames go through wgpu textures");
    }

    /// Gives the domain its photo viewer.
    pub fn set_photos(&self, viewer: Rc<photos::PhotoViewer>) {
        *self.photos.borrow_mut() = Some(viewer);
    }

    /// The photo viewer, once set.
    pub fn photos(&self) -> Option<Rc<photos::PhotoViewer>> {
        self.photos.borrow().clone()
    }

    /// Handles the domain's news, in order (frames only once, however many came).
    pub fn handle(&self, news: Vec<PlaybackNews>) {
        let mut frame = false;
        for item in news {
            match item {
                PlaybackNews::Player(PlayerEvent::Frame) => frame = true,
                PlaybackNews::Player(event) => self.apply(event),
                PlaybackNews::Photo(loaded) => {
                    if let Some(photos) = self.photos() {
                        photos.loaded(loaded);
                    }
                }
                PlaybackNews::Mpris(command) => self.command(command),
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
            PlayerEvent::State(PlayState::Ended) => {
                self.save_position();
                self.log_frames();
            }
            PlayerEvent::State(PlayState::Paused) => self.save_position(),
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
        if matches!(
            event,
            PlayerEvent::Started { .. }
                | PlayerEvent::Order(_)
                | PlayerEvent::Repeat(_)
                | PlayerEvent::Tags(_)
                | PlayerEvent::Tracks(_)
        ) {
            self.queue_changed.set(true);
        }
        let mut shown = self.shown.borrow_mut();
        match event {
            PlayerEvent::Started { index, .. } => {
                self.with_adapter(|adapter| adapter.set_has_preview(false));
                shown.current = Some(index);
                shown.problem = None;
                shown.position = Duration::ZERO;
                shown.duration = None;
                drop(shown);
                self.forget_frames();
            }
            PlayerEvent::State(state) => shown.state = state,
            PlayerEvent::Position { position, duration } => {
                shown.position = position;
                shown.duration = duration;
            }
            PlayerEvent::Seeked(position) => {
                shown.position = position;
                if let Some(mpris) = self.mpris.borrow().as_ref() {
                    mpris.seeked(remote::micros(position));
                }
            }
            PlayerEvent::Tracks(tracks) => shown.tracks = tracks,
            PlayerEvent::Volume(volume) => shown.volume = volume,
            PlayerEvent::Shuffle(shuffle) => shown.shuffle = shuffle,
            PlayerEvent::UpNext(up_next) => shown.up_next = up_next,
            PlayerEvent::Order(order) => shown.order = order,
            PlayerEvent::Repeat(repeat) => shown.repeat = repeat,
            PlayerEvent::Failed { path, problem, .. } => {
                if let Problem::Process(reason) = &problem {
                    shown.skipped = Some((path.clone(), problem.clone()));
                    // Out of the library's views, as the helper's failures are.
                    if let Some(writer) = self.positions.borrow().as_ref() {
                        writer.failed(path.clone(), reason.to_string());
                    }
                }
                shown.problem = Some((path, problem));
            }
            PlayerEvent::Tags(tags) => {
                // A file opened from outside the library (MPRIS OpenUri) is named by its file
                // until its own tags say better.
                if let Some(current) = shown.current
                    && let Some(item) = self.queue.borrow_mut().get_mut(current)
                    && item.subtitle.is_empty()
                    && item.cover.is_none()
                    && item
                        .path
                        .file_stem()
                        .is_some_and(|stem| *stem == *item.title)
                    && let Some(title) = tags.title.filter(|t| !t.is_empty())
                {
                    item.title = title;
                    item.subtitle = [tags.artist, tags.album]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · ");
                }
            }
            PlayerEvent::Frame => {}
            PlayerEvent::Preview(preview) => {
                drop(shown);
                self.preview_arrived(preview);
            }
        }
    }

    /// A finger is on the seek bar at `position`: the time shows at once, the picture when
    /// the previewer has it.
    fn scrub(&self, position: Duration) {
        let (video, path) = {
            let shown = self.shown.borrow();
            let path = shown
                .current
                .and_then(|i| self.queue.borrow().get(i).map(|item| item.path.clone()));
            (shown.tracks.has_video, path)
        };
        self.with_adapter(|adapter| adapter.set_preview_text(render::clock(position).into()));
        let (true, Some(path)) = (video, path) else {
            return;
        };
        // The player process makes it: a file that crashes its decoder costs Hearth nothing.
        self.with_player(|player| player.preview(&path, position));
    }

    fn preview_arrived(&self, preview: PreviewFrame) {
        let current = self
            .shown
            .borrow()
            .current
            .and_then(|i| self.queue.borrow().get(i).map(|item| item.path.clone()));
        // From the player process: held to its stated size before it is shown.
        let fits = preview.width <= 4 * PREVIEW_WIDTH
            && preview.height <= 4 * PREVIEW_WIDTH
            && preview.rgba.len() == preview.width as usize * preview.height as usize * 4;
        if current.as_ref() != Some(&preview.path) || !fits {
            return;
        }
        let buffer = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
            &preview.rgba,
            preview.width,
            preview.height,
        );
        self.with_adapter(|adapter| {
            adapter.set_preview(Image::from_rgba8(buffer));
            adapter.set_has_preview(true);
        });
    }

    /// Says how many frames a video showed and lost (`cargo xtask bench playback` reads it).
    fn log_frames(&self) {
        if !self.shown.borrow().tracks.has_video {
            return;
        }
        if let Some(player) = self.player.borrow().as_ref() {
            let stats = player.video().stats();
            tracing::info!(
                shown = stats.shown,
                replaced = stats.replaced,
                late = stats.late,
                "video frames"
            );
        }
    }

    /// Shows the newest video frame if the player screen is up (frames meanwhile wait in
    /// the player, so nothing is copied or drawn for a screen nobody sees).
    /// With nothing over the video, the X server puts the frame on screen itself (see
    /// `direct`); else Slint draws it, from the newest frame on when the direct path stops.
    fn present_frame(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        if window.global::<AppAdapter>().get_screen() != Screen::Player {
            self.direct.borrow_mut().hide();
            return;
        }
        self.follow_window_size(&window);
        let player = self.player.borrow();
        let Some(player) = player.as_ref() else {
            return;
        };
        let bare = window.global::<PlayerAdapter>().get_video_bare();
        if bare
            && self.frames.borrow().on_cpu()
            && self
                .direct
                .borrow_mut()
                .present(window.window(), player.video())
        {
            return;
        }
        let leaving = self.direct.borrow().shown();
        if leaving {
            self.frames.borrow_mut().reset();
        }
        let image = self.frames.borrow_mut().present(player.video());
        if let Some(image) = image {
            window.global::<PlayerAdapter>().set_frame(image);
        }
        // Slint has the frame before the window over it goes.
        if leaving {
            self.direct.borrow_mut().hide();
        }
    }

    /// Tells the player the window's size when it changed (frames come scaled to it).
    fn follow_window_size(&self, window: &AppWindow) {
        let size = window.window().size();
        if self.video_box.replace((size.width, size.height)) != (size.width, size.height) {
            self.with_player(|player| player.set_video_box(size.width, size.height));
        }
    }

    /// Forgets what frames were seen (a new file, or none): the next frame shown is its first.
    fn forget_frames(&self) {
        self.frames.borrow_mut().reset();
        self.direct.borrow_mut().forget();
    }

    /// The player's volume, 0.0 to 1.0.
    pub fn volume(&self) -> f64 {
        self.shown.borrow().volume
    }

    /// What is playing, as the screen and the mini player show it.
    pub fn now_playing(&self) -> Option<QueueItem> {
        let current = self.shown.borrow().current?;
        self.queue.borrow().get(current).cloned()
    }

    pub fn state(&self) -> PlayState {
        self.shown.borrow().state
    }

    /// Keeps resume points and played flags in the library's index at `index_file`;
    /// `saved` runs (on the writer's thread) after each write.
    pub fn keep_positions(&self, index_file: PathBuf, saved: positions::Saved) {
        *self.index_file.borrow_mut() = Some(index_file.clone());
        *self.positions.borrow_mut() = Some(positions::IndexWriter::start(index_file, saved));
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
}

//! The shell's main loop on the UI thread: it owns the window, the hypervisor handle, focus and
//! the switcher, and handles a closed set of [`Incoming`] events from backends.

mod consoles;
mod images;
mod input;
mod kiosk;
mod last_screens;
mod media;
mod navigation;
mod notices;
mod osk;
mod playback;
mod service;
mod switching;
mod tiles;
mod view_size;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_ui::i18n::{LANGUAGES, Translator};
use hearth_ui::{AppAdapter, AppWindow, Language, Screen, VmAdapter, VmTile};
use hearth_vm_bridge::{BackendEvent, Hypervisor, Lifecycle, VmId, VmInfo, VmState};
use slint::{ComponentHandle, Image, ModelRc, VecModel};

use crate::focus::InputRouter;
use crate::frames::Frames;
use crate::gestures::Recognizer;
use crate::keyboard::Keyboard;

use notices::{Notice, NoticeArg, notice_for_error};

pub use kiosk::Clock;
pub use switching::{SETTLE_TICK, Target};

/// Wakes the UI thread to run [`App::drain_pending`]; called from any thread.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What reaches the UI thread from elsewhere.
#[derive(Default)]
struct Incoming {
    events: VecDeque<BackendEvent>,
    displays_changed: BTreeSet<VmId>,
    /// Last screens read from disk on a worker, by VM name.
    last_screens: Vec<(String, slint::SharedPixelBuffer<slint::Rgb8Pixel>)>,
    /// The media library's news and decoded thumbnails.
    media: Vec<crate::media::MediaUpdate>,
    /// The image service's news and answers.
    downloads: Vec<crate::downloads::ServiceEvent>,
    /// The playback domain's news: the player's reports, previews, decoded photos, MPRIS.
    playback: Vec<crate::playback::PlaybackNews>,
    /// Commands from D-Bus clients, each with its reply.
    commands: Vec<(crate::service::Command, crate::service::Reply)>,
    /// Answers of admin PIN checks.
    pin_checks: Vec<kiosk::PinChecked>,
    scheduled: bool,
    /// How to wake the UI thread; Slint's event loop when unset.
    waker: Option<Waker>,
}

thread_local! {
    /// The app living on this (the UI) thread, for closures sent from backend threads.
    static CURRENT: RefCell<Weak<App>> = const { RefCell::new(Weak::new()) };
}

struct State {
    translator: Translator,
    hypervisor: Option<Arc<dyn Hypervisor>>,
    connected: bool,
    vms: Vec<VmInfo>,
    router: InputRouter,
    gestures: Recognizer,
    frame: Frames,
    neighbour_frame: Frames,
    switching: switching::Switching,
    keyboard: Keyboard,
    notice: Option<Notice>,
    /// Live thumbnails, by VM.
    thumbnails: HashMap<VmId, Image>,
    /// Whether the hypervisor has listed its VMs since Hearth started.
    listed: bool,
    /// The VMs the configuration names, shown as connecting until the hypervisor lists.
    expected: Vec<tiles::ExpectedVm>,
    /// Each VM's last screen, by name: from the previous run at first, then the latest live
    /// thumbnail. Shown while no live one is at hand.
    last_screens: last_screens::LastScreenState,
    view_size: view_size::ViewSizeState,
    /// The consoles the VM view offers for the focused VM.
    consoles: Vec<hearth_vm_bridge::Console>,
    /// Fingers on the VM view's own controls rather than on the guest.
    vm_view_touches: BTreeSet<i32>,
    /// The guest cursor shown, to rebuild its image only when it changes.
    cursor: Option<hearth_vm_bridge::Cursor>,
    /// Icons from the configuration, by VM name.
    icons: HashMap<String, Image>,
    thumbnails_dirty: BTreeSet<VmId>,
    observed: BTreeSet<VmId>,
    /// The word about each VM's image on its tile, by VM name.
    badges: HashMap<String, (String, &'static str)>,
    /// The VMs whose disk the image service manages, by name.
    imaged: BTreeSet<String>,
    /// Kiosk mode's policy, while it is on.
    kiosk: Option<crate::kiosk::KioskSettings>,
    /// The VMs kiosk mode takes off the list, kept current for when it is left.
    hidden_vms: Vec<VmInfo>,
}

pub struct App {
    window: AppWindow,
    state: RefCell<State>,
    tiles: Rc<VecModel<VmTile>>,
    incoming: Arc<Mutex<Incoming>>,
    /// Whether the platform reports physical keys (the winit hook); Slint's key texts are
    /// then left to the UI.
    physical_keys: std::cell::Cell<bool>,
    /// Remote and media keys: which are Hearth's, and the volume they left.
    remote: RefCell<crate::remote_keys::RemoteKeys>,
    /// The focus ring on Hearth's screens.
    navigation: navigation::NavigationRuntime,
    /// The on-screen keyboard.
    osk: osk::OskRuntime,
    thumbnail_timer: slint::Timer,
    settle_timer: slint::Timer,
    notice_timer: slint::Timer,
    clock_timer: slint::Timer,
    last_screen_timer: slint::Timer,
    fit_timer: slint::Timer,
    /// The media domain, once [`App::attach_media`] has run.
    media: RefCell<Option<Rc<crate::media::MediaController>>>,
    /// The downloads domain, once [`App::attach_downloads`] has run.
    downloads: RefCell<Option<Rc<crate::downloads::DownloadsController>>>,
    /// The playback domain, once [`App::attach_playback`] has run.
    playback: RefCell<Option<Rc<crate::playback::PlaybackController>>>,
    switches: RefCell<images::ImageSwitches>,
    switch_timer: slint::Timer,
    kiosk: kiosk::KioskRuntime,
    /// The D-Bus service, the session file, what is left to restore.
    outside: service::Outside,
}

/// How often home thumbnails refresh at most while their VMs draw.
const THUMBNAIL_INTERVAL: Duration = Duration::from_millis(250);
/// How long an error stays on screen unless dismissed.
const NOTICE_DURATION: Duration = Duration::from_secs(10);

impl App {
    /// Wires the window's callbacks. No hypervisor yet: it is attached after the first frame.
    pub fn new(window: AppWindow, language: &str) -> Rc<App> {
        let translator = Translator::new(language);
        let size = window
            .window()
            .size()
            .to_logical(window.window().scale_factor());
        let app = Rc::new(App {
            state: RefCell::new(State {
                translator,
                hypervisor: None,
                connected: false,
                vms: Vec::new(),
                router: InputRouter::default(),
                gestures: Recognizer::new(size.width.max(1.0), size.height.max(1.0)),
                frame: Frames::default(),
                neighbour_frame: Frames::default(),
                switching: switching::Switching::default(),
                keyboard: Keyboard::default(),
                notice: None,
                thumbnails: HashMap::new(),
                listed: false,
                expected: Vec::new(),
                last_screens: last_screens::LastScreenState::default(),
                view_size: view_size::ViewSizeState::default(),
                consoles: Vec::new(),
                vm_view_touches: BTreeSet::new(),
                icons: HashMap::new(),
                cursor: None,
                thumbnails_dirty: BTreeSet::new(),
                observed: BTreeSet::new(),
                badges: HashMap::new(),
                imaged: BTreeSet::new(),
                kiosk: None,
                hidden_vms: Vec::new(),
            }),
            tiles: Rc::new(VecModel::default()),
            incoming: Arc::new(Mutex::new(Incoming::default())),
            physical_keys: std::cell::Cell::new(false),
            remote: RefCell::new(crate::remote_keys::RemoteKeys::new(
                crate::config::InputSettings::default().hearth_keys,
            )),
            navigation: navigation::NavigationRuntime::default(),
            osk: osk::OskRuntime::default(),
            thumbnail_timer: slint::Timer::default(),
            settle_timer: slint::Timer::default(),
            notice_timer: slint::Timer::default(),
            clock_timer: slint::Timer::default(),
            last_screen_timer: slint::Timer::default(),
            fit_timer: slint::Timer::default(),
            media: RefCell::new(None),
            downloads: RefCell::new(None),
            playback: RefCell::new(None),
            switches: RefCell::new(images::ImageSwitches::default()),
            switch_timer: slint::Timer::default(),
            kiosk: kiosk::KioskRuntime::default(),
            outside: service::Outside::default(),
            window,
        });
        CURRENT.with(|current| *current.borrow_mut() = Rc::downgrade(&app));
        app.connect_callbacks();
        let vm_adapter = app.window.global::<VmAdapter>();
        vm_adapter.set_vms(ModelRc::from(app.tiles.clone()));
        vm_adapter.set_listed(false);
        let languages: Vec<Language> = LANGUAGES
            .iter()
            .map(|(code, name)| Language {
                code: (*code).into(),
                name: (*name).into(),
            })
            .collect();
        app.window
            .global::<AppAdapter>()
            .set_languages(ModelRc::from(Rc::new(VecModel::from(languages))));
        app.apply_language();
        app.start_clock();
        app
    }

    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The window's size in logical pixels, as layouts and touches measure it.
    fn logical_size(&self) -> slint::LogicalSize {
        let window = self.window.window();
        window.size().to_logical(window.scale_factor())
    }

    /// The app of this thread, if one is alive.
    pub fn current() -> Option<Rc<App>> {
        CURRENT.with(|current| current.borrow().upgrade())
    }

    fn connect_callbacks(self: &Rc<Self>) {
        let adapter = self.window.global::<AppAdapter>();
        let weak = Rc::downgrade(self);
        let with = move |f: fn(&App)| {
            let weak = weak.clone();
            move || {
                if let Some(app) = weak.upgrade() {
                    f(&app)
                }
            }
        };
        adapter.on_open_settings(with(|app| app.show_screen(Screen::Settings)));
        adapter.on_go_home(with(|app| app.go_home()));
        adapter.on_notice_dismissed(with(|app| app.set_notice(None)));
        adapter.on_settings_changed(with(|app| app.settings_chosen()));
        adapter.on_screen_changed(with(|app| {
            app.kiosk_check_screen();
            app.keyboard_screen_changed();
            app.schedule_publish();
        }));
        let weak = Rc::downgrade(self);
        adapter.on_choose_language(move |code| {
            if let Some(app) = weak.upgrade() {
                app.choose_language(&code);
            }
        });
        let weak = Rc::downgrade(self);
        adapter
            .on_key(move |text, pressed| weak.upgrade().is_some_and(|app| app.key(&text, pressed)));
        let focus = self.window.global::<hearth_ui::FocusAdapter>();
        focus.on_layer_changed(with(|app| app.refresh_ring()));
        self.connect_osk();

        let vm_adapter = self.window.global::<VmAdapter>();
        let weak = Rc::downgrade(self);
        vm_adapter.on_tile_tapped(move |index| {
            if let Some(app) = weak.upgrade() {
                app.request_switch(switching::Target::Index(index as usize), 0);
            }
        });
        let weak = Rc::downgrade(self);
        vm_adapter.on_action(move |index, action| {
            if let Some(app) = weak.upgrade() {
                app.lifecycle(index as usize, &action);
            }
        });
        let weak = Rc::downgrade(self);
        vm_adapter.on_switch_by(move |step| {
            if let Some(app) = weak.upgrade() {
                app.request_switch(switching::Target::By(step), step.signum());
            }
        });
        let weak = Rc::downgrade(self);
        vm_adapter.on_choose_console(move |id| {
            if let Some(app) = weak.upgrade() {
                app.choose_console(&id);
            }
        });
        let weak = Rc::downgrade(self);
        vm_adapter.on_pointer(move |kind, button, x, y, width, height| {
            if let Some(app) = weak.upgrade() {
                app.pointer(kind, button, x, y, width, height);
            }
        });
    }

    /// Shows these icons (by VM name) on tiles that have no live picture.
    pub fn set_icons(&self, icons: HashMap<String, Image>) {
        self.state.borrow_mut().icons = icons;
        self.vms_changed();
    }

    /// Sends frames through the GPU from now on, on the renderer's own device and queue.
    #[cfg(feature = "wgpu")]
    pub fn use_gpu(
        &self,
        device: slint::wgpu_30::wgpu::Device,
        queue: slint::wgpu_30::wgpu::Queue,
    ) {
        use crate::gpu_presenter::GpuPresenter;
        {
            let mut state = self.state.borrow_mut();
            state.frame = Frames::Gpu(Box::new(GpuPresenter::new(device.clone(), queue.clone())));
            state.neighbour_frame =
                Frames::Gpu(Box::new(GpuPresenter::new(device.clone(), queue.clone())));
        }
        tracing::info!("VM frames go through wgpu textures");
        if let Some(playback) = self.playback() {
            playback.use_gpu(device, queue);
        }
        self.present_focused(true);
    }

    /// Takes over a hypervisor: its events start flowing and its VMs appear.
    pub fn attach(self: &Rc<Self>, hypervisor: Arc<dyn Hypervisor>) {
        self.state.borrow_mut().hypervisor = Some(hypervisor.clone());
        let incoming = self.incoming.clone();
        hypervisor.connect(Arc::new(move |event| {
            let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
            queue.events.push_back(event);
            schedule(&mut queue);
        }));
    }

    /// The hypervisor in use, if one is attached.
    pub fn hypervisor(&self) -> Option<Arc<dyn Hypervisor>> {
        self.state.borrow().hypervisor.clone()
    }

    /// Replaces how backend threads wake the UI thread (a headless platform pumps its own
    /// queue instead of Slint's event loop).
    pub fn set_waker(&self, waker: Waker) {
        self.incoming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waker = Some(waker);
    }

    /// Handles what other threads queued, on the UI thread of the app alive on it.
    pub fn drain_pending() {
        if let Some(app) = App::current() {
            app.drain();
        }
    }

    /// Handles everything queued for the UI thread.
    fn drain(&self) {
        let (events, displays, last_screens, media, downloads, playback, commands, pin_checks) = {
            let mut queue = self.incoming.lock().unwrap_or_else(|p| p.into_inner());
            queue.scheduled = false;
            (
                std::mem::take(&mut queue.events),
                std::mem::take(&mut queue.displays_changed),
                std::mem::take(&mut queue.last_screens),
                std::mem::take(&mut queue.media),
                std::mem::take(&mut queue.downloads),
                std::mem::take(&mut queue.playback),
                std::mem::take(&mut queue.commands),
                std::mem::take(&mut queue.pin_checks),
            )
        };
        // Frames alone change nothing the service or the session reports.
        let news = !(events.is_empty()
            && playback.is_empty()
            && media.is_empty()
            && downloads.is_empty()
            && commands.is_empty()
            && pin_checks.is_empty());
        for checked in pin_checks {
            self.pin_checked(checked);
        }
        if !commands.is_empty() {
            self.service_commands(commands);
        }
        if !playback.is_empty() {
            self.playback_updates(playback);
        }
        if !media.is_empty() {
            self.media_updates(media);
        }
        if !downloads.is_empty() {
            self.downloads_updates(downloads);
        }
        for event in events {
            self.handle_backend_event(event);
        }
        if !last_screens.is_empty() {
            self.last_screens_loaded(last_screens);
        }
        if !displays.is_empty() {
            self.displays_changed(displays);
        }
        if news {
            self.schedule_publish();
        }
    }

    fn handle_backend_event(&self, event: BackendEvent) {
        tracing::debug!(?event, "backend event");
        match event {
            BackendEvent::Connected { vms } => {
                tracing::info!(vms = vms.len(), "hypervisor connected");
                {
                    let mut state = self.state.borrow_mut();
                    state.connected = true;
                    state.listed = true;
                    state.vms = vms;
                    state.hidden_vms.clear();
                    tiles::sort(&mut state.vms);
                }
                self.kiosk_sort_out_vms();
                self.window.global::<VmAdapter>().set_listed(true);
                self.load_unknown_last_screens();
                self.observe_displays();
                self.vms_changed();
                self.downloads_follow_vms();
                if !self.restore_front() {
                    self.go_to_kiosk_start();
                }
            }
            BackendEvent::Disconnected { reason } => {
                self.state.borrow_mut().connected = false;
                tracing::warn!(%reason, "hypervisor unavailable");
                self.refresh_status();
            }
            BackendEvent::VmAdded(info) => {
                {
                    let mut state = self.state.borrow_mut();
                    state.vms.retain(|vm| vm.id != info.id);
                    state.vms.push(info);
                    tiles::sort(&mut state.vms);
                }
                self.kiosk_sort_out_vms();
                self.load_unknown_last_screens();
                self.observe_displays();
                self.vms_changed();
            }
            BackendEvent::VmRemoved(id) => {
                let was_focused = self.state.borrow().router.focused() == Some(&id);
                {
                    let mut state = self.state.borrow_mut();
                    state.vms.retain(|vm| vm.id != id);
                    state.hidden_vms.retain(|vm| vm.id != id);
                }
                if was_focused {
                    self.go_home();
                }
                self.vms_changed();
            }
            BackendEvent::StateChanged {
                vm,
                state: vm_state,
            } => {
                let releases = {
                    let mut state = self.state.borrow_mut();
                    let state = &mut *state;
                    if let Some(info) = state
                        .vms
                        .iter_mut()
                        .chain(state.hidden_vms.iter_mut())
                        .find(|info| info.id == vm)
                    {
                        info.state = vm_state;
                    }
                    if vm_state != VmState::Running && state.router.focused() == Some(&vm) {
                        state.router.release_all()
                    } else {
                        Vec::new()
                    }
                };
                self.deliver(releases);
                self.state.borrow_mut().thumbnails_dirty.insert(vm.clone());
                self.vms_changed();
                if vm_state != VmState::Running {
                    self.forget_view_size(&vm);
                }
                if self.state.borrow().router.focused() == Some(&vm) {
                    self.present_focused(true);
                    self.fit_focused();
                }
                if let Some(name) = self.vm_name(&vm) {
                    self.images_follow_state(&name, vm_state);
                    self.kiosk_vm_state(&name, vm_state);
                }
                if vm_state == VmState::Running {
                    self.restore_front();
                }
            }
            BackendEvent::RequestFailed { vm, action, error } => {
                let name = self.vm_name(&vm).unwrap_or_else(|| vm.0.clone());
                tracing::info!(%vm, ?action, %error, "request failed");
                self.set_notice(Some(notice_for_error(&name, action, &error)));
            }
        }
    }

    fn vm_name(&self, id: &VmId) -> Option<String> {
        self.state
            .borrow()
            .vms
            .iter()
            .find(|vm| &vm.id == id)
            .map(|vm| vm.name.clone())
    }

    /// Registers a change observer on every VM display not yet observed.
    fn observe_displays(&self) {
        let Some(hypervisor) = self.hypervisor() else {
            return;
        };
        let ids: Vec<VmId> = {
            let state = self.state.borrow();
            state
                .vms
                .iter()
                .map(|vm| vm.id.clone())
                .filter(|id| !state.observed.contains(id))
                .collect()
        };
        for id in ids {
            let Some(display) = hypervisor.display(&id) else {
                continue;
            };
            let incoming = self.incoming.clone();
            let observed_id = id.clone();
            display.observe(Arc::new(move || {
                let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
                queue.displays_changed.insert(observed_id.clone());
                schedule(&mut queue);
            }));
            let mut state = self.state.borrow_mut();
            state.observed.insert(id.clone());
            state.thumbnails_dirty.insert(id);
        }
        self.schedule_thumbnails();
    }

    fn displays_changed(&self, displays: BTreeSet<VmId>) {
        let focused = self.state.borrow().router.focused().cloned();
        if focused.as_ref().is_some_and(|id| displays.contains(id)) {
            self.present_focused(false);
            self.refresh_consoles();
        }
        self.state.borrow_mut().thumbnails_dirty.extend(displays);
        self.schedule_thumbnails();
    }

    /// Refreshes thumbnails soon, at most every [`THUMBNAIL_INTERVAL`], and only while the
    /// home screen is visible.
    fn schedule_thumbnails(&self) {
        if self.thumbnail_timer.running() || self.state.borrow().thumbnails_dirty.is_empty() {
            return;
        }
        if self.window.global::<AppAdapter>().get_screen() != Screen::Home {
            return;
        }
        // A VM's first live picture is shown at once: until then its tile shows an icon or a
        // picture from the previous run. Later ones wait their turn.
        let first_picture = {
            let state = self.state.borrow();
            state
                .thumbnails_dirty
                .iter()
                .any(|id| !state.thumbnails.contains_key(id))
        };
        let delay = if first_picture {
            Duration::ZERO
        } else {
            THUMBNAIL_INTERVAL
        };
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.thumbnail_timer
            .start(slint::TimerMode::SingleShot, delay, move || {
                if let Some(app) = weak.upgrade() {
                    app.refresh_thumbnails();
                }
            });
    }

    /// Redraws the thumbnails of VMs whose screens changed.
    pub fn refresh_thumbnails(&self) {
        let Some(hypervisor) = self.hypervisor() else {
            return;
        };
        let dirty = std::mem::take(&mut self.state.borrow_mut().thumbnails_dirty);
        for id in dirty {
            let image = hypervisor
                .display(&id)
                .and_then(|display| crate::presenter::thumbnail(&display));
            let mut state = self.state.borrow_mut();
            match image {
                Some(image) => {
                    if let Some(vm) = state.vms.iter().find(|vm| vm.id == id) {
                        let name = vm.name.clone();
                        state.last_screens.remember(name, image.clone());
                    }
                    state.thumbnails.insert(id.clone(), image);
                }
                None => {
                    state.thumbnails.remove(&id);
                }
            }
            drop(state);
            self.update_tile(&id);
        }
        self.schedule_last_screens();
    }

    pub fn show_settings(&self) {
        self.show_screen(Screen::Settings);
    }

    fn show_screen(&self, screen: Screen) {
        if screen == Screen::Settings && !self.kiosk_allows_settings() {
            return;
        }
        let from = self.window.global::<AppAdapter>().get_screen();
        self.playback_screen_change(from, screen);
        self.window.global::<AppAdapter>().set_screen(screen);
        self.state
            .borrow_mut()
            .gestures
            .set_enabled(screen == Screen::Vm);
        if screen == Screen::Home {
            self.schedule_thumbnails();
        }
    }

    fn lifecycle(&self, index: usize, action: &str) {
        if !self.kiosk_permits_action(action) {
            tracing::info!(action, "kiosk mode hides this action");
            return;
        }
        if action == tiles::IMAGE_ACTION {
            self.open_image_sheet(index);
            return;
        }
        let Some(action) = tiles::action_from_id(action) else {
            tracing::warn!(action, "unknown action from the UI");
            return;
        };
        let (hypervisor, vm) = {
            let state = self.state.borrow();
            (
                state.hypervisor.clone(),
                state
                    .vms
                    .get(index)
                    .map(|vm| (vm.id.clone(), vm.name.clone())),
            )
        };
        let (Some(hypervisor), Some((vm, name))) = (hypervisor, vm) else {
            return;
        };
        match action {
            Lifecycle::Start if self.start_with_image(&vm, &name) => return,
            Lifecycle::Shutdown | Lifecycle::ForceOff => self.stopping_on_purpose(&name),
            _ => {}
        }
        hypervisor.request(&vm, action);
    }

    pub fn set_language(&self, code: &str) {
        self.state.borrow_mut().translator = Translator::new(code);
        self.apply_language();
        if let Some(media) = self.media.borrow().as_ref() {
            media.set_language(code);
        }
        if let Some(downloads) = self.downloads() {
            downloads.set_language(code);
        }
        if let Some(playback) = self.playback() {
            playback.set_language(code);
        }
        self.refresh_badges();
    }

    fn apply_language(&self) {
        let code = self.state.borrow().translator.code();
        hearth_ui::apply_strings(&self.window, &self.state.borrow().translator);
        self.window.global::<AppAdapter>().set_language(code.into());
        self.vms_changed();
        self.refresh_notice();
    }

    fn start_clock(self: &Rc<Self>) {
        self.tick_clock();
        let weak = Rc::downgrade(self);
        // Wakes once a minute, on the minute: nothing redraws in between.
        use chrono::Timelike;
        let now = chrono::Local::now();
        let until_next_minute = Duration::from_secs(60 - now.second() as u64);
        self.clock_timer
            .start(slint::TimerMode::SingleShot, until_next_minute, move || {
                if let Some(app) = weak.upgrade() {
                    app.start_clock();
                }
            });
    }

    /// Shows a fixed time instead of the real one (for screenshots that must not change).
    pub fn freeze_clock(&self, text: &str) {
        self.clock_timer.stop();
        self.window.global::<AppAdapter>().set_clock(text.into());
    }

    fn tick_clock(&self) {
        let text = chrono::Local::now().format("%H:%M").to_string();
        self.window.global::<AppAdapter>().set_clock(text.into());
    }

    /// The VMs in home-screen order.
    pub fn vms(&self) -> Vec<VmInfo> {
        self.state.borrow().vms.clone()
    }

    /// The VM whose screen is shown and which gets input, if any.
    pub fn focused(&self) -> Option<VmId> {
        self.state.borrow().router.focused().cloned()
    }

    /// Whether a switch is animating or queued.
    pub fn switch_in_flight(&self) -> bool {
        self.state.borrow().switching.in_flight()
    }
}

fn schedule(queue: &mut Incoming) {
    if queue.scheduled {
        return;
    }
    queue.scheduled = true;
    if let Some(waker) = &queue.waker {
        waker();
        return;
    }
    let result = slint::invoke_from_event_loop(App::drain_pending);
    if result.is_err() {
        // The event loop is gone (shutting down); nothing will read the queue again.
        queue.scheduled = false;
    }
}

//! Kiosk mode wired into the app: VMs outside the allowed set are taken off the list, every
//! way to another place asks the policy first, a screen that slips through anyway is
//! replaced by the start place, the idle timeout returns there, a stopped only-VM is
//! restarted, and the admin gesture opens the PIN pad, the only way out.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use hearth_ui::{AppAdapter, KioskAdapter, Screen, VmAdapter};
use hearth_vm_bridge::{Lifecycle, VmInfo, VmState};
use slint::ComponentHandle;

use super::switching::Target;
use super::{App, CURRENT, Notice, schedule, tiles};
use crate::gestures::{Phase, Touch};
use crate::kiosk::pin::{self, Lockout};
use crate::kiosk::{AdminGesture, KioskSettings, Place, Start, WhenStopped};
use crate::service::{Command, Refusal};

/// The wall clock the PIN delay is measured with (tests put in their own).
pub type Clock = Rc<dyn Fn() -> SystemTime>;

/// Kiosk mode's moving parts; the policy itself is `State::kiosk`.
#[derive(Default)]
pub(super) struct KioskRuntime {
    lockout: RefCell<Option<Lockout>>,
    gesture: RefCell<AdminGesture>,
    /// Fingers that landed in the admin corner: Hearth's until they lift.
    corner_fingers: RefCell<Vec<i32>>,
    pin: RefCell<String>,
    checking: Cell<bool>,
    clock: RefCell<Option<Clock>>,
    idle_timer: slint::Timer,
    lock_timer: slint::Timer,
    restart_timer: slint::Timer,
}

/// The answer of a PIN check, back on the UI thread.
#[derive(Debug, Clone, Copy)]
pub struct PinChecked(pub bool);

impl App {
    /// Locks Hearth to what `settings` allows, with the PIN delay kept at `lockout`.
    pub fn enter_kiosk(&self, settings: KioskSettings, lockout: Option<std::path::PathBuf>) {
        tracing::info!(targets = ?settings.targets(), "kiosk mode");
        let hide_settings = settings.hide_settings;
        let hide_actions = settings.hide_lifecycle && settings.hide_downloads;
        self.state.borrow_mut().kiosk = Some(settings);
        *self.kiosk.lockout.borrow_mut() = Some(Lockout::load(lockout));
        self.window
            .global::<AppAdapter>()
            .set_settings_hidden(hide_settings);
        self.window
            .global::<VmAdapter>()
            .set_actions_hidden(hide_actions);
        self.connect_pin_pad();
        self.kiosk_sort_out_vms();
        self.vms_changed();
        self.go_to_kiosk_start();
        self.kiosk_input();
    }

    /// Measures the PIN delay with this clock from now on (tests).
    pub fn set_kiosk_clock(&self, clock: Clock) {
        *self.kiosk.clock.borrow_mut() = Some(clock);
    }

    fn now(&self) -> SystemTime {
        self.kiosk
            .clock
            .borrow()
            .as_ref()
            .map(|clock| clock())
            .unwrap_or_else(SystemTime::now)
    }

    /// Whether kiosk mode is on.
    pub fn in_kiosk(&self) -> bool {
        self.state.borrow().kiosk.is_some()
    }

    /// Kiosk mode as the D-Bus service reports it: on, and what it allows.
    pub(super) fn kiosk_status(&self) -> (bool, Vec<String>) {
        match &self.state.borrow().kiosk {
            Some(kiosk) => (true, kiosk.targets()),
            None => (false, Vec::new()),
        }
    }

    fn kiosk_allows(&self, place: &Place) -> bool {
        self.state
            .borrow()
            .kiosk
            .as_ref()
            .is_none_or(|kiosk| kiosk.allows(place))
    }

    /// Whether kiosk mode lets a command through; the refusal says what it allows.
    pub(super) fn kiosk_permits(&self, command: &Command) -> Result<(), Refusal> {
        let state = self.state.borrow();
        let Some(kiosk) = &state.kiosk else {
            return Ok(());
        };
        let allowed = match command {
            Command::Switch(name) => kiosk.allows_vm(name),
            Command::Home => kiosk.home,
            Command::Start(name) => kiosk.allows_vm(name),
            Command::Stop(name) => kiosk.allows_vm(name) && !kiosk.hide_lifecycle,
            Command::OpenMedia(_) => kiosk.media,
        };
        if allowed {
            return Ok(());
        }
        Err(Refusal::Forbidden(format!(
            "kiosk mode forbids this; it allows {}{}",
            kiosk.targets().join(", "),
            if kiosk.hide_lifecycle {
                ", and no stopping"
            } else {
                ""
            }
        )))
    }

    /// Whether kiosk mode lets a tile's action through.
    pub(super) fn kiosk_permits_action(&self, action: &str) -> bool {
        let state = self.state.borrow();
        let Some(kiosk) = &state.kiosk else {
            return true;
        };
        if action == tiles::IMAGE_ACTION {
            return !kiosk.hide_downloads;
        }
        action == tiles::action_id(Lifecycle::Start) || !kiosk.hide_lifecycle
    }

    pub(super) fn kiosk_allows_settings(&self) -> bool {
        self.kiosk_allows(&Place::Settings)
    }

    /// Whether the swipe up and the hotkey may go home.
    pub(super) fn kiosk_allows_home(&self) -> bool {
        self.kiosk_allows(&Place::Home)
    }

    /// Takes the VMs kiosk mode hides off the list (keeping them aside, current).
    pub(super) fn kiosk_sort_out_vms(&self) {
        let mut state = self.state.borrow_mut();
        let Some(kiosk) = state.kiosk.clone() else {
            return;
        };
        let vms = std::mem::take(&mut state.vms);
        let (shown, hidden): (Vec<VmInfo>, Vec<VmInfo>) =
            vms.into_iter().partition(|vm| kiosk.allows_vm(&vm.name));
        state.vms = shown;
        for vm in hidden {
            state.hidden_vms.retain(|known| known.id != vm.id);
            state.hidden_vms.push(vm);
        }
    }

    /// Home is not allowed: stays on the allowed place shown, or goes to the start place.
    /// False when neither is possible (home, showing only allowed VMs, is then all there is).
    pub(super) fn kiosk_instead_of_home(&self) -> bool {
        if self.focused_listed() {
            return true;
        }
        let start = self.state.borrow().kiosk.as_ref().map(|k| k.start.clone());
        match start {
            Some(Start::Vm(name)) => match self.listed_index(&name) {
                Some(index) => {
                    self.request_switch(Target::Index(index), 0);
                    true
                }
                None => false,
            },
            Some(Start::Shelf(shelf)) => {
                self.open_media_shelf(shelf);
                true
            }
            Some(Start::Home) | None => false,
        }
    }

    fn focused_listed(&self) -> bool {
        let state = self.state.borrow();
        state
            .router
            .focused()
            .is_some_and(|id| state.vms.iter().any(|vm| &vm.id == id))
    }

    fn listed_index(&self, name: &str) -> Option<usize> {
        self.state
            .borrow()
            .vms
            .iter()
            .position(|vm| vm.name.eq_ignore_ascii_case(name))
    }

    /// Shows kiosk mode's start place.
    pub(super) fn go_to_kiosk_start(&self) {
        let start = self.state.borrow().kiosk.as_ref().map(|k| k.start.clone());
        let Some(start) = start else {
            return;
        };
        let screen = self.window.global::<AppAdapter>().get_screen();
        match start {
            Start::Home => {
                if screen != Screen::Home {
                    self.go_home();
                }
            }
            Start::Vm(name) => {
                let Some(index) = self.listed_index(&name) else {
                    return;
                };
                let focused = self.focused_index();
                if screen != Screen::Vm || focused != Some(index) {
                    self.request_switch(Target::Index(index), 0);
                }
            }
            Start::Shelf(shelf) => {
                if screen != Screen::Media {
                    self.open_media_shelf(shelf);
                }
            }
        }
    }

    /// The screen changed: in kiosk mode, a place it does not allow is replaced at once by
    /// the start place, whoever opened it.
    pub(super) fn kiosk_check_screen(&self) {
        let screen = self.window.global::<AppAdapter>().get_screen();
        let place = match screen {
            Screen::Home => Place::Home,
            Screen::Settings => Place::Settings,
            Screen::Media | Screen::Player | Screen::Photo => Place::Media,
            Screen::Vm => return,
        };
        if !self.kiosk_allows(&place) {
            tracing::info!(
                ?place,
                "kiosk mode does not allow this screen; back to the start"
            );
            self.go_to_kiosk_start();
        }
    }

    /// The user did something the app does not otherwise see (a mouse click on the UI).
    pub fn user_active(&self) {
        self.kiosk_input();
    }

    /// Someone touched or typed: the idle timeout starts again.
    pub(super) fn kiosk_input(&self) {
        let timeout = self
            .state
            .borrow()
            .kiosk
            .as_ref()
            .and_then(|kiosk| kiosk.idle_timeout);
        let Some(timeout) = timeout else {
            return;
        };
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.kiosk
            .idle_timer
            .start(slint::TimerMode::SingleShot, timeout, move || {
                if let Some(app) = weak.upgrade() {
                    app.kiosk_idle();
                }
            });
    }

    fn kiosk_idle(&self) {
        let playing = self
            .playback()
            .is_some_and(|playback| playback.state() == hearth_media::player::PlayState::Playing);
        if playing {
            // Nobody touches a film while watching it.
            self.kiosk_input();
            return;
        }
        tracing::info!("idle in kiosk mode: back to the start");
        self.close_pin_pad();
        self.go_to_kiosk_start();
    }

    /// An allowed VM changed state: the only VM, stopped, is started again when so configured.
    pub(super) fn kiosk_vm_state(&self, name: &str, vm_state: VmState) {
        let restart = {
            let state = self.state.borrow();
            state.kiosk.as_ref().is_some_and(|kiosk| {
                kiosk.when_stopped == WhenStopped::Restart
                    && kiosk
                        .only_vm()
                        .is_some_and(|only| only.eq_ignore_ascii_case(name))
            })
        };
        if !restart || !matches!(vm_state, VmState::ShutOff | VmState::Crashed) {
            return;
        }
        let Some(index) = self.listed_index(name) else {
            return;
        };
        tracing::info!(vm = name, "the kiosk's only VM stopped: starting it again");
        let weak = CURRENT.with(|current| current.borrow().clone());
        // A moment's pause, so a VM that fails at once does not spin.
        self.kiosk.restart_timer.start(
            slint::TimerMode::SingleShot,
            Duration::from_secs(1),
            move || {
                if let Some(app) = weak.upgrade() {
                    app.lifecycle(index, tiles::action_id(Lifecycle::Start));
                }
            },
        );
    }

    /// A finger before anything else sees it: taps in the admin corner are Hearth's, and the
    /// fifth within three seconds opens the PIN pad. Returns whether Hearth took it.
    pub(super) fn kiosk_touch(&self, touch: &Touch) -> bool {
        self.kiosk_input();
        let in_corner = {
            let state = self.state.borrow();
            let Some(kiosk) = &state.kiosk else {
                return false;
            };
            let size = self.logical_size();
            kiosk.in_corner(touch.x, touch.y, size.width, size.height)
        };
        let mut fingers = self.kiosk.corner_fingers.borrow_mut();
        match touch.phase {
            Phase::Down if in_corner => {
                fingers.push(touch.id);
                drop(fingers);
                if self.kiosk.gesture.borrow_mut().tap(Instant::now()) {
                    self.open_pin_pad();
                }
                true
            }
            Phase::Down => {
                self.kiosk.gesture.borrow_mut().reset();
                false
            }
            Phase::Move => fingers.contains(&touch.id),
            Phase::Up | Phase::Cancel => {
                let ours = fingers.contains(&touch.id);
                fingers.retain(|id| *id != touch.id);
                ours
            }
        }
    }

    /// Whether the PIN pad is open (everything else then waits).
    pub(super) fn pin_pad_open(&self) -> bool {
        self.window.global::<KioskAdapter>().get_pin_open()
    }

    fn connect_pin_pad(&self) {
        let adapter = self.window.global::<KioskAdapter>();
        let weak = CURRENT.with(|current| current.borrow().clone());
        let with = |f: fn(&App)| {
            let weak = weak.clone();
            move || {
                if let Some(app) = weak.upgrade() {
                    f(&app);
                }
            }
        };
        adapter.on_erase(with(|app| {
            app.kiosk.pin.borrow_mut().pop();
            app.refresh_pin_pad();
        }));
        adapter.on_submit(with(|app| app.submit_pin()));
        adapter.on_cancel(with(|app| app.close_pin_pad()));
        let weak = weak.clone();
        adapter.on_digit(move |digit| {
            if let Some(app) = weak.upgrade() {
                app.pin_digit(&digit);
            }
        });
    }

    fn open_pin_pad(&self) {
        tracing::info!("admin gesture: the PIN pad opens");
        self.kiosk.pin.borrow_mut().clear();
        self.window.global::<KioskAdapter>().set_pin_open(true);
        self.refresh_pin_pad();
    }

    fn close_pin_pad(&self) {
        self.kiosk.pin.borrow_mut().clear();
        self.kiosk.lock_timer.stop();
        self.window.global::<KioskAdapter>().set_pin_open(false);
    }

    fn pin_digit(&self, digit: &str) {
        if self.pin_wait_left().is_some() || self.kiosk.checking.get() {
            return;
        }
        let mut pin = self.kiosk.pin.borrow_mut();
        if pin.len() < *pin::PIN_LENGTH.end() && digit.len() == 1 {
            pin.push_str(digit);
        }
        drop(pin);
        self.refresh_pin_pad();
    }

    fn pin_wait_left(&self) -> Option<Duration> {
        let now = self.now();
        self.kiosk
            .lockout
            .borrow()
            .as_ref()
            .and_then(|lockout| lockout.wait_left(now))
    }

    /// Checks the PIN on a worker: argon2 takes tens of milliseconds on purpose.
    fn submit_pin(&self) {
        if self.pin_wait_left().is_some() || self.kiosk.checking.get() {
            return;
        }
        let pin = std::mem::take(&mut *self.kiosk.pin.borrow_mut());
        let hash = self
            .state
            .borrow()
            .kiosk
            .as_ref()
            .and_then(|kiosk| kiosk.pin.clone());
        let Some(hash) = hash else {
            self.refresh_pin_pad();
            return;
        };
        self.kiosk.checking.set(true);
        self.refresh_pin_pad();
        let incoming = self.incoming.clone();
        let spawned = std::thread::Builder::new()
            .name("hearth-pin".into())
            .spawn(move || {
                let right = pin::verify(&hash, &pin);
                let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
                queue.pin_checks.push(PinChecked(right));
                schedule(&mut queue);
            });
        if spawned.is_err() {
            self.kiosk.checking.set(false);
            self.refresh_pin_pad();
        }
    }

    /// The PIN check's answer: the right PIN leaves kiosk mode, a wrong one counts.
    pub(super) fn pin_checked(&self, checked: PinChecked) {
        self.kiosk.checking.set(false);
        self.window.global::<KioskAdapter>().set_pin_checking(false);
        if checked.0 {
            if let Some(lockout) = self.kiosk.lockout.borrow_mut().as_mut() {
                lockout.succeeded();
            }
            self.leave_kiosk();
            return;
        }
        let now = self.now();
        let delay = self
            .kiosk
            .lockout
            .borrow_mut()
            .as_mut()
            .map(|lockout| lockout.failed(now))
            .unwrap_or_default();
        tracing::warn!(?delay, "a wrong admin PIN");
        self.refresh_pin_pad();
    }

    /// Words, dots and the lock on the pad; while locked, once a second until it opens.
    fn refresh_pin_pad(&self) {
        let adapter = self.window.global::<KioskAdapter>();
        let length = self.kiosk.pin.borrow().len();
        adapter.set_pin_length(length as i32);
        adapter.set_pin_dots("●".repeat(length).into());
        adapter.set_pin_checking(self.kiosk.checking.get());
        let wait = self.pin_wait_left();
        adapter.set_pin_locked(wait.is_some());
        let has_pin = self
            .state
            .borrow()
            .kiosk
            .as_ref()
            .is_some_and(|kiosk| kiosk.pin.is_some());
        let translator = &self.state.borrow().translator;
        let failures = self
            .kiosk
            .lockout
            .borrow()
            .as_ref()
            .map(Lockout::failures)
            .unwrap_or(0);
        let message = if !has_pin {
            translator.tr("kiosk-no-pin")
        } else if self.kiosk.checking.get() {
            translator.tr("kiosk-pin-checking")
        } else if let Some(wait) = wait {
            let seconds = wait.as_secs().max(1).to_string();
            translator.tr_args(
                "kiosk-pin-wait",
                &[("seconds", hearth_ui::i18n::Arg::Text(&seconds))],
            )
        } else if failures > 0 && length == 0 {
            translator.tr("kiosk-pin-wrong")
        } else {
            String::new()
        };
        adapter.set_pin_message(message.into());
        if wait.is_some() && adapter.get_pin_open() {
            let weak = CURRENT.with(|current| current.borrow().clone());
            self.kiosk.lock_timer.start(
                slint::TimerMode::SingleShot,
                Duration::from_secs(1),
                move || {
                    if let Some(app) = weak.upgrade() {
                        app.refresh_pin_pad();
                    }
                },
            );
        }
    }

    /// The right PIN: everything is back, until Hearth restarts.
    fn leave_kiosk(&self) {
        tracing::info!("the admin PIN: kiosk mode is off until Hearth restarts");
        self.close_pin_pad();
        self.kiosk.idle_timer.stop();
        {
            let mut state = self.state.borrow_mut();
            state.kiosk = None;
            let hidden = std::mem::take(&mut state.hidden_vms);
            state.vms.extend(hidden);
            tiles::sort(&mut state.vms);
        }
        self.window
            .global::<AppAdapter>()
            .set_settings_hidden(false);
        self.window.global::<VmAdapter>().set_actions_hidden(false);
        self.vms_changed();
        self.observe_displays();
        self.set_notice(Some(Notice {
            id: "kiosk-left",
            args: Vec::new(),
        }));
        self.schedule_publish();
    }
}

//! A private world for each UI test: a headless window with Hearth in it, driven through the
//! same entry points a real display uses (pointer and key events into the Slint window, touch
//! points into Hearth's touch router), over a simulated hypervisor with a still clock.

pub mod appliance;
pub mod ctl;
pub mod guest;
pub mod image_guest;
pub mod image_service;
pub mod images;
pub mod lab;
pub mod media;
pub mod peers;
pub mod playback;
pub mod services;
pub mod startup;
pub mod supervisor;
pub mod test_plugin;
pub mod xvfb;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hearth::App;
use hearth::gestures::{Phase, Touch};
use hearth::headless::Headless;
use hearth_ui::{AppAdapter, Screen, VmAdapter};
use hearth_vm_bridge::sim::{SimClock, SimConfig, SimHypervisor};
use hearth_vm_bridge::{Display, EventSink, Hypervisor, InputEvent, Lifecycle, TouchPhase, VmId};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{Key, PointerEventButton, WindowEvent};
use slint::{LogicalPosition, SharedString};

pub struct World {
    pub headless: Headless,
    pub app: Rc<App>,
    sim: Option<SimHypervisor>,
    now: Cell<Duration>,
}

/// The simulated VMs of the tests: Work and Personal, both running, with fast transitions.
pub fn test_sim_config() -> SimConfig {
    let mut config = SimConfig::demo();
    config.clock = SimClock::Fixed {
        hours: 9,
        minutes: 41,
        seconds: 0,
    };
    config.start_delay = Duration::from_millis(150);
    config.shutdown_delay = Duration::from_millis(100);
    config
}

impl World {
    /// A 1280x800 window in English with the demo VMs.
    pub fn new() -> World {
        World::with(1280, 800, "en-US", test_sim_config())
    }

    pub fn with(width: u32, height: u32, language: &str, config: SimConfig) -> World {
        World::build(width, height, language, config, |sim| {
            std::sync::Arc::new(sim)
        })
    }

    /// A world whose hypervisor checks, at the moment each input event is delivered, that it
    /// goes to the VM that is both shown and focused (releases may go to the VM that had the
    /// key). Violations are collected in the returned list.
    pub fn audited() -> (World, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let violations = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let list = violations.clone();
        let world = World::build(1280, 800, "en-US", test_sim_config(), move |sim| {
            std::sync::Arc::new(Audited {
                inner: sim,
                violations: list,
            })
        });
        (world, violations)
    }

    fn build(
        width: u32,
        height: u32,
        language: &str,
        config: SimConfig,
        wrap: impl FnOnce(SimHypervisor) -> std::sync::Arc<dyn Hypervisor>,
    ) -> World {
        let headless = Headless::install(true).expect("one headless platform per test thread");
        headless.set_size(width, height);
        let window = hearth_ui::AppWindow::new().expect("creating the window");
        let app = App::new(window, language);
        app.set_waker(headless.waker());
        app.freeze_clock("09:41");
        app.window().show().expect("showing the window");
        let sim = SimHypervisor::new(config);
        app.attach(wrap(sim.clone()));
        let world = World {
            headless,
            app,
            sim: Some(sim),
            now: Cell::new(Duration::ZERO),
        };
        world.advance(50);
        world
    }

    /// A world over any hypervisor (a real one, for integration tests).
    pub fn over(hypervisor: std::sync::Arc<dyn Hypervisor>) -> World {
        let world = World::unattached();
        world.app.attach(hypervisor);
        world.advance(50);
        world
    }

    /// A world with no hypervisor yet: what Hearth shows before one answers.
    pub fn unattached() -> World {
        init_logging();
        let headless = Headless::install(true).expect("one headless platform per test thread");
        headless.set_size(1280, 800);
        let window = hearth_ui::AppWindow::new().expect("creating the window");
        let app = App::new(window, "en-US");
        app.set_waker(headless.waker());
        app.freeze_clock("09:41");
        app.window().show().expect("showing the window");
        World {
            headless,
            app,
            sim: None,
            now: Cell::new(Duration::ZERO),
        }
    }

    /// The simulated hypervisor of a simulated world.
    pub fn sim(&self) -> &SimHypervisor {
        self.sim
            .as_ref()
            .expect("this world runs the simulated hypervisor")
    }

    /// The state of a VM by name, as Hearth shows it.
    pub fn state_of(&self, name: &str) -> Option<hearth_vm_bridge::VmState> {
        self.app
            .vms()
            .into_iter()
            .find(|vm| vm.name == name)
            .map(|vm| vm.state)
    }

    /// The status line's hypervisor part.
    pub fn hypervisor_status(&self) -> String {
        self.app
            .window()
            .global::<hearth_ui::Strings>()
            .get_hypervisor_status()
            .to_string()
    }

    /// Gives the window a new size, as a resize or a rotation of the screen would.
    pub fn resize(&self, width: u32, height: u32) {
        self.headless.set_size(width, height);
        self.app.view_resized();
        self.advance(10);
    }

    /// Moves the clock and runs what is due.
    pub fn advance(&self, millis: u64) {
        self.headless.advance(Duration::from_millis(millis));
        self.now.set(self.now.get() + Duration::from_millis(millis));
    }

    /// Draws the window, as a display would: lists on screen are built while drawing.
    pub fn draw(&self) {
        let mut buffer = Vec::new();
        self.headless.render_if_needed(&mut buffer);
    }

    /// Lets a switch transition finish.
    pub fn settle(&self) {
        self.advance(400);
    }

    /// Pumps in real time until `done` holds; panics after `timeout` with `what`.
    pub fn wait_until(&self, what: &str, timeout: Duration, done: impl Fn(&World) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < timeout, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
            self.advance(10);
        }
    }

    pub fn vm(&self, name: &str) -> VmId {
        VmId(name.to_string())
    }

    /// The key events a simulated VM has received, in order.
    pub fn key_events(&self, vm: &str) -> Vec<(hearth_vm_bridge::KeyCode, bool)> {
        self.sim()
            .input_received(&self.vm(vm))
            .into_iter()
            .filter_map(|event| match event {
                InputEvent::Key { key, pressed } => Some((key, pressed)),
                _ => None,
            })
            .collect()
    }

    pub fn screen(&self) -> Screen {
        self.app.window().global::<AppAdapter>().get_screen()
    }

    /// The VM the view shows full-screen, by name; None on other screens.
    pub fn shown_vm(&self) -> Option<String> {
        if self.screen() != Screen::Vm {
            return None;
        }
        let adapter = self.app.window().global::<VmAdapter>();
        let index = usize::try_from(adapter.get_focused()).ok()?;
        self.app.vms().get(index).map(|vm| vm.name.clone())
    }

    pub fn find(&self, label: &str) -> Option<ElementHandle> {
        ElementHandle::find_by_accessible_label(self.app.window(), label)
            .find(|e| e.is_valid() && e.size().width > 0.0)
    }

    /// Taps the element with this accessible label at its centre, like a finger would.
    pub fn tap(&self, label: &str) {
        self.long_press(label, 50);
    }

    /// Taps the topmost element with this label: a confirmation's button over a sheet's
    /// button of the same name.
    pub fn tap_topmost(&self, label: &str) {
        self.draw();
        let element = ElementHandle::find_by_accessible_label(self.app.window(), label)
            .filter(|e| e.is_valid() && e.size().width > 0.0)
            .last()
            .unwrap_or_else(|| panic!("no visible element labelled {label:?}"));
        self.press_element(&element, 50);
    }

    /// Presses and holds the element with this accessible label for `millis`.
    pub fn long_press(&self, label: &str, millis: u64) {
        let element = self
            .find(label)
            .unwrap_or_else(|| panic!("no visible element labelled {label:?}"));
        self.press_element(&element, millis);
    }

    /// Presses an element at its centre for `millis`, like a finger would.
    fn press_element(&self, element: &ElementHandle, millis: u64) {
        let position = element.absolute_position();
        let size = element.size();
        let centre = LogicalPosition::new(
            position.x + size.width / 2.0,
            position.y + size.height / 2.0,
        );
        self.pointer(centre, true);
        self.advance(millis);
        self.pointer(centre, false);
        self.advance(20);
    }

    pub fn pointer(&self, position: LogicalPosition, pressed: bool) {
        let window = self.app.window().window();
        window.dispatch_event(WindowEvent::PointerMoved { position });
        let button = PointerEventButton::Left;
        let event = if pressed {
            WindowEvent::PointerPressed { position, button }
        } else {
            WindowEvent::PointerReleased { position, button }
        };
        window.dispatch_event(event);
    }

    pub fn key_down(&self, text: impl Into<SharedString>) {
        self.app
            .window()
            .window()
            .dispatch_event(WindowEvent::KeyPressed { text: text.into() });
        self.advance(5);
    }

    pub fn key_up(&self, text: impl Into<SharedString>) {
        self.app
            .window()
            .window()
            .dispatch_event(WindowEvent::KeyReleased { text: text.into() });
        self.advance(5);
    }

    pub fn key(&self, text: &str) {
        self.key_down(text);
        self.key_up(text);
    }

    /// Ctrl+Alt+`key`, pressed and released as a person would.
    pub fn hotkey(&self, key: impl Into<SharedString>) {
        let key = key.into();
        self.key_down(Key::Control);
        self.key_down(Key::Alt);
        self.key_down(key.clone());
        self.key_up(key);
        self.key_up(Key::Alt);
        self.key_up(Key::Control);
    }

    /// One touch point into Hearth's touch router; returns whether Hearth or a guest took it.
    pub fn touch(&self, id: i32, phase: Phase, x: f32, y: f32) -> bool {
        self.app.touch(Touch {
            id,
            phase,
            x,
            y,
            time: self.now.get(),
        })
    }

    /// A swipe of `fingers` fingers side by side from `from` to `to` over `millis`.
    pub fn swipe(
        &self,
        fingers: i32,
        from: (f32, f32),
        to: (f32, f32),
        millis: u64,
        release: bool,
    ) {
        let steps = 12;
        for finger in 0..fingers {
            self.touch(finger, Phase::Down, from.0 + finger as f32 * 40.0, from.1);
        }
        for step in 1..=steps {
            self.advance(millis / steps);
            let t = step as f32 / steps as f32;
            for finger in 0..fingers {
                let x = from.0 + (to.0 - from.0) * t + finger as f32 * 40.0;
                let y = from.1 + (to.1 - from.1) * t;
                self.touch(finger, Phase::Move, x, y);
            }
        }
        if release {
            for finger in 0..fingers {
                let x = to.0 + finger as f32 * 40.0;
                self.touch(finger, Phase::Up, x, to.1);
            }
        }
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

/// The simulated hypervisor with a check on every input delivery; everything else passes
/// straight through to it.
struct Audited {
    inner: SimHypervisor,
    violations: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hypervisor for Audited {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn connect(&self, events: EventSink) {
        self.inner.connect(events)
    }

    fn request(&self, vm: &VmId, action: Lifecycle) {
        self.inner.request(vm, action)
    }

    fn start_from(&self, vm: &VmId, disks: &hearth_vm_bridge::BootDisks) {
        self.inner.start_from(vm, disks)
    }

    fn display(&self, vm: &VmId) -> Option<std::sync::Arc<Display>> {
        self.inner.display(vm)
    }

    fn send_input(&self, vm: &VmId, event: InputEvent) {
        let release = matches!(
            event,
            InputEvent::Key { pressed: false, .. }
                | InputEvent::PointerButton { pressed: false, .. }
                | InputEvent::Touch {
                    phase: TouchPhase::Cancel | TouchPhase::End,
                    ..
                }
        );
        if let Some(app) = App::current() {
            let focused = app.focused();
            let adapter = app.window().global::<VmAdapter>();
            let on_vm_screen = app.window().global::<AppAdapter>().get_screen() == Screen::Vm;
            let shown = usize::try_from(adapter.get_focused())
                .ok()
                .filter(|_| on_vm_screen)
                .and_then(|index| app.vms().get(index).map(|vm| vm.id.clone()));
            if focused != shown {
                self.record(format!(
                    "display shows {shown:?} but input focus is {focused:?}"
                ));
            }
            if !release && focused.as_ref() != Some(vm) {
                self.record(format!("{vm} got {event:?} while {focused:?} had focus"));
            }
        }
        if release && !self.holds(vm, event) {
            self.record(format!(
                "{vm} got a release it had nothing pressed for: {event:?}"
            ));
        }
        self.inner.send_input(vm, event)
    }
}

impl Audited {
    fn record(&self, violation: String) {
        self.violations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(violation);
    }

    fn holds(&self, vm: &VmId, event: InputEvent) -> bool {
        match event {
            InputEvent::Key { key, .. } => self.inner.keys_held(vm).contains(&key),
            _ => true,
        }
    }
}

/// Logs to stderr when HEARTH_TEST_LOG holds a filter (such as `debug`).
pub fn init_logging() {
    if let Ok(filter) = std::env::var("HEARTH_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

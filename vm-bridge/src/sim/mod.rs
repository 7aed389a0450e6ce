//! A simulated hypervisor: the demo default, and the backend the UI tests drive.
//!
//! Its VMs behave like real ones where the user can tell: starting takes about a second,
//! shutting down a little less, requests that make no sense in a state fail with a clear
//! error, and each running VM has a live desktop that echoes the input it received, so a
//! person and a test can both see where input went.

mod desktop;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use desktop::Desktop;
pub use desktop::EchoState;

use crate::{
    BackendEvent, Display, Error, EventSink, Hypervisor, InputEvent, KeyCode, Lifecycle,
    PointerButton, TouchPhase, VmId, VmInfo, VmRole, VmState, keys,
};

/// One simulated VM.
#[derive(Debug, Clone, PartialEq)]
pub struct SimVm {
    pub name: String,
    pub role: VmRole,
    pub running: bool,
}

/// Where the simulated clock comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SimClock {
    /// The system's time of day (UTC), ticking every second.
    System,
    /// A time that never moves, for screenshots that must not change.
    Fixed { hours: u8, minutes: u8, seconds: u8 },
}

/// How the simulated hypervisor behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub vms: Vec<SimVm>,
    pub screen_width: u32,
    pub screen_height: u32,
    pub start_delay: Duration,
    pub shutdown_delay: Duration,
    pub clock: SimClock,
}

impl SimConfig {
    /// The demo: a running Work VM and a running Personal VM.
    pub fn demo() -> SimConfig {
        SimConfig {
            vms: vec![
                SimVm {
                    name: "Work".into(),
                    role: VmRole::Work,
                    running: true,
                },
                SimVm {
                    name: "Personal".into(),
                    role: VmRole::Personal,
                    running: true,
                },
            ],
            screen_width: 1280,
            screen_height: 800,
            start_delay: Duration::from_millis(1000),
            shutdown_delay: Duration::from_millis(600),
            clock: SimClock::System,
        }
    }
}

/// Input a simulated VM received, for the echo on its screen and for tests.
#[derive(Debug, Default)]
struct InputRecord {
    events: Vec<InputEvent>,
    keys_held: BTreeSet<KeyCode>,
    buttons_held: BTreeSet<&'static str>,
    touches: BTreeMap<u32, (f64, f64)>,
    typed: String,
    keys_received: u64,
    pointer: Option<(u32, u32)>,
}

/// How many events a VM remembers for tests; older ones are dropped.
const INPUT_RECORD_LIMIT: usize = 100_000;

struct Machine {
    info: VmInfo,
    display: Arc<Display>,
    desktop: Desktop,
    input: InputRecord,
    /// Bumped by every request, so a delayed transition knows it was overtaken.
    transition: u64,
    /// The disk image the VM was last started from with [`Hypervisor::start_from`].
    disks: Option<crate::BootDisks>,
}

struct Inner {
    config: SimConfig,
    machines: Mutex<Vec<Machine>>,
    sink: Mutex<Option<EventSink>>,
}

/// The simulated hypervisor. Cheap to clone; clones share the same VMs.
#[derive(Clone)]
pub struct SimHypervisor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SimHypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHypervisor")
            .field("vms", &self.inner.config.vms.len())
            .finish()
    }
}

impl SimHypervisor {
    pub fn new(config: SimConfig) -> SimHypervisor {
        let machines = config
            .vms
            .iter()
            .map(|vm| Machine {
                info: VmInfo {
                    id: VmId(vm.name.clone()),
                    name: vm.name.clone(),
                    role: vm.role,
                    state: if vm.running {
                        VmState::Running
                    } else {
                        VmState::ShutOff
                    },
                },
                display: Arc::new(Display::new()),
                desktop: Desktop::new(&vm.name, vm.role, config.screen_width, config.screen_height),
                input: InputRecord::default(),
                transition: 0,
                disks: None,
            })
            .collect();
        let hypervisor = SimHypervisor {
            inner: Arc::new(Inner {
                config,
                machines: Mutex::new(machines),
                sink: Mutex::new(None),
            }),
        };
        let clock = hypervisor.clock_text();
        for machine in hypervisor.lock().iter_mut() {
            if machine.info.state == VmState::Running {
                power_on_screen(machine, &clock);
            }
        }
        if hypervisor.inner.config.clock == SimClock::System {
            hypervisor.spawn_clock();
        }
        hypervisor
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Machine>> {
        self.inner
            .machines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, event: BackendEvent) {
        let sink = self
            .inner
            .sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    fn clock_text(&self) -> String {
        let (h, m, s) = match self.inner.config.clock {
            SimClock::Fixed {
                hours,
                minutes,
                seconds,
            } => (hours as u64, minutes as u64, seconds as u64),
            SimClock::System => {
                use chrono::Timelike;
                let now = chrono::Local::now();
                (now.hour() as u64, now.minute() as u64, now.second() as u64)
            }
        };
        format!("{h:02}:{m:02}:{s:02}")
    }

    /// Ticks the clocks once a second; stops when the hypervisor is dropped.
    fn spawn_clock(&self) {
        let weak = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("sim-clock".into())
            .spawn(move || {
                loop {
                    let millis = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .subsec_millis();
                    std::thread::sleep(Duration::from_millis(1000 - millis as u64 + 5));
                    let Some(inner) = weak.upgrade() else { return };
                    let hypervisor = SimHypervisor { inner };
                    let showing = |machine: &Machine| {
                        machine.info.state.is_live() || machine.info.state == VmState::Paused
                    };
                    // With every VM off, a tick reads nothing, not even the time.
                    if !hypervisor.lock().iter().any(showing) {
                        continue;
                    }
                    let clock = hypervisor.clock_text();
                    for machine in hypervisor.lock().iter_mut() {
                        if showing(machine) {
                            refresh_screen(machine, &clock);
                        }
                    }
                }
            })
            .expect("spawning the simulated clock thread");
    }

    /// Everything the VM received, oldest first.
    pub fn input_received(&self, vm: &VmId) -> Vec<InputEvent> {
        self.with_machine(vm, |m| m.input.events.clone())
            .unwrap_or_default()
    }

    /// The keys the VM currently sees as held down.
    pub fn keys_held(&self, vm: &VmId) -> Vec<KeyCode> {
        self.with_machine(vm, |m| m.input.keys_held.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The text the VM's echo shows as typed.
    pub fn typed_text(&self, vm: &VmId) -> String {
        self.with_machine(vm, |m| m.input.typed.clone())
            .unwrap_or_default()
    }

    /// Forgets recorded input (the echo on screen keeps showing it).
    pub fn clear_input_record(&self) {
        for machine in self.lock().iter_mut() {
            machine.input.events.clear();
        }
    }

    /// The disk image the VM was last started from with [`Hypervisor::start_from`].
    pub fn disks(&self, vm: &VmId) -> Option<crate::BootDisks> {
        self.with_machine(vm, |machine| machine.disks.clone())
            .flatten()
    }

    /// The guest crashes, as a real one can at any moment: the VM is `Crashed` with no
    /// request behind it.
    pub fn crash(&self, vm: &VmId) {
        self.with_machine(vm, |machine| machine.transition += 1);
        self.set_state(vm, VmState::Crashed);
    }

    fn with_machine<R>(&self, vm: &VmId, f: impl FnOnce(&mut Machine) -> R) -> Option<R> {
        self.lock().iter_mut().find(|m| &m.info.id == vm).map(f)
    }

    fn set_state(&self, vm: &VmId, state: VmState) {
        let clock = self.clock_text();
        let changed = self.with_machine(vm, |machine| {
            let before = machine.info.state;
            machine.info.state = state;
            match state {
                VmState::Running if before != VmState::Paused => {
                    machine.input = InputRecord::default();
                    power_on_screen(machine, &clock);
                }
                VmState::ShutOff | VmState::Crashed => {
                    machine.input.keys_held.clear();
                    machine.input.touches.clear();
                    machine.display.disable();
                }
                _ => {}
            }
            before != state
        });
        if changed == Some(true) {
            self.emit(BackendEvent::StateChanged {
                vm: vm.clone(),
                state,
            });
        }
    }

    /// Moves to `state` after `delay`, unless another request came first.
    fn after(&self, vm: &VmId, delay: Duration, state: VmState) {
        let Some(token) = self.with_machine(vm, |m| m.transition) else {
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        let vm = vm.clone();
        std::thread::Builder::new()
            .name("sim-transition".into())
            .spawn(move || {
                std::thread::sleep(delay);
                let Some(inner) = weak.upgrade() else { return };
                let hypervisor = SimHypervisor { inner };
                if hypervisor.with_machine(&vm, |m| m.transition) == Some(token) {
                    hypervisor.set_state(&vm, state);
                }
            })
            .expect("spawning a simulated transition");
    }
}

/// Draws a fresh desktop, as a booted guest would.
fn power_on_screen(machine: &mut Machine, clock: &str) {
    let state = echo_state(&machine.input, clock);
    machine.display.scanout(machine.desktop.render(&state));
}

/// Repaints what changed on a running VM's desktop.
fn refresh_screen(machine: &mut Machine, clock: &str) {
    let state = echo_state(&machine.input, clock);
    let regions = machine.desktop.changed_regions(&state);
    let desktop = &machine.desktop;
    for region in regions {
        machine.display.draw(region, |surface, clipped| {
            desktop.repaint(surface, clipped, &state)
        });
    }
    machine.desktop.mark_shown(&state);
}

fn echo_state(input: &InputRecord, clock: &str) -> EchoState {
    EchoState {
        clock: clock.to_string(),
        typed: input.typed.clone(),
        keys_received: input.keys_received,
        pointer: input.pointer,
        buttons: input
            .buttons_held
            .iter()
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        touches: input
            .touches
            .iter()
            .map(|(slot, (x, y))| (*slot, *x, *y))
            .collect(),
    }
}

fn record_input(input: &mut InputRecord, event: InputEvent) {
    if input.events.len() >= INPUT_RECORD_LIMIT {
        input.events.drain(..INPUT_RECORD_LIMIT / 2);
    }
    input.events.push(event);
    match event {
        InputEvent::Key { key, pressed: true } => {
            input.keys_held.insert(key);
            input.keys_received += 1;
            let shift = input.keys_held.contains(&keys::SHIFT_LEFT)
                || input.keys_held.contains(&keys::SHIFT_RIGHT);
            match keys::to_char(key, shift) {
                Some('\u{8}') => {
                    input.typed.pop();
                }
                Some(c) if !c.is_control() => input.typed.push(c),
                Some(_) => {}
                None if !keys::is_modifier(key) => {
                    input.typed.push_str(&format!("[{}]", key.name()))
                }
                None => {}
            }
            if input.typed.chars().count() > 256 {
                input.typed = input.typed.chars().skip(128).collect();
            }
        }
        InputEvent::Key {
            key,
            pressed: false,
        } => {
            input.keys_held.remove(&key);
        }
        InputEvent::PointerMove { x, y } => input.pointer = Some((x, y)),
        InputEvent::PointerButton { button, pressed } => {
            let name = match button {
                PointerButton::Left => "left",
                PointerButton::Middle => "middle",
                PointerButton::Right => "right",
            };
            if pressed {
                input.buttons_held.insert(name);
            } else {
                input.buttons_held.remove(name);
            }
        }
        InputEvent::Touch { slot, phase, x, y } => match phase {
            TouchPhase::Begin | TouchPhase::Update => {
                input.touches.insert(slot, (x, y));
            }
            TouchPhase::End | TouchPhase::Cancel => {
                input.touches.remove(&slot);
            }
        },
    }
}

impl Hypervisor for SimHypervisor {
    fn describe(&self) -> String {
        "Simulated".to_string()
    }

    fn connect(&self, events: EventSink) {
        *self.inner.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(events);
        let vms = self.lock().iter().map(|m| m.info.clone()).collect();
        self.emit(BackendEvent::Connected { vms });
    }

    fn request(&self, vm: &VmId, action: Lifecycle) {
        let outcome = self.with_machine(vm, |machine| {
            let state = machine.info.state;
            let allowed = matches!(
                (action, state),
                (Lifecycle::Start, VmState::ShutOff | VmState::Crashed)
                    | (Lifecycle::Pause, VmState::Running)
                    | (Lifecycle::Resume, VmState::Paused)
                    | (Lifecycle::Shutdown, VmState::Running)
                    | (
                        Lifecycle::ForceOff,
                        VmState::Running | VmState::Paused | VmState::Starting | VmState::Stopping
                    )
            );
            if allowed {
                machine.transition += 1;
                Ok(())
            } else {
                Err(Error::InvalidTransition { action, state })
            }
        });
        let config = &self.inner.config;
        match outcome {
            None => self.emit(BackendEvent::RequestFailed {
                vm: vm.clone(),
                action,
                error: Error::UnknownVm(vm.clone()),
            }),
            Some(Err(error)) => self.emit(BackendEvent::RequestFailed {
                vm: vm.clone(),
                action,
                error,
            }),
            Some(Ok(())) => match action {
                Lifecycle::Start => {
                    self.set_state(vm, VmState::Starting);
                    self.after(vm, config.start_delay, VmState::Running);
                }
                Lifecycle::Shutdown => {
                    self.set_state(vm, VmState::Stopping);
                    self.after(vm, config.shutdown_delay, VmState::ShutOff);
                }
                Lifecycle::Pause => self.set_state(vm, VmState::Paused),
                Lifecycle::Resume => self.set_state(vm, VmState::Running),
                Lifecycle::ForceOff => self.set_state(vm, VmState::ShutOff),
            },
        }
    }

    fn start_from(&self, vm: &VmId, disks: &crate::BootDisks) {
        let off = self.with_machine(vm, |machine| {
            let off = matches!(machine.info.state, VmState::ShutOff | VmState::Crashed);
            if off {
                machine.disks = Some(disks.clone());
            }
            off
        });
        if off == Some(true) {
            tracing::info!(%vm, overlay = %disks.overlay.display(), "simulated VM starts from a new disk image");
        }
        self.request(vm, Lifecycle::Start);
    }

    fn display(&self, vm: &VmId) -> Option<Arc<Display>> {
        self.with_machine(vm, |m| m.display.clone())
    }

    fn send_input(&self, vm: &VmId, event: InputEvent) {
        let clock = self.clock_text();
        self.with_machine(vm, |machine| {
            record_input(&mut machine.input, event);
            if machine.info.state.is_live() {
                refresh_screen(machine, &clock);
            }
        });
    }
}

//! Switching between VMs: one switch at a time, a transition that follows the finger, and
//! display and input focus moved together in one step.

use std::time::Duration;

use hearth_ui::{AppAdapter, Screen, VmAdapter};
use hearth_vm_bridge::VmId;
use slint::ComponentHandle;

use super::{App, CURRENT};
use crate::gestures::Output;

/// One step of a settling transition; the transition eases out over about ten of them.
pub const SETTLE_TICK: Duration = Duration::from_millis(16);
/// The fraction of the remaining distance left after each tick.
const SETTLE_FACTOR: f32 = 0.55;

/// Where a switch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The VM at this position on the home screen.
    Index(usize),
    /// The VM this many places after the one shown (wrapping around).
    By(i32),
}

/// What is settling on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Settle {
    /// The side-by-side transition, towards progress 0.
    Switch,
    /// The swipe up to home snapping back.
    HomeBack,
}

#[derive(Debug, Default)]
pub struct Switching {
    settling: Option<Settle>,
    /// A switch asked for while another was in flight; the latest one wins.
    queued: Option<(Target, i32)>,
    /// The neighbour shown during a finger-driven switch, and the gesture's last progress.
    gesture_neighbour: Option<usize>,
    progress: f32,
    home_progress: f32,
}

impl Switching {
    pub fn in_flight(&self) -> bool {
        self.settling.is_some() || self.queued.is_some()
    }
}

impl App {
    pub(super) fn focused_index(&self) -> Option<usize> {
        let state = self.state.borrow();
        let focused = state.router.focused()?;
        state.vms.iter().position(|vm| &vm.id == focused)
    }

    fn resolve(&self, target: Target) -> Option<usize> {
        let count = self.state.borrow().vms.len();
        if count == 0 {
            return None;
        }
        match target {
            Target::Index(index) => (index < count).then_some(index),
            Target::By(step) => {
                let from = self
                    .focused_index()
                    .map(|i| i as i64)
                    .unwrap_or(if step > 0 { -1 } else { 0 });
                Some((from + step as i64).rem_euclid(count as i64) as usize)
            }
        }
    }

    /// Switches to a VM, or queues the switch when one is in flight. `direction` picks the
    /// side the VM slides in from: 1 from the right, -1 from the left, 0 no slide.
    pub fn request_switch(&self, target: Target, direction: i32) {
        if self.state.borrow().switching.settling.is_some() {
            self.state.borrow_mut().switching.queued = Some((target, direction));
            return;
        }
        let Some(index) = self.resolve(target) else {
            return;
        };
        let from_home = self.window.global::<AppAdapter>().get_screen() != Screen::Vm;
        let start = if from_home { 0.0 } else { direction as f32 };
        self.commit(index, start);
    }

    /// Moves display and input focus to the VM at `index` in one step, then lets the
    /// transition settle from `progress` (see `VmAdapter.swipe-progress`).
    fn commit(&self, index: usize, progress: f32) {
        let previous = self.focused_index();
        let (releases, id) = {
            let mut state = self.state.borrow_mut();
            let Some(id) = state.vms.get(index).map(|vm| vm.id.clone()) else {
                return;
            };
            let releases = state.router.set_focus(Some(id.clone()));
            state.frame.reset();
            (releases, id)
        };
        tracing::info!(vm = %id, "switched");
        let adapter = self.window.global::<VmAdapter>();
        self.refresh_focused_index();
        self.present_focused(true);
        self.show_screen(Screen::Vm);
        self.fit_focused();
        self.refresh_consoles();
        // The display shows the new VM before the old one hears of its released keys, so the
        // two foci never point at different VMs, not even for the length of a call.
        self.deliver(releases);
        adapter.set_home_progress(0.0);
        let slide = progress != 0.0 && previous.is_some_and(|p| p != index);
        if slide {
            // The VM that was shown slides out on the other side.
            let previous = previous.unwrap_or(index);
            self.show_neighbour(Some(previous));
            adapter.set_swipe_progress(progress);
            self.state.borrow_mut().switching.progress = progress;
            self.start_settle(Settle::Switch);
        } else {
            self.show_neighbour(None);
            adapter.set_swipe_progress(0.0);
        }
    }

    pub fn go_home(&self) {
        if !self.kiosk_allows_home() && self.kiosk_instead_of_home() {
            return;
        }
        let from_vm = self.window.global::<AppAdapter>().get_screen() == Screen::Vm;
        let releases = {
            let mut state = self.state.borrow_mut();
            state.switching.queued = None;
            state.frame.reset();
            state.neighbour_frame.reset();
            state.router.set_focus(None)
        };
        self.settle_timer.stop();
        self.state.borrow_mut().switching.settling = None;
        let adapter = self.window.global::<VmAdapter>();
        adapter.set_swipe_progress(0.0);
        adapter.set_home_progress(0.0);
        adapter.set_console_sheet_open(false);
        adapter.set_has_frame(false);
        adapter.set_frame(Default::default());
        self.show_neighbour(None);
        self.refresh_focused_index();
        self.refresh_consoles();
        self.show_screen(Screen::Home);
        if from_vm {
            self.playback_back_from_vm();
        }
        self.deliver(releases);
    }

    fn show_neighbour(&self, index: Option<usize>) {
        let adapter = self.window.global::<VmAdapter>();
        let image = index.and_then(|index| {
            let hypervisor = self.hypervisor()?;
            let id: VmId = self.state.borrow().vms.get(index)?.id.clone();
            let display = hypervisor.display(&id)?;
            let mut state = self.state.borrow_mut();
            state.neighbour_frame.reset();
            state.neighbour_frame.present(&display, true)
        });
        adapter.set_neighbour(index.map(|i| i as i32).unwrap_or(-1));
        adapter.set_neighbour_frame(image.unwrap_or_default());
        self.state.borrow_mut().switching.gesture_neighbour = index;
    }

    /// Shows the focused VM's latest frame; `force` redraws it whole.
    pub(super) fn present_focused(&self, force: bool) {
        let Some(hypervisor) = self.hypervisor() else {
            return;
        };
        let Some(id) = self.state.borrow().router.focused().cloned() else {
            return;
        };
        let Some(display) = hypervisor.display(&id) else {
            return;
        };
        let image = self.state.borrow_mut().frame.present(&display, force);
        let adapter = self.window.global::<VmAdapter>();
        if let Some((width, height)) = display.size() {
            adapter.set_frame_width(width as i32);
            adapter.set_frame_height(height as i32);
        }
        self.present_cursor(&display, force);
        match image {
            Some(image) => {
                adapter.set_frame(image);
                adapter.set_has_frame(true);
            }
            None if display.size().is_none() => {
                adapter.set_has_frame(false);
                adapter.set_frame(Default::default());
            }
            None => {}
        }
    }

    /// Shows the cursor the guest defined, where it put it; rebuilt only when it changes.
    fn present_cursor(&self, display: &hearth_vm_bridge::Display, force: bool) {
        let adapter = self.window.global::<VmAdapter>();
        let (cursor, position) = display.cursor();
        let changed = force || self.state.borrow().cursor != cursor;
        if changed {
            let image = cursor.as_ref().map(|cursor| {
                let mut buffer =
                    slint::SharedPixelBuffer::<slint::Rgba8Pixel>::new(cursor.width, cursor.height);
                for (out, bgra) in buffer
                    .make_mut_slice()
                    .iter_mut()
                    .zip(cursor.pixels.chunks_exact(4))
                {
                    *out = slint::Rgba8Pixel {
                        r: bgra[2],
                        g: bgra[1],
                        b: bgra[0],
                        a: bgra[3],
                    };
                }
                slint::Image::from_rgba8(buffer)
            });
            adapter.set_cursor(image.unwrap_or_default());
            self.state.borrow_mut().cursor = cursor.clone();
        }
        match (cursor, position) {
            (Some(cursor), Some((x, y))) => {
                adapter.set_cursor_x(x - cursor.hot_x);
                adapter.set_cursor_y(y - cursor.hot_y);
                adapter.set_has_cursor(true);
            }
            _ => adapter.set_has_cursor(false),
        }
    }

    fn start_settle(&self, settle: Settle) {
        self.state.borrow_mut().switching.settling = Some(settle);
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.settle_timer
            .start(slint::TimerMode::Repeated, SETTLE_TICK, move || {
                if let Some(app) = weak.upgrade() {
                    app.settle_step();
                }
            });
    }

    fn settle_step(&self) {
        let adapter = self.window.global::<VmAdapter>();
        let settling = self.state.borrow().switching.settling;
        let done = match settling {
            Some(Settle::Switch) => {
                let mut state = self.state.borrow_mut();
                state.switching.progress *= SETTLE_FACTOR;
                if state.switching.progress.abs() < 0.01 {
                    state.switching.progress = 0.0;
                }
                adapter.set_swipe_progress(state.switching.progress);
                state.switching.progress == 0.0
            }
            Some(Settle::HomeBack) => {
                let mut state = self.state.borrow_mut();
                state.switching.home_progress *= SETTLE_FACTOR;
                if state.switching.home_progress < 0.01 {
                    state.switching.home_progress = 0.0;
                }
                adapter.set_home_progress(state.switching.home_progress);
                state.switching.home_progress == 0.0
            }
            None => true,
        };
        if done {
            self.settle_timer.stop();
            self.state.borrow_mut().switching.settling = None;
            self.show_neighbour(None);
            let queued = self.state.borrow_mut().switching.queued.take();
            if let Some((target, direction)) = queued {
                self.request_switch(target, direction);
            }
        }
    }

    /// Acts on what the gesture recogniser decided.
    pub(super) fn gesture(&self, output: Output) {
        let adapter = self.window.global::<VmAdapter>();
        match output {
            Output::Switch { progress } => {
                let Some(current) = self.focused_index() else {
                    return;
                };
                let count = self.state.borrow().vms.len();
                if count < 2 {
                    return;
                }
                // Moving right brings in the previous VM from the left, and the other way round.
                let neighbour = if progress > 0.0 {
                    (current + count - 1) % count
                } else {
                    (current + 1) % count
                };
                if self.state.borrow().switching.gesture_neighbour != Some(neighbour) {
                    self.show_neighbour(Some(neighbour));
                }
                self.state.borrow_mut().switching.progress = progress;
                adapter.set_swipe_progress(progress);
            }
            Output::SwitchEnd { direction } => {
                let neighbour = self.state.borrow().switching.gesture_neighbour;
                let progress = self.state.borrow().switching.progress;
                match neighbour {
                    Some(neighbour) if direction != 0 => {
                        // Continue the same motion: the new VM is already partly on screen.
                        let remaining = progress - progress.signum();
                        self.commit(neighbour, remaining);
                    }
                    _ => self.start_settle(Settle::Switch),
                }
            }
            Output::Home { .. } | Output::HomeEnd { .. } if !self.kiosk_allows_home() => {}
            Output::Home { progress } => {
                self.state.borrow_mut().switching.home_progress = progress;
                adapter.set_home_progress(progress);
            }
            Output::HomeEnd { commit } => {
                if commit {
                    self.go_home();
                } else {
                    self.start_settle(Settle::HomeBack);
                }
            }
            Output::Pass(_) | Output::CancelPassed(_) => {}
        }
    }
}

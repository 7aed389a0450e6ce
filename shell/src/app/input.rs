//! Input from the user: Hearth's hotkeys first, then the focused VM, nothing anywhere else.

use hearth_ui::{AppAdapter, Screen};
use hearth_vm_bridge::{InputEvent, PointerButton, TouchPhase, VmId, VmState};
use slint::ComponentHandle;
use slint::platform::Key;

use super::App;
use super::switching::Target;
use crate::gestures::{Output, Phase, Touch};
use crate::keymap;

#[derive(Debug, Clone, Copy, Default)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    pub meta: bool,
}

/// What a hotkey asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hotkey {
    Previous,
    Next,
    Vm(usize),
    Home,
}

fn hotkey(text: &str, modifiers: Modifiers) -> Option<Hotkey> {
    if !(modifiers.ctrl && modifiers.alt) {
        return None;
    }
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    match c {
        c if c == char::from(Key::LeftArrow) => Some(Hotkey::Previous),
        c if c == char::from(Key::RightArrow) => Some(Hotkey::Next),
        c if c == char::from(Key::UpArrow) => Some(Hotkey::Home),
        '1'..='9' => Some(Hotkey::Vm(c as usize - '1' as usize)),
        _ => None,
    }
}

impl App {
    /// A key from the window. Returns whether Hearth used it (for itself or a guest).
    pub fn key(&self, text: &str, pressed: bool, modifiers: Modifiers) -> bool {
        if pressed {
            if let Some(hotkey) = hotkey(text, modifiers) {
                // Its release is Hearth's too, wherever focus is by then.
                self.state
                    .borrow_mut()
                    .swallowed_keys
                    .insert(text.to_string());
                match hotkey {
                    Hotkey::Previous => self.request_switch(Target::By(-1), -1),
                    Hotkey::Next => self.request_switch(Target::By(1), 1),
                    Hotkey::Vm(index) => self.request_switch(Target::Index(index), 0),
                    Hotkey::Home => self.go_home(),
                }
                return true;
            }
        } else if self.state.borrow_mut().swallowed_keys.remove(text) {
            return true;
        }
        if self.window.global::<AppAdapter>().get_screen() != Screen::Vm {
            return false;
        }
        let Some(key) = keymap::key_for_text(text) else {
            tracing::debug!(?text, "no PC key for this text; not sent");
            return true;
        };
        self.send_to_focused(InputEvent::Key { key, pressed });
        true
    }

    /// A mouse event over the VM view, in view coordinates.
    pub fn pointer(
        &self,
        kind: i32,
        button: i32,
        x: f32,
        y: f32,
        view_width: f32,
        view_height: f32,
    ) {
        let Some((gx, gy)) = self.to_guest(x, y, view_width, view_height) else {
            return;
        };
        let button = match button {
            1 => Some(PointerButton::Left),
            2 => Some(PointerButton::Right),
            3 => Some(PointerButton::Middle),
            _ => None,
        };
        self.send_to_focused(InputEvent::PointerMove {
            x: gx as u32,
            y: gy as u32,
        });
        match (kind, button) {
            (1, Some(button)) => self.send_to_focused(InputEvent::PointerButton {
                button,
                pressed: true,
            }),
            (2 | 3, Some(button)) => self.send_to_focused(InputEvent::PointerButton {
                button,
                pressed: false,
            }),
            _ => {}
        }
    }

    /// A touch point from the platform, before the UI sees it. Returns false when the touch
    /// is not Hearth's or a guest's, and the UI should handle it as usual.
    pub fn touch(&self, touch: Touch) -> bool {
        let on_vm = self.window.global::<AppAdapter>().get_screen() == Screen::Vm;
        let outputs = {
            let size = self
                .window
                .window()
                .size()
                .to_logical(self.window.window().scale_factor());
            let mut state = self.state.borrow_mut();
            state.gestures.resize(size.width, size.height);
            state.gestures.handle(touch)
        };
        if outputs.is_empty() {
            return on_vm;
        }
        let mut used = on_vm;
        for output in outputs {
            match output {
                Output::Pass(touch) if on_vm => self.touch_to_guest(touch),
                Output::Pass(_) => used = false,
                Output::CancelPassed(ids) => {
                    for id in ids {
                        let event = InputEvent::Touch {
                            slot: id as u32,
                            phase: TouchPhase::Cancel,
                            x: 0.0,
                            y: 0.0,
                        };
                        self.send_to_focused(event);
                    }
                }
                other => {
                    used = true;
                    self.gesture(other);
                }
            }
        }
        used
    }

    fn touch_to_guest(&self, touch: Touch) {
        let size = self
            .window
            .window()
            .size()
            .to_logical(self.window.window().scale_factor());
        let Some((x, y)) = self.to_guest(touch.x, touch.y, size.width, size.height) else {
            return;
        };
        let phase = match touch.phase {
            Phase::Down => TouchPhase::Begin,
            Phase::Move => TouchPhase::Update,
            Phase::Up => TouchPhase::End,
            Phase::Cancel => TouchPhase::Cancel,
        };
        self.send_to_focused(InputEvent::Touch {
            slot: touch.id as u32,
            phase,
            x,
            y,
        });
    }

    /// Maps a point of the view to the guest's screen, where the frame is fitted inside the
    /// view keeping its aspect. None when nothing is shown.
    fn to_guest(&self, x: f32, y: f32, view_width: f32, view_height: f32) -> Option<(f64, f64)> {
        let hypervisor = self.hypervisor()?;
        let focused = self.focused()?;
        let (width, height) = hypervisor.display(&focused)?.size()?;
        let scale = (view_width / width as f32).min(view_height / height as f32);
        if scale <= 0.0 {
            return None;
        }
        let left = (view_width - width as f32 * scale) / 2.0;
        let top = (view_height - height as f32 * scale) / 2.0;
        let gx = ((x - left) / scale).clamp(0.0, width as f32 - 1.0);
        let gy = ((y - top) / scale).clamp(0.0, height as f32 - 1.0);
        Some((gx as f64, gy as f64))
    }

    /// Sends an event to the focused VM if it runs; the router decides and tracks what is held.
    fn send_to_focused(&self, event: InputEvent) {
        let routed = {
            let mut state = self.state.borrow_mut();
            let focused = state.router.focused().cloned();
            let running = focused
                .and_then(|id| {
                    state
                        .vms
                        .iter()
                        .find(|vm| vm.id == id)
                        .map(|vm| vm.state == VmState::Running)
                })
                .unwrap_or(false);
            if !running {
                return;
            }
            state.router.route(event)
        };
        if let Some(routed) = routed {
            self.deliver(vec![routed]);
        }
    }

    pub(super) fn deliver(&self, events: Vec<(VmId, InputEvent)>) {
        let Some(hypervisor) = self.hypervisor() else {
            return;
        };
        for (vm, event) in events {
            hypervisor.send_input(&vm, event);
        }
    }
}

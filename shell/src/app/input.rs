//! Input from the user: Hearth's hotkeys first, then the focused VM, nothing anywhere else.
//! Keys go through [`crate::keyboard::Keyboard`], which holds back what could start a hotkey.

use hearth_ui::{AppAdapter, Screen, VmAdapter};
use hearth_vm_bridge::{InputEvent, KeyCode, PointerButton, TouchPhase, VmId, VmState, keys};
use slint::{ComponentHandle, Model};

use super::App;
use super::switching::Target;
use crate::config::InputSettings;
use crate::gestures::{Output, Phase, Touch};
use crate::keyboard::{Hotkey, KeyAction};
use crate::keymap;
use crate::playback::mpris::MprisCommand;
use crate::remote_keys::{RemoteAction, RemoteKey};

/// How far a seek key (fast forward, rewind) moves, in microseconds: 10 s.
const SEEK_STEP_MICROS: i64 = 10_000_000;

/// The size of the top-right corner of the VM view that holds the console button (12 px of
/// margin and the 56 px button in vm_view.slint, with room to spare for a finger).
const CONSOLE_BUTTON_CORNER: f32 = 80.0;

impl App {
    /// A key event from Slint, as text. Used where the platform reports no physical key (the
    /// testing and headless platforms): characters map to the key that types them on a US
    /// layout. Returns whether Hearth used the key.
    pub fn key(&self, text: &str, pressed: bool) -> bool {
        self.kiosk_input();
        if self.physical_keys.get() || self.pin_pad_open() {
            // The winit hook already saw this key by its position; Slint gets what is left.
            return false;
        }
        let typed = keymap::key_for_text(text);
        if let Some(evdev) = typed.and_then(keys::to_evdev).map(u32::from) {
            // A keyboard the platform reports as text is a hardware keyboard all the same.
            self.hardware_key(evdev, pressed);
            if self.navigation_key(evdev, pressed) {
                return true;
            }
        }
        let Some(key) = typed else {
            tracing::debug!(?text, "no PC key for this text; not sent");
            return self.window.global::<AppAdapter>().get_screen() == Screen::Vm;
        };
        self.keyboard_event(key, pressed)
    }

    /// A physical key from the platform (a Linux evdev code: X11 keycode minus 8, or
    /// libinput's code), before the UI sees it. Returns whether Hearth used it; keys it does
    /// not use are left to the UI.
    pub fn physical_key(&self, evdev: u32, pressed: bool) -> bool {
        self.physical_keys.set(true);
        self.kiosk_input();
        self.hardware_key(evdev, pressed);
        if self.navigation_key(evdev, pressed) {
            return true;
        }
        if self.pin_pad_open() {
            // The PIN pad is over everything: no key reaches a guest.
            return false;
        }
        let on_vm = self.window.global::<AppAdapter>().get_screen() == Screen::Vm;
        let remote = self.remote.borrow_mut().key(evdev, pressed, on_vm);
        if let RemoteKey::Taken(action) = remote {
            if let Some(action) = action {
                self.remote_action(action);
            }
            return true;
        }
        let Some(key) = keys::from_evdev(evdev) else {
            tracing::debug!(evdev, "no PC key for this evdev code; not sent");
            return on_vm;
        };
        self.keyboard_event(key, pressed)
    }

    /// Which remote and media keys stay Hearth's in a VM's view.
    pub fn set_input(&self, settings: &InputSettings) {
        self.remote
            .borrow_mut()
            .set_hearth_keys(settings.hearth_keys.iter().copied());
    }

    /// Does what a remote's key asks: the player's controls on any screen, home.
    fn remote_action(&self, action: RemoteAction) {
        tracing::debug!(?action, "remote key");
        match action {
            RemoteAction::Home => return self.go_home(),
            RemoteAction::Back => {
                self.window.invoke_back();
                return;
            }
            _ => {}
        }
        let Some(playback) = self.playback.borrow().clone() else {
            return;
        };
        let volume = self
            .remote
            .borrow_mut()
            .volume
            .after(action, playback.volume());
        if let Some(volume) = volume {
            playback.command(MprisCommand::Volume(volume));
            return;
        }
        let command = match action {
            RemoteAction::PlayPause => MprisCommand::PlayPause,
            RemoteAction::Play => MprisCommand::Play,
            RemoteAction::Pause => MprisCommand::Pause,
            RemoteAction::Stop => MprisCommand::Stop,
            RemoteAction::Next => MprisCommand::Next,
            RemoteAction::Previous => MprisCommand::Previous,
            RemoteAction::SeekForward => MprisCommand::Seek(SEEK_STEP_MICROS),
            RemoteAction::SeekBack => MprisCommand::Seek(-SEEK_STEP_MICROS),
            RemoteAction::Info => MprisCommand::Raise,
            RemoteAction::VolumeUp
            | RemoteAction::VolumeDown
            | RemoteAction::Mute
            | RemoteAction::Back
            | RemoteAction::Home => return,
        };
        playback.command(command);
    }

    /// The window lost the keyboard: the releases of keys held now will not arrive.
    pub fn keyboard_lost(&self) {
        self.remote.borrow_mut().reset();
        let releases = {
            let mut state = self.state.borrow_mut();
            state.keyboard.reset();
            state.router.release_all()
        };
        self.deliver(releases);
    }

    fn keyboard_event(&self, key: KeyCode, pressed: bool) -> bool {
        let actions = {
            let mut state = self.state.borrow_mut();
            if pressed {
                state.keyboard.press(key)
            } else {
                state.keyboard.release(key)
            }
        };
        let on_vm = self.window.global::<AppAdapter>().get_screen() == Screen::Vm;
        // Held back for a possible hotkey, or the release of a hotkey's key: Hearth's.
        let mut used = on_vm || actions.is_empty();
        for action in actions {
            match action {
                KeyAction::Hotkey(hotkey) => {
                    used = true;
                    match hotkey {
                        Hotkey::Previous => self.request_switch(Target::By(-1), -1),
                        Hotkey::Next => self.request_switch(Target::By(1), 1),
                        Hotkey::Vm(index) => self.request_switch(Target::Index(index), 0),
                        Hotkey::Home => self.go_home(),
                    }
                }
                KeyAction::Guest { key, pressed } => {
                    if self.window.global::<AppAdapter>().get_screen() == Screen::Vm {
                        self.send_to_focused(InputEvent::Key { key, pressed });
                    }
                }
            }
        }
        used
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
        self.kiosk_input();
        let Some((gx, gy)) = self.to_guest(x, y, view_width, view_height) else {
            return;
        };
        if kind == 1 {
            self.flush_held_back_keys();
        }
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
        self.pointer_used();
        if self.pin_pad_open() {
            return false;
        }
        if self.kiosk_touch(&touch) {
            return true;
        }
        let screen = self.window.global::<AppAdapter>().get_screen();
        if screen == Screen::Photo {
            return self.photo_touch(touch);
        }
        let on_vm = screen == Screen::Vm;
        if on_vm && self.touch_for_vm_view_controls(&touch) {
            return false;
        }
        let outputs = {
            let size = self.logical_size();
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

    /// Whether a finger belongs to the VM view's own controls: the console chooser while it
    /// is open, or the button in the top-right corner that opens it. Such a finger stays
    /// theirs until it lifts.
    fn touch_for_vm_view_controls(&self, touch: &Touch) -> bool {
        let adapter = self.window.global::<VmAdapter>();
        let mut state = self.state.borrow_mut();
        match touch.phase {
            Phase::Down => {
                let width = self.logical_size().width;
                // The keyboard button, and the consoles button left of it.
                let buttons = u8::from(adapter.get_consoles().row_count() > 1)
                    + u8::from(adapter.get_keyboard_button());
                let on_button = buttons > 0
                    && touch.x >= width - CONSOLE_BUTTON_CORNER - 68.0 * f32::from(buttons - 1)
                    && touch.y <= CONSOLE_BUTTON_CORNER;
                let on_keyboard = self.keyboard_covers(touch.y);
                let theirs = adapter.get_console_sheet_open() || on_button || on_keyboard;
                if theirs {
                    state.vm_view_touches.insert(touch.id);
                }
                theirs
            }
            Phase::Move => state.vm_view_touches.contains(&touch.id),
            Phase::Up | Phase::Cancel => state.vm_view_touches.remove(&touch.id),
        }
    }

    fn touch_to_guest(&self, touch: Touch) {
        let size = self.logical_size();
        let Some((x, y)) = self.to_guest(touch.x, touch.y, size.width, size.height) else {
            return;
        };
        if touch.phase == Phase::Down {
            self.flush_held_back_keys();
        }
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

    /// Held-back modifiers go to the guest before a click or a touch, so Ctrl+click is one.
    fn flush_held_back_keys(&self) {
        let actions = self.state.borrow_mut().keyboard.before_other_input();
        for action in actions {
            if let KeyAction::Guest { key, pressed } = action {
                self.send_to_focused(InputEvent::Key { key, pressed });
            }
        }
    }

    /// Sends an event to the focused VM if it runs; the router decides and tracks what is held.
    pub(super) fn send_to_focused(&self, event: InputEvent) {
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

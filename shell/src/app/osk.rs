//! The on-screen keyboard on screen: opened by a text field that gets the keyboard (when no
//! hardware key has typed in the last minute) or by the keyboard button of a VM's view, and
//! what its presses do: characters into the field, physical keys into the VM it was opened
//! for (never another), with the layout chosen for that VM remembered.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use hearth_ui::{FocusAdapter, MediaAdapter, OskAdapter, OskKey, OskRow, VmAdapter};
use hearth_vm_bridge::{InputEvent, VmId, keys};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::App;
use crate::osk::layouts::Layout;
use crate::osk::{Key, KeyKind, Osk, Output, Special, Target};

/// After a hardware key types, the keyboard stays away this long.
const TYPED_LATELY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(super) struct OskRuntime {
    osk: RefCell<Option<Osk>>,
    /// The VM the keyboard types into, while it is open for one.
    vm: RefCell<Option<VmId>>,
    /// Runs for a minute after a hardware key typed: meanwhile the keyboard stays away.
    typed_lately: slint::Timer,
}

/// Whether an evdev code types a character (letters, digits, punctuation, space).
fn types_text(code: u32) -> bool {
    matches!(code, 2..=13 | 16..=27 | 30..=41 | 43..=53 | 57 | 86)
}

impl App {
    pub(super) fn connect_osk(self: &Rc<Self>) {
        let adapter = self.window.global::<OskAdapter>();
        let weak = Rc::downgrade(self);
        adapter.on_pressed(move |row, column| {
            if let Some(app) = weak.upgrade() {
                app.osk_pressed(|osk| osk.press(row as usize, column as usize));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_alternate(move |row, column, index| {
            if let Some(app) = weak.upgrade() {
                app.osk_pressed(|osk| {
                    osk.choose_alternate(row as usize, column as usize, index as usize)
                });
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_field_focused(move |focused| {
            if let Some(app) = weak.upgrade() {
                app.field_focused(focused);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_hide(move || {
            if let Some(app) = weak.upgrade() {
                app.hide_keyboard();
            }
        });
        let weak = Rc::downgrade(self);
        self.window
            .global::<VmAdapter>()
            .on_keyboard_requested(move || {
                if let Some(app) = weak.upgrade() {
                    app.toggle_vm_keyboard();
                }
            });
    }

    /// A hardware key: one that types keeps the keyboard away for a while.
    pub(super) fn hardware_key(&self, code: u32, pressed: bool) {
        if !pressed || !types_text(code) || self.state.borrow().keyboard.command_modifiers_held() {
            return;
        }
        self.window.global::<VmAdapter>().set_keyboard_button(false);
        if self.osk.osk.borrow().is_some() {
            self.hide_keyboard();
        }
        // The button comes back once the hardware keyboard has been idle a while.
        self.osk
            .typed_lately
            .start(slint::TimerMode::SingleShot, TYPED_LATELY, || {
                if let Some(app) = App::current() {
                    app.window.global::<VmAdapter>().set_keyboard_button(true);
                }
            });
    }

    /// What the keyboard types into, while it is open.
    fn keyboard_target(&self) -> Option<Target> {
        self.osk.osk.borrow().as_ref().map(Osk::target)
    }

    /// A text field got or lost the keyboard.
    fn field_focused(&self, focused: bool) {
        let open_for_field = self.keyboard_target() == Some(Target::Field);
        if !focused {
            if open_for_field {
                self.close_keyboard();
            }
            return;
        }
        if self.osk.typed_lately.running() || open_for_field {
            return;
        }
        let layout = self.keyboard_layout_for("");
        self.open_keyboard(Osk::new(layout, Target::Field), None);
    }

    /// The VM view's keyboard button: open (for the VM shown) or close.
    fn toggle_vm_keyboard(&self) {
        if self.osk.osk.borrow().is_some() {
            self.hide_keyboard();
            return;
        }
        let Some(vm) = self.focused() else {
            return;
        };
        let layout = self.keyboard_layout_for(&self.layout_target(Some(&vm)));
        self.open_keyboard(Osk::new(layout, Target::Vm), Some(vm));
    }

    fn open_keyboard(&self, osk: Osk, vm: Option<VmId>) {
        *self.osk.osk.borrow_mut() = Some(osk);
        *self.osk.vm.borrow_mut() = vm;
        self.publish_keyboard();
        self.window.global::<OskAdapter>().set_shown(true);
    }

    /// Hides the keyboard; a field it typed into lets go of the keys.
    pub(super) fn hide_keyboard(&self) {
        let for_field = self.keyboard_target() == Some(Target::Field);
        self.close_keyboard();
        if for_field && self.window.global::<FocusAdapter>().get_editing() {
            self.window.invoke_take_keys();
        }
    }

    fn close_keyboard(&self) {
        *self.osk.osk.borrow_mut() = None;
        *self.osk.vm.borrow_mut() = None;
        let adapter = self.window.global::<OskAdapter>();
        adapter.set_shown(false);
        adapter.set_alternates_row(-1);
    }

    /// The screen changed: a keyboard for a VM goes with the VM's view, one for a field with
    /// the field.
    pub(super) fn keyboard_screen_changed(&self) {
        let Some(target) = self.keyboard_target() else {
            return;
        };
        let screen = self.window.global::<hearth_ui::AppAdapter>().get_screen();
        let gone = match target {
            Target::Vm => {
                screen != hearth_ui::Screen::Vm || *self.osk.vm.borrow() != self.focused()
            }
            Target::Field => screen != hearth_ui::Screen::Media,
        };
        if gone {
            self.close_keyboard();
            self.window.global::<FocusAdapter>().set_editing(false);
        }
    }

    fn osk_pressed(&self, press: impl FnOnce(&mut Osk) -> Vec<Output>) {
        let outputs = match self.osk.osk.borrow_mut().as_mut() {
            Some(osk) => press(osk),
            None => return,
        };
        for output in outputs {
            match output {
                Output::Insert(text) => self.edit_search(|search| search.push_str(&text)),
                Output::Erase => self.edit_search(|search| {
                    search.pop();
                }),
                Output::Submit => {}
                Output::Hide => self.hide_keyboard(),
                Output::Redraw => self.publish_keyboard(),
                Output::LayoutChosen(layout) => {
                    let target = self.layout_target(self.osk.vm.borrow().as_ref());
                    self.keyboard_layout_chosen(&target, layout.code());
                }
                Output::Keys(events) => self.keyboard_to_vm(events),
            }
        }
    }

    /// Keys for the VM the keyboard was opened for, only while it is the one shown.
    fn keyboard_to_vm(&self, events: Vec<(u32, bool)>) {
        let target = self.osk.vm.borrow().clone();
        if target.is_none() || target != self.focused() {
            tracing::warn!(
                ?target,
                "the keyboard's VM is no longer shown; keys dropped"
            );
            self.close_keyboard();
            return;
        }
        for (code, pressed) in events {
            if let Some(key) = keys::from_evdev(code) {
                self.send_to_focused(InputEvent::Key { key, pressed });
            }
        }
    }

    fn edit_search(&self, edit: impl FnOnce(&mut String)) {
        let media = self.window.global::<MediaAdapter>();
        let mut text = media.get_search().to_string();
        edit(&mut text);
        let text = SharedString::from(text);
        media.set_search(text.clone());
        media.invoke_search_edited(text);
    }

    fn publish_keyboard(&self) {
        let osk = self.osk.osk.borrow();
        let Some(osk) = osk.as_ref() else {
            return;
        };
        let rows: Vec<OskRow> = osk
            .rows()
            .into_iter()
            .map(|row| {
                let keys: Vec<OskKey> = row
                    .into_iter()
                    .map(|key| OskKey {
                        name: self.key_name(&key, osk.layout()).into(),
                        label: match key.kind {
                            KeyKind::Special(Special::Space) => osk.layout().name().into(),
                            _ => key.label.into(),
                        },
                        width: key.width,
                        active: key.active,
                        special: matches!(key.kind, KeyKind::Special(_)),
                        alternates: ModelRc::from(Rc::new(VecModel::from(
                            key.alternates
                                .iter()
                                .map(|c| SharedString::from(c.to_string()))
                                .collect::<Vec<_>>(),
                        ))),
                    })
                    .collect();
                OskRow {
                    keys: ModelRc::from(Rc::new(VecModel::from(keys))),
                }
            })
            .collect();
        let adapter = self.window.global::<OskAdapter>();
        adapter.set_rows(ModelRc::from(Rc::new(VecModel::from(rows))));
        adapter.set_for_vm(osk.target() == Target::Vm);
    }

    /// What a screen reader (and a test) calls a key: its character, or its job in words.
    fn key_name(&self, key: &Key, layout: Layout) -> String {
        let id = match key.kind {
            KeyKind::Char(_) => return key.label.clone(),
            KeyKind::Special(Special::Shift) => "osk-shift",
            KeyKind::Special(Special::Backspace) => "osk-backspace",
            KeyKind::Special(Special::Enter) => "osk-enter",
            KeyKind::Special(Special::Space) => "osk-space",
            KeyKind::Special(Special::Symbols) => "osk-symbols",
            KeyKind::Special(Special::Letters) => "osk-letters",
            KeyKind::Special(Special::Hide) => "osk-hide",
            KeyKind::Special(Special::Layout) => {
                return format!(
                    "{} ({})",
                    self.state.borrow().translator.tr("osk-layout"),
                    layout.name()
                );
            }
            KeyKind::Special(_) => return key.label.clone(),
        };
        self.state.borrow().translator.tr(id)
    }

    /// Whether the keyboard, open over a VM's view, is under a finger at height `y`.
    pub(super) fn keyboard_covers(&self, y: f32) -> bool {
        let adapter = self.window.global::<OskAdapter>();
        if !adapter.get_shown() {
            return false;
        }
        if adapter.get_alternates_row() >= 0 {
            // A key's alternates are open over everything.
            return true;
        }
        y >= self.logical_size().height - adapter.get_panel_height()
    }

    /// The layout for `target` (a VM's name, or "" for Hearth's fields): the one chosen for it
    /// last, else the one of the UI's language.
    fn keyboard_layout_for(&self, target: &str) -> Layout {
        self.chosen_keyboard_layout(target)
            .and_then(|code| Layout::from_code(&code))
            .unwrap_or_else(|| Layout::for_language(self.state.borrow().translator.code()))
    }

    /// Whose layout it is: a VM's, by its name (which outlives its id across restarts of
    /// the hypervisor), or "" for Hearth's fields.
    fn layout_target(&self, vm: Option<&VmId>) -> String {
        vm.map(|vm| self.vm_name(vm).unwrap_or_else(|| vm.0.clone()))
            .unwrap_or_default()
    }
}

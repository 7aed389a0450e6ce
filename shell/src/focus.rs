//! Input focus: which VM gets input, and what it holds down.
//!
//! There is one focused VM or none, and the display shows exactly the VM this router names,
//! so display focus and input focus cannot disagree. When focus moves, everything the old VM
//! holds (keys, buttons, touches) is released in that VM before anything reaches the new one,
//! and releases for presses the new VM never saw are dropped.

use std::collections::BTreeSet;

use hearth_vm_bridge::{InputEvent, KeyCode, PointerButton, TouchPhase, VmId};

#[derive(Debug, Default)]
pub struct InputRouter {
    focused: Option<VmId>,
    /// In the order they went down; released in the reverse order.
    keys: Vec<KeyCode>,
    buttons: Vec<PointerButton>,
    touches: BTreeSet<u32>,
}

impl InputRouter {
    pub fn focused(&self) -> Option<&VmId> {
        self.focused.as_ref()
    }

    /// Moves focus; returns the events that release what the old VM held, for that VM.
    pub fn set_focus(&mut self, vm: Option<VmId>) -> Vec<(VmId, InputEvent)> {
        if vm == self.focused {
            return Vec::new();
        }
        let releases = self.release_all();
        self.focused = vm;
        releases
    }

    /// Releases everything the focused VM holds, keeping focus (the VM stopped, or the window
    /// lost the keyboard).
    pub fn release_all(&mut self) -> Vec<(VmId, InputEvent)> {
        let Some(vm) = self.focused.clone() else {
            self.clear();
            return Vec::new();
        };
        let mut releases = Vec::new();
        for key in std::mem::take(&mut self.keys).into_iter().rev() {
            releases.push((
                vm.clone(),
                InputEvent::Key {
                    key,
                    pressed: false,
                },
            ));
        }
        for button in std::mem::take(&mut self.buttons) {
            releases.push((
                vm.clone(),
                InputEvent::PointerButton {
                    button,
                    pressed: false,
                },
            ));
        }
        for slot in std::mem::take(&mut self.touches) {
            releases.push((
                vm.clone(),
                InputEvent::Touch {
                    slot,
                    phase: TouchPhase::Cancel,
                    x: 0.0,
                    y: 0.0,
                },
            ));
        }
        releases
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.buttons.clear();
        self.touches.clear();
    }

    /// Where an event goes: the focused VM, or nowhere (no focus, or a release of something the
    /// focused VM never saw pressed).
    pub fn route(&mut self, event: InputEvent) -> Option<(VmId, InputEvent)> {
        let vm = self.focused.clone()?;
        let deliver = match event {
            InputEvent::Key { key, pressed: true } => {
                if !self.keys.contains(&key) {
                    self.keys.push(key);
                }
                true
            }
            InputEvent::Key {
                key,
                pressed: false,
            } => {
                let held = self.keys.contains(&key);
                self.keys.retain(|k| *k != key);
                held
            }
            InputEvent::PointerButton {
                button,
                pressed: true,
            } => {
                if !self.buttons.contains(&button) {
                    self.buttons.push(button);
                }
                true
            }
            InputEvent::PointerButton {
                button,
                pressed: false,
            } => {
                let held = self.buttons.contains(&button);
                self.buttons.retain(|b| *b != button);
                held
            }
            InputEvent::PointerMove { .. } => true,
            InputEvent::Touch {
                slot,
                phase: TouchPhase::Begin,
                ..
            } => {
                self.touches.insert(slot);
                true
            }
            InputEvent::Touch {
                slot,
                phase: TouchPhase::Update,
                ..
            } => self.touches.contains(&slot),
            InputEvent::Touch {
                slot,
                phase: TouchPhase::End | TouchPhase::Cancel,
                ..
            } => self.touches.remove(&slot),
        };
        deliver.then_some((vm, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_vm_bridge::keys;

    fn vm(name: &str) -> VmId {
        VmId(name.to_string())
    }

    fn key(key: KeyCode, pressed: bool) -> InputEvent {
        InputEvent::Key { key, pressed }
    }

    #[test]
    fn keys_held_when_focus_moves_are_released_in_the_old_vm() {
        let mut router = InputRouter::default();
        router.set_focus(Some(vm("work")));
        assert_eq!(
            router.route(key(keys::SHIFT_LEFT, true)),
            Some((vm("work"), key(keys::SHIFT_LEFT, true)))
        );
        router.route(key(keys::A, true));
        let releases = router.set_focus(Some(vm("personal")));
        assert_eq!(
            releases,
            vec![
                (vm("work"), key(keys::A, false)),
                (vm("work"), key(keys::SHIFT_LEFT, false))
            ]
        );
        // The release of a key pressed before the switch never reaches the new VM.
        assert_eq!(router.route(key(keys::A, false)), None);
        assert_eq!(
            router.route(key(keys::B, true)),
            Some((vm("personal"), key(keys::B, true)))
        );
    }

    #[test]
    fn nothing_is_routed_without_focus() {
        let mut router = InputRouter::default();
        assert_eq!(router.route(key(keys::A, true)), None);
        assert_eq!(router.route(InputEvent::PointerMove { x: 1, y: 1 }), None);
    }

    #[test]
    fn touches_and_buttons_are_cancelled_on_switch() {
        let mut router = InputRouter::default();
        router.set_focus(Some(vm("work")));
        router.route(InputEvent::Touch {
            slot: 3,
            phase: TouchPhase::Begin,
            x: 1.0,
            y: 2.0,
        });
        router.route(InputEvent::PointerButton {
            button: PointerButton::Left,
            pressed: true,
        });
        let releases = router.set_focus(None);
        assert_eq!(
            releases,
            vec![
                (
                    vm("work"),
                    InputEvent::PointerButton {
                        button: PointerButton::Left,
                        pressed: false
                    }
                ),
                (
                    vm("work"),
                    InputEvent::Touch {
                        slot: 3,
                        phase: TouchPhase::Cancel,
                        x: 0.0,
                        y: 0.0
                    }
                ),
            ]
        );
        assert_eq!(
            router.route(InputEvent::Touch {
                slot: 3,
                phase: TouchPhase::Update,
                x: 1.0,
                y: 2.0
            }),
            None
        );
    }
}

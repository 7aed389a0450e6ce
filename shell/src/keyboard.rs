//! The keyboard between the user and the guests, in physical keys: Hearth's hotkeys are
//! recognised here, and nothing of a hotkey reaches a guest, not even its modifiers.
//!
//! The rule: a press of Ctrl or Alt (either side) is held back, because it may start a
//! hotkey (Ctrl+Alt+Left/Right/Up/1…9). What comes next decides:
//! - a key that completes a hotkey: the hotkey runs, the held-back presses are dropped and so
//!   are the releases of every key of the hotkey;
//! - any other key: the held-back presses go out first, in the order they were pressed, then
//!   that key;
//! - the release of a held-back modifier: the held-back presses go out in order, then the
//!   release, so a lone Ctrl or Alt tap still reaches the guest.
//!
//! Modifiers still held after a hotkey stay held back; if another key follows, they go out
//! before it (to the VM focused by then), and if they are released, nothing goes out. No key
//! is lost or reordered: what leaves is the user's sequence minus Hearth's hotkeys.

use hearth_vm_bridge::{KeyCode, keys};

/// What a hotkey asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hotkey {
    Previous,
    Next,
    /// The VM at this position on home (Ctrl+Alt+1 is the first).
    Vm(usize),
    Home,
}

/// What the keyboard decided about one key event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Hotkey(Hotkey),
    /// A key event for whichever VM has focus.
    Guest {
        key: KeyCode,
        pressed: bool,
    },
}

#[derive(Debug, Default)]
pub struct Keyboard {
    /// Keys the user holds down, in the order pressed.
    held: Vec<KeyCode>,
    /// Modifier presses not yet passed on, in the order pressed.
    held_back: Vec<KeyCode>,
    /// Whether the held-back modifiers were used by a hotkey (their releases are Hearth's).
    used_by_hotkey: bool,
    /// Keys that completed a hotkey: their releases (and repeats) are Hearth's.
    hotkey_keys: Vec<KeyCode>,
}

fn is_hotkey_modifier(key: KeyCode) -> bool {
    [
        keys::CONTROL_LEFT,
        keys::CONTROL_RIGHT,
        keys::ALT_LEFT,
        keys::ALT_RIGHT,
    ]
    .contains(&key)
}

impl Keyboard {
    /// A key went down (or repeats while down).
    pub fn press(&mut self, key: KeyCode) -> Vec<KeyAction> {
        if self.held.contains(&key) {
            // Auto-repeat: a held-back modifier or a hotkey's key stays Hearth's; a guest
            // key repeats in the guest as it would on a real keyboard.
            if self.held_back.contains(&key) || self.hotkey_keys.contains(&key) {
                return Vec::new();
            }
            return vec![KeyAction::Guest { key, pressed: true }];
        }
        self.held.push(key);
        if is_hotkey_modifier(key) {
            self.held_back.push(key);
            return Vec::new();
        }
        if let Some(hotkey) = self.hotkey(key) {
            self.hotkey_keys.push(key);
            // Modifiers already passed on are the guest's; only held-back ones are Hearth's.
            self.used_by_hotkey = !self.held_back.is_empty();
            return vec![KeyAction::Hotkey(hotkey)];
        }
        let mut actions = self.flush();
        actions.push(KeyAction::Guest { key, pressed: true });
        actions
    }

    /// A key went up.
    pub fn release(&mut self, key: KeyCode) -> Vec<KeyAction> {
        self.held.retain(|held| *held != key);
        if let Some(index) = self.hotkey_keys.iter().position(|k| *k == key) {
            self.hotkey_keys.remove(index);
            return Vec::new();
        }
        if self.held_back.contains(&key) {
            if self.used_by_hotkey {
                self.held_back.retain(|held| *held != key);
                if self.held_back.is_empty() {
                    self.used_by_hotkey = false;
                }
                return Vec::new();
            }
            let mut actions = self.flush();
            actions.push(KeyAction::Guest {
                key,
                pressed: false,
            });
            return actions;
        }
        // A modifier pressed after this key goes out before its release, as it was pressed
        // (Shift down, Alt down, Shift up is how Alt+Shift switches a layout).
        let mut actions = if self.used_by_hotkey {
            Vec::new()
        } else {
            self.flush()
        };
        actions.push(KeyAction::Guest {
            key,
            pressed: false,
        });
        actions
    }

    /// Whether Ctrl, Alt, Shift or a logo key is down: an arrow is then a hotkey's or the
    /// UI's, not the focus ring's.
    pub fn modifiers_held(&self) -> bool {
        self.command_modifiers_held()
            || self
                .held
                .iter()
                .any(|key| [keys::SHIFT_LEFT, keys::SHIFT_RIGHT].contains(key))
    }

    /// Whether Ctrl, Alt or a logo key is down: a letter then makes a command (a hotkey, a
    /// shortcut), not text.
    pub fn command_modifiers_held(&self) -> bool {
        self.held.iter().any(|key| {
            [
                keys::CONTROL_LEFT,
                keys::CONTROL_RIGHT,
                keys::ALT_LEFT,
                keys::ALT_RIGHT,
                keys::META_LEFT,
                keys::META_RIGHT,
            ]
            .contains(key)
        })
    }

    /// Another kind of input (a click, a touch) is about to reach the guest: held-back
    /// modifiers go first, so Ctrl+click is a Ctrl+click.
    pub fn before_other_input(&mut self) -> Vec<KeyAction> {
        self.flush()
    }

    /// Forgets every key, passing nothing on (the window lost the keyboard: the keys' releases
    /// will not come, and the router releases what a guest holds).
    pub fn reset(&mut self) {
        *self = Keyboard::default();
    }

    /// The held-back presses, in order, as guest events.
    fn flush(&mut self) -> Vec<KeyAction> {
        self.used_by_hotkey = false;
        self.held_back
            .drain(..)
            .map(|key| KeyAction::Guest { key, pressed: true })
            .collect()
    }

    fn hotkey(&self, key: KeyCode) -> Option<Hotkey> {
        let holds = |a: KeyCode, b: KeyCode| self.held.contains(&a) || self.held.contains(&b);
        if !(holds(keys::CONTROL_LEFT, keys::CONTROL_RIGHT)
            && holds(keys::ALT_LEFT, keys::ALT_RIGHT))
        {
            return None;
        }
        const DIGITS: [KeyCode; 9] = [
            keys::DIGIT_1,
            keys::DIGIT_2,
            keys::DIGIT_3,
            keys::DIGIT_4,
            keys::DIGIT_5,
            keys::DIGIT_6,
            keys::DIGIT_7,
            keys::DIGIT_8,
            keys::DIGIT_9,
        ];
        match key {
            keys::ARROW_LEFT => Some(Hotkey::Previous),
            keys::ARROW_RIGHT => Some(Hotkey::Next),
            keys::ARROW_UP => Some(Hotkey::Home),
            _ => DIGITS
                .iter()
                .position(|digit| *digit == key)
                .map(Hotkey::Vm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keys::{A, ALT_LEFT, ALT_RIGHT, ARROW_RIGHT, C, CONTROL_LEFT, DIGIT_2, SHIFT_LEFT};

    /// Presses (`+`) and releases (`-`) in order; returns everything the keyboard decided.
    fn run(steps: &[(char, KeyCode)]) -> Vec<KeyAction> {
        let mut keyboard = Keyboard::default();
        steps
            .iter()
            .flat_map(|&(direction, key)| match direction {
                '+' => keyboard.press(key),
                _ => keyboard.release(key),
            })
            .collect()
    }

    fn guest(direction: char, key: KeyCode) -> KeyAction {
        KeyAction::Guest {
            key,
            pressed: direction == '+',
        }
    }

    fn check(steps: &[(char, KeyCode)], expected: &[KeyAction]) {
        assert_eq!(run(steps), expected, "steps {steps:?}");
    }

    #[test]
    fn a_hotkey_leaves_nothing_for_the_guest() {
        let hotkey = [
            ('+', CONTROL_LEFT),
            ('+', ALT_LEFT),
            ('+', ARROW_RIGHT),
            ('-', ARROW_RIGHT),
            ('-', ALT_LEFT),
            ('-', CONTROL_LEFT),
        ];
        check(&hotkey, &[KeyAction::Hotkey(Hotkey::Next)]);
        // Released in another order, and with AltGr: still nothing.
        check(
            &[
                ('+', ALT_RIGHT),
                ('+', CONTROL_LEFT),
                ('+', DIGIT_2),
                ('-', CONTROL_LEFT),
                ('-', DIGIT_2),
                ('-', ALT_RIGHT),
            ],
            &[KeyAction::Hotkey(Hotkey::Vm(1))],
        );
    }

    #[test]
    fn held_modifiers_allow_a_second_hotkey() {
        check(
            &[
                ('+', CONTROL_LEFT),
                ('+', ALT_LEFT),
                ('+', ARROW_RIGHT),
                ('-', ARROW_RIGHT),
                ('+', ARROW_RIGHT),
                ('-', ARROW_RIGHT),
                ('-', ALT_LEFT),
                ('-', CONTROL_LEFT),
            ],
            &[
                KeyAction::Hotkey(Hotkey::Next),
                KeyAction::Hotkey(Hotkey::Next),
            ],
        );
    }

    #[test]
    fn lone_modifier_taps_reach_the_guest_in_order() {
        check(
            &[('+', CONTROL_LEFT), ('-', CONTROL_LEFT)],
            &[guest('+', CONTROL_LEFT), guest('-', CONTROL_LEFT)],
        );
        check(
            &[
                ('+', CONTROL_LEFT),
                ('+', ALT_LEFT),
                ('-', ALT_LEFT),
                ('-', CONTROL_LEFT),
            ],
            &[
                guest('+', CONTROL_LEFT),
                guest('+', ALT_LEFT),
                guest('-', ALT_LEFT),
                guest('-', CONTROL_LEFT),
            ],
        );
    }

    #[test]
    fn other_keys_flush_the_modifiers_first() {
        check(
            &[('+', CONTROL_LEFT), ('+', C), ('-', C), ('-', CONTROL_LEFT)],
            &[
                guest('+', CONTROL_LEFT),
                guest('+', C),
                guest('-', C),
                guest('-', CONTROL_LEFT),
            ],
        );
        // Ctrl+Alt+A is not Hearth's: all three reach the guest, in order.
        check(
            &[('+', CONTROL_LEFT), ('+', ALT_LEFT), ('+', A)],
            &[
                guest('+', CONTROL_LEFT),
                guest('+', ALT_LEFT),
                guest('+', A),
            ],
        );
        // AltGr for a character (AltGr+A is ą on a Polish layout).
        check(
            &[('+', ALT_RIGHT), ('+', A), ('-', A), ('-', ALT_RIGHT)],
            &[
                guest('+', ALT_RIGHT),
                guest('+', A),
                guest('-', A),
                guest('-', ALT_RIGHT),
            ],
        );
    }

    #[test]
    fn modifiers_kept_after_a_hotkey_go_out_before_the_next_key() {
        check(
            &[
                ('+', CONTROL_LEFT),
                ('+', ALT_LEFT),
                ('+', ARROW_RIGHT),
                ('-', ARROW_RIGHT),
                ('-', ALT_LEFT),
                ('+', C),
                ('-', C),
                ('-', CONTROL_LEFT),
            ],
            &[
                KeyAction::Hotkey(Hotkey::Next),
                guest('+', CONTROL_LEFT),
                guest('+', C),
                guest('-', C),
                guest('-', CONTROL_LEFT),
            ],
        );
    }

    #[test]
    fn keys_already_passed_on_are_not_held_back() {
        // Shift went out at once; Ctrl is held back until A.
        check(
            &[
                ('+', SHIFT_LEFT),
                ('+', CONTROL_LEFT),
                ('+', A),
                ('-', A),
                ('-', CONTROL_LEFT),
                ('-', SHIFT_LEFT),
            ],
            &[
                guest('+', SHIFT_LEFT),
                guest('+', CONTROL_LEFT),
                guest('+', A),
                guest('-', A),
                guest('-', CONTROL_LEFT),
                guest('-', SHIFT_LEFT),
            ],
        );
    }

    #[test]
    fn releases_never_overtake_held_back_presses() {
        // Shift down, Alt down, Shift up, Alt up: the guest sees exactly that (Alt+Shift).
        check(
            &[
                ('+', SHIFT_LEFT),
                ('+', ALT_LEFT),
                ('-', SHIFT_LEFT),
                ('-', ALT_LEFT),
            ],
            &[
                guest('+', SHIFT_LEFT),
                guest('+', ALT_LEFT),
                guest('-', SHIFT_LEFT),
                guest('-', ALT_LEFT),
            ],
        );
    }

    #[test]
    fn a_hotkey_over_modifiers_already_passed_on_keeps_later_taps() {
        // Ctrl+Alt+A went out to the guest, then Right made a hotkey: Ctrl and Alt stay the
        // guest's (released there), and a later lone Ctrl tap still reaches it.
        check(
            &[
                ('+', CONTROL_LEFT),
                ('+', ALT_LEFT),
                ('+', A),
                ('+', ARROW_RIGHT),
                ('-', ARROW_RIGHT),
                ('-', A),
                ('-', ALT_LEFT),
                ('-', CONTROL_LEFT),
                ('+', CONTROL_LEFT),
                ('-', CONTROL_LEFT),
            ],
            &[
                guest('+', CONTROL_LEFT),
                guest('+', ALT_LEFT),
                guest('+', A),
                KeyAction::Hotkey(Hotkey::Next),
                guest('-', A),
                guest('-', ALT_LEFT),
                guest('-', CONTROL_LEFT),
                guest('+', CONTROL_LEFT),
                guest('-', CONTROL_LEFT),
            ],
        );
    }

    #[test]
    fn repeats_of_guest_keys_pass_and_hotkey_repeats_do_not() {
        check(
            &[('+', A), ('+', A), ('-', A)],
            &[guest('+', A), guest('+', A), guest('-', A)],
        );
        check(
            &[
                ('+', CONTROL_LEFT),
                ('+', CONTROL_LEFT),
                ('+', ALT_LEFT),
                ('+', ARROW_RIGHT),
                ('+', ARROW_RIGHT),
            ],
            &[KeyAction::Hotkey(Hotkey::Next)],
        );
    }

    #[test]
    fn every_press_is_matched_by_one_release_for_the_guest() {
        // Random sequences of real presses and releases: what leaves is balanced and in
        // the user's order, hotkeys aside.
        let pool = [
            CONTROL_LEFT,
            ALT_LEFT,
            ALT_RIGHT,
            SHIFT_LEFT,
            A,
            C,
            ARROW_RIGHT,
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let mut keyboard = Keyboard::default();
            let mut down: Vec<KeyCode> = Vec::new();
            let mut guest_down: Vec<KeyCode> = Vec::new();
            for _ in 0..12 {
                let key = pool[rng.usize(..pool.len())];
                let actions = if down.contains(&key) {
                    down.retain(|k| *k != key);
                    keyboard.release(key)
                } else {
                    down.push(key);
                    keyboard.press(key)
                };
                for action in actions {
                    if let KeyAction::Guest { key, pressed } = action {
                        if pressed {
                            assert!(!guest_down.contains(&key), "{key:?} pressed twice");
                            guest_down.push(key);
                        } else {
                            assert!(guest_down.contains(&key), "{key:?} released unpressed");
                            guest_down.retain(|k| *k != key);
                        }
                    }
                }
            }
            for key in down {
                for action in keyboard.release(key) {
                    if let KeyAction::Guest {
                        key,
                        pressed: false,
                    } = action
                    {
                        guest_down.retain(|k| *k != key);
                    }
                }
            }
            assert!(
                guest_down.is_empty(),
                "left down in the guest: {guest_down:?}"
            );
        }
    }
}

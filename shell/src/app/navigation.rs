//! The keys that move the focus ring on Hearth's screens (arrows, OK, a remote's menu key),
//! handed to [`crate::navigation::Navigation`], and what it decides, shown through
//! `FocusAdapter`. A long OK is OK held for half a second.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use hearth_ui::FocusAdapter;
use slint::ComponentHandle;

use super::App;
use crate::navigation::{Direction, NavKey, Navigation, Outcome, Spot, layers};

/// How long OK is held for a long press, as a finger's long press on a card.
const LONG_OK: Duration = Duration::from_millis(550);

/// Evdev codes: the arrows, Enter, keypad Enter, a remote's OK and Select, and the menu keys
/// (a PC keyboard's menu key is KEY_COMPOSE).
const KEY_UP: u32 = 103;
const KEY_DOWN: u32 = 108;
const KEY_LEFT: u32 = 105;
const KEY_RIGHT: u32 = 106;
const OK_KEYS: [u32; 4] = [28, 96, 352, 353];
const MENU_KEYS: [u32; 3] = [127, 139, 438];

#[derive(Default)]
pub(super) struct NavigationRuntime {
    navigation: RefCell<Navigation>,
    /// Keys whose press was taken: their releases are Hearth's too, and only theirs.
    taken: RefCell<std::collections::BTreeSet<u32>>,
    /// The OK key held down, and whether its long press already happened.
    ok_down: Cell<Option<u32>>,
    long_done: Cell<bool>,
    long_timer: slint::Timer,
}

impl App {
    /// A key that may move or use the focus ring. Returns whether Hearth used it; keys of a
    /// VM's view, keys with Ctrl or Alt held, and a text field's own keys are not taken.
    pub(super) fn navigation_key(&self, code: u32, pressed: bool) -> bool {
        let key = match code {
            KEY_UP => NavKey::Arrow(Direction::Up),
            KEY_DOWN => NavKey::Arrow(Direction::Down),
            KEY_LEFT => NavKey::Arrow(Direction::Left),
            KEY_RIGHT => NavKey::Arrow(Direction::Right),
            code if OK_KEYS.contains(&code) => NavKey::Ok,
            code if MENU_KEYS.contains(&code) => NavKey::LongOk,
            _ => return false,
        };
        let runtime = &self.navigation;
        if !pressed {
            if !runtime.taken.borrow_mut().remove(&code) {
                return false;
            }
            if runtime.ok_down.get() != Some(code) {
                return true;
            }
            runtime.ok_down.set(None);
            runtime.long_timer.stop();
            if !runtime.long_done.get() {
                self.navigate(NavKey::Ok);
            }
            return true;
        }
        let layer = self.window.invoke_layer();
        if layer == "vm" || self.state.borrow().keyboard.modifiers_held() {
            return false;
        }
        // A text field's own keys, unless the on-screen keyboard is up over it.
        let keyboard_up = layer == "osk" || layer == "sheet:alternates";
        if !keyboard_up && self.window.global::<FocusAdapter>().get_editing() {
            match key {
                NavKey::Arrow(Direction::Up | Direction::Down) => self.window.invoke_take_keys(),
                _ => return false,
            }
        }
        runtime.taken.borrow_mut().insert(code);
        if key == NavKey::Ok {
            if runtime.ok_down.get() == Some(code) {
                // The key repeats while held.
                return true;
            }
            runtime.ok_down.set(Some(code));
            runtime.long_done.set(false);
            runtime
                .long_timer
                .start(slint::TimerMode::SingleShot, LONG_OK, || {
                    if let Some(app) = App::current() {
                        app.navigation.long_done.set(true);
                        app.navigate(NavKey::LongOk);
                    }
                });
            return true;
        }
        self.navigate(key);
        true
    }

    /// A finger or the mouse: the ring goes until the next key.
    pub fn pointer_used(&self) {
        if self.navigation.navigation.borrow_mut().hide() {
            self.window.global::<FocusAdapter>().set_shown(false);
        }
    }

    /// The layer on top changed (a sheet opened, a screen came): the ring goes where focus is
    /// on it.
    pub(super) fn refresh_ring(&self) {
        let navigation = &self.navigation.navigation;
        if !navigation.borrow().shown() {
            return;
        }
        let layer = self.window.invoke_layer();
        let map = layers::focus_map(&self.window, &layer);
        let spot = navigation.borrow_mut().current(&layer, &map);
        tracing::debug!(?spot, %layer, "focus follows the layer");
        self.place_ring(spot);
    }

    /// Tells the UI which control has the ring; None for none on this layer.
    fn place_ring(&self, spot: Option<Spot>) {
        let focus = self.window.global::<FocusAdapter>();
        match spot {
            Some(spot) => {
                focus.set_group(spot.group.into());
                focus.set_index(spot.index as i32);
            }
            None => focus.set_group("".into()),
        }
    }

    fn navigate(&self, key: NavKey) {
        let layer = self.window.invoke_layer();
        let map = layers::focus_map(&self.window, &layer);
        let outcome = self
            .navigation
            .navigation
            .borrow_mut()
            .key(&layer, &map, key);
        let Some(outcome) = outcome else {
            return;
        };
        tracing::debug!(?key, ?outcome, %layer, "focus");
        let focus = self.window.global::<FocusAdapter>();
        let spot = match outcome {
            Outcome::Ring(spot)
            | Outcome::Press(spot)
            | Outcome::LongPress(spot)
            | Outcome::Adjust(spot, _) => spot,
        };
        self.place_ring(Some(spot));
        focus.set_shown(true);
        focus.set_keys(focus.get_keys().wrapping_add(1));
        match outcome {
            Outcome::Ring(_) => {}
            Outcome::Press(_) => focus.set_presses(focus.get_presses().wrapping_add(1)),
            Outcome::LongPress(_) => focus.set_holds(focus.get_holds().wrapping_add(1)),
            Outcome::Adjust(_, step) => {
                focus.set_nudge(step);
                focus.set_nudges(focus.get_nudges().wrapping_add(1));
            }
        }
    }

    /// Where the ring is, for tests: its group and id, None while hidden.
    pub fn focus_ring(&self) -> Option<(String, usize)> {
        let focus = self.window.global::<FocusAdapter>();
        let group = focus.get_group();
        (focus.get_shown() && !group.is_empty())
            .then(|| (group.to_string(), focus.get_index().max(0) as usize))
    }
}

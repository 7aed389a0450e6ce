//! Spatial focus on Hearth's own screens, for remotes, keyboards and gamepads: which control
//! the focus ring is on, per layer, and what an arrow, OK or a long OK does there.
//!
//! The controller owns where focus is; the UI only draws the ring where it is told, and the
//! focused control does what a tap on it does. The ring shows at the first key and hides at
//! the next touch; that first key only shows it, so a stray key never opens anything.
//! Focus is kept per layer: coming back to a screen (from a sheet, from the player, up from an
//! album) puts it back where it was. A sheet's focus is forgotten when it closes.

pub mod layers;
pub mod map;

use std::collections::HashMap;

pub use map::{Cell, Direction, FocusMap, Group, Kind, Spot};

/// A key that moves or uses focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavKey {
    Arrow(Direction),
    Ok,
    /// OK held down, or a remote's menu key: the focused control's long press.
    LongOk,
}

/// What a key did, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The ring is at this control now (it moved, or it was just shown).
    Ring(Spot),
    /// Press the control, as a tap would.
    Press(Spot),
    /// Long-press the control.
    LongPress(Spot),
    /// Move the slider one step: -1 left, 1 right.
    Adjust(Spot, i32),
}

#[derive(Debug, Default)]
pub struct Navigation {
    shown: bool,
    /// The layer the last key was on.
    layer: String,
    /// Where focus is on each layer seen.
    spots: HashMap<String, Spot>,
    /// Per layer, the index focus last left each group at.
    memory: HashMap<String, HashMap<&'static str, usize>>,
}

impl Navigation {
    /// Whether the ring is on screen.
    pub fn shown(&self) -> bool {
        self.shown
    }

    /// A touch: the ring hides until the next key. Returns whether it was shown.
    pub fn hide(&mut self) -> bool {
        std::mem::replace(&mut self.shown, false)
    }

    /// Where the ring is on `layer` now (after the screen changed under it), if anywhere. A
    /// place the keys never chose is not kept: a list that fills in later still gets focus.
    pub fn current(&mut self, layer: &str, map: &FocusMap) -> Option<Spot> {
        self.enter(layer);
        self.spots
            .get(layer)
            .copied()
            .filter(|spot| map.cell(*spot).is_some())
            .or_else(|| map.start())
    }

    /// A key on `layer`, whose controls are `map`. None when the layer has no control.
    pub fn key(&mut self, layer: &str, map: &FocusMap, key: NavKey) -> Option<Outcome> {
        let spot = self.current(layer, map)?;
        if !self.shown {
            self.shown = true;
            return Some(Outcome::Ring(spot));
        }
        let kind = map.cell(spot)?.kind;
        Some(match key {
            NavKey::Ok => Outcome::Press(spot),
            NavKey::LongOk if kind == Kind::Hold => Outcome::LongPress(spot),
            NavKey::LongOk => Outcome::Press(spot),
            NavKey::Arrow(Direction::Left) if kind == Kind::Adjust => Outcome::Adjust(spot, -1),
            NavKey::Arrow(Direction::Right) if kind == Kind::Adjust => Outcome::Adjust(spot, 1),
            NavKey::Arrow(direction) => {
                let memory = self.memory.entry(layer.to_string()).or_default();
                let Some(next) = map.step(spot, direction, memory) else {
                    return Some(Outcome::Ring(spot));
                };
                if next.group != spot.group {
                    memory.insert(spot.group, spot.index);
                }
                self.spots.insert(layer.to_string(), next);
                Outcome::Ring(next)
            }
        })
    }

    /// Notes the layer on top; a sheet left behind forgets its focus, so it opens afresh.
    fn enter(&mut self, layer: &str) {
        if self.layer == layer {
            return;
        }
        let left = std::mem::replace(&mut self.layer, layer.to_string());
        if layers::is_transient(&left) {
            self.spots.remove(&left);
            self.memory.remove(&left);
        }
        if layers::is_transient(layer) {
            self.spots.remove(layer);
            self.memory.remove(layer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> FocusMap {
        let mut map = FocusMap::default();
        map.add(Group::row("bar", 1, 0.9, 1.0));
        map.add(Group::row("tiles", 2, 0.0, 1.0));
        let mut shelves = Group::row("shelves", 3, 0.0, 1.0);
        shelves.cells[1].kind = Kind::Hold;
        map.add(shelves);
        map.initial = Some(Spot {
            group: "tiles",
            index: 0,
        });
        map
    }

    fn sheet() -> FocusMap {
        let mut map = FocusMap::default();
        map.add(Group::column("sheet.actions", 3, 0.5));
        map
    }

    fn spot(group: &'static str, index: usize) -> Spot {
        Spot { group, index }
    }

    use Direction::*;
    use NavKey::*;

    #[test]
    fn the_first_key_only_shows_the_ring_and_a_touch_hides_it() {
        let mut nav = Navigation::default();
        let map = home();
        assert_eq!(
            nav.key("home", &map, Ok),
            Some(Outcome::Ring(spot("tiles", 0)))
        );
        assert!(nav.shown());
        assert_eq!(
            nav.key("home", &map, Ok),
            Some(Outcome::Press(spot("tiles", 0)))
        );
        assert!(nav.hide());
        assert!(!nav.hide());
        assert_eq!(
            nav.key("home", &map, Arrow(Right)),
            Some(Outcome::Ring(spot("tiles", 0)))
        );
        assert_eq!(
            nav.key("home", &map, Arrow(Right)),
            Some(Outcome::Ring(spot("tiles", 1)))
        );
    }

    #[test]
    fn long_ok_is_a_long_press_only_where_the_control_has_one() {
        let mut nav = Navigation::default();
        let map = home();
        nav.key("home", &map, Arrow(Down));
        assert_eq!(
            nav.key("home", &map, LongOk),
            Some(Outcome::Press(spot("tiles", 0)))
        );
        nav.key("home", &map, Arrow(Down));
        nav.key("home", &map, Arrow(Right));
        assert_eq!(
            nav.key("home", &map, LongOk),
            Some(Outcome::LongPress(spot("shelves", 1)))
        );
    }

    #[test]
    fn a_screen_keeps_its_focus_under_a_sheet_and_a_sheet_opens_afresh() {
        let mut nav = Navigation::default();
        let map = home();
        nav.key("home", &map, Arrow(Right));
        nav.key("home", &map, Arrow(Right));
        nav.key("sheet:vm", &sheet(), Arrow(Down));
        assert_eq!(
            nav.key("sheet:vm", &sheet(), Arrow(Down)),
            Some(Outcome::Ring(spot("sheet.actions", 2)))
        );
        assert_eq!(nav.current("home", &map), Some(spot("tiles", 1)));
        assert_eq!(
            nav.current("sheet:vm", &sheet()),
            Some(spot("sheet.actions", 0))
        );
    }

    #[test]
    fn sliders_take_left_and_right() {
        let mut nav = Navigation::default();
        let mut map = FocusMap::default();
        map.add(Group::row("buttons", 2, 0.0, 0.5));
        let mut volume = Group::row("volume", 1, 0.5, 1.0);
        volume.cells[0].kind = Kind::Adjust;
        map.add(volume);
        nav.key("player", &map, Arrow(Down));
        assert_eq!(
            nav.key("player", &map, Arrow(Down)),
            Some(Outcome::Ring(spot("volume", 0)))
        );
        assert_eq!(
            nav.key("player", &map, Arrow(Left)),
            Some(Outcome::Adjust(spot("volume", 0), -1))
        );
        // Back up, to where focus left the row.
        assert_eq!(
            nav.key("player", &map, Arrow(Up)),
            Some(Outcome::Ring(spot("buttons", 0)))
        );
    }

    #[test]
    fn a_layer_without_controls_takes_no_key() {
        let mut nav = Navigation::default();
        assert_eq!(nav.key("vm", &FocusMap::default(), Ok), None);
    }
}

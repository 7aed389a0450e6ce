//! One gamepad's events as the keys of a remote: the d-pad (buttons or hat) and the left
//! stick are the arrows, the south button OK, the east button Back, Start and Mode Home.
//!
//! A key is held while anything that makes it is held (the d-pad and the stick together make
//! one Left), so each press has exactly one release. The stick has hysteresis: it makes an
//! arrow past half its travel and lets go under a third, so a stick resting near the edge of
//! the threshold does not chatter.

use std::collections::BTreeSet;

/// evdev's event types and codes (linux/input-event-codes.h).
pub mod codes {
    pub const EV_KEY: u16 = 0x01;
    pub const EV_ABS: u16 = 0x03;
    pub const ABS_X: u16 = 0x00;
    pub const ABS_Y: u16 = 0x01;
    pub const ABS_HAT0X: u16 = 0x10;
    pub const ABS_HAT0Y: u16 = 0x11;
    pub const BTN_SOUTH: u16 = 0x130;
    pub const BTN_EAST: u16 = 0x131;
    pub const BTN_START: u16 = 0x13b;
    pub const BTN_MODE: u16 = 0x13c;
    pub const BTN_DPAD_UP: u16 = 0x220;
    pub const BTN_DPAD_DOWN: u16 = 0x221;
    pub const BTN_DPAD_LEFT: u16 = 0x222;
    pub const BTN_DPAD_RIGHT: u16 = 0x223;
    pub const KEY_ENTER: u32 = 28;
    pub const KEY_UP: u32 = 103;
    pub const KEY_LEFT: u32 = 105;
    pub const KEY_RIGHT: u32 = 106;
    pub const KEY_DOWN: u32 = 108;
    pub const KEY_BACK: u32 = 158;
    pub const KEY_HOMEPAGE: u32 = 172;
}

use codes::*;

/// The keys a button makes.
const BUTTONS: &[(u16, u32)] = &[
    (BTN_SOUTH, KEY_ENTER),
    (BTN_EAST, KEY_BACK),
    (BTN_START, KEY_HOMEPAGE),
    (BTN_MODE, KEY_HOMEPAGE),
    (BTN_DPAD_UP, KEY_UP),
    (BTN_DPAD_DOWN, KEY_DOWN),
    (BTN_DPAD_LEFT, KEY_LEFT),
    (BTN_DPAD_RIGHT, KEY_RIGHT),
];

/// Whether a key repeats while held (the arrows do).
pub fn repeats(key: u32) -> bool {
    [KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT].contains(&key)
}

/// The range of a stick's axis, as the device reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub minimum: i32,
    pub maximum: i32,
}

#[derive(Debug)]
pub struct Pad {
    /// The left stick's X and Y ranges; None when the pad has no such axis.
    stick: [Option<Range>; 2],
    /// Where the stick points on each axis: -1, 0 or 1.
    stick_direction: [i8; 2],
    hat: [i8; 2],
    buttons: BTreeSet<u16>,
    /// The keys held now.
    held: BTreeSet<u32>,
}

impl Pad {
    pub fn new(stick_x: Option<Range>, stick_y: Option<Range>) -> Pad {
        Pad {
            stick: [stick_x, stick_y],
            stick_direction: [0; 2],
            hat: [0; 2],
            buttons: BTreeSet::new(),
            held: BTreeSet::new(),
        }
    }

    /// One evdev event; returns the key presses (true) and releases (false) it makes.
    pub fn event(&mut self, kind: u16, code: u16, value: i32) -> Vec<(u32, bool)> {
        match (kind, code) {
            (EV_KEY, _) if BUTTONS.iter().any(|(button, _)| *button == code) => {
                if value == 0 {
                    self.buttons.remove(&code);
                } else {
                    self.buttons.insert(code);
                }
            }
            (EV_ABS, ABS_HAT0X | ABS_HAT0Y) => {
                self.hat[usize::from(code == ABS_HAT0Y)] = value.signum() as i8;
            }
            (EV_ABS, ABS_X | ABS_Y) => {
                let axis = usize::from(code == ABS_Y);
                if let Some(range) = self.stick[axis] {
                    self.stick_direction[axis] =
                        stick_direction(range, value, self.stick_direction[axis]);
                }
            }
            _ => return Vec::new(),
        }
        self.update()
    }

    /// Everything let go (the pad went away): the releases of what was held.
    pub fn release_all(&mut self) -> Vec<(u32, bool)> {
        self.buttons.clear();
        self.hat = [0; 2];
        self.stick_direction = [0; 2];
        self.update()
    }

    fn update(&mut self) -> Vec<(u32, bool)> {
        let mut now: BTreeSet<u32> = self
            .buttons
            .iter()
            .filter_map(|code| BUTTONS.iter().find(|(button, _)| button == code))
            .map(|(_, key)| *key)
            .collect();
        for [x, y] in [self.hat, self.stick_direction] {
            now.extend(match x {
                -1 => Some(KEY_LEFT),
                1 => Some(KEY_RIGHT),
                _ => None,
            });
            now.extend(match y {
                -1 => Some(KEY_UP),
                1 => Some(KEY_DOWN),
                _ => None,
            });
        }
        let released = self.held.difference(&now).map(|key| (*key, false));
        let pressed = now.difference(&self.held).map(|key| (*key, true));
        let changes = released.chain(pressed).collect();
        self.held = now;
        changes
    }
}

/// Where a stick points on one axis after a move to `value`: past half its travel it points
/// that way, under a third it is centred, in between it keeps what it was.
fn stick_direction(range: Range, value: i32, was: i8) -> i8 {
    let half = (f64::from(range.maximum) - f64::from(range.minimum)) / 2.0;
    if half <= 0.0 {
        return 0;
    }
    let centre = f64::from(range.minimum) + half;
    let deflection = (f64::from(value) - centre) / half;
    if deflection.abs() > 0.5 {
        deflection.signum() as i8
    } else if deflection.abs() < 1.0 / 3.0 {
        0
    } else {
        was
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: u16 = 0x00;

    fn pad() -> Pad {
        let range = Range {
            minimum: -32768,
            maximum: 32767,
        };
        Pad::new(Some(range), Some(range))
    }

    /// Plays recorded events (type, code, value) and collects the keys they make.
    fn play(pad: &mut Pad, events: &[(u16, u16, i32)]) -> Vec<(u32, bool)> {
        events
            .iter()
            .flat_map(|&(kind, code, value)| pad.event(kind, code, value))
            .collect()
    }

    #[test]
    fn buttons_and_the_hat_make_ok_back_home_and_arrows() {
        // As an Xbox-style pad reports: buttons, then the d-pad as a hat, with SYN_REPORTs.
        let mut pad = pad();
        let keys = play(
            &mut pad,
            &[
                (EV_KEY, BTN_SOUTH, 1),
                (SYN, 0, 0),
                (EV_KEY, BTN_SOUTH, 0),
                (SYN, 0, 0),
                (EV_KEY, BTN_EAST, 1),
                (EV_KEY, BTN_EAST, 0),
                (EV_KEY, BTN_MODE, 1),
                (EV_KEY, BTN_MODE, 0),
                (EV_ABS, ABS_HAT0X, -1),
                (SYN, 0, 0),
                (EV_ABS, ABS_HAT0X, 0),
                (EV_ABS, ABS_HAT0Y, 1),
                (EV_ABS, ABS_HAT0Y, 0),
            ],
        );
        assert_eq!(
            keys,
            vec![
                (KEY_ENTER, true),
                (KEY_ENTER, false),
                (KEY_BACK, true),
                (KEY_BACK, false),
                (KEY_HOMEPAGE, true),
                (KEY_HOMEPAGE, false),
                (KEY_LEFT, true),
                (KEY_LEFT, false),
                (KEY_DOWN, true),
                (KEY_DOWN, false),
            ]
        );
    }

    #[test]
    fn the_stick_points_past_half_its_travel_and_centres_under_a_third() {
        let mut pad = pad();
        // A push right that passes the threshold, wobbles between a third and a half, and
        // comes back.
        let keys = play(
            &mut pad,
            &[
                (EV_ABS, ABS_X, 8000),
                (EV_ABS, ABS_X, 20000),
                (EV_ABS, ABS_X, 14000),
                (EV_ABS, ABS_X, 17000),
                (EV_ABS, ABS_X, 9000),
                (EV_ABS, ABS_Y, -30000),
                (EV_ABS, ABS_Y, 0),
            ],
        );
        assert_eq!(
            keys,
            vec![
                (KEY_RIGHT, true),
                (KEY_RIGHT, false),
                (KEY_UP, true),
                (KEY_UP, false),
            ]
        );
        // A pad whose axes run 0..255 (many USB pads) centres at 127.5.
        let byte = Range {
            minimum: 0,
            maximum: 255,
        };
        let mut small = Pad::new(Some(byte), Some(byte));
        assert_eq!(
            play(&mut small, &[(EV_ABS, ABS_X, 128), (EV_ABS, ABS_X, 10)]),
            vec![(KEY_LEFT, true)]
        );
    }

    #[test]
    fn one_key_made_two_ways_is_pressed_once_and_let_go_once() {
        let mut pad = pad();
        let keys = play(
            &mut pad,
            &[
                (EV_KEY, BTN_DPAD_LEFT, 1),
                (EV_ABS, ABS_X, -30000),
                (EV_KEY, BTN_DPAD_LEFT, 0),
                (EV_ABS, ABS_X, 0),
            ],
        );
        assert_eq!(keys, vec![(KEY_LEFT, true), (KEY_LEFT, false)]);
        // A pad unplugged with a button down lets it go.
        pad.event(EV_KEY, BTN_SOUTH, 1);
        assert_eq!(pad.release_all(), vec![(KEY_ENTER, false)]);
        assert!(repeats(KEY_LEFT) && !repeats(KEY_ENTER));
    }
}

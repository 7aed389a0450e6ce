//! Input for a guest: keys, pointer and multi-touch, in guest-neutral terms.

use crate::keys;

/// A physical key as a QEMU "qnum" code (the XT set-1 scancode, with 0x80 added to codes
/// that carry the 0xe0 prefix). Named constants live in [`keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyCode(pub u16);

impl KeyCode {
    /// The key's name on a US keyboard, for echoes and logs.
    pub fn name(self) -> &'static str {
        keys::name(self).unwrap_or("?")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointerButton {
    Left,
    Middle,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TouchPhase {
    Begin,
    Update,
    End,
    Cancel,
}

/// One input event for a guest. Coordinates are in the guest's screen pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputEvent {
    Key {
        key: KeyCode,
        pressed: bool,
    },
    PointerMove {
        x: u32,
        y: u32,
    },
    PointerButton {
        button: PointerButton,
        pressed: bool,
    },
    Touch {
        slot: u32,
        phase: TouchPhase,
        x: f64,
        y: f64,
    },
}

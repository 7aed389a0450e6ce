//! Slint's key texts to PC keys. Slint reports characters and named keys, not scancodes, so
//! characters map through the US layout; Shift reaches the guest as its own key.

use hearth_vm_bridge::{KeyCode, keys};
use slint::platform::Key;

const NAMED: &[(Key, KeyCode)] = &[
    (Key::Backspace, keys::BACKSPACE),
    (Key::Tab, keys::TAB),
    (Key::Return, keys::ENTER),
    (Key::Escape, keys::ESCAPE),
    (Key::Backtab, keys::TAB),
    (Key::Delete, keys::DELETE),
    (Key::Shift, keys::SHIFT_LEFT),
    (Key::ShiftR, keys::SHIFT_RIGHT),
    (Key::Control, keys::CONTROL_LEFT),
    (Key::ControlR, keys::CONTROL_RIGHT),
    (Key::Alt, keys::ALT_LEFT),
    (Key::AltGr, keys::ALT_RIGHT),
    (Key::Meta, keys::META_LEFT),
    (Key::MetaR, keys::META_RIGHT),
    (Key::CapsLock, keys::CAPS_LOCK),
    (Key::Space, keys::SPACE),
    (Key::UpArrow, keys::ARROW_UP),
    (Key::DownArrow, keys::ARROW_DOWN),
    (Key::LeftArrow, keys::ARROW_LEFT),
    (Key::RightArrow, keys::ARROW_RIGHT),
    (Key::F1, keys::F1),
    (Key::F2, keys::F2),
    (Key::F3, keys::F3),
    (Key::F4, keys::F4),
    (Key::F5, keys::F5),
    (Key::F6, keys::F6),
    (Key::F7, keys::F7),
    (Key::F8, keys::F8),
    (Key::F9, keys::F9),
    (Key::F10, keys::F10),
    (Key::F11, keys::F11),
    (Key::F12, keys::F12),
    (Key::Insert, keys::INSERT),
    (Key::Home, keys::HOME),
    (Key::End, keys::END),
    (Key::PageUp, keys::PAGE_UP),
    (Key::PageDown, keys::PAGE_DOWN),
    (Key::ScrollLock, keys::SCROLL_LOCK),
    (Key::Pause, keys::PAUSE),
    (Key::SysReq, keys::PRINT_SCREEN),
    (Key::Menu, keys::CONTEXT_MENU),
];

/// The PC key for a Slint key event's text, if there is one.
pub fn key_for_text(text: &str) -> Option<KeyCode> {
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    if let Some((_, key)) = NAMED.iter().find(|(named, _)| char::from(*named) == c) {
        return Some(*key);
    }
    keys::from_char(c).map(|(key, _shift)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_map_to_keys() {
        for (text, expected) in [
            ("a", Some(keys::A)),
            ("A", Some(keys::A)),
            ("!", Some(keys::DIGIT_1)),
            ("\n", Some(keys::ENTER)),
            (" ", Some(keys::SPACE)),
            ("", None),
            ("ab", None),
            ("é", None),
        ] {
            assert_eq!(key_for_text(text), expected, "text {text:?}");
        }
        assert_eq!(
            key_for_text(&char::from(Key::Control).to_string()),
            Some(keys::CONTROL_LEFT)
        );
        assert_eq!(
            key_for_text(&char::from(Key::LeftArrow).to_string()),
            Some(keys::ARROW_LEFT)
        );
    }
}

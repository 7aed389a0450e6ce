//! The whole PC keyboard as QEMU "qnum" codes, with names and the US layout's characters.

use crate::KeyCode;

macro_rules! key_table {
    ($($constant:ident = $code:literal, $name:literal, $plain:expr, $shifted:expr;)*) => {
        $(pub const $constant: KeyCode = KeyCode($code);)*

        /// Every key: code, name, character without and with Shift on a US layout.
        const TABLE: &[(u16, &str, Option<char>, Option<char>)] = &[
            $(($code, $name, $plain, $shifted),)*
        ];
    };
}

key_table! {
    ESCAPE = 0x01, "Esc", None, None;
    DIGIT_1 = 0x02, "1", Some('1'), Some('!');
    DIGIT_2 = 0x03, "2", Some('2'), Some('@');
    DIGIT_3 = 0x04, "3", Some('3'), Some('#');
    DIGIT_4 = 0x05, "4", Some('4'), Some('$');
    DIGIT_5 = 0x06, "5", Some('5'), Some('%');
    DIGIT_6 = 0x07, "6", Some('6'), Some('^');
    DIGIT_7 = 0x08, "7", Some('7'), Some('&');
    DIGIT_8 = 0x09, "8", Some('8'), Some('*');
    DIGIT_9 = 0x0a, "9", Some('9'), Some('(');
    DIGIT_0 = 0x0b, "0", Some('0'), Some(')');
    MINUS = 0x0c, "-", Some('-'), Some('_');
    EQUAL = 0x0d, "=", Some('='), Some('+');
    BACKSPACE = 0x0e, "Backspace", Some('\u{8}'), None;
    TAB = 0x0f, "Tab", Some('\t'), None;
    Q = 0x10, "Q", Some('q'), Some('Q');
    W = 0x11, "W", Some('w'), Some('W');
    E = 0x12, "E", Some('e'), Some('E');
    R = 0x13, "R", Some('r'), Some('R');
    T = 0x14, "T", Some('t'), Some('T');
    Y = 0x15, "Y", Some('y'), Some('Y');
    U = 0x16, "U", Some('u'), Some('U');
    I = 0x17, "I", Some('i'), Some('I');
    O = 0x18, "O", Some('o'), Some('O');
    P = 0x19, "P", Some('p'), Some('P');
    BRACKET_LEFT = 0x1a, "[", Some('['), Some('{');
    BRACKET_RIGHT = 0x1b, "]", Some(']'), Some('}');
    ENTER = 0x1c, "Enter", Some('\n'), None;
    CONTROL_LEFT = 0x1d, "Ctrl", None, None;
    A = 0x1e, "A", Some('a'), Some('A');
    S = 0x1f, "S", Some('s'), Some('S');
    D = 0x20, "D", Some('d'), Some('D');
    F = 0x21, "F", Some('f'), Some('F');
    G = 0x22, "G", Some('g'), Some('G');
    H = 0x23, "H", Some('h'), Some('H');
    J = 0x24, "J", Some('j'), Some('J');
    K = 0x25, "K", Some('k'), Some('K');
    L = 0x26, "L", Some('l'), Some('L');
    SEMICOLON = 0x27, ";", Some(';'), Some(':');
    QUOTE = 0x28, "'", Some('\''), Some('"');
    BACKQUOTE = 0x29, "`", Some('`'), Some('~');
    SHIFT_LEFT = 0x2a, "Shift", None, None;
    BACKSLASH = 0x2b, "\\", Some('\\'), Some('|');
    Z = 0x2c, "Z", Some('z'), Some('Z');
    X = 0x2d, "X", Some('x'), Some('X');
    C = 0x2e, "C", Some('c'), Some('C');
    V = 0x2f, "V", Some('v'), Some('V');
    B = 0x30, "B", Some('b'), Some('B');
    N = 0x31, "N", Some('n'), Some('N');
    M = 0x32, "M", Some('m'), Some('M');
    COMMA = 0x33, ",", Some(','), Some('<');
    PERIOD = 0x34, ".", Some('.'), Some('>');
    SLASH = 0x35, "/", Some('/'), Some('?');
    SHIFT_RIGHT = 0x36, "Right Shift", None, None;
    NUMPAD_MULTIPLY = 0x37, "Num *", None, None;
    ALT_LEFT = 0x38, "Alt", None, None;
    SPACE = 0x39, "Space", Some(' '), None;
    CAPS_LOCK = 0x3a, "Caps Lock", None, None;
    F1 = 0x3b, "F1", None, None;
    F2 = 0x3c, "F2", None, None;
    F3 = 0x3d, "F3", None, None;
    F4 = 0x3e, "F4", None, None;
    F5 = 0x3f, "F5", None, None;
    F6 = 0x40, "F6", None, None;
    F7 = 0x41, "F7", None, None;
    F8 = 0x42, "F8", None, None;
    F9 = 0x43, "F9", None, None;
    F10 = 0x44, "F10", None, None;
    NUM_LOCK = 0x45, "Num Lock", None, None;
    SCROLL_LOCK = 0x46, "Scroll Lock", None, None;
    NUMPAD_7 = 0x47, "Num 7", None, None;
    NUMPAD_8 = 0x48, "Num 8", None, None;
    NUMPAD_9 = 0x49, "Num 9", None, None;
    NUMPAD_SUBTRACT = 0x4a, "Num -", None, None;
    NUMPAD_4 = 0x4b, "Num 4", None, None;
    NUMPAD_5 = 0x4c, "Num 5", None, None;
    NUMPAD_6 = 0x4d, "Num 6", None, None;
    NUMPAD_ADD = 0x4e, "Num +", None, None;
    NUMPAD_1 = 0x4f, "Num 1", None, None;
    NUMPAD_2 = 0x50, "Num 2", None, None;
    NUMPAD_3 = 0x51, "Num 3", None, None;
    NUMPAD_0 = 0x52, "Num 0", None, None;
    NUMPAD_DECIMAL = 0x53, "Num .", None, None;
    INTL_BACKSLASH = 0x56, "<>", None, None;
    F11 = 0x57, "F11", None, None;
    F12 = 0x58, "F12", None, None;
    NUMPAD_ENTER = 0x9c, "Num Enter", None, None;
    CONTROL_RIGHT = 0x9d, "Right Ctrl", None, None;
    NUMPAD_DIVIDE = 0xb5, "Num /", None, None;
    PRINT_SCREEN = 0x54, "Print", None, None;
    ALT_RIGHT = 0xb8, "AltGr", None, None;
    PAUSE = 0xc6, "Pause", None, None;
    HOME = 0xc7, "Home", None, None;
    ARROW_UP = 0xc8, "Up", None, None;
    PAGE_UP = 0xc9, "Page Up", None, None;
    ARROW_LEFT = 0xcb, "Left", None, None;
    ARROW_RIGHT = 0xcd, "Right", None, None;
    END = 0xcf, "End", None, None;
    ARROW_DOWN = 0xd0, "Down", None, None;
    PAGE_DOWN = 0xd1, "Page Down", None, None;
    INSERT = 0xd2, "Insert", None, None;
    DELETE = 0xd3, "Delete", Some('\u{7f}'), None;
    META_LEFT = 0xdb, "Super", None, None;
    META_RIGHT = 0xdc, "Right Super", None, None;
    CONTEXT_MENU = 0xdd, "Menu", None, None;
}

/// The key's name, if the code is a key of the PC keyboard.
pub fn name(key: KeyCode) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|entry| entry.0 == key.0)
        .map(|entry| entry.1)
}

/// The key that types `character` on a US layout, and whether Shift is needed for it.
pub fn from_char(character: char) -> Option<(KeyCode, bool)> {
    TABLE.iter().find_map(|&(code, _, plain, shifted)| {
        if plain == Some(character) {
            Some((KeyCode(code), false))
        } else if shifted == Some(character) {
            Some((KeyCode(code), true))
        } else {
            None
        }
    })
}

/// The character a key types on a US layout, if any.
pub fn to_char(key: KeyCode, shift: bool) -> Option<char> {
    let entry = TABLE.iter().find(|entry| entry.0 == key.0)?;
    if shift { entry.3.or(entry.2) } else { entry.2 }
}

/// Whether the key is a modifier (held while other keys are pressed).
pub fn is_modifier(key: KeyCode) -> bool {
    [
        CONTROL_LEFT,
        CONTROL_RIGHT,
        SHIFT_LEFT,
        SHIFT_RIGHT,
        ALT_LEFT,
        ALT_RIGHT,
        META_LEFT,
        META_RIGHT,
    ]
    .contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_round_trip_through_the_us_layout() {
        for character in "abcxyzABCXYZ0123456789-=[];'`\\,./!@#$%^&*()_+{}:\"~|<>? ".chars() {
            let (key, shift) = from_char(character).expect("every US character has a key");
            assert_eq!(
                to_char(key, shift),
                Some(character),
                "character {character:?}"
            );
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<u16> = TABLE.iter().map(|entry| entry.0).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len());
    }

    #[test]
    fn extended_keys_carry_the_high_bit() {
        assert_eq!(ARROW_LEFT.0 & 0x80, 0x80);
        assert_eq!(name(ARROW_LEFT), Some("Left"));
        assert!(is_modifier(ALT_RIGHT));
        assert!(!is_modifier(A));
    }
}

//! The whole PC keyboard as QEMU "qnum" codes: one table with each key's Linux evdev code
//! (what libinput and X11/Wayland report for the physical key, whatever the host layout),
//! its name, and the characters it types on a US layout.
//!
//! The table holds every key QEMU can deliver (its `QKeyCode` set): the 105-key PC keyboard
//! with the ISO key beside left Shift, AltGr, the numpad, F13 to F24, the Japanese and Korean
//! keys, and the media and browser keys. Keys QEMU has no code for (Zenkaku/Hankaku,
//! Katakana, the Japanese numpad comma) are not in it: QEMU would drop them anyway.

use crate::KeyCode;

macro_rules! key_table {
    ($($constant:ident = $code:literal, $evdev:literal, $name:literal, $plain:expr, $shifted:expr;)*) => {
        $(pub const $constant: KeyCode = KeyCode($code);)*

        /// Every key: qnum code, Linux evdev code, name, and the character it types without
        /// and with Shift on a US layout.
        const TABLE: &[(u16, u16, &str, Option<char>, Option<char>)] = &[
            $(($code, $evdev, $name, $plain, $shifted),)*
        ];
    };
}

key_table! {
    ESCAPE = 0x01, 1, "Esc", None, None;
    DIGIT_1 = 0x02, 2, "1", Some('1'), Some('!');
    DIGIT_2 = 0x03, 3, "2", Some('2'), Some('@');
    DIGIT_3 = 0x04, 4, "3", Some('3'), Some('#');
    DIGIT_4 = 0x05, 5, "4", Some('4'), Some('$');
    DIGIT_5 = 0x06, 6, "5", Some('5'), Some('%');
    DIGIT_6 = 0x07, 7, "6", Some('6'), Some('^');
    DIGIT_7 = 0x08, 8, "7", Some('7'), Some('&');
    DIGIT_8 = 0x09, 9, "8", Some('8'), Some('*');
    DIGIT_9 = 0x0a, 10, "9", Some('9'), Some('(');
    DIGIT_0 = 0x0b, 11, "0", Some('0'), Some(')');
    MINUS = 0x0c, 12, "-", Some('-'), Some('_');
    EQUAL = 0x0d, 13, "=", Some('='), Some('+');
    BACKSPACE = 0x0e, 14, "Backspace", Some('\u{8}'), None;
    TAB = 0x0f, 15, "Tab", Some('\t'), None;
    Q = 0x10, 16, "Q", Some('q'), Some('Q');
    W = 0x11, 17, "W", Some('w'), Some('W');
    E = 0x12, 18, "E", Some('e'), Some('E');
    R = 0x13, 19, "R", Some('r'), Some('R');
    T = 0x14, 20, "T", Some('t'), Some('T');
    Y = 0x15, 21, "Y", Some('y'), Some('Y');
    U = 0x16, 22, "U", Some('u'), Some('U');
    I = 0x17, 23, "I", Some('i'), Some('I');
    O = 0x18, 24, "O", Some('o'), Some('O');
    P = 0x19, 25, "P", Some('p'), Some('P');
    BRACKET_LEFT = 0x1a, 26, "[", Some('['), Some('{');
    BRACKET_RIGHT = 0x1b, 27, "]", Some(']'), Some('}');
    ENTER = 0x1c, 28, "Enter", Some('\n'), None;
    CONTROL_LEFT = 0x1d, 29, "Ctrl", None, None;
    A = 0x1e, 30, "A", Some('a'), Some('A');
    S = 0x1f, 31, "S", Some('s'), Some('S');
    D = 0x20, 32, "D", Some('d'), Some('D');
    F = 0x21, 33, "F", Some('f'), Some('F');
    G = 0x22, 34, "G", Some('g'), Some('G');
    H = 0x23, 35, "H", Some('h'), Some('H');
    J = 0x24, 36, "J", Some('j'), Some('J');
    K = 0x25, 37, "K", Some('k'), Some('K');
    L = 0x26, 38, "L", Some('l'), Some('L');
    SEMICOLON = 0x27, 39, ";", Some(';'), Some(':');
    QUOTE = 0x28, 40, "'", Some('\''), Some('"');
    BACKQUOTE = 0x29, 41, "`", Some('`'), Some('~');
    SHIFT_LEFT = 0x2a, 42, "Shift", None, None;
    BACKSLASH = 0x2b, 43, "\\", Some('\\'), Some('|');
    Z = 0x2c, 44, "Z", Some('z'), Some('Z');
    X = 0x2d, 45, "X", Some('x'), Some('X');
    C = 0x2e, 46, "C", Some('c'), Some('C');
    V = 0x2f, 47, "V", Some('v'), Some('V');
    B = 0x30, 48, "B", Some('b'), Some('B');
    N = 0x31, 49, "N", Some('n'), Some('N');
    M = 0x32, 50, "M", Some('m'), Some('M');
    COMMA = 0x33, 51, ",", Some(','), Some('<');
    PERIOD = 0x34, 52, ".", Some('.'), Some('>');
    SLASH = 0x35, 53, "/", Some('/'), Some('?');
    SHIFT_RIGHT = 0x36, 54, "Right Shift", None, None;
    NUMPAD_MULTIPLY = 0x37, 55, "Num *", None, None;
    ALT_LEFT = 0x38, 56, "Alt", None, None;
    SPACE = 0x39, 57, "Space", Some(' '), None;
    CAPS_LOCK = 0x3a, 58, "Caps Lock", None, None;
    F1 = 0x3b, 59, "F1", None, None;
    F2 = 0x3c, 60, "F2", None, None;
    F3 = 0x3d, 61, "F3", None, None;
    F4 = 0x3e, 62, "F4", None, None;
    F5 = 0x3f, 63, "F5", None, None;
    F6 = 0x40, 64, "F6", None, None;
    F7 = 0x41, 65, "F7", None, None;
    F8 = 0x42, 66, "F8", None, None;
    F9 = 0x43, 67, "F9", None, None;
    F10 = 0x44, 68, "F10", None, None;
    NUM_LOCK = 0x45, 69, "Num Lock", None, None;
    SCROLL_LOCK = 0x46, 70, "Scroll Lock", None, None;
    NUMPAD_7 = 0x47, 71, "Num 7", None, None;
    NUMPAD_8 = 0x48, 72, "Num 8", None, None;
    NUMPAD_9 = 0x49, 73, "Num 9", None, None;
    NUMPAD_SUBTRACT = 0x4a, 74, "Num -", None, None;
    NUMPAD_4 = 0x4b, 75, "Num 4", None, None;
    NUMPAD_5 = 0x4c, 76, "Num 5", None, None;
    NUMPAD_6 = 0x4d, 77, "Num 6", None, None;
    NUMPAD_ADD = 0x4e, 78, "Num +", None, None;
    NUMPAD_1 = 0x4f, 79, "Num 1", None, None;
    NUMPAD_2 = 0x50, 80, "Num 2", None, None;
    NUMPAD_3 = 0x51, 81, "Num 3", None, None;
    NUMPAD_0 = 0x52, 82, "Num 0", None, None;
    NUMPAD_DECIMAL = 0x53, 83, "Num .", None, None;
    INTL_BACKSLASH = 0x56, 86, "<>", None, None;
    F11 = 0x57, 87, "F11", None, None;
    F12 = 0x58, 88, "F12", None, None;
    NUMPAD_ENTER = 0x9c, 96, "Num Enter", None, None;
    CONTROL_RIGHT = 0x9d, 97, "Right Ctrl", None, None;
    NUMPAD_DIVIDE = 0xb5, 98, "Num /", None, None;
    PRINT_SCREEN = 0x54, 99, "Print", None, None;
    ALT_RIGHT = 0xb8, 100, "AltGr", None, None;
    PAUSE = 0xc6, 119, "Pause", None, None;
    HOME = 0xc7, 102, "Home", None, None;
    ARROW_UP = 0xc8, 103, "Up", None, None;
    PAGE_UP = 0xc9, 104, "Page Up", None, None;
    ARROW_LEFT = 0xcb, 105, "Left", None, None;
    ARROW_RIGHT = 0xcd, 106, "Right", None, None;
    END = 0xcf, 107, "End", None, None;
    ARROW_DOWN = 0xd0, 108, "Down", None, None;
    PAGE_DOWN = 0xd1, 109, "Page Down", None, None;
    INSERT = 0xd2, 110, "Insert", None, None;
    DELETE = 0xd3, 111, "Delete", Some('\u{7f}'), None;
    META_LEFT = 0xdb, 125, "Super", None, None;
    META_RIGHT = 0xdc, 126, "Right Super", None, None;
    CONTEXT_MENU = 0xdd, 127, "Menu", None, None;
    INTL_RO = 0x73, 89, "Ro", None, None;
    HIRAGANA = 0x77, 91, "Hiragana", None, None;
    HENKAN = 0x79, 92, "Henkan", None, None;
    KATAKANA_HIRAGANA = 0x70, 93, "Katakana/Hiragana", None, None;
    MUHENKAN = 0x7b, 94, "Muhenkan", None, None;
    LINE_FEED = 0x5b, 101, "Line Feed", None, None;
    AUDIO_MUTE = 0xa0, 113, "Mute", None, None;
    AUDIO_VOLUME_DOWN = 0xae, 114, "Volume Down", None, None;
    AUDIO_VOLUME_UP = 0xb0, 115, "Volume Up", None, None;
    POWER = 0xde, 116, "Power", None, None;
    NUMPAD_EQUAL = 0x59, 117, "Num =", None, None;
    NUMPAD_COMMA = 0x7e, 121, "Num ,", None, None;
    LANG1_HANGEUL = 0xf2, 122, "Hangeul", None, None;
    LANG2_HANJA = 0xf1, 123, "Hanja", None, None;
    INTL_YEN = 0x7d, 124, "Yen", None, None;
    STOP = 0xe8, 128, "Stop", None, None;
    AGAIN = 0x85, 129, "Again", None, None;
    PROPS = 0x86, 130, "Props", None, None;
    UNDO = 0x87, 131, "Undo", None, None;
    FRONT = 0x8c, 132, "Front", None, None;
    COPY = 0xf8, 133, "Copy", None, None;
    OPEN = 0x64, 134, "Open", None, None;
    PASTE = 0x65, 135, "Paste", None, None;
    FIND = 0xc1, 136, "Find", None, None;
    CUT = 0xbc, 137, "Cut", None, None;
    HELP = 0xf5, 138, "Help", None, None;
    MENU = 0x9e, 139, "Menu (Sun)", None, None;
    LAUNCH_CALCULATOR = 0xa1, 140, "Calculator", None, None;
    SLEEP = 0xdf, 142, "Sleep", None, None;
    WAKE = 0xe3, 143, "Wake", None, None;
    LAUNCH_MAIL = 0xec, 155, "Mail", None, None;
    BROWSER_FAVORITES = 0xe6, 156, "Bookmarks", None, None;
    LAUNCH_COMPUTER = 0xeb, 157, "Computer", None, None;
    BROWSER_BACK = 0xea, 158, "Back", None, None;
    BROWSER_FORWARD = 0xe9, 159, "Forward", None, None;
    MEDIA_NEXT = 0x99, 163, "Next Track", None, None;
    MEDIA_PLAY_PAUSE = 0xa2, 164, "Play/Pause", None, None;
    MEDIA_PREVIOUS = 0x90, 165, "Previous Track", None, None;
    MEDIA_STOP = 0xa4, 166, "Stop Media", None, None;
    BROWSER_HOME = 0xb2, 172, "Browser Home", None, None;
    BROWSER_REFRESH = 0xe7, 173, "Refresh", None, None;
    F13 = 0x5d, 183, "F13", None, None;
    F14 = 0x5e, 184, "F14", None, None;
    F15 = 0x5f, 185, "F15", None, None;
    F16 = 0x55, 186, "F16", None, None;
    F17 = 0x83, 187, "F17", None, None;
    F18 = 0xf7, 188, "F18", None, None;
    F19 = 0x84, 189, "F19", None, None;
    F20 = 0x5a, 190, "F20", None, None;
    F21 = 0x74, 191, "F21", None, None;
    F22 = 0xf9, 192, "F22", None, None;
    F23 = 0x6d, 193, "F23", None, None;
    F24 = 0x6f, 194, "F24", None, None;
    MEDIA_SELECT = 0xed, 226, "Media", None, None;
}

/// The key's name, if the code is a key of the PC keyboard.
pub fn name(key: KeyCode) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|entry| entry.0 == key.0)
        .map(|entry| entry.2)
}

/// The key that types `character` on a US layout, and whether Shift is needed for it.
pub fn from_char(character: char) -> Option<(KeyCode, bool)> {
    TABLE.iter().find_map(|&(code, _, _, plain, shifted)| {
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
    if shift { entry.4.or(entry.3) } else { entry.3 }
}

/// The key at a physical position given as a Linux evdev code (X11 keycode minus 8).
pub fn from_evdev(code: u32) -> Option<KeyCode> {
    TABLE
        .iter()
        .find(|entry| u32::from(entry.1) == code)
        .map(|entry| KeyCode(entry.0))
}

/// The Linux evdev code of a key, as a guest's input layer reports it.
pub fn to_evdev(key: KeyCode) -> Option<u16> {
    TABLE
        .iter()
        .find(|entry| entry.0 == key.0)
        .map(|entry| entry.1)
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
        let qnum: Vec<u16> = TABLE.iter().map(|entry| entry.0).collect();
        let evdev: Vec<u16> = TABLE.iter().map(|entry| entry.1).collect();
        for mut codes in [qnum, evdev] {
            codes.sort_unstable();
            let before = codes.len();
            codes.dedup();
            assert_eq!(before, codes.len());
        }
    }

    fn check_evdev(evdev: u32, expected: KeyCode) {
        assert_eq!(from_evdev(evdev), Some(expected), "evdev {evdev}");
        assert_eq!(
            to_evdev(expected).map(u32::from),
            Some(evdev),
            "{expected:?}"
        );
    }

    #[test]
    fn physical_keys_map_from_evdev_codes() {
        // Linux input-event-codes.h against QEMU's qnum (keycodemapdb's AT set 1 column).
        check_evdev(1, ESCAPE);
        check_evdev(16, Q);
        check_evdev(21, Y);
        check_evdev(44, Z);
        check_evdev(39, SEMICOLON);
        check_evdev(83, NUMPAD_DECIMAL);
        check_evdev(86, INTL_BACKSLASH);
        check_evdev(96, NUMPAD_ENTER);
        check_evdev(97, CONTROL_RIGHT);
        check_evdev(99, PRINT_SCREEN);
        check_evdev(100, ALT_RIGHT);
        check_evdev(103, ARROW_UP);
        check_evdev(111, DELETE);
        check_evdev(113, AUDIO_MUTE);
        check_evdev(119, PAUSE);
        check_evdev(122, LANG1_HANGEUL);
        check_evdev(123, LANG2_HANJA);
        check_evdev(89, INTL_RO);
        check_evdev(124, INTL_YEN);
        check_evdev(92, HENKAN);
        check_evdev(125, META_LEFT);
        check_evdev(127, CONTEXT_MENU);
        check_evdev(164, MEDIA_PLAY_PAUSE);
        check_evdev(183, F13);
        check_evdev(194, F24);
        assert_eq!(from_evdev(0), None);
        assert_eq!(from_evdev(84), None, "no key has evdev code 84");
        assert_eq!(from_evdev(85), None, "Zenkaku/Hankaku has no QEMU code");
        assert_eq!(from_evdev(0x1_0000), None);
    }

    #[test]
    fn the_main_block_is_the_identity_below_84() {
        // In the XT set 1 and evdev alike, codes 1 to 83 are the same keys.
        for code in 1..=83 {
            assert_eq!(from_evdev(code), Some(KeyCode(code as u16)), "evdev {code}");
        }
    }

    #[test]
    fn extended_keys_carry_the_high_bit() {
        assert_eq!(ARROW_LEFT.0 & 0x80, 0x80);
        assert_eq!(name(ARROW_LEFT), Some("Left"));
        assert!(is_modifier(ALT_RIGHT));
        assert!(!is_modifier(A));
    }
}

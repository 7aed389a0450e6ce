//! The keyboard layouts the on-screen keyboard knows: which physical key, with Shift or
//! AltGr, types each character on that layout. A guest set to the same layout then makes the
//! character itself, as it would from a real keyboard; Hearth never sends characters.
//!
//! The tables follow the layouts' XKB definitions (`us`, `de`, `pl`) for the keys a PC
//! keyboard has in its four rows of characters, named by their evdev codes.

/// A layout, by the code Hearth's settings use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    EnUs,
    De,
    Pl,
}

/// How one character is typed: a key, the modifiers held for it, and whether it is a dead key
/// on that layout (then a space follows, which makes the character on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stroke {
    pub code: u32,
    pub shift: bool,
    pub altgr: bool,
    pub dead: bool,
}

pub const KEY_ESC: u32 = 1;
pub const KEY_BACKSPACE: u32 = 14;
pub const KEY_TAB: u32 = 15;
pub const KEY_ENTER: u32 = 28;
pub const KEY_LEFTCTRL: u32 = 29;
pub const KEY_LEFTSHIFT: u32 = 42;
pub const KEY_LEFTALT: u32 = 56;
pub const KEY_SPACE: u32 = 57;
pub const KEY_DELETE: u32 = 111;
pub const KEY_RIGHTALT: u32 = 100;
pub const KEY_LEFTMETA: u32 = 125;
pub const KEY_UP: u32 = 103;
pub const KEY_LEFT: u32 = 105;
pub const KEY_RIGHT: u32 = 106;
pub const KEY_DOWN: u32 = 108;

/// One row of keys: their evdev codes left to right, and what each types plain and with
/// Shift ('\0' where the key has nothing).
struct Row {
    codes: &'static [u32],
    plain: &'static str,
    shifted: &'static str,
}

const NUMBER_CODES: &[u32] = &[41, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const TOP_CODES: &[u32] = &[16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 43];
const HOME_CODES: &[u32] = &[30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];
const BOTTOM_CODES: &[u32] = &[44, 45, 46, 47, 48, 49, 50, 51, 52, 53];

const US: &[Row] = &[
    Row {
        codes: NUMBER_CODES,
        plain: "`1234567890-=",
        shifted: "~!@#$%^&*()_+",
    },
    Row {
        codes: TOP_CODES,
        plain: "qwertyuiop[]\\",
        shifted: "QWERTYUIOP{}|",
    },
    Row {
        codes: HOME_CODES,
        plain: "asdfghjkl;'",
        shifted: "ASDFGHJKL:\"",
    },
    Row {
        codes: BOTTOM_CODES,
        plain: "zxcvbnm,./",
        shifted: "ZXCVBNM<>?",
    },
];

// German (T1): the key left of Enter (evdev 43) is # and the 102nd key (86) is < >.
const DE: &[Row] = &[
    Row {
        codes: NUMBER_CODES,
        plain: "^1234567890ß´",
        shifted: "°!\"§$%&/()=?`",
    },
    Row {
        codes: &[16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27],
        plain: "qwertzuiopü+",
        shifted: "QWERTZUIOPÜ*",
    },
    Row {
        codes: &[30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 43],
        plain: "asdfghjklöä#",
        shifted: "ASDFGHJKLÖÄ'",
    },
    Row {
        codes: &[86, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53],
        plain: "<yxcvbnm,.-",
        shifted: ">YXCVBNM;:_",
    },
];

/// German's third level (AltGr).
const DE_ALTGR: &[(char, u32)] = &[
    ('@', 16),
    ('€', 18),
    ('²', 3),
    ('³', 4),
    ('{', 8),
    ('[', 9),
    (']', 10),
    ('}', 11),
    ('\\', 12),
    ('~', 27),
    ('|', 86),
    ('µ', 50),
];

/// Polish (programmers'), XKB's `pl`: the US layout, with the Polish letters on AltGr.
const PL_ALTGR: &[(char, char, u32)] = &[
    ('ą', 'Ą', 30),
    ('ć', 'Ć', 46),
    ('ę', 'Ę', 18),
    ('ł', 'Ł', 38),
    ('ń', 'Ń', 49),
    ('ó', 'Ó', 24),
    ('ś', 'Ś', 31),
    ('ź', 'Ź', 45),
    ('ż', 'Ż', 44),
];

/// The dead keys of German: typed alone they wait for the next letter.
const DE_DEAD: &[char] = &['^', '´', '`'];

impl Layout {
    pub const ALL: [Layout; 3] = [Layout::EnUs, Layout::De, Layout::Pl];

    pub fn code(self) -> &'static str {
        match self {
            Layout::EnUs => "en-US",
            Layout::De => "de",
            Layout::Pl => "pl",
        }
    }

    pub fn from_code(code: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|layout| layout.code() == code)
    }

    /// The layout's name in its own language, as the keyboard's layout key shows it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::EnUs => "English (US)",
            Layout::De => "Deutsch",
            Layout::Pl => "Polski",
        }
    }

    /// The one after this, for the keyboard's layout key.
    pub fn next(self) -> Layout {
        let index = Layout::ALL.iter().position(|l| *l == self).unwrap_or(0);
        Layout::ALL[(index + 1) % Layout::ALL.len()]
    }

    /// The layout that suits a UI language ("de", "pl", else US English).
    pub fn for_language(language: &str) -> Layout {
        let base = language.split(['-', '_']).next().unwrap_or("");
        match base {
            "de" => Layout::De,
            "pl" => Layout::Pl,
            _ => Layout::EnUs,
        }
    }

    /// How to type `character` on this layout; None where it has no key for it.
    pub fn stroke(self, character: char) -> Option<Stroke> {
        let plain = |code, shift| Stroke {
            code,
            shift,
            altgr: false,
            dead: false,
        };
        if character == ' ' {
            return Some(plain(KEY_SPACE, false));
        }
        if character == '\n' {
            return Some(plain(KEY_ENTER, false));
        }
        let rows = match self {
            Layout::EnUs | Layout::Pl => US,
            Layout::De => DE,
        };
        for row in rows {
            for (index, code) in row.codes.iter().enumerate() {
                let dead = self == Layout::De && DE_DEAD.contains(&character);
                if row.plain.chars().nth(index) == Some(character) {
                    return Some(Stroke {
                        dead,
                        ..plain(*code, false)
                    });
                }
                if row.shifted.chars().nth(index) == Some(character) {
                    return Some(Stroke {
                        dead,
                        ..plain(*code, true)
                    });
                }
            }
        }
        let altgr = |code, shift| Stroke {
            code,
            shift,
            altgr: true,
            dead: false,
        };
        match self {
            Layout::De => DE_ALTGR
                .iter()
                .find(|(c, _)| *c == character)
                .map(|(_, code)| altgr(*code, false)),
            Layout::Pl => PL_ALTGR.iter().find_map(|(small, capital, code)| {
                if *small == character {
                    Some(altgr(*code, false))
                } else if *capital == character {
                    Some(altgr(*code, true))
                } else {
                    None
                }
            }),
            Layout::EnUs => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(layout: Layout, character: char, code: u32, shift: bool, altgr: bool) {
        let stroke = layout.stroke(character).unwrap_or_else(|| {
            panic!("{layout:?} has no key for {character:?}");
        });
        assert_eq!(
            (stroke.code, stroke.shift, stroke.altgr),
            (code, shift, altgr),
            "{character:?} on {layout:?}"
        );
    }

    #[test]
    fn characters_map_to_the_keys_that_type_them() {
        // KEY_G with Shift; ü is KEY_LEFTBRACE and ß KEY_MINUS on German.
        check(Layout::De, 'G', 34, true, false);
        check(Layout::De, 'r', 19, false, false);
        check(Layout::De, 'ü', 26, false, false);
        check(Layout::De, 'ß', 12, false, false);
        check(Layout::De, 'z', 21, false, false);
        check(Layout::De, 'y', 44, false, false);
        check(Layout::De, '@', 16, false, true);
        check(Layout::De, '#', 43, false, false);
        check(Layout::EnUs, 'z', 44, false, false);
        check(Layout::EnUs, '"', 40, true, false);
        check(Layout::EnUs, ' ', KEY_SPACE, false, false);
        check(Layout::Pl, 'Ż', 44, true, true);
        check(Layout::Pl, 'ó', 24, false, true);
        check(Layout::Pl, 'ł', 38, false, true);
        check(Layout::Pl, 'ć', 46, false, true);
        check(Layout::Pl, 'q', 16, false, false);
    }

    #[test]
    fn what_a_layout_cannot_type_is_refused_and_dead_keys_are_marked() {
        assert_eq!(Layout::EnUs.stroke('ü'), None);
        assert_eq!(Layout::De.stroke('ą'), None);
        assert!(Layout::De.stroke('^').is_some_and(|s| s.dead));
        assert!(Layout::EnUs.stroke('^').is_some_and(|s| !s.dead));
    }

    #[test]
    fn layouts_have_codes_names_and_follow_the_language() {
        for layout in Layout::ALL {
            assert_eq!(Layout::from_code(layout.code()), Some(layout));
        }
        assert_eq!(Layout::for_language("de-AT"), Layout::De);
        assert_eq!(Layout::for_language("pl"), Layout::Pl);
        assert_eq!(Layout::for_language("fr"), Layout::EnUs);
        assert_eq!(Layout::EnUs.next().next().next(), Layout::EnUs);
    }
}

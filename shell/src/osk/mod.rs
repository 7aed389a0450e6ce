//! The on-screen keyboard: its pages of keys for each layout, and what a press does, for
//! Hearth's text fields (characters) and for a VM (the physical keys that type them on the
//! layout chosen for that VM, with Shift, AltGr and the sticky modifiers around them).
//!
//! Plain state, no UI: the shell shows [`Osk::rows`] and hands presses back by row and column.

pub mod layouts;

use layouts::{Layout, Stroke};

/// Where the keyboard types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Hearth's text field with the keyboard (characters).
    Field,
    /// The VM on screen (physical keys).
    Vm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Letters,
    Symbols,
}

/// Keys that are not characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Shift,
    AltGr,
    Ctrl,
    Alt,
    Super,
    Backspace,
    Enter,
    Space,
    Symbols,
    Letters,
    Layout,
    Hide,
    Esc,
    Tab,
    Left,
    Up,
    Down,
    Right,
    CtrlAltDel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Char(char),
    Special(Special),
}

/// One key as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub kind: KeyKind,
    pub label: String,
    /// Its width in standard keys.
    pub width: f32,
    /// Characters a long press offers (ą ć ę … on Polish).
    pub alternates: Vec<char>,
    /// A modifier that is on.
    pub active: bool,
}

/// What a press asks of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Characters for the text field.
    Insert(String),
    /// The text field loses its last character.
    Erase,
    /// The text field is done (Enter).
    Submit,
    /// Key events for the VM, in order: (evdev code, pressed).
    Keys(Vec<(u32, bool)>),
    /// The keyboard goes away.
    Hide,
    /// The keys changed (a page, Shift, a layout): show [`Osk::rows`] again.
    Redraw,
    /// The layout changed: remember it (for the VM).
    LayoutChosen(Layout),
}

/// A modifier: off, on for the next key, or locked on (tapped twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Sticky {
    #[default]
    Off,
    Once,
    Locked,
}

impl Sticky {
    fn tapped(self) -> Sticky {
        match self {
            Sticky::Off => Sticky::Once,
            Sticky::Once => Sticky::Locked,
            Sticky::Locked => Sticky::Off,
        }
    }

    fn on(self) -> bool {
        self != Sticky::Off
    }

    fn used(self) -> Sticky {
        if self == Sticky::Once {
            Sticky::Off
        } else {
            self
        }
    }
}

#[derive(Debug)]
pub struct Osk {
    layout: Layout,
    target: Target,
    page: Page,
    shift: Sticky,
    altgr: Sticky,
    ctrl: Sticky,
    alt: Sticky,
    meta: Sticky,
}

/// The letters of each layout's three rows.
fn letter_rows(layout: Layout) -> [&'static str; 3] {
    match layout {
        Layout::EnUs | Layout::Pl => ["qwertyuiop", "asdfghjkl", "zxcvbnm"],
        Layout::De => ["qwertzuiopü", "asdfghjklöä", "yxcvbnmß"],
    }
}

const SYMBOL_ROWS: [&str; 3] = ["1234567890", "@#€%&*-+()", "!\"':;/?,."];

/// The Polish letters, by the key that offers them.
fn polish(letter: char) -> &'static [char] {
    match letter {
        'a' => &['ą'],
        'c' => &['ć'],
        'e' => &['ę'],
        'l' => &['ł'],
        'n' => &['ń'],
        'o' => &['ó'],
        's' => &['ś'],
        'z' => &['ż', 'ź'],
        'x' => &['ź'],
        _ => &[],
    }
}

fn upper(character: char) -> char {
    let mut upper = character.to_uppercase();
    match (upper.next(), upper.next()) {
        // ß has no single capital here; it stays as it is.
        (Some(one), None) => one,
        _ => character,
    }
}

impl Osk {
    pub fn new(layout: Layout, target: Target) -> Osk {
        Osk {
            layout,
            target,
            page: Page::Letters,
            shift: Sticky::Off,
            altgr: Sticky::Off,
            ctrl: Sticky::Off,
            alt: Sticky::Off,
            meta: Sticky::Off,
        }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn target(&self) -> Target {
        self.target
    }

    /// The keys, row by row, as they are to be shown now.
    pub fn rows(&self) -> Vec<Vec<Key>> {
        let mut rows = Vec::new();
        if self.target == Target::Vm {
            rows.push(self.vm_row());
        }
        let texts = match self.page {
            Page::Letters => letter_rows(self.layout),
            Page::Symbols => SYMBOL_ROWS,
        };
        for (index, text) in texts.iter().enumerate() {
            let mut row: Vec<Key> = text.chars().map(|c| self.char_key(c)).collect();
            if index == 2 {
                let (first, label) = match self.page {
                    Page::Letters => (Special::Shift, "⇧"),
                    Page::Symbols => (Special::Letters, "ABC"),
                };
                row.insert(0, self.special(first, label, 1.5));
                row.push(self.special(Special::Backspace, "⌫", 1.5));
            }
            rows.push(row);
        }
        rows.push(self.bottom_row());
        rows
    }

    fn char_key(&self, character: char) -> Key {
        let altgr = self.altgr.on() && self.page == Page::Letters;
        let mut shown = character;
        let mut alternates = Vec::new();
        if self.page == Page::Letters {
            if self.layout == Layout::Pl {
                let letters = polish(character);
                if altgr && !letters.is_empty() {
                    shown = letters[0];
                } else {
                    alternates = letters.to_vec();
                }
            }
            if self.shift.on() {
                shown = upper(shown);
                alternates = alternates.into_iter().map(upper).collect();
            }
        }
        Key {
            kind: KeyKind::Char(shown),
            label: shown.to_string(),
            width: 1.0,
            alternates,
            active: false,
        }
    }

    fn special(&self, special: Special, label: &str, width: f32) -> Key {
        let active = match special {
            Special::Shift => self.shift.on(),
            Special::AltGr => self.altgr.on(),
            Special::Ctrl => self.ctrl.on(),
            Special::Alt => self.alt.on(),
            Special::Super => self.meta.on(),
            _ => false,
        };
        Key {
            kind: KeyKind::Special(special),
            label: label.to_string(),
            width,
            alternates: Vec::new(),
            active,
        }
    }

    fn vm_row(&self) -> Vec<Key> {
        vec![
            self.special(Special::Esc, "Esc", 1.0),
            self.special(Special::Tab, "Tab", 1.0),
            self.special(Special::Ctrl, "Ctrl", 1.0),
            self.special(Special::Alt, "Alt", 1.0),
            self.special(Special::Super, "❖", 1.0),
            self.special(Special::Left, "←", 1.0),
            self.special(Special::Up, "↑", 1.0),
            self.special(Special::Down, "↓", 1.0),
            self.special(Special::Right, "→", 1.0),
            self.special(Special::CtrlAltDel, "Ctrl+Alt+Del", 2.0),
        ]
    }

    fn bottom_row(&self) -> Vec<Key> {
        let mut row = vec![
            match self.page {
                Page::Letters => self.special(Special::Symbols, "?123", 1.5),
                Page::Symbols => self.special(Special::Letters, "ABC", 1.5),
            },
            self.special(Special::Layout, &self.layout.code().to_uppercase(), 1.5),
        ];
        if self.layout != Layout::EnUs {
            row.push(self.special(Special::AltGr, "AltGr", 1.5));
        }
        row.push(self.special(Special::Space, "", 4.0));
        row.push(self.special(Special::Enter, "⏎", 1.5));
        row.push(self.special(Special::Hide, "⌨", 1.5));
        row
    }

    /// A key pressed, by its place in [`Osk::rows`].
    pub fn press(&mut self, row: usize, column: usize) -> Vec<Output> {
        let Some(key) = self.rows().get(row).and_then(|r| r.get(column)).cloned() else {
            return Vec::new();
        };
        match key.kind {
            KeyKind::Char(character) => self.type_char(character),
            KeyKind::Special(special) => self.special_pressed(special),
        }
    }

    /// One of a key's alternates chosen (after a long press).
    pub fn choose_alternate(&mut self, row: usize, column: usize, index: usize) -> Vec<Output> {
        let rows = self.rows();
        let Some(character) = rows
            .get(row)
            .and_then(|r| r.get(column))
            .and_then(|key| key.alternates.get(index))
        else {
            return Vec::new();
        };
        self.type_char(*character)
    }

    fn type_char(&mut self, character: char) -> Vec<Output> {
        let mut outputs = match self.target {
            Target::Field => vec![Output::Insert(character.to_string())],
            Target::Vm => match self.layout.stroke(character) {
                Some(stroke) => vec![Output::Keys(self.stroke_events(stroke))],
                None => {
                    tracing::debug!(?character, layout = ?self.layout, "no key types this");
                    Vec::new()
                }
            },
        };
        if self.release_once() {
            outputs.push(Output::Redraw);
        }
        outputs
    }

    /// The events for a stroke: the modifiers it and the sticky keys need, the key, then the
    /// modifiers let go in reverse; a dead key is followed by a space.
    fn stroke_events(&self, stroke: Stroke) -> Vec<(u32, bool)> {
        let mut modifiers = Vec::new();
        if self.ctrl.on() {
            modifiers.push(layouts::KEY_LEFTCTRL);
        }
        if self.alt.on() {
            modifiers.push(layouts::KEY_LEFTALT);
        }
        if self.meta.on() {
            modifiers.push(layouts::KEY_LEFTMETA);
        }
        if stroke.altgr {
            modifiers.push(layouts::KEY_RIGHTALT);
        }
        if stroke.shift {
            modifiers.push(layouts::KEY_LEFTSHIFT);
        }
        let mut events: Vec<(u32, bool)> = modifiers.iter().map(|m| (*m, true)).collect();
        events.push((stroke.code, true));
        events.push((stroke.code, false));
        events.extend(modifiers.iter().rev().map(|m| (*m, false)));
        if stroke.dead {
            events.push((layouts::KEY_SPACE, true));
            events.push((layouts::KEY_SPACE, false));
        }
        events
    }

    /// Modifiers on for one key go off; returns whether any did.
    fn release_once(&mut self) -> bool {
        let before = (self.shift, self.altgr, self.ctrl, self.alt, self.meta);
        self.shift = self.shift.used();
        self.altgr = self.altgr.used();
        self.ctrl = self.ctrl.used();
        self.alt = self.alt.used();
        self.meta = self.meta.used();
        before != (self.shift, self.altgr, self.ctrl, self.alt, self.meta)
    }

    fn special_pressed(&mut self, special: Special) -> Vec<Output> {
        let key = |code| Stroke {
            code,
            shift: false,
            altgr: false,
            dead: false,
        };
        let field = self.target == Target::Field;
        let stroke = match special {
            Special::Shift => {
                self.shift = self.shift.tapped();
                return vec![Output::Redraw];
            }
            Special::AltGr => {
                self.altgr = self.altgr.tapped();
                return vec![Output::Redraw];
            }
            Special::Ctrl => {
                self.ctrl = self.ctrl.tapped();
                return vec![Output::Redraw];
            }
            Special::Alt => {
                self.alt = self.alt.tapped();
                return vec![Output::Redraw];
            }
            Special::Super => {
                self.meta = self.meta.tapped();
                return vec![Output::Redraw];
            }
            Special::Symbols | Special::Letters => {
                self.page = if special == Special::Symbols {
                    Page::Symbols
                } else {
                    Page::Letters
                };
                return vec![Output::Redraw];
            }
            Special::Layout => {
                self.layout = self.layout.next();
                self.altgr = Sticky::Off;
                return vec![Output::LayoutChosen(self.layout), Output::Redraw];
            }
            Special::Hide => return vec![Output::Hide],
            Special::Space if field => return vec![Output::Insert(" ".into())],
            Special::Backspace if field => return vec![Output::Erase],
            Special::Enter if field => return vec![Output::Submit, Output::Hide],
            Special::Space => key(layouts::KEY_SPACE),
            Special::Backspace => key(layouts::KEY_BACKSPACE),
            Special::Enter => key(layouts::KEY_ENTER),
            Special::Esc => key(layouts::KEY_ESC),
            Special::Tab => key(layouts::KEY_TAB),
            Special::Left => key(layouts::KEY_LEFT),
            Special::Up => key(layouts::KEY_UP),
            Special::Down => key(layouts::KEY_DOWN),
            Special::Right => key(layouts::KEY_RIGHT),
            Special::CtrlAltDel => {
                let events = vec![
                    (layouts::KEY_LEFTCTRL, true),
                    (layouts::KEY_LEFTALT, true),
                    (layouts::KEY_DELETE, true),
                    (layouts::KEY_DELETE, false),
                    (layouts::KEY_LEFTALT, false),
                    (layouts::KEY_LEFTCTRL, false),
                ];
                return vec![Output::Keys(events)];
            }
        };
        if field {
            // Keys with no meaning in a text field (Esc, Tab, arrows: the VM row) are not shown.
            return Vec::new();
        }
        let mut outputs = vec![Output::Keys(self.stroke_events(stroke))];
        if self.release_once() {
            outputs.push(Output::Redraw);
        }
        outputs
    }
}

#[cfg(test)]
mod tests;

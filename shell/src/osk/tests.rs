use super::layouts::Layout;
use super::*;

/// Presses the key labelled `label`.
fn tap(osk: &mut Osk, label: &str) -> Vec<Output> {
    let (row, column) = place(osk, label);
    osk.press(row, column)
}

fn place(osk: &Osk, label: &str) -> (usize, usize) {
    for (r, row) in osk.rows().iter().enumerate() {
        if let Some(c) = row.iter().position(|key| key.label == label) {
            return (r, c);
        }
    }
    panic!("no key labelled {label:?} in {:?}", osk.rows());
}

fn keys(outputs: Vec<Output>) -> Vec<(u32, bool)> {
    outputs
        .into_iter()
        .flat_map(|output| match output {
            Output::Keys(events) => events,
            _ => Vec::new(),
        })
        .collect()
}

fn text(outputs: Vec<Output>) -> String {
    outputs
        .into_iter()
        .filter_map(|output| match output {
            Output::Insert(text) => Some(text),
            _ => None,
        })
        .collect()
}

const SHIFT: u32 = 42;
const ALTGR: u32 = 100;

#[test]
fn german_into_a_vm_is_the_physical_keys_of_a_german_keyboard() {
    let mut osk = Osk::new(Layout::De, Target::Vm);
    tap(&mut osk, "⇧");
    let mut events = keys(tap(&mut osk, "G"));
    for letter in ["r", "ü", "ß", "e"] {
        events.extend(keys(tap(&mut osk, letter)));
    }
    assert_eq!(
        events,
        vec![
            (SHIFT, true),
            (34, true),
            (34, false),
            (SHIFT, false),
            (19, true),
            (19, false),
            (26, true),
            (26, false),
            (12, true),
            (12, false),
            (18, true),
            (18, false),
        ]
    );
}

#[test]
fn polish_letters_come_from_a_long_press_or_altgr() {
    let mut osk = Osk::new(Layout::Pl, Target::Field);
    // Shift, then z's first alternate: Ż.
    tap(&mut osk, "⇧");
    let (row, column) = place(&osk, "Z");
    assert_eq!(osk.rows()[row][column].alternates, vec!['Ż', 'Ź']);
    let mut typed = text(osk.choose_alternate(row, column, 0));
    // AltGr shows ó on o.
    tap(&mut osk, "AltGr");
    typed += &text(tap(&mut osk, "ó"));
    let (row, column) = place(&osk, "l");
    typed += &text(osk.choose_alternate(row, column, 0));
    let (row, column) = place(&osk, "c");
    typed += &text(osk.choose_alternate(row, column, 0));
    assert_eq!(typed, "Żółć");
}

#[test]
fn polish_into_a_vm_holds_altgr() {
    let mut osk = Osk::new(Layout::Pl, Target::Vm);
    let (row, column) = place(&osk, "l");
    assert_eq!(
        keys(osk.choose_alternate(row, column, 0)),
        vec![(ALTGR, true), (38, true), (38, false), (ALTGR, false)]
    );
}

#[test]
fn modifiers_stick_for_one_key_or_lock_when_tapped_twice() {
    let mut osk = Osk::new(Layout::EnUs, Target::Vm);
    tap(&mut osk, "Ctrl");
    assert!(osk.rows()[0][2].active);
    assert_eq!(
        keys(tap(&mut osk, "c")),
        vec![(29, true), (46, true), (46, false), (29, false)]
    );
    assert!(!osk.rows()[0][2].active);
    assert_eq!(keys(tap(&mut osk, "c")), vec![(46, true), (46, false)]);
    tap(&mut osk, "⇧");
    tap(&mut osk, "⇧");
    tap(&mut osk, "A");
    assert_eq!(
        keys(tap(&mut osk, "B")),
        vec![(SHIFT, true), (48, true), (48, false), (SHIFT, false)],
        "Shift stays locked"
    );
}

#[test]
fn ctrl_alt_del_is_one_key() {
    let mut osk = Osk::new(Layout::De, Target::Vm);
    assert_eq!(
        keys(tap(&mut osk, "Ctrl+Alt+Del")),
        vec![
            (29, true),
            (56, true),
            (111, true),
            (111, false),
            (56, false),
            (29, false)
        ]
    );
}

#[test]
fn a_text_field_gets_characters_and_its_own_editing_keys() {
    let mut osk = Osk::new(Layout::De, Target::Field);
    assert_eq!(osk.rows().len(), 4, "no VM row for a field");
    assert_eq!(text(tap(&mut osk, "ß")), "ß");
    assert_eq!(tap(&mut osk, "⌫"), vec![Output::Erase]);
    assert_eq!(tap(&mut osk, "⏎"), vec![Output::Submit, Output::Hide]);
    tap(&mut osk, "?123");
    assert_eq!(text(tap(&mut osk, "€")), "€");
    tap(&mut osk, "ABC");
    assert_eq!(
        tap(&mut osk, "DE"),
        vec![Output::LayoutChosen(Layout::Pl), Output::Redraw]
    );
    assert_eq!(osk.layout(), Layout::Pl);
}

#[test]
fn every_letter_key_types_on_its_own_layout() {
    for layout in Layout::ALL {
        let mut osk = Osk::new(layout, Target::Vm);
        for (r, row) in osk.rows().into_iter().enumerate() {
            for (c, key) in row.into_iter().enumerate() {
                if let KeyKind::Char(character) = key.kind {
                    assert!(
                        !keys(osk.press(r, c)).is_empty(),
                        "{character:?} on {layout:?} types nothing"
                    );
                }
            }
        }
    }
}

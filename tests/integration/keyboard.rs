//! Physical keys on any host layout: the real `hearth` binary on an X display with a German,
//! then a Polish keyboard layout, in front of two real QEMU guests. Keys are pressed with
//! xdotool by their keysyms, as a user of that layout would press them, and each guest logs
//! what its own kernel's input layer received.

use std::time::Duration;

use hearth_tests::guest::{Hardware, Qemu, TwoVms, UUID_A, UUID_B};
use hearth_tests::services::{TempDir, wait_for};
use hearth_tests::xvfb::{Running, Xvfb};

const BOOT: Duration = Duration::from_secs(120);

/// A configuration that shows the two guests through libvirt's Test driver.
fn write_config(vms: &TwoVms, dir: &TempDir) -> String {
    let path = dir.path().join("hearth.toml");
    let text = format!(
        "backend = \"libvirt\"\n\
         [libvirt]\nbus = \"{bus}\"\nconnection = \"Test\"\ndisplays = \"{bus}\"\n\
         [[vm]]\nname = \"vmA\"\nrole = \"work\"\n\
         [[vm]]\nname = \"vmB\"\nrole = \"personal\"\n",
        bus = vms.bus.address
    );
    std::fs::write(&path, text).expect("writing the configuration");
    path.to_string_lossy().into_owned()
}

/// Waits until the guest logged `count` more key events than `before`, then a moment more
/// for anything that should not be there, and returns the new ones.
fn new_keys(hearth: &mut Running, guest: &Qemu, before: usize, count: usize) -> Vec<(u16, bool)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while guest.keys_logged().len() < before + count {
        assert!(
            std::time::Instant::now() < deadline,
            "{} logged {:?} after the first {before}, expected {count}; its serial port:\n{}\n\
             Hearth's log:\n{}",
            guest.name,
            guest
                .keys_logged()
                .split_off(before.min(guest.keys_logged().len())),
            guest.serial(),
            hearth.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    guest.keys_logged().split_off(before)
}

fn tap(code: u16) -> [(u16, bool); 2] {
    [(code, true), (code, false)]
}

// Linux evdev codes of the physical keys (input-event-codes.h).
const KEY_MINUS: u16 = 12;
const KEY_Q: u16 = 16;
const KEY_Y: u16 = 21;
const KEY_LEFTBRACE: u16 = 26;
const KEY_LEFTCTRL: u16 = 29;
const KEY_A: u16 = 30;
const KEY_SEMICOLON: u16 = 39;
const KEY_APOSTROPHE: u16 = 40;
const KEY_LEFTSHIFT: u16 = 42;
const KEY_Z: u16 = 44;
const KEY_C: u16 = 46;
const KEY_RIGHTALT: u16 = 100;

#[test]
fn keys_reach_guests_by_position_on_german_and_polish_layouts_and_hotkeys_leak_nothing() {
    // A virtio keyboard, as Hearth's documentation recommends: the PS/2 queue of a guest
    // slowed down by TCG on a busy machine can drop keys, which this test would take for
    // Hearth's fault.
    let vms = TwoVms::start_with(Hardware {
        vga: "std",
        devices: &["virtio-keyboard-pci"],
        disk: false,
    });
    let dir = TempDir::new("keyboard");
    let config = write_config(&vms, &dir);
    let xvfb = Xvfb::start();
    xvfb.set_layout("de");
    let mut hearth = Running::start(
        &xvfb,
        &["--config", &config, "--language", "de"],
        &[("XDG_CACHE_HOME", &dir.path().to_string_lossy())],
    );
    hearth.wait_for_log("hypervisor connected", BOOT);
    wait_for("both guests to boot", BOOT, || {
        vms.a.ready() && vms.b.ready()
    });
    xvfb.focus_hearth();
    xvfb.keys("ctrl+alt+1");
    hearth.wait_for_log(&format!("switched vm={UUID_A}"), Duration::from_secs(30));

    // German: Z and Y swap places, ö ä ü ß sit where US has ; ' [ -, @ is AltGr+Q.
    let before = vms.a.keys_logged().len();
    // AltGr is pressed as X keycode 108, the right Alt key of a real keyboard: xdotool
    // would pick keycode 92, a key no PC keyboard has, for the keysym ISO_Level3_Shift.
    xvfb.keys("z y odiaeresis adiaeresis udiaeresis ssharp Z 108+q");
    let mut expected: Vec<(u16, bool)> = Vec::new();
    for code in [
        KEY_Y,
        KEY_Z,
        KEY_SEMICOLON,
        KEY_APOSTROPHE,
        KEY_LEFTBRACE,
        KEY_MINUS,
    ] {
        expected.extend(tap(code));
    }
    // xdotool lets go of a combination's modifier before its key; Hearth keeps that order.
    expected.extend([
        (KEY_LEFTSHIFT, true),
        (KEY_Y, true),
        (KEY_LEFTSHIFT, false),
        (KEY_Y, false),
        (KEY_RIGHTALT, true),
        (KEY_Q, true),
        (KEY_RIGHTALT, false),
        (KEY_Q, false),
    ]);
    assert_eq!(
        new_keys(&mut hearth, &vms.a, before, expected.len()),
        expected
    );

    // Polish (programmer's): ą is AltGr+A, and Z and Y are where US has them.
    xvfb.set_layout("pl");
    let before = vms.a.keys_logged().len();
    xvfb.keys("108+a z y");
    let mut expected = vec![
        (KEY_RIGHTALT, true),
        (KEY_A, true),
        (KEY_RIGHTALT, false),
        (KEY_A, false),
    ];
    expected.extend(tap(KEY_Z));
    expected.extend(tap(KEY_Y));
    assert_eq!(
        new_keys(&mut hearth, &vms.a, before, expected.len()),
        expected
    );

    // A hotkey switch leaves no key event in either guest, not even Ctrl or Alt.
    let (before_a, before_b) = (vms.a.keys_logged().len(), vms.b.keys_logged().len());
    xvfb.keys("ctrl+alt+Right");
    hearth.wait_for_log(&format!("switched vm={UUID_B}"), Duration::from_secs(30));
    // Then a lone Ctrl and a Ctrl+C reach vmB, in order.
    xvfb.keys("ctrl ctrl+c");
    let mut expected = tap(KEY_LEFTCTRL).to_vec();
    expected.extend([
        (KEY_LEFTCTRL, true),
        (KEY_C, true),
        (KEY_LEFTCTRL, false),
        (KEY_C, false),
    ]);
    assert_eq!(
        new_keys(&mut hearth, &vms.b, before_b, expected.len()),
        expected
    );
    assert_eq!(
        vms.a.keys_logged().split_off(before_a),
        Vec::new(),
        "vmA saw keys of the hotkey"
    );
}

//! Pointer and multi-touch in real guests: absolute clicks and a two-finger touch on Hearth's
//! VM view reach the focused QEMU guest (virtio tablet and multi-touch screen) at the right
//! place, as the guest's own kernel reports them, and nothing reaches the other guest.

use std::sync::Arc;
use std::time::Duration;

use hearth::gestures::Phase;
use hearth_tests::World;
use hearth_tests::guest::{EV_ABS, EV_KEY, GuestInput, Hardware, Qemu, TwoVms};
use hearth_tests::services::wait_for;
use hearth_vm_bridge::libvirt::LibvirtHypervisor;
use slint::LogicalPosition;

const BOOT: Duration = Duration::from_secs(120);

// Linux input-event-codes.h.
const ABS_X: u16 = 0x00;
const ABS_Y: u16 = 0x01;
const ABS_MT_POSITION_X: u16 = 0x35;
const ABS_MT_POSITION_Y: u16 = 0x36;
const ABS_MT_TRACKING_ID: u16 = 0x39;
const BTN_LEFT: u16 = 0x110;
/// QEMU scales absolute positions to 0…0x7fff of the guest device's axis.
const AXIS_MAX: f64 = 32767.0;

/// Waits until the guest logged events beyond `before` that satisfy `done`; returns them.
fn events_after(
    guest: &Qemu,
    before: usize,
    what: &str,
    done: impl Fn(&[GuestInput]) -> bool,
) -> Vec<GuestInput> {
    let start = std::time::Instant::now();
    loop {
        let events = guest.input_events().split_off(before);
        if done(&events) {
            return events;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}: no {what}; it logged {events:?}\ndevices: {:?}",
            guest.name,
            guest.input_devices()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has(events: &[GuestInput], kind: u16, code: u16, value: i32) -> bool {
    events
        .iter()
        .any(|e| e.kind == kind && e.code == code && e.value == value)
}

/// The guest pixel a point of the 1280x800 view shows, the frame fitted keeping its aspect.
fn guest_point(view: (f32, f32), guest: (u32, u32)) -> (f64, f64) {
    let (width, height) = (guest.0 as f32, guest.1 as f32);
    let scale = (1280.0 / width).min(800.0 / height);
    let left = (1280.0 - width * scale) / 2.0;
    let top = (800.0 - height * scale) / 2.0;
    (
        ((view.0 - left) / scale) as f64,
        ((view.1 - top) / scale) as f64,
    )
}

/// Whether an axis value is where the guest pixel `at` of a `size`-wide screen lands.
fn near(value: i32, at: f64, size: u32) -> bool {
    let expected = at * AXIS_MAX / size as f64;
    // Two guest pixels either way: rounding in Hearth, in QEMU and in the guest's driver.
    (value as f64 - expected).abs() <= 2.0 * AXIS_MAX / size as f64 + 2.0
}

#[test]
fn clicks_and_two_finger_touches_reach_the_focused_guest_at_the_right_place() {
    let vms = TwoVms::start_with(Hardware {
        vga: "std",
        devices: &["virtio-tablet-pci", "virtio-multitouch-pci"],
        disk: false,
    });
    let world = World::over(Arc::new(LibvirtHypervisor::new(vms.config())));
    world.wait_until("both VMs listed", BOOT, |w| w.app.vms().len() == 2);
    wait_for("both guests to boot", BOOT, || {
        vms.a.ready() && vms.b.ready()
    });
    let hypervisor = world.app.hypervisor().expect("attached");
    let id_a = world.app.vms()[0].id.clone();
    world.wait_until("vmA's screen", BOOT, |_| {
        hypervisor.display(&id_a).and_then(|d| d.size()).is_some()
    });
    world.tap("Open vmA");
    world.settle();
    let size = hypervisor
        .display(&id_a)
        .and_then(|d| d.size())
        .expect("vmA's size");
    let b_before = vms.b.input_events().len();

    // An absolute click.
    let before = vms.a.input_events().len();
    let view = (500.0, 300.0);
    let position = LogicalPosition::new(view.0, view.1);
    world.pointer(position, true);
    world.advance(20);
    world.pointer(position, false);
    world.advance(20);
    let events = events_after(&vms.a, before, "click", |events| {
        has(events, EV_KEY, BTN_LEFT, 1) && has(events, EV_KEY, BTN_LEFT, 0)
    });
    let (gx, gy) = guest_point(view, size);
    let last = |code: u16| {
        events
            .iter()
            .rev()
            .find(|e| e.kind == EV_ABS && e.code == code)
            .map(|e| e.value)
    };
    let (x, y) = (last(ABS_X).expect("ABS_X"), last(ABS_Y).expect("ABS_Y"));
    assert!(
        near(x, gx, size.0) && near(y, gy, size.1),
        "clicked guest pixel {gx:.0},{gy:.0} of {size:?}, the tablet says {x},{y}"
    );

    // Two fingers down, then up, away from the edges Hearth keeps for its gestures.
    let before = vms.a.input_events().len();
    let fingers = [(400.0, 300.0), (900.0, 500.0)];
    for (id, (x, y)) in fingers.iter().enumerate() {
        assert!(
            world.touch(id as i32, Phase::Down, *x, *y),
            "finger {id} taken"
        );
        world.advance(10);
    }
    for (id, (x, y)) in fingers.iter().enumerate() {
        world.touch(id as i32, Phase::Up, *x, *y);
        world.advance(10);
    }
    let events = events_after(&vms.a, before, "two-finger touch", |events| {
        events
            .iter()
            .filter(|e| e.kind == EV_ABS && e.code == ABS_MT_TRACKING_ID && e.value == -1)
            .count()
            >= 2
    });
    let xs: Vec<i32> = events
        .iter()
        .filter(|e| e.kind == EV_ABS && e.code == ABS_MT_POSITION_X)
        .map(|e| e.value)
        .collect();
    let ys: Vec<i32> = events
        .iter()
        .filter(|e| e.kind == EV_ABS && e.code == ABS_MT_POSITION_Y)
        .map(|e| e.value)
        .collect();
    for (x, y) in fingers {
        let (gx, gy) = guest_point((x, y), size);
        assert!(
            xs.iter().any(|v| near(*v, gx, size.0)) && ys.iter().any(|v| near(*v, gy, size.1)),
            "finger at guest pixel {gx:.0},{gy:.0}: the touch screen says x {xs:?}, y {ys:?}"
        );
    }
    let began = events
        .iter()
        .filter(|e| e.kind == EV_ABS && e.code == ABS_MT_TRACKING_ID && e.value >= 0)
        .count();
    assert_eq!(began, 2, "two touches began: {events:?}");

    // vmB, not shown, got nothing at all.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        vms.b.input_events().split_off(b_before),
        Vec::new(),
        "vmB received input meant for vmA"
    );
}

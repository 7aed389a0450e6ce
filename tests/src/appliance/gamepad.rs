//! A gamepad plugged into the appliance guest: made on /dev/uinput by evemu-device (kept
//! alive as a transient systemd unit), its buttons pressed with evemu-event.

use std::time::{Duration, Instant};

use super::Appliance;

/// The pad's name, as the kernel reports it.
const NAME: &str = "Hearth test pad";

/// An Xbox-style pad in evemu's description format: EV_KEY with BTN_SOUTH, BTN_EAST,
/// BTN_START and BTN_MODE (bytes 38 and 39 of the key bits), EV_ABS with the left stick and
/// the d-pad's hat.
fn description() -> String {
    let mut text = format!("# EVEMU 1.1\nN: {NAME}\nI: 0003 045e 028e 0110\n");
    text.push_str("B: 00 0b 00 00 00 00 00 00 00\n");
    let mut keys = [0u8; 96];
    keys[38] = 0x03;
    keys[39] = 0x18;
    for line in keys.chunks(8) {
        let bytes: Vec<String> = line.iter().map(|byte| format!("{byte:02x}")).collect();
        text.push_str(&format!("B: 01 {}\n", bytes.join(" ")));
    }
    text.push_str("B: 03 03 00 03 00 00 00 00 00\n");
    text.push_str("A: 00 -32768 32767 16 128\nA: 01 -32768 32767 16 128\n");
    text.push_str("A: 10 -1 1 0 0\nA: 11 -1 1 0 0\n");
    text
}

pub struct GuestGamepad<'a> {
    guest: &'a Appliance,
    /// Its node, /dev/input/eventN.
    node: String,
}

impl Appliance {
    /// Plugs a gamepad in and returns once its node is there.
    pub fn plug_gamepad(&self) -> std::io::Result<GuestGamepad<'_>> {
        self.run_with_input(
            "cat > /run/hearth-test-pad.desc",
            description().as_bytes(),
            Duration::from_secs(30),
        )?;
        self.run_ok(
            "modprobe uinput; \
             systemd-run --unit=hearth-test-pad evemu-device /run/hearth-test-pad.desc",
        )?;
        let started = Instant::now();
        loop {
            let found = self.run_ok(&format!(
                "for name in /sys/class/input/event*/device/name; do \
                   if [ \"$(cat $name)\" = '{NAME}' ]; then \
                     basename $(dirname $(dirname $name)); fi; \
                 done"
            ))?;
            if let Some(event) = found.lines().next().filter(|line| !line.is_empty()) {
                return Ok(GuestGamepad {
                    guest: self,
                    node: format!("/dev/input/{event}"),
                });
            }
            if started.elapsed() > Duration::from_secs(30) {
                let status = self
                    .run("systemctl status hearth-test-pad")
                    .map(|output| output.stdout)
                    .unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "no gamepad node appeared: {status}"
                )));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl GuestGamepad<'_> {
    /// Presses and lets go a button, by its name in linux/input-event-codes.h.
    pub fn press(&self, button: &str) -> std::io::Result<()> {
        let node = &self.node;
        self.guest
            .run_ok(&format!(
                "evemu-event {node} --type EV_KEY --code {button} --value 1 --sync && \
                 evemu-event {node} --type EV_KEY --code {button} --value 0 --sync"
            ))
            .map(drop)
    }
}

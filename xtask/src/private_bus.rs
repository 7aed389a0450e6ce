//! A D-Bus bus of the demo's own (`dbus-daemon --session`): for the demo's image service, and
//! as Hearth's session bus on a machine that has none, so `hearth ctl` and `playerctl` can
//! reach the demo.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// A running bus; the daemon is stopped when this is dropped.
pub struct PrivateBus {
    daemon: Child,
    pub address: String,
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

pub fn start() -> anyhow::Result<PrivateBus> {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting a D-Bus daemon")?;
    let stdout = daemon.stdout.take().context("dbus-daemon's output")?;
    let mut address = String::new();
    let read = BufReader::new(stdout).read_line(&mut address);
    let bus = PrivateBus {
        daemon,
        address: address.trim().to_string(),
    };
    read.context("reading the bus address")?;
    if bus.address.is_empty() {
        bail!("dbus-daemon printed no address");
    }
    Ok(bus)
}

/// Whether this session has a session bus Hearth would find: DBUS_SESSION_BUS_ADDRESS, or
/// the user's bus socket under XDG_RUNTIME_DIR.
pub fn session_bus_exists() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|address| !address.is_empty()) {
        return true;
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .is_some_and(|runtime| std::path::Path::new(&runtime).join("bus").exists())
}

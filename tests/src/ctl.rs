//! `hearth ctl` against the real Hearth on a private bus, as the service tests use it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::services::PrivateBus;
use crate::xvfb::hearth_binary;

/// How long Hearth may take to show what is asked of it.
const WAIT: Duration = Duration::from_secs(60);

/// `hearth ctl --bus ADDRESS args…`: exit code, stdout, stderr.
pub fn ctl(bus: &PrivateBus, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(hearth_binary())
        .args(["ctl", "--bus", &bus.address])
        .args(args)
        .output()
        .expect("running hearth ctl");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

/// `hearth ctl status --json`, when Hearth answers.
pub fn status(bus: &PrivateBus) -> Option<serde_json::Value> {
    let (code, out, _) = ctl(bus, &["status", "--json"]);
    (code == 0).then(|| serde_json::from_str(&out).expect("status is JSON"))
}

/// Waits until the status satisfies `ok`; panics naming `what` with the last status.
pub fn wait_for_status(bus: &PrivateBus, what: &str, ok: impl Fn(&serde_json::Value) -> bool) {
    let start = Instant::now();
    loop {
        let now = status(bus);
        if now.as_ref().is_some_and(&ok) {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "Hearth never showed {what}; last status: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

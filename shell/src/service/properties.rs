//! The service's properties as D-Bus values.

use zbus::zvariant::Value;

use super::Status;
use crate::properties_changed::{Values, owned};

pub fn vms(status: &Status) -> Vec<(String, String, String)> {
    status
        .vms
        .iter()
        .map(|vm| (vm.name.clone(), vm.state.clone(), vm.role.clone()))
        .collect()
}

pub fn playback(status: &Status) -> (String, String, String) {
    let playback = &status.playback;
    (
        playback.state.clone(),
        playback.title.clone(),
        playback.file.clone(),
    )
}

pub fn downloads(status: &Status) -> Vec<(String, String, u64, u64)> {
    status
        .downloads
        .iter()
        .map(|d| {
            (
                d.image.clone(),
                d.phase.clone(),
                d.bytes_done,
                d.bytes_total,
            )
        })
        .collect()
}

/// Every property by its D-Bus name.
pub fn of(status: &Status) -> Values {
    Values::from([
        ("Vms", owned(Value::from(vms(status)))),
        ("Front", owned(Value::from(status.front.as_str()))),
        ("Screen", owned(Value::from(status.screen.as_str()))),
        ("Kiosk", owned(Value::from(status.kiosk))),
        (
            "KioskTargets",
            owned(Value::from(status.kiosk_targets.clone())),
        ),
        ("Playback", owned(Value::from(playback(status)))),
        ("Downloads", owned(Value::from(downloads(status)))),
    ])
}

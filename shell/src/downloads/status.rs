//! One VM image as the image service reports it, kept current from its D-Bus properties
//! (docs/IMAGES.md lists them). Plain data: the controller words it, the cache stores it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use zbus::zvariant::{OwnedValue, Value};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageStatus {
    pub name: String,
    pub vm: String,
    pub disk: String,
    pub rollback_grace_seconds: u64,
    /// Versions are numbers, 0 meaning none.
    pub current: u64,
    /// The current version's file (read-only), the overlay the VM runs on, and the data
    /// disk with its target ("" when there is none).
    pub current_file: String,
    pub boot_file: String,
    pub data_file: String,
    pub data_disk: String,
    /// Previous versions whose overlay is kept (they can come back as they were left).
    pub kept_overlays: Vec<u64>,
    /// `as-left` or `as-shipped`: what a rollback does unless the user chooses.
    pub rollback_default: String,
    pub space_used: u64,
    pub space_free: u64,
    pub ready: u64,
    pub previous: Vec<u64>,
    pub pending: u64,
    pub declined: u64,
    /// `idle`, `checking`, `fetching`, `paused`, `verifying`, `ready` or `failed`.
    pub phase: String,
    /// "", `user`, `metered` or `battery`.
    pub held_by: String,
    pub policy_overridden: bool,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub image_bytes: u64,
    pub bytes_reused: u64,
    pub bytes_saved: u64,
    /// Of the bytes received, those from peers on the local network.
    pub bytes_from_peers: u64,
    /// Bytes peers sent that failed their check.
    pub bytes_wasted_by_peers: u64,
    pub rate: u64,
    /// -1 when unknown.
    pub eta_seconds: i64,
    pub last_error: String,
    /// Version, event (`ready`, `activated`, `rolled_back`), Unix time, reason; oldest first.
    pub history: Vec<(u64, String, u64, String)>,
}

impl ImageStatus {
    /// Takes in the properties given (all of them from GetManagedObjects, the changed ones
    /// from PropertiesChanged); unknown names and values of the wrong type are ignored.
    pub fn apply<'a>(&mut self, properties: impl IntoIterator<Item = (&'a str, &'a Value<'a>)>) {
        for (name, value) in properties {
            match name {
                "Name" => text(&mut self.name, value),
                "Vm" => text(&mut self.vm, value),
                "Disk" => text(&mut self.disk, value),
                "RollbackGraceSeconds" => number(&mut self.rollback_grace_seconds, value),
                "Current" => number(&mut self.current, value),
                "CurrentFile" => text(&mut self.current_file, value),
                "BootFile" => text(&mut self.boot_file, value),
                "DataFile" => text(&mut self.data_file, value),
                "DataDisk" => text(&mut self.data_disk, value),
                "KeptOverlays" => list(&mut self.kept_overlays, value),
                "RollbackDefault" => text(&mut self.rollback_default, value),
                "SpaceUsed" => number(&mut self.space_used, value),
                "SpaceFree" => number(&mut self.space_free, value),
                "Ready" => number(&mut self.ready, value),
                "Previous" => list(&mut self.previous, value),
                "Pending" => number(&mut self.pending, value),
                "Declined" => number(&mut self.declined, value),
                "Phase" => text(&mut self.phase, value),
                "HeldBy" => text(&mut self.held_by, value),
                "PolicyOverridden" => {
                    if let Ok(flag) = bool::try_from(value) {
                        self.policy_overridden = flag;
                    }
                }
                "BytesDone" => number(&mut self.bytes_done, value),
                "BytesTotal" => number(&mut self.bytes_total, value),
                "ImageBytes" => number(&mut self.image_bytes, value),
                "BytesReused" => number(&mut self.bytes_reused, value),
                "BytesSaved" => number(&mut self.bytes_saved, value),
                "BytesFromPeers" => number(&mut self.bytes_from_peers, value),
                "BytesWastedByPeers" => number(&mut self.bytes_wasted_by_peers, value),
                "Rate" => number(&mut self.rate, value),
                "EtaSeconds" => {
                    if let Ok(seconds) = i64::try_from(value) {
                        self.eta_seconds = seconds;
                    }
                }
                "LastError" => text(&mut self.last_error, value),
                "History" => list(&mut self.history, value),
                _ => {}
            }
        }
    }

    pub fn apply_owned(&mut self, properties: &HashMap<String, OwnedValue>) {
        self.apply(
            properties
                .iter()
                .map(|(name, value)| (name.as_str(), &**value)),
        );
    }

    /// Whether a download is under way (or held) for a version not yet ready.
    pub fn downloading(&self) -> bool {
        matches!(
            self.phase.as_str(),
            "checking" | "fetching" | "paused" | "verifying"
        ) && self.pending != 0
    }

    /// Whether home shows a card for it: something is pending, ready or failed.
    pub fn pending_for_user(&self) -> bool {
        self.downloading() || self.ready != 0 || self.phase == "failed"
    }

    /// The fraction of the download done, 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.ready != 0 && !self.downloading() {
            return 1.0;
        }
        if self.bytes_total == 0 {
            return 0.0;
        }
        (self.bytes_done as f64 / self.bytes_total as f64).clamp(0.0, 1.0) as f32
    }

    /// The disks its VM starts from: the overlay over the current version, and the data
    /// disk. None before a first activation.
    pub fn boot_disks(&self) -> Option<hearth_vm_bridge::BootDisks> {
        if self.boot_file.is_empty() || self.current_file.is_empty() {
            return None;
        }
        Some(hearth_vm_bridge::BootDisks {
            target: self.disk.clone(),
            overlay: self.boot_file.clone().into(),
            base: self.current_file.clone().into(),
            data: (!self.data_file.is_empty() && !self.data_disk.is_empty())
                .then(|| (self.data_disk.clone(), self.data_file.clone().into())),
        })
    }

    /// Whether going back to the previous version can bring it back as it was left.
    pub fn previous_as_left(&self) -> bool {
        self.previous
            .first()
            .is_some_and(|previous| self.kept_overlays.contains(previous))
    }

    /// The last event in the history, if it is a rollback: the reason to show on the tile.
    pub fn rolled_back(&self) -> Option<&(u64, String, u64, String)> {
        self.history
            .last()
            .filter(|(_, event, _, _)| event == "rolled_back")
    }
}

fn text(field: &mut String, value: &Value<'_>) {
    if let Ok(text) = <&str>::try_from(value) {
        text.clone_into(field);
    }
}

fn number(field: &mut u64, value: &Value<'_>) {
    if let Ok(number) = u64::try_from(value) {
        *field = number;
    }
}

fn list<T>(field: &mut Vec<T>, value: &Value<'_>)
where
    Vec<T>: TryFrom<Value<'static>>,
{
    if let Ok(owned) = value.try_to_owned()
        && let Ok(items) = Vec::<T>::try_from(Value::from(owned))
    {
        *field = items;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_fill_the_status_and_wrong_types_are_ignored() {
        let history: Vec<(u64, String, u64, String)> = vec![
            (2, "ready".into(), 100, String::new()),
            (2, "rolled_back".into(), 200, "it crashed".into()),
        ];
        let values: Vec<(&str, Value<'_>)> = vec![
            ("Name", Value::from("work")),
            ("Phase", Value::from("fetching")),
            ("Pending", Value::from(3u64)),
            ("BytesDone", Value::from(25u64)),
            ("BytesTotal", Value::from(100u64)),
            ("Previous", Value::from(vec![2u64, 1])),
            ("EtaSeconds", Value::from(-1i64)),
            ("History", Value::from(history.clone())),
            ("Current", Value::from("not a number")),
            ("Unknown", Value::from(1u32)),
        ];
        let mut status = ImageStatus {
            current: 7,
            ..ImageStatus::default()
        };
        status.apply(values.iter().map(|(name, value)| (*name, value)));
        assert_eq!(status.name, "work");
        assert_eq!((status.pending, status.current), (3, 7));
        assert_eq!(status.previous, [2, 1]);
        assert_eq!(status.eta_seconds, -1);
        assert_eq!(status.history, history);
        assert!(status.downloading() && status.pending_for_user());
        assert_eq!(status.fraction(), 0.25);
        assert_eq!(status.rolled_back().map(|entry| entry.0), Some(2));
    }
}

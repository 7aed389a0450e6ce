//! The fleet rows: five devices, each in a network namespace of its own on one bridge with
//! the origin on the bridge's host (see `hearth_tests::lab`), update from version 1 to 2 of
//! the Debian pair one after another and all at once, with peers (each device serving what it
//! holds and announcing it over mDNS) and without. The origin's log says what the uplink
//! carried.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use hearth_tests::images::{Request, b3};
use hearth_tests::lab::Lab;
use hearth_tests::peers::Share;
use hearth_tests::startup::sibling;

pub const DEVICES: usize = 5;

pub struct Row {
    pub peers: bool,
    pub together: bool,
    /// Bytes and requests the origin served for the images' data (channel, manifests and
    /// signatures apart).
    pub data_bytes: u64,
    pub requests: usize,
    /// Bytes and requests for channel, manifests and signatures.
    pub metadata_bytes: u64,
    pub from_peers: u64,
    pub seconds: f64,
}

impl Row {
    pub fn what(&self) -> String {
        format!(
            "{} devices {}, {}",
            DEVICES,
            if self.together {
                "all at once"
            } else {
                "one after another"
            },
            if self.peers {
                "with peers"
            } else {
                "without peers"
            }
        )
    }
}

/// Runs the four fleet cases; `template` is a device folder holding version 1, `public_key`
/// the store's key, `published_v2` what version 2 must come out as.
pub fn measure(
    store: &Path,
    public_key: &Path,
    template: &Path,
    scratch: &Path,
    published_v2: &Path,
) -> Vec<Row> {
    let lab = Lab::new(DEVICES);
    let origin = lab.origin(store);
    let expected = b3(published_v2);
    let mut rows = Vec::new();
    for (peers, together) in [(false, false), (false, true), (true, false), (true, true)] {
        let devices: Vec<PathBuf> = (0..DEVICES)
            .map(|index| {
                let device = scratch.join(format!("fleet-{peers}-{together}-{index}"));
                copy(template, &device);
                device
            })
            .collect();
        let shares: Vec<Share> = if peers {
            devices
                .iter()
                .enumerate()
                .map(|(index, device)| {
                    let mut command = lab.on_device(index, &sibling("hearth-image"));
                    command.args(["share", "--listen", "0.0.0.0:47390"]);
                    Share::run(command, device, &["--announce", "--interface", "eth0"])
                })
                .collect()
        } else {
            Vec::new()
        };
        let mark = origin.settled_log().len();
        let start = Instant::now();
        let fetch = |index: usize| {
            let mut command = lab.on_device(index, &sibling("hearth-image"));
            command
                .args(["fetch", "--image", "work", "--mirror", &origin.url()])
                .arg("--state")
                .arg(&devices[index])
                .arg("--public-key")
                .arg(public_key)
                .stdout(Stdio::piped());
            if peers {
                command.args(["--discover", "10", "--interface", "eth0"]);
            }
            command
        };
        let outcomes: Vec<serde_json::Value> = if together {
            let children: Vec<_> = (0..DEVICES)
                .map(|index| fetch(index).spawn().expect("starting hearth-image fetch"))
                .collect();
            children
                .into_iter()
                .map(|child| outcome(child.wait_with_output().expect("waiting for a fetch")))
                .collect()
        } else {
            (0..DEVICES)
                .map(|index| outcome(fetch(index).output().expect("running a fetch")))
                .collect()
        };
        let seconds = start.elapsed().as_secs_f64();
        drop(shares);
        let log = origin.settled_log()[mark..].to_vec();
        let (data, metadata): (Vec<Request>, Vec<Request>) =
            log.into_iter().partition(|request| !request.is_metadata());
        for (index, device) in devices.iter().enumerate() {
            assert_eq!(outcomes[index]["version"], 2, "{}", outcomes[index]);
            if index == 0 || index == DEVICES - 1 {
                assert_eq!(b3(&device.join("work/versions/2.img")), expected);
            }
        }
        rows.push(Row {
            peers,
            together,
            data_bytes: data.iter().map(|request| request.bytes).sum(),
            requests: data.len(),
            metadata_bytes: metadata.iter().map(|request| request.bytes).sum(),
            from_peers: outcomes
                .iter()
                .map(|outcome| outcome["peers"]["bytes"].as_u64().unwrap_or(0))
                .sum(),
            seconds,
        });
        for device in devices {
            let _ = std::fs::remove_dir_all(device);
        }
    }
    rows
}

fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .args(["-a", "--sparse=always"])
        .arg(from)
        .arg(to)
        .status()
        .expect("running cp");
    assert!(status.success(), "copying the fleet's template device");
}

fn outcome(output: std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "a fleet device's fetch failed");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("fetch prints its outcome")
}

//! Finding gamepads and reading them: /dev/input is looked over every two seconds (a pad
//! plugged in is opened once udev has let Hearth read it), each gamepad is read on a thread of
//! its own, and what it reports goes to `sink` as [`PadNews`].

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evdev::{AbsoluteAxisCode, Device, KeyCode};

use super::pad::Range;

/// How often /dev/input is looked over for new pads.
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// What the reader tells the UI thread.
#[derive(Debug)]
pub enum PadNews {
    Arrived {
        id: u64,
        name: String,
        stick_x: Option<Range>,
        stick_y: Option<Range>,
    },
    /// Events as (type, code, value), in the order the pad sent them.
    Events {
        id: u64,
        events: Vec<(u16, u16, i32)>,
    },
    Gone {
        id: u64,
    },
}

/// A device node, by its path and inode: a node made again for another device is another.
type Node = (PathBuf, u64);

pub fn spawn(sink: impl Fn(PadNews) + Send + Sync + 'static) {
    let sink: Arc<dyn Fn(PadNews) + Send + Sync> = Arc::new(sink);
    let spawned = std::thread::Builder::new()
        .name("hearth-gamepads".into())
        .spawn(move || look_for_pads(sink));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot look for gamepads");
    }
}

fn look_for_pads(sink: Arc<dyn Fn(PadNews) + Send + Sync>) {
    // Nodes being read, and nodes that are no gamepad.
    let reading: Arc<Mutex<HashSet<Node>>> = Arc::default();
    let mut not_pads: HashSet<Node> = HashSet::new();
    let mut refused: HashSet<PathBuf> = HashSet::new();
    let mut next_id = 0;
    loop {
        for path in event_nodes() {
            let Ok(inode) = std::fs::metadata(&path).map(|meta| meta.ino()) else {
                continue;
            };
            let node = (path.clone(), inode);
            let known = reading
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&node);
            if known || not_pads.contains(&node) {
                continue;
            }
            let device = match Device::open(&path) {
                Ok(device) => device,
                Err(error) => {
                    // Often udev has not given the node to the input group yet: tried again
                    // next time, said once.
                    if refused.insert(path.clone()) {
                        tracing::debug!(path = %path.display(), %error, "cannot read an input device");
                    }
                    continue;
                }
            };
            refused.remove(&path);
            if !is_gamepad(&device) {
                not_pads.insert(node);
                continue;
            }
            next_id += 1;
            reading
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(node.clone());
            read_pad(next_id, node, device, sink.clone(), reading.clone());
        }
        std::thread::sleep(LOOK_EVERY);
    }
}

fn event_nodes() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(Path::new("/dev/input")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("event"))
        .map(|entry| entry.path())
        .collect()
}

fn is_gamepad(device: &Device) -> bool {
    device
        .supported_keys()
        .is_some_and(|keys| keys.contains(KeyCode::BTN_SOUTH))
}

fn read_pad(
    id: u64,
    node: Node,
    mut device: Device,
    sink: Arc<dyn Fn(PadNews) + Send + Sync>,
    reading: Arc<Mutex<HashSet<Node>>>,
) {
    let range = |axis: AbsoluteAxisCode| {
        device.get_absinfo().ok().and_then(|mut axes| {
            axes.find(|(code, _)| *code == axis).map(|(_, info)| Range {
                minimum: info.minimum(),
                maximum: info.maximum(),
            })
        })
    };
    sink(PadNews::Arrived {
        id,
        name: device.name().unwrap_or("a gamepad").to_owned(),
        stick_x: range(AbsoluteAxisCode::ABS_X),
        stick_y: range(AbsoluteAxisCode::ABS_Y),
    });
    let spawned = std::thread::Builder::new()
        .name(format!("hearth-gamepad-{id}"))
        .spawn(move || {
            loop {
                let events = match device.fetch_events() {
                    Ok(events) => events
                        .map(|event| (event.event_type().0, event.code(), event.value()))
                        .collect(),
                    Err(error) => {
                        tracing::debug!(%error, path = %node.0.display(), "gamepad gone");
                        break;
                    }
                };
                sink(PadNews::Events { id, events });
            }
            reading
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&node);
            sink(PadNews::Gone { id });
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot read a gamepad");
    }
}

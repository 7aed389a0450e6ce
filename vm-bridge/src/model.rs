//! The plain data that describes VMs, their states and what happens to them.

use std::fmt;

/// A VM's stable identity within one backend (a libvirt UUID, a simulated VM's name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmId(pub String);

impl fmt::Display for VmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One of a VM's screens: a head of its graphics card, or a text console QEMU draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    /// The hypervisor's number for it.
    pub id: u32,
    /// Its name, such as "VGA", or "virtio-vga.1" for the second head of a card.
    pub label: String,
    /// Whether the VM's display shows this one.
    pub shown: bool,
}

/// What a VM is for; it picks the tile's colour and the order on the home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmRole {
    Work,
    Personal,
    Other,
}

/// The lifecycle state of a VM as its hypervisor reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmState {
    Running,
    Paused,
    ShutOff,
    Crashed,
    Starting,
    Stopping,
}

impl VmState {
    /// Whether the VM has a live screen that can take input.
    pub fn is_live(self) -> bool {
        matches!(self, VmState::Running)
    }
}

/// One VM as the shell shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmInfo {
    pub id: VmId,
    pub name: String,
    pub role: VmRole,
    pub state: VmState,
}

/// A lifecycle request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    Start,
    Pause,
    Resume,
    Shutdown,
    ForceOff,
}

impl Lifecycle {
    /// Requests that lose the user's unsaved work in the guest, which the UI confirms first.
    pub fn is_destructive(self) -> bool {
        matches!(self, Lifecycle::Shutdown | Lifecycle::ForceOff)
    }

    /// The requests that make sense in a state, in the order the UI offers them.
    pub fn offered_in(state: VmState) -> &'static [Lifecycle] {
        match state {
            VmState::Running => &[Lifecycle::Pause, Lifecycle::Shutdown, Lifecycle::ForceOff],
            VmState::Paused => &[Lifecycle::Resume, Lifecycle::ForceOff],
            VmState::ShutOff | VmState::Crashed => &[Lifecycle::Start],
            VmState::Starting | VmState::Stopping => &[Lifecycle::ForceOff],
        }
    }
}

/// Why a request failed; the shell turns these into words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("no VM with id {0}")]
    UnknownVm(VmId),
    #[error("{action:?} is not possible while the VM is {state:?}")]
    InvalidTransition { action: Lifecycle, state: VmState },
    #[error("the hypervisor is unavailable: {0}")]
    Unavailable(String),
    #[error("the hypervisor refused: {0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Everything a backend reports. The shell's main loop handles exactly these.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendEvent {
    /// The backend is reachable and this is every VM it shows, replacing any earlier list.
    Connected {
        vms: Vec<VmInfo>,
    },
    /// The backend went away; VMs keep their last known state until it returns.
    Disconnected {
        reason: String,
    },
    VmAdded(VmInfo),
    VmRemoved(VmId),
    StateChanged {
        vm: VmId,
        state: VmState,
    },
    /// A lifecycle request failed; nothing changed.
    RequestFailed {
        vm: VmId,
        action: Lifecycle,
        error: Error,
    },
}

/// The disks a VM starts from when an image service manages its disk: the image version,
/// read-only, under a copy-on-write overlay the VM writes to, and a data disk of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootDisks {
    /// The disk that carries the image (a target such as `vda`; empty for the first disk).
    pub target: String,
    /// The qcow2 overlay the VM runs on.
    pub overlay: std::path::PathBuf,
    /// Its backing file: the image version (raw), never written.
    pub base: std::path::PathBuf,
    /// The user's data disk (raw) and its target, attached beside the image's disk.
    pub data: Option<(String, std::path::PathBuf)>,
}

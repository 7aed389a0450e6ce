//! The one seam every hypervisor backend implements.

use std::sync::Arc;

use crate::{BackendEvent, BootDisks, Console, Display, InputEvent, Lifecycle, VmId};

/// Where a backend delivers its events. Called from backend threads: it must not block.
pub type EventSink = Arc<dyn Fn(BackendEvent) + Send + Sync>;

/// A hypervisor as the shell sees it. No method blocks on the hypervisor: results and state
/// changes arrive later through the [`EventSink`] given to [`Hypervisor::connect`].
pub trait Hypervisor: Send + Sync {
    /// A short name for the status line, such as "Simulated" or "libvirt qemu:///system".
    fn describe(&self) -> String;

    /// Starts delivering events. The first is `Connected` with the current VM list, or
    /// `Disconnected` if the hypervisor cannot be reached yet.
    fn connect(&self, events: EventSink);

    /// Asks for a lifecycle change; the outcome arrives as `StateChanged` or `RequestFailed`.
    fn request(&self, vm: &VmId, action: Lifecycle);

    /// Starts the VM from an image service's disks: the image's disk pointed at the
    /// version's overlay over the read-only version, the data disk at its file (added when
    /// the VM has none), the rest of its definition kept as it was, then it starts. The VM
    /// must be off. The outcome arrives as for `request(vm, Lifecycle::Start)`.
    fn start_from(&self, vm: &VmId, disks: &BootDisks);

    /// The VM's screen. It stays connected while the VM runs, shown or not.
    fn display(&self, vm: &VmId) -> Option<Arc<Display>>;

    /// Delivers one input event to the VM. The shell decides which VM gets input; a backend
    /// never routes input on its own.
    fn send_input(&self, vm: &VmId, event: InputEvent);

    /// Tells the VM the size in pixels of the view its screen is shown in, so a guest that
    /// can change its resolution matches it; the new size then arrives through its
    /// [`Display`]. Guests that cannot keep their size, and the shell scales their screen.
    fn fit_display(&self, vm: &VmId, width: u32, height: u32) {
        let _ = (vm, width, height);
    }

    /// The VM's consoles, once its display has been reached; one or none when there is
    /// nothing to choose from.
    fn consoles(&self, vm: &VmId) -> Vec<Console> {
        let _ = vm;
        Vec::new()
    }

    /// Shows this console on the VM's [`Display`] from now on; input goes to it too.
    fn select_console(&self, vm: &VmId, console: u32) {
        let _ = (vm, console);
    }
}

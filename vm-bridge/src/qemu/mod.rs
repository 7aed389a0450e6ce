//! VM screens and input through QEMU's D-Bus display (`-display dbus`).
//!
//! Each VM whose QEMU runs gets a link: a thread that finds the VM's display on the bus (the
//! `org.qemu` owner whose VM name or UUID matches), registers a listener over a private
//! socket (QEMU is the D-Bus server on it), and keeps it connected while the VM is not shown,
//! so a switch shows its current frame at once. When QEMU goes away the link says so and
//! looks for it again. Input goes through a queue per VM that paces key events, since keys
//! sent back to back get lost in a guest's PS/2 queue.

mod input;
mod link;
mod listener;
mod map;
mod proxies;
mod route;
mod viewer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{Console, Display, InputEvent, VmId, VmState};
pub use route::{DbusGraphics, DisplayRoute, FdOpener, RouteResolver, dbus_graphics};
pub use viewer::Viewer;

/// Called when a VM's QEMU disappears while its VM should be running.
pub(crate) type LostHandler = Arc<dyn Fn(&VmId) + Send + Sync>;

/// A VM's consoles and which one its display should show; shared with its link.
#[derive(Debug, Default)]
pub(crate) struct ConsoleChoice {
    /// What QEMU offers, with the one shown marked; filled when the link connects.
    pub available: Vec<Console>,
    /// The console asked for; None: the first.
    pub wanted: Option<u32>,
    /// The view size the guest was last told, told again to each console connected.
    pub fit: Option<(u32, u32)>,
}

pub(crate) type SharedConsoles = Arc<Mutex<ConsoleChoice>>;

struct Entry {
    display: Arc<Display>,
    consoles: SharedConsoles,
    /// The link thread runs while this equals the entry's token in `tokens`.
    token: Arc<AtomicU64>,
    linked: bool,
    input: Option<Sender<input::ConsoleRequest>>,
}

/// The displays of a hypervisor's VMs.
pub(crate) struct QemuDisplays {
    resolver: Option<RouteResolver>,
    entries: Mutex<HashMap<VmId, Entry>>,
    lost: Mutex<Option<LostHandler>>,
}

impl QemuDisplays {
    /// Displays whose routes `resolver` finds; None: VMs have no displays.
    pub fn new(resolver: Option<RouteResolver>) -> QemuDisplays {
        QemuDisplays {
            resolver,
            entries: Mutex::new(HashMap::new()),
            lost: Mutex::new(None),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<VmId, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn on_lost(&self, handler: LostHandler) {
        *self.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    /// The VM's display; it exists from the moment the VM is known, blank until linked.
    pub fn display(&self, vm: &VmId) -> Arc<Display> {
        self.entries()
            .entry(vm.clone())
            .or_insert_with(|| Entry {
                display: Arc::new(Display::new()),
                consoles: SharedConsoles::default(),
                token: Arc::new(AtomicU64::new(0)),
                linked: false,
                input: None,
            })
            .display
            .clone()
    }

    /// Links or unlinks a VM's display as its state says whether its QEMU runs.
    pub fn vm_state(&self, vm: &VmId, name: &str, uuid: &str, state: VmState) {
        let Some(resolver) = self.resolver.clone() else {
            return;
        };
        let display = self.display(vm);
        let qemu_runs = matches!(
            state,
            VmState::Running | VmState::Paused | VmState::Stopping
        );
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(vm) else {
            return;
        };
        if qemu_runs && !entry.linked {
            entry.linked = true;
            let token = entry.token.fetch_add(1, Ordering::SeqCst) + 1;
            let (sender, receiver) = std::sync::mpsc::channel();
            entry.input = Some(sender);
            let lost = self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone();
            link::spawn(link::Link {
                resolver,
                vm: vm.clone(),
                name: name.to_string(),
                uuid: uuid.to_string(),
                display,
                consoles: entry.consoles.clone(),
                token: entry.token.clone(),
                mine: token,
                lost,
                input: receiver,
            });
        } else if !qemu_runs && entry.linked {
            Self::unlink(entry);
        }
    }

    fn unlink(entry: &mut Entry) {
        entry.linked = false;
        entry
            .consoles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .available
            .clear();
        entry.input = None;
        entry.token.fetch_add(1, Ordering::SeqCst);
        entry.display.disable();
    }

    fn send(&self, vm: &VmId, request: input::ConsoleRequest) {
        if let Some(sender) = self.entries().get(vm).and_then(|e| e.input.clone()) {
            let _ = sender.send(request);
        }
    }

    /// Delivers input to the VM's console, if linked.
    pub fn send_input(&self, vm: &VmId, event: InputEvent) {
        self.send(vm, input::ConsoleRequest::Input(event));
    }

    /// Tells the VM's console the size of the view it is shown in, if linked.
    pub fn fit_to(&self, vm: &VmId, width: u32, height: u32) {
        if let Some(entry) = self.entries().get(vm) {
            entry.consoles.lock().unwrap_or_else(|p| p.into_inner()).fit = Some((width, height));
        }
        self.send(vm, input::ConsoleRequest::FitTo { width, height });
    }

    /// The VM's consoles as its link last saw them.
    pub fn consoles(&self, vm: &VmId) -> Vec<Console> {
        self.entries()
            .get(vm)
            .map(|entry| {
                entry
                    .consoles
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .available
                    .clone()
            })
            .unwrap_or_default()
    }

    /// Asks the VM's link to show this console; it reconnects to it within a few ms.
    pub fn select_console(&self, vm: &VmId, console: u32) {
        if let Some(entry) = self.entries().get(vm) {
            entry
                .consoles
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .wanted = Some(console);
        }
    }

    /// The VM is gone for good.
    pub fn forget(&self, vm: &VmId) {
        if let Some(mut entry) = self.entries().remove(vm) {
            Self::unlink(&mut entry);
        }
    }
}

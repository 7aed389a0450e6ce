//! libvirt over D-Bus (libvirt-dbus): the VM list, lifecycle and state of any libvirt
//! connection (QEMU session or system, the Test driver, Xen through libxl…).
//!
//! One session thread owns the bus connection: it lists the domains, follows `DomainEvent`
//! and watches libvirt-dbus's bus name. When the service or the bus goes away it reports
//! `Disconnected`, keeps trying, and on return resynchronises every VM. Requests run on a
//! thread of their own so a slow hypervisor never holds up events, and never the UI.

mod disk;
mod proxies;
mod session;

pub(crate) use session::connect_bus;

use std::collections::BTreeMap;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};

use zbus::zvariant::OwnedObjectPath;

use crate::qemu::{DbusGraphics, DisplayRoute, QemuDisplays, RouteResolver, dbus_graphics};
use crate::{
    BackendEvent, Display, Error, EventSink, Hypervisor, InputEvent, Lifecycle, VmId, VmInfo,
    VmRole, VmState,
};

/// Which D-Bus bus to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    Session,
    System,
    /// A bus address such as `unix:path=/run/hearth/bus`.
    Address(String),
}

/// A VM chosen in the configuration, matched by its libvirt name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedVm {
    pub name: String,
    pub role: VmRole,
}

/// How to reach libvirt and which VMs to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtConfig {
    /// The bus libvirt-dbus serves on (session for qemu:///session and test:///default).
    pub bus: Bus,
    /// The connection's object path component: `QEMU`, `Test`, `Xen`…
    pub connection: String,
    /// The VMs to show; all of them when empty.
    pub vms: Vec<SelectedVm>,
    /// Where the VMs' QEMU D-Bus displays are.
    pub displays: DisplaySource,
}

/// Where to find each VM's QEMU D-Bus display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplaySource {
    /// Show no screens.
    None,
    /// Every QEMU queues for `org.qemu` on this bus; a VM's is found by its name or UUID.
    Bus(Bus),
    /// As each domain's XML says: peer to peer through `OpenGraphicsFD` for
    /// `<graphics type='dbus' p2p='yes'/>`, or the bus at the graphics' `address`.
    Libvirt,
}

impl LibvirtConfig {
    fn path(&self) -> String {
        format!("/org/libvirt/{}", self.connection)
    }

    /// The role of a domain, or None when the configuration does not show it.
    fn role_of(&self, name: &str) -> Option<VmRole> {
        if self.vms.is_empty() {
            let lower = name.to_lowercase();
            return Some(if lower.contains("work") {
                VmRole::Work
            } else if lower.contains("personal") || lower.contains("home") {
                VmRole::Personal
            } else {
                VmRole::Other
            });
        }
        self.vms.iter().find(|vm| vm.name == name).map(|vm| vm.role)
    }
}

/// libvirt's virDomainState (and its reason for shut-off) as Hearth's state.
pub fn state_from_libvirt(state: i32, reason: i32) -> VmState {
    const SHUTOFF_CRASHED: i32 = 3;
    match state {
        1 | 2 => VmState::Running,
        3 | 7 => VmState::Paused,
        4 => VmState::Stopping,
        5 if reason == SHUTOFF_CRASHED => VmState::Crashed,
        6 => VmState::Crashed,
        _ => VmState::ShutOff,
    }
}

struct Known {
    path: OwnedObjectPath,
    info: VmInfo,
    uuid: String,
}

struct Request {
    path: OwnedObjectPath,
    vm: VmId,
    action: Lifecycle,
    /// For a start: the disks to point at an image service's files first.
    disk: Option<crate::BootDisks>,
}

pub(crate) struct Inner {
    config: LibvirtConfig,
    sink: Mutex<Option<EventSink>>,
    known: Mutex<BTreeMap<VmId, Known>>,
    connection: Mutex<Option<zbus::Connection>>,
    requests: Mutex<Option<Sender<Request>>>,
    displays: QemuDisplays,
}

/// A hypervisor reached through libvirt-dbus.
#[derive(Clone)]
pub struct LibvirtHypervisor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LibvirtHypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibvirtHypervisor")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl LibvirtHypervisor {
    pub fn new(config: LibvirtConfig) -> LibvirtHypervisor {
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| {
            let resolver: Option<RouteResolver> = match &config.displays {
                DisplaySource::None => None,
                DisplaySource::Bus(bus) => {
                    let bus = bus.clone();
                    Some(Arc::new(move |_: &VmId| {
                        Some(DisplayRoute::Bus(bus.clone()))
                    }))
                }
                DisplaySource::Libvirt => {
                    let weak = weak.clone();
                    Some(Arc::new(move |vm: &VmId| {
                        weak.upgrade().and_then(|inner| inner.display_route(vm))
                    }))
                }
            };
            Inner {
                config,
                sink: Mutex::new(None),
                known: Mutex::new(BTreeMap::new()),
                connection: Mutex::new(None),
                requests: Mutex::new(None),
                displays: QemuDisplays::new(resolver),
            }
        });
        // A QEMU that vanishes while libvirt still calls its VM running has crashed; libvirt's
        // own event corrects this when it reports the domain's real state.
        let weak = Arc::downgrade(&inner);
        inner.displays.on_lost(Arc::new(move |vm| {
            if let Some(inner) = weak.upgrade() {
                inner.set_state(vm, VmState::Crashed);
            }
        }));
        LibvirtHypervisor { inner }
    }
}

impl Inner {
    fn known(&self) -> MutexGuard<'_, BTreeMap<VmId, Known>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, event: BackendEvent) {
        let sink = self.sink.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    /// Records a VM's state and reports it if it changed.
    fn set_state(&self, vm: &VmId, state: VmState) {
        let changed = {
            let mut known = self.known();
            match known.get_mut(vm) {
                Some(entry) if entry.info.state != state => {
                    entry.info.state = state;
                    Some((entry.info.name.clone(), entry.uuid.clone()))
                }
                _ => None,
            }
        };
        if let Some((name, uuid)) = changed {
            self.displays.vm_state(vm, &name, &uuid, state);
            self.emit(BackendEvent::StateChanged {
                vm: vm.clone(),
                state,
            });
        }
    }
}

impl Inner {
    /// Asks libvirt how to reach a VM's display, from the domain's live XML. Blocking; called
    /// from the VM's display link thread.
    fn display_route(&self, vm: &VmId) -> Option<DisplayRoute> {
        let path = self.known().get(vm).map(|k| k.path.clone())?;
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let connection = zbus::blocking::Connection::from(connection);
        let domain = proxies::DomainProxyBlocking::builder(&connection)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .path(path.clone())
            .and_then(|b| b.build())
            .ok()?;
        let xml = domain
            .get_xml_desc(0)
            .map_err(|e| tracing::debug!(%vm, error = %error_text(&e), "no domain XML"))
            .ok()?;
        match dbus_graphics(&xml)? {
            DbusGraphics::Address(address) => Some(DisplayRoute::Bus(Bus::Address(address))),
            DbusGraphics::PeerToPeer => {
                let open = move || {
                    domain
                        .open_graphics_fd(0, 0)
                        .map(std::os::fd::OwnedFd::from)
                        .map_err(|e| format!("OpenGraphicsFD: {}", error_text(&e)))
                };
                Some(DisplayRoute::PeerToPeer(Arc::new(open)))
            }
        }
    }
}

/// libvirt's error message in words, without D-Bus's wrapping.
fn error_text(error: &zbus::Error) -> String {
    match error {
        zbus::Error::MethodError(_, Some(message), _) => message.clone(),
        zbus::Error::FDO(fdo) => fdo.to_string(),
        other => other.to_string(),
    }
}

fn run_request(inner: &Inner, connection: &zbus::blocking::Connection, request: Request) {
    let Request {
        path,
        vm,
        action,
        disk,
    } = request;
    tracing::debug!(%vm, ?action, "libvirt request");
    // libvirt-dbus's GetAll reply does not fit zbus's property cache; read properties directly.
    let builder = proxies::DomainProxyBlocking::builder(connection)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .path(path);
    let domain = match builder.and_then(|b| b.build()) {
        Ok(domain) => domain,
        Err(error) => {
            let error = Error::Unavailable(error_text(&error));
            inner.emit(BackendEvent::RequestFailed { vm, action, error });
            return;
        }
    };
    let before = inner.known().get(&vm).map(|k| k.info.state);
    match action {
        Lifecycle::Start => inner.set_state(&vm, VmState::Starting),
        Lifecycle::Shutdown => inner.set_state(&vm, VmState::Stopping),
        _ => {}
    }
    let redefined = match &disk {
        Some(disks) if action == Lifecycle::Start => {
            point_disks_at(inner, connection, &domain, disks)
        }
        _ => Ok(()),
    };
    if let Err(reason) = redefined {
        if let Some(before) = before {
            inner.set_state(&vm, before);
        }
        let error = Error::Refused(reason);
        inner.emit(BackendEvent::RequestFailed { vm, action, error });
        return;
    }
    let result = match action {
        Lifecycle::Start => domain.create(0),
        Lifecycle::Pause => domain.suspend(),
        Lifecycle::Resume => domain.resume(),
        Lifecycle::Shutdown => domain.shutdown(0),
        Lifecycle::ForceOff => domain.destroy(0),
    };
    tracing::debug!(%vm, ?action, ?result, "libvirt request done");
    match result {
        Ok(()) => {
            // libvirt reports the outcome as a DomainEvent; read the state too, in case the
            // driver finished before we listened (the Test driver is instant).
            if let Ok(proxies::DomainState(state, reason)) = domain.get_state(0) {
                inner.set_state(&vm, state_from_libvirt(state, reason));
            }
        }
        Err(error) => {
            if let Some(before) = before {
                inner.set_state(&vm, before);
            }
            if let Ok(proxies::DomainState(state, reason)) = domain.get_state(0) {
                inner.set_state(&vm, state_from_libvirt(state, reason));
            }
            let error = Error::Refused(error_text(&error));
            inner.emit(BackendEvent::RequestFailed { vm, action, error });
        }
    }
}

impl LibvirtHypervisor {
    fn send_request(&self, vm: &VmId, action: Lifecycle, disk: Option<crate::BootDisks>) {
        let path = self.inner.known().get(vm).map(|k| k.path.clone());
        let Some(path) = path else {
            self.inner.emit(BackendEvent::RequestFailed {
                vm: vm.clone(),
                action,
                error: Error::UnknownVm(vm.clone()),
            });
            return;
        };
        let sender = self
            .inner
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let sent = sender.is_some_and(|s| {
            s.send(Request {
                path,
                vm: vm.clone(),
                action,
                disk,
            })
            .is_ok()
        });
        if !sent {
            let error = Error::Unavailable("libvirt is not connected".into());
            self.inner.emit(BackendEvent::RequestFailed {
                vm: vm.clone(),
                action,
                error,
            });
        }
    }
}

/// Redefines the (inactive) domain with its disks pointed at an image service's files.
fn point_disks_at(
    inner: &Inner,
    connection: &zbus::blocking::Connection,
    domain: &proxies::DomainProxyBlocking<'_>,
    disks: &crate::BootDisks,
) -> Result<(), String> {
    /// VIR_DOMAIN_XML_INACTIVE: the definition the next start uses.
    const INACTIVE: u32 = 2;
    let xml = domain
        .get_xml_desc(INACTIVE)
        .map_err(|error| error_text(&error))?;
    let edited = disk::with_boot_disks(&xml, disks)?;
    if edited == xml {
        // Already there: no redefinition (libvirtd may take long over one).
        return Ok(());
    }
    // libvirt-dbus's GetAll reply does not fit zbus's property cache (building a caching
    // proxy waits for it in vain): no cache.
    let connect = proxies::ConnectProxyBlocking::builder(connection)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .path(inner.config.path())
        .and_then(|builder| builder.build())
        .map_err(|error| error_text(&error))?;
    connect
        .domain_define_xml(&edited)
        .map_err(|error| error_text(&error))?;
    tracing::info!(overlay = %disks.overlay.display(), base = %disks.base.display(), "the domain's disk points at a new image");
    Ok(())
}

impl Hypervisor for LibvirtHypervisor {
    fn describe(&self) -> String {
        format!("libvirt {}", self.inner.config.connection)
    }

    fn connect(&self, events: EventSink) {
        *self.inner.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(events);
        let (sender, receiver) = channel::<Request>();
        *self
            .inner
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(sender);
        let weak = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("libvirt-requests".into())
            .spawn(move || {
                for request in receiver {
                    let Some(inner) = weak.upgrade() else { return };
                    let connection = inner
                        .connection
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clone();
                    match connection {
                        Some(connection) => run_request(
                            &inner,
                            &zbus::blocking::Connection::from(connection),
                            request,
                        ),
                        None => inner.emit(BackendEvent::RequestFailed {
                            vm: request.vm,
                            action: request.action,
                            error: Error::Unavailable("libvirt is not connected".into()),
                        }),
                    }
                }
            });
        if let Err(error) = spawned {
            self.inner.emit(BackendEvent::Disconnected {
                reason: format!("cannot start a thread: {error}"),
            });
            return;
        }
        session::spawn(Arc::downgrade(&self.inner));
    }

    fn request(&self, vm: &VmId, action: Lifecycle) {
        self.send_request(vm, action, None);
    }

    fn start_from(&self, vm: &VmId, disks: &crate::BootDisks) {
        self.send_request(vm, Lifecycle::Start, Some(disks.clone()));
    }

    fn display(&self, vm: &VmId) -> Option<Arc<Display>> {
        self.inner
            .known()
            .contains_key(vm)
            .then(|| self.inner.displays.display(vm))
    }

    fn send_input(&self, vm: &VmId, event: InputEvent) {
        self.inner.displays.send_input(vm, event);
    }

    fn fit_display(&self, vm: &VmId, width: u32, height: u32) {
        self.inner.displays.fit_to(vm, width, height);
    }

    fn consoles(&self, vm: &VmId) -> Vec<crate::Console> {
        self.inner.displays.consoles(vm)
    }

    fn select_console(&self, vm: &VmId, console: u32) {
        self.inner.displays.select_console(vm, console);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_states_map_to_hearths() {
        for (state, reason, expected) in [
            (0, 0, VmState::ShutOff),
            (1, 1, VmState::Running),
            (2, 0, VmState::Running),
            (3, 1, VmState::Paused),
            (4, 1, VmState::Stopping),
            (5, 1, VmState::ShutOff),
            (5, 3, VmState::Crashed),
            (6, 0, VmState::Crashed),
            (7, 0, VmState::Paused),
        ] {
            assert_eq!(
                state_from_libvirt(state, reason),
                expected,
                "state {state} reason {reason}"
            );
        }
    }

    #[test]
    fn roles_come_from_the_configuration_or_the_name() {
        let mut config = LibvirtConfig {
            bus: Bus::Session,
            connection: "Test".into(),
            vms: vec![],
            displays: DisplaySource::None,
        };
        assert_eq!(config.role_of("work-laptop"), Some(VmRole::Work));
        assert_eq!(config.role_of("Personal"), Some(VmRole::Personal));
        assert_eq!(config.role_of("test"), Some(VmRole::Other));
        config.vms = vec![SelectedVm {
            name: "test".into(),
            role: VmRole::Personal,
        }];
        assert_eq!(config.role_of("test"), Some(VmRole::Personal));
        assert_eq!(config.role_of("other"), None);
    }
}

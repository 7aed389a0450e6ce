//! The session thread: connect, list, follow events; on loss, report and reconnect.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use zbus::zvariant::OwnedObjectPath;

use super::proxies::{ConnectProxy, DomainProxy};
use super::{Bus, Inner, Known, error_text, state_from_libvirt};
use crate::{BackendEvent, VmId, VmInfo};

const LIBVIRT_NAME: &str = "org.libvirt";
/// How long to wait between attempts to reach libvirt again.
const RETRY: Duration = Duration::from_millis(500);

/// The event of libvirt's virDomainEventType that removes a VM from the list.
const EVENT_UNDEFINED: i32 = 1;

pub fn spawn(inner: Weak<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("libvirt-session".into())
        .spawn(move || {
            let mut last_reason = None;
            loop {
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let outcome = zbus::block_on(run(&strong));
                *strong.connection.lock().unwrap_or_else(|p| p.into_inner()) = None;
                let reason = match outcome {
                    Ok(()) => return,
                    Err(reason) => reason,
                };
                // Report each new reason once, not every retry.
                if last_reason.as_ref() != Some(&reason) {
                    tracing::warn!(%reason, "libvirt unavailable");
                    // Displays stay: QEMU talks to Hearth directly and outlives libvirt-dbus.
                    strong.emit(BackendEvent::Disconnected {
                        reason: reason.clone(),
                    });
                    last_reason = Some(reason);
                }
                drop(strong);
                std::thread::sleep(RETRY);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the libvirt session thread");
    }
}

pub(crate) async fn connect_bus(bus: &Bus) -> zbus::Result<zbus::Connection> {
    match bus {
        Bus::Session => zbus::Connection::session().await,
        Bus::System => zbus::Connection::system().await,
        Bus::Address(address) => {
            zbus::connection::Builder::address(address.as_str())?
                .build()
                .await
        }
    }
}

async fn domain_info(
    connection: &zbus::Connection,
    inner: &Inner,
    path: &OwnedObjectPath,
) -> zbus::Result<Option<Known>> {
    let domain = DomainProxy::builder(connection)
        .path(path.clone())?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    let name = domain
        .name()
        .await
        .map_err(|e| zbus::Error::Failure(format!("reading Name of {path}: {e}")))?;
    let Some(role) = inner.config.role_of(&name) else {
        return Ok(None);
    };
    let uuid = domain
        .uuid()
        .await
        .map_err(|e| zbus::Error::Failure(format!("reading UUID of {path}: {e}")))?;
    let super::proxies::DomainState(state, reason) = domain
        .get_state(0)
        .await
        .map_err(|e| zbus::Error::Failure(format!("GetState of {path}: {e}")))?;
    let info = VmInfo {
        id: VmId(uuid.clone()),
        name,
        role,
        state: state_from_libvirt(state, reason),
    };
    Ok(Some(Known {
        path: path.clone(),
        info,
        uuid,
    }))
}

/// One connected session; returns the reason it ended.
async fn run(inner: &Arc<Inner>) -> Result<(), String> {
    let connection = connect_bus(&inner.config.bus)
        .await
        .map_err(|e| format!("cannot reach the bus: {}", error_text(&e)))?;
    let dbus = zbus::fdo::DBusProxy::new(&connection)
        .await
        .map_err(|e| error_text(&e))?;
    let mut owner_changes = dbus
        .receive_name_owner_changed_with_args(&[(0, LIBVIRT_NAME)])
        .await
        .map_err(|e| error_text(&e))?;
    let has_owner = dbus
        .name_has_owner(
            LIBVIRT_NAME
                .try_into()
                .map_err(|_| "bad bus name".to_string())?,
        )
        .await
        .map_err(|e| e.to_string())?;
    if !has_owner {
        return Err("libvirt-dbus is not running".to_string());
    }
    let connect = ConnectProxy::builder(&connection)
        .path(inner.config.path())
        .map_err(|e| error_text(&e))?
        .build()
        .await
        .map_err(|e| error_text(&e))?;
    // Listen before listing, so nothing that happens in between is missed.
    let mut events = connect
        .receive_domain_event()
        .await
        .map_err(|e| format!("subscribing to DomainEvent: {}", error_text(&e)))?;
    let paths = connect
        .list_domains(0)
        .await
        .map_err(|e| format!("cannot list VMs: {}", error_text(&e)))?;
    let mut vms = Vec::new();
    {
        let mut fresh = std::collections::BTreeMap::new();
        for path in &paths {
            if let Some(known) = domain_info(&connection, inner, path)
                .await
                .map_err(|e| error_text(&e))?
            {
                vms.push(known.info.clone());
                fresh.insert(known.info.id.clone(), known);
            }
        }
        let gone: Vec<VmId> = inner
            .known()
            .keys()
            .filter(|id| !fresh.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            inner.displays.forget(&id);
        }
        *inner.known() = fresh;
    }
    *inner.connection.lock().unwrap_or_else(|p| p.into_inner()) = Some(connection.clone());
    tracing::info!(count = vms.len(), "connected to libvirt");
    for vm in &vms {
        let uuid = vm.id.0.clone();
        inner.displays.vm_state(&vm.id, &vm.name, &uuid, vm.state);
    }
    inner.emit(BackendEvent::Connected { vms });

    loop {
        futures_util::select! {
            event = events.next() => {
                let Some(event) = event else { return Err("the bus connection closed".to_string()) };
                let Ok(args) = event.args() else { continue };
                handle_event(&connection, inner, args.domain().clone(), *args.event()).await;
            }
            change = owner_changes.next() => {
                let Some(change) = change else { return Err("the bus connection closed".to_string()) };
                let gone = change.args().map(|a| a.new_owner().is_none()).unwrap_or(true);
                if gone {
                    return Err("libvirt-dbus stopped".to_string());
                }
            }
        }
    }
}

async fn handle_event(
    connection: &zbus::Connection,
    inner: &Inner,
    path: OwnedObjectPath,
    event: i32,
) {
    let known_id = inner
        .known()
        .iter()
        .find(|(_, k)| k.path == path)
        .map(|(id, _)| id.clone());
    match (event, known_id) {
        (EVENT_UNDEFINED, Some(id)) => {
            inner.known().remove(&id);
            inner.displays.forget(&id);
            inner.emit(BackendEvent::VmRemoved(id));
        }
        (_, None) if event != EVENT_UNDEFINED => {
            match domain_info(connection, inner, &path).await {
                Ok(Some(known)) => {
                    let info = known.info.clone();
                    inner.known().insert(info.id.clone(), known);
                    inner
                        .displays
                        .vm_state(&info.id, &info.name, &info.id.0, info.state);
                    inner.emit(BackendEvent::VmAdded(info));
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%path, error = %error_text(&error), "cannot read a new VM")
                }
            }
        }
        (_, Some(id)) => {
            let state = async {
                let domain = DomainProxy::builder(connection)
                    .path(path.clone())?
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                domain.get_state(0).await
            };
            match state.await {
                Ok(super::proxies::DomainState(state, reason)) => {
                    inner.set_state(&id, state_from_libvirt(state, reason))
                }
                Err(error) => {
                    tracing::warn!(vm = %id, error = %error_text(&error), "cannot read a VM's state")
                }
            }
        }
        _ => {}
    }
}

//! One VM's display link: find the VM's QEMU on the bus, register a listener, keep it while
//! QEMU lives, and find it again when it comes back.

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use zbus::names::{BusName, OwnedUniqueName};

use super::LostHandler;
use super::input::{self, SharedTarget, Target};
use super::listener::{Listener, MapListener};
use super::proxies::{
    ConsoleProxy, KeyboardProxyBlocking, MouseProxyBlocking, MultiTouchProxyBlocking, VmProxy,
};
use crate::libvirt::Bus;
use crate::{Display, InputEvent, VmId};

const QEMU_NAME: &str = "org.qemu";
const LISTENER_PATH: &str = "/org/qemu/Display1/Listener";
/// How often to look again for a QEMU that is not on the bus yet.
const SEARCH_INTERVAL: Duration = Duration::from_millis(250);

pub struct Link {
    pub bus: Bus,
    pub vm: VmId,
    pub name: String,
    pub uuid: String,
    pub display: Arc<Display>,
    pub token: Arc<AtomicU64>,
    pub mine: u64,
    pub lost: Option<LostHandler>,
    pub input: Receiver<InputEvent>,
}

impl Link {
    fn wanted(&self) -> bool {
        self.token.load(Ordering::SeqCst) == self.mine
    }
}

pub fn spawn(link: Link) {
    let name = format!("display-{}", link.name);
    let spawned = std::thread::Builder::new().name(name).spawn(move || {
        let target: SharedTarget = Arc::new(Mutex::new(None));
        let Link { input: events, .. } = &link;
        let _ = events;
        let (forward, receiver) = std::sync::mpsc::channel();
        let input_target = target.clone();
        let input_thread = std::thread::Builder::new()
            .name(format!("input-{}", link.name))
            .spawn(move || input::run(receiver, input_target));
        if let Err(error) = input_thread {
            tracing::error!(%error, "cannot start an input thread");
            return;
        }
        zbus::block_on(run(&link, &target, forward));
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start a display link thread");
    }
}

/// Passes queued input to the input thread until the link is no longer wanted.
fn pump_input(link: &Link, forward: &std::sync::mpsc::Sender<InputEvent>) {
    while let Ok(event) = link.input.try_recv() {
        let _ = forward.send(event);
    }
}

async fn run(link: &Link, target: &SharedTarget, forward: std::sync::mpsc::Sender<InputEvent>) {
    while link.wanted() {
        match attach(link, target, &forward).await {
            Ok(Outcome::Unwanted) => break,
            Ok(Outcome::QemuGone) => {
                link.display.disable();
                *target.lock().unwrap_or_else(|p| p.into_inner()) = None;
                if link.wanted() {
                    tracing::warn!(vm = %link.name, "QEMU went away");
                    if let Some(lost) = &link.lost {
                        lost(&link.vm);
                    }
                }
            }
            Ok(Outcome::NotFound) => {}
            Err(error) => tracing::debug!(vm = %link.name, %error, "display not reachable yet"),
        }
        pump_input(link, &forward);
        async_io::Timer::after(SEARCH_INTERVAL).await;
    }
    *target.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

enum Outcome {
    NotFound,
    QemuGone,
    Unwanted,
}

/// The unique name of the QEMU whose VM has this name or UUID.
async fn find(
    connection: &zbus::Connection,
    name: &str,
    uuid: &str,
) -> zbus::Result<Option<OwnedUniqueName>> {
    let dbus = zbus::fdo::DBusProxy::new(connection).await?;
    let owners = match dbus.list_queued_owners(QEMU_NAME.try_into()?).await {
        Ok(owners) => owners,
        Err(zbus::fdo::Error::NameHasNoOwner(_)) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    for owner in owners {
        let vm = VmProxy::builder(connection)
            .destination(BusName::from(owner.clone()))?
            .build()
            .await?;
        let matches_name = vm.name().await.is_ok_and(|n| n == name);
        let matches_uuid = vm
            .uuid()
            .await
            .is_ok_and(|u| !uuid.is_empty() && u.eq_ignore_ascii_case(uuid));
        if matches_name || matches_uuid {
            return Ok(Some(owner));
        }
    }
    Ok(None)
}

/// A listener connected to one QEMU console.
pub struct Connected {
    pub owner: OwnedUniqueName,
    pub console_path: String,
    pub console: ConsoleProxy<'static>,
    /// The private connection QEMU calls the listener on; dropping it ends the updates.
    pub listener: zbus::Connection,
}

/// Finds the VM's QEMU on `connection`'s bus and registers a listener that fills `display`.
/// None when no QEMU on the bus runs that VM.
pub async fn connect(
    connection: &zbus::Connection,
    name: &str,
    uuid: &str,
    display: Arc<Display>,
) -> zbus::Result<Option<Connected>> {
    let Some(owner) = find(connection, name, uuid).await? else {
        return Ok(None);
    };
    let vm = VmProxy::builder(connection)
        .destination(BusName::from(owner.clone()))?
        .build()
        .await?;
    let console_id = vm.console_ids().await?.first().copied().unwrap_or(0);
    let console_path = format!("/org/qemu/Display1/Console_{console_id}");
    let console = ConsoleProxy::builder(connection)
        .destination(BusName::from(owner.clone()))?
        .path(console_path.clone())?
        .build()
        .await?;
    // QEMU is the D-Bus server on the socket it is handed; Hearth is the client and serves
    // the listener object on it.
    let (ours, theirs) =
        UnixStream::pair().map_err(|e| zbus::Error::Failure(format!("socketpair: {e}")))?;
    console
        .register_listener(std::os::fd::OwnedFd::from(theirs).into())
        .await?;
    let listener = zbus::connection::Builder::async_io_unix_stream(ours)
        .p2p()
        .serve_at(
            LISTENER_PATH,
            Listener {
                display: display.clone(),
                console: console.clone(),
            },
        )?
        .serve_at(LISTENER_PATH, MapListener { display })?
        .build()
        .await?;
    Ok(Some(Connected {
        owner,
        console_path,
        console,
        listener,
    }))
}

async fn attach(
    link: &Link,
    target: &SharedTarget,
    forward: &std::sync::mpsc::Sender<InputEvent>,
) -> zbus::Result<Outcome> {
    let connection = crate::libvirt::connect_bus(&link.bus).await?;
    let dbus = zbus::fdo::DBusProxy::new(&connection).await?;
    let Some(connected) =
        connect(&connection, &link.name, &link.uuid, link.display.clone()).await?
    else {
        return Ok(Outcome::NotFound);
    };
    let Connected {
        owner,
        console_path,
        console,
        listener: _listener,
        ..
    } = connected;
    let mut gone = dbus
        .receive_name_owner_changed_with_args(&[(0, owner.as_str())])
        .await?;
    // QEMU may have gone between finding it and listening for its departure.
    if !dbus
        .name_has_owner(BusName::from(owner.clone()))
        .await
        .unwrap_or(false)
    {
        return Ok(Outcome::QemuGone);
    }
    tracing::info!(vm = %link.name, %owner, "display connected");

    let blocking = zbus::blocking::Connection::from(connection.clone());
    let interfaces = console.interfaces().await.unwrap_or_default();
    let keyboard = KeyboardProxyBlocking::builder(&blocking)
        .destination(BusName::from(owner.clone()))?
        .path(console_path.clone())?
        .build()?;
    let mouse = MouseProxyBlocking::builder(&blocking)
        .destination(BusName::from(owner.clone()))?
        .path(console_path.clone())?
        .build()?;
    let touch = if interfaces
        .iter()
        .any(|i| i == "org.qemu.Display1.MultiTouch")
    {
        Some(
            MultiTouchProxyBlocking::builder(&blocking)
                .destination(BusName::from(owner.clone()))?
                .path(console_path.clone())?
                .build()?,
        )
    } else {
        None
    };
    *target.lock().unwrap_or_else(|p| p.into_inner()) = Some(Target {
        keyboard,
        mouse,
        touch,
    });

    loop {
        futures_util::select! {
            change = gone.next() => {
                let ended = change.map(|c| c.args().map(|a| a.new_owner().is_none()).unwrap_or(true)).unwrap_or(true);
                if ended {
                    return Ok(Outcome::QemuGone);
                }
            }
            _ = futures_util::FutureExt::fuse(async_io::Timer::after(Duration::from_millis(4))) => {
                pump_input(link, forward);
                if !link.wanted() {
                    return Ok(Outcome::Unwanted);
                }
            }
        }
    }
}

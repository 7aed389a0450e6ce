//! One VM's display link: reach the VM's QEMU (on a bus or peer to peer), register a listener,
//! keep it while QEMU lives, and reach it again when it comes back.

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use zbus::names::{BusName, OwnedUniqueName};

use super::input::{self, ConsoleRequest, SharedTarget, Target};
use super::listener::{Listener, MapListener};
use super::proxies::{
    ConsoleProxy, ConsoleProxyBlocking, KeyboardProxyBlocking, MouseProxyBlocking,
    MultiTouchProxyBlocking, VmProxy,
};
use super::route::{DisplayRoute, RouteResolver};
use super::{LostHandler, SharedConsoles};
use crate::{Console, Display, VmId};

const QEMU_NAME: &str = "org.qemu";
const LISTENER_PATH: &str = "/org/qemu/Display1/Listener";
/// How often to look again for a QEMU that cannot be reached yet.
const SEARCH_INTERVAL: Duration = Duration::from_millis(250);

pub struct Link {
    pub resolver: RouteResolver,
    pub vm: VmId,
    pub name: String,
    pub uuid: String,
    pub display: Arc<Display>,
    pub consoles: SharedConsoles,
    pub token: Arc<AtomicU64>,
    pub mine: u64,
    pub lost: Option<LostHandler>,
    pub input: Receiver<ConsoleRequest>,
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
        let (forward, receiver) = std::sync::mpsc::channel();
        let input_target = target.clone();
        let input_thread = std::thread::Builder::new()
            .name(format!("input-{}", link.name))
            .spawn(move || input::run(receiver, input_target));
        if let Err(error) = input_thread {
            tracing::error!(%error, "cannot start an input thread");
            return;
        }
        run(&link, &target, &forward);
        *target.lock().unwrap_or_else(|p| p.into_inner()) = None;
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start a display link thread");
    }
}

/// Passes queued input to the input thread.
fn pump_input(link: &Link, forward: &Sender<ConsoleRequest>) {
    while let Ok(event) = link.input.try_recv() {
        let _ = forward.send(event);
    }
}

fn run(link: &Link, target: &SharedTarget, forward: &Sender<ConsoleRequest>) {
    while link.wanted() {
        // The route is asked for outside the async part: resolving it may block on libvirt.
        let outcome = match (link.resolver)(&link.vm) {
            Some(route) => zbus::block_on(attach(link, route, target, forward)),
            None => Ok(Outcome::NotFound),
        };
        match outcome {
            Ok(Outcome::Unwanted) => break,
            // Another console was chosen: reconnect at once. The display keeps the old
            // console's frame until the new one's first arrives.
            Ok(Outcome::Reselect) => continue,
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
            Err(error) => {
                // A chosen console that cannot be reached is given up for the first one,
                // rather than retried with the screen frozen.
                let gave_up = link
                    .consoles
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .wanted
                    .take();
                match gave_up {
                    Some(console) => {
                        tracing::warn!(vm = %link.name, console, %error, "cannot show the chosen console; showing the first")
                    }
                    None => tracing::debug!(vm = %link.name, %error, "display not reachable yet"),
                }
            }
        }
        pump_input(link, forward);
        std::thread::sleep(SEARCH_INTERVAL);
    }
}

enum Outcome {
    NotFound,
    QemuGone,
    Unwanted,
    Reselect,
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

/// A connection on which QEMU's display objects are reached: a bus and QEMU's unique name
/// on it, or a private peer-to-peer connection to QEMU.
pub struct Peer {
    pub connection: zbus::Connection,
    pub owner: Option<OwnedUniqueName>,
}

impl Peer {
    /// Reaches the VM's QEMU by `route`; None when it is not there (yet).
    pub async fn reach(route: &DisplayRoute, name: &str, uuid: &str) -> zbus::Result<Option<Peer>> {
        match route {
            DisplayRoute::Bus(bus) => {
                let connection = crate::libvirt::connect_bus(bus).await?;
                let owner = find(&connection, name, uuid).await?;
                Ok(owner.map(|owner| Peer {
                    connection,
                    owner: Some(owner),
                }))
            }
            DisplayRoute::PeerToPeer(open) => {
                let fd = open().map_err(zbus::Error::Failure)?;
                // QEMU is the server on the socket libvirt hands out.
                let connection =
                    zbus::connection::Builder::async_io_unix_stream(UnixStream::from(fd))
                        .p2p()
                        .build()
                        .await?;
                Ok(Some(Peer {
                    connection,
                    owner: None,
                }))
            }
        }
    }

    /// Whom messages are addressed to: QEMU's unique name on a bus. zbus wants a destination
    /// even on a private connection, where the peer ignores it.
    fn destination(&self) -> Option<BusName<'static>> {
        match &self.owner {
            Some(owner) => Some(BusName::from(owner.clone())),
            None => BusName::try_from(QEMU_NAME).ok(),
        }
    }
}

/// A listener connected to one QEMU console.
pub struct Connected {
    pub console_id: u32,
    /// Every console of the VM, the connected one marked shown.
    pub consoles: Vec<Console>,
    pub console_path: String,
    pub console: ConsoleProxy<'static>,
    /// The private connection QEMU calls the listener on; dropping it ends the updates.
    pub listener: zbus::Connection,
}

async fn console_proxy(peer: &Peer, id: u32) -> zbus::Result<ConsoleProxy<'static>> {
    let mut console =
        ConsoleProxy::builder(&peer.connection).path(format!("/org/qemu/Display1/Console_{id}"))?;
    if let Some(destination) = peer.destination() {
        console = console.destination(destination)?;
    }
    console.build().await
}

/// The VM's consoles by QEMU's labels (heads of one card come as "virtio-vga.0", ".1").
async fn list_consoles(peer: &Peer, ids: &[u32], shown: u32) -> Vec<Console> {
    let mut consoles = Vec::with_capacity(ids.len());
    for &id in ids {
        let label = match console_proxy(peer, id).await {
            Ok(proxy) => proxy.label().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        consoles.push(Console {
            id,
            label: if label.is_empty() {
                format!("Console {}", id.saturating_add(1))
            } else {
                label
            },
            shown: id == shown,
        });
    }
    consoles
}

/// Registers a listener that fills `display` with the frames of the console `wanted`, or
/// the VM's first console when that is None or gone.
pub async fn connect(
    peer: &Peer,
    display: Arc<Display>,
    wanted: Option<u32>,
) -> zbus::Result<Connected> {
    let mut vm = VmProxy::builder(&peer.connection);
    if let Some(destination) = peer.destination() {
        vm = vm.destination(destination)?;
    }
    let vm = vm.build().await?;
    let ids = vm.console_ids().await?;
    let console_id = wanted
        .filter(|id| ids.contains(id))
        .or_else(|| ids.first().copied())
        .unwrap_or(0);
    let consoles = list_consoles(peer, &ids, console_id).await;
    let console_path = format!("/org/qemu/Display1/Console_{console_id}");
    let console = console_proxy(peer, console_id).await?;
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
    Ok(Connected {
        console_id,
        consoles,
        console_path,
        console,
        listener,
    })
}

/// A blocking proxy builder aimed at QEMU's name on a bus, or at nobody on a private connection.
fn aimed<'a, T>(
    builder: zbus::blocking::proxy::Builder<'a, T>,
    peer: &Peer,
) -> zbus::Result<zbus::blocking::proxy::Builder<'a, T>> {
    match peer.destination() {
        Some(destination) => builder.destination(destination),
        None => Ok(builder),
    }
}

fn input_target(peer: &Peer, console_path: &str, interfaces: &[String]) -> zbus::Result<Target> {
    let blocking = zbus::blocking::Connection::from(peer.connection.clone());
    let path = console_path.to_string();
    let console = aimed(ConsoleProxyBlocking::builder(&blocking), peer)?
        .path(path.clone())?
        .build()?;
    let keyboard = aimed(KeyboardProxyBlocking::builder(&blocking), peer)?
        .path(path.clone())?
        .build()?;
    let mouse = aimed(MouseProxyBlocking::builder(&blocking), peer)?
        .path(path.clone())?
        .build()?;
    let touch = if interfaces
        .iter()
        .any(|i| i == "org.qemu.Display1.MultiTouch")
    {
        Some(
            aimed(MultiTouchProxyBlocking::builder(&blocking), peer)?
                .path(path)?
                .build()?,
        )
    } else {
        None
    };
    Ok(Target {
        console,
        keyboard,
        mouse,
        touch,
    })
}

async fn attach(
    link: &Link,
    route: DisplayRoute,
    target: &SharedTarget,
    forward: &Sender<ConsoleRequest>,
) -> zbus::Result<Outcome> {
    let Some(peer) = Peer::reach(&route, &link.name, &link.uuid).await? else {
        return Ok(Outcome::NotFound);
    };
    // How QEMU's departure shows: its name leaves the bus, or the private connection closes.
    let mut gone_on_bus = match &peer.owner {
        Some(owner) => {
            let dbus = zbus::fdo::DBusProxy::new(&peer.connection).await?;
            let stream = dbus
                .receive_name_owner_changed_with_args(&[(0, owner.as_str())])
                .await?;
            if !dbus
                .name_has_owner(BusName::from(owner.clone()))
                .await
                .unwrap_or(false)
            {
                return Ok(Outcome::QemuGone);
            }
            Some(stream)
        }
        None => None,
    };
    // Only a private connection is watched message by message (a bus brings every signal).
    let mut messages = peer
        .owner
        .is_none()
        .then(|| zbus::MessageStream::from(&peer.connection));
    let wanted = link
        .consoles
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .wanted;
    let Connected {
        console_id,
        consoles,
        console_path,
        console,
        listener: _listener,
    } = connect(&peer, link.display.clone(), wanted).await?;
    tracing::info!(vm = %link.name, route = ?route, console = console_id, "display connected");
    link.consoles
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .available = consoles;
    let interfaces = console.interfaces().await.unwrap_or_default();
    *target.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(input_target(&peer, &console_path, &interfaces)?);
    // A console connected anew (another one chosen, QEMU restarted) is told the view's size.
    // Read only now: a size asked for before the target was in place went nowhere.
    let fit = link.consoles.lock().unwrap_or_else(|p| p.into_inner()).fit;
    if let Some((width, height)) = fit {
        let mm = (input::millimetres(width), input::millimetres(height));
        if let Err(error) = console.set_ui_info(mm.0, mm.1, 0, 0, width, height).await {
            tracing::debug!(%error, "the guest's screen keeps its size");
        }
    }

    loop {
        let departure = async {
            match gone_on_bus.as_mut() {
                Some(stream) => loop {
                    match stream.next().await {
                        None => return,
                        Some(change)
                            if change
                                .args()
                                .map(|a| a.new_owner().is_none())
                                .unwrap_or(true) =>
                        {
                            return;
                        }
                        Some(_) => {}
                    }
                },
                None => {
                    if let Some(messages) = messages.as_mut() {
                        while messages.next().await.is_some() {}
                    }
                }
            }
        };
        futures_util::select! {
            () = futures_util::FutureExt::fuse(departure) => return Ok(Outcome::QemuGone),
            _ = futures_util::FutureExt::fuse(async_io::Timer::after(Duration::from_millis(4))) => {
                pump_input(link, forward);
                if !link.wanted() {
                    return Ok(Outcome::Unwanted);
                }
                let choice = link.consoles.lock().unwrap_or_else(|p| p.into_inner());
                let other_wanted = choice.wanted.is_some_and(|wanted| {
                    wanted != console_id && choice.available.iter().any(|c| c.id == wanted)
                });
                if other_wanted {
                    return Ok(Outcome::Reselect);
                }
            }
        }
    }
}

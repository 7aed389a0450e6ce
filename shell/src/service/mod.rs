//! Hearth's own D-Bus service, `org.hearth.Shell1` at `/org/hearth/Shell1` (docs/DEPLOY.md):
//! what Hearth shows, as properties with PropertiesChanged, and methods to switch, go home,
//! start and stop VMs and open media, for remote controls, home automation, IT tooling and
//! `hearth ctl`.
//!
//! A thread of its own owns the connection. Property reads answer from the [`Status`] the UI
//! thread last published; method calls become [`Command`]s for the UI thread, which answers
//! each with `Ok` or a [`Refusal`] (kiosk mode forbids it, no such VM…) that the caller
//! receives as a D-Bus error named `org.hearth.Shell1.Error.*`.

pub mod ctl;
mod properties;
mod status;

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use zbus::interface;
use zbus::object_server::SignalEmitter;

pub use status::{DownloadEntry, PlaybackEntry, Status, VmEntry};

pub const BUS_NAME: &str = "org.hearth.Shell1";
pub const PATH: &str = "/org/hearth/Shell1";
pub const INTERFACE: &str = "org.hearth.Shell1";

/// Which bus the service is offered on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceBus {
    Session,
    System,
    /// A bus at this address.
    Address(String),
    /// Not offered at all.
    Off,
}

impl ServiceBus {
    /// Parses "session", "system", "none" or a D-Bus address.
    pub fn parse(text: &str) -> Result<ServiceBus, String> {
        match text.trim() {
            "session" => Ok(ServiceBus::Session),
            "system" => Ok(ServiceBus::System),
            "none" | "off" => Ok(ServiceBus::Off),
            address if address.contains(':') => zbus::Address::try_from(address)
                .map(|_| ServiceBus::Address(address.to_string()))
                .map_err(|error| format!("\"{address}\" is not a D-Bus address: {error}")),
            other => Err(format!(
                "invalid bus \"{other}\" (expected \"session\", \"system\", \"none\" or a D-Bus address)"
            )),
        }
    }

    pub(crate) fn builder(&self) -> zbus::Result<zbus::blocking::connection::Builder<'static>> {
        match self {
            ServiceBus::Session => zbus::blocking::connection::Builder::session(),
            ServiceBus::Off => Err(zbus::Error::Failure(
                "no bus: the service is switched off (\"none\")".into(),
            )),
            ServiceBus::System => zbus::blocking::connection::Builder::system(),
            ServiceBus::Address(address) => {
                zbus::blocking::connection::Builder::address(address.as_str())
            }
        }
    }
}

/// What a client asks Hearth to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Bring this VM (by name, ignoring case) to the front.
    Switch(String),
    /// Show the home screen.
    Home,
    Start(String),
    /// A clean shutdown.
    Stop(String),
    /// Play a local file or folder.
    OpenMedia(String),
}

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Kiosk mode does not allow it; the text says what it allows.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnknownVm(String),
    /// Allowed, but not possible now (the VM is not running, the file does not exist…).
    #[error("{0}")]
    Failed(String),
}

/// How the UI thread answers a command.
pub type Reply = futures_channel::oneshot::Sender<Result<(), Refusal>>;

/// Hands a command to the UI thread; called from the service's thread.
pub type CommandSink = Arc<dyn Fn(Command, Reply) + Send + Sync>;

/// The D-Bus errors the service answers with.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.hearth.Shell1.Error")]
pub enum BusError {
    #[zbus(error)]
    ZBus(zbus::Error),
    /// Kiosk mode forbids the call.
    Forbidden(String),
    UnknownVm(String),
    Failed(String),
    /// The UI thread dropped the call (Hearth is shutting down).
    NotAnswered(String),
}

impl From<Refusal> for BusError {
    fn from(refusal: Refusal) -> BusError {
        match refusal {
            Refusal::Forbidden(text) => BusError::Forbidden(text),
            Refusal::UnknownVm(text) => BusError::UnknownVm(text),
            Refusal::Failed(text) => BusError::Failed(text),
        }
    }
}

/// The running service; dropping it ends its thread.
pub struct ShellService {
    news: Sender<Status>,
    last: Mutex<Option<Status>>,
}

type Shared = Arc<Mutex<Status>>;

impl ShellService {
    /// Connects on a thread and takes the name; failures are logged (Hearth runs on without
    /// its service).
    pub fn start(bus: ServiceBus, commands: CommandSink, initial: Status) -> ShellService {
        let (news, receiver) = std::sync::mpsc::channel();
        let first = initial.clone();
        let spawned = std::thread::Builder::new()
            .name("hearth-service".into())
            .spawn(move || {
                if let Err(error) = serve(&bus, commands, first, receiver) {
                    tracing::warn!("the {BUS_NAME} service is not offered: {error}");
                }
            });
        if let Err(error) = spawned {
            tracing::warn!("the {BUS_NAME} service is not offered: {error}");
        }
        ShellService {
            news,
            last: Mutex::new(Some(initial)),
        }
    }

    /// Publishes what Hearth shows now; nothing is sent when nothing changed.
    pub fn update(&self, status: Status) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() == Some(&status) {
            return;
        }
        *last = Some(status.clone());
        let _ = self.news.send(status);
    }
}

fn serve(
    bus: &ServiceBus,
    commands: CommandSink,
    initial: Status,
    news: Receiver<Status>,
) -> zbus::Result<()> {
    let shared: Shared = Arc::new(Mutex::new(initial));
    let connection = bus
        .builder()?
        .serve_at(
            PATH,
            ShellObject {
                commands,
                shared: shared.clone(),
            },
        )?
        .name(BUS_NAME)?
        .build()?;
    tracing::info!(name = BUS_NAME, bus = ?bus, "Hearth's D-Bus service offered");
    let emitter = SignalEmitter::new(connection.inner(), PATH)?;
    let mut sent = properties::of(&shared.lock().unwrap_or_else(|p| p.into_inner()));
    while let Ok(status) = news.recv() {
        // Only the newest of a burst matters.
        let status = news.try_iter().last().unwrap_or(status);
        let now = properties::of(&status);
        *shared.lock().unwrap_or_else(|p| p.into_inner()) = status;
        crate::properties_changed::emit_changes(&emitter, INTERFACE, &sent, &now);
        sent = now;
    }
    Ok(())
}

struct ShellObject {
    commands: CommandSink,
    shared: Shared,
}

impl ShellObject {
    fn status(&self) -> Status {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn ask(&self, command: Command) -> Result<(), BusError> {
        let (reply, answer) = futures_channel::oneshot::channel();
        (self.commands)(command, reply);
        match answer.await {
            Ok(result) => result.map_err(BusError::from),
            Err(_) => Err(BusError::NotAnswered(
                "Hearth did not answer (it is shutting down)".into(),
            )),
        }
    }
}

#[interface(name = "org.hearth.Shell1")]
impl ShellObject {
    /// Brings the VM with this name to the front.
    async fn switch(&self, vm: String) -> Result<(), BusError> {
        self.ask(Command::Switch(vm)).await
    }

    /// Shows the home screen.
    async fn go_home(&self) -> Result<(), BusError> {
        self.ask(Command::Home).await
    }

    async fn start_vm(&self, vm: String) -> Result<(), BusError> {
        self.ask(Command::Start(vm)).await
    }

    /// Asks the VM's guest to shut down cleanly.
    async fn stop_vm(&self, vm: String) -> Result<(), BusError> {
        self.ask(Command::Stop(vm)).await
    }

    /// Plays a local file, or the playable files of a folder, on the player screen.
    async fn open_media(&self, path: String) -> Result<(), BusError> {
        self.ask(Command::OpenMedia(path)).await
    }

    /// Every VM: name, state ("running", "shut-off"…), role ("work", "personal", "other").
    #[zbus(property)]
    fn vms(&self) -> Vec<(String, String, String)> {
        properties::vms(&self.status())
    }

    /// The VM in front, or "" when none is.
    #[zbus(property)]
    fn front(&self) -> String {
        self.status().front
    }

    /// "home", "vm", "settings", "media", "player" or "photo".
    #[zbus(property)]
    fn screen(&self) -> String {
        self.status().screen
    }

    #[zbus(property)]
    fn kiosk(&self) -> bool {
        self.status().kiosk
    }

    /// What kiosk mode allows ("vm:NAME", "home", "media"); empty outside kiosk mode.
    #[zbus(property)]
    fn kiosk_targets(&self) -> Vec<String> {
        self.status().kiosk_targets
    }

    /// The player: state ("playing", "paused", "stopped"), title, file.
    #[zbus(property)]
    fn playback(&self) -> (String, String, String) {
        properties::playback(&self.status())
    }

    /// Each managed image: name, phase, bytes done, bytes in all.
    #[zbus(property)]
    fn downloads(&self) -> Vec<(String, String, u64, u64)> {
        properties::downloads(&self.status())
    }
}

//! `hearth ctl`: a command-line client of `org.hearth.Shell1`, for scripts and people.

use std::path::PathBuf;
use std::process::ExitCode;

use zbus::blocking::{Connection, Proxy};

use super::{BUS_NAME, DownloadEntry, INTERFACE, PATH, PlaybackEntry, ServiceBus, Status, VmEntry};

#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The bus Hearth's service is on: "session", "system" or a D-Bus address.
    #[arg(long, value_name = "BUS", default_value = "session")]
    pub bus: String,

    #[command(subcommand)]
    pub command: CtlCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CtlCommand {
    /// What Hearth shows: the screen, the VM in front, the VMs, kiosk mode, the player and
    /// downloads.
    Status {
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Brings a VM (by name) to the front.
    Switch { vm: String },
    /// Shows the home screen.
    Home,
    /// Starts a VM.
    Start { vm: String },
    /// Asks a VM's guest to shut down.
    Stop { vm: String },
    /// Plays a local file, or the playable files in a folder.
    Open { path: PathBuf },
}

/// Runs `hearth ctl` and returns its exit status: 0 done, 1 refused or failed, 2 Hearth not
/// reachable.
pub fn run(args: CtlArgs) -> ExitCode {
    match run_with(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CtlError::Refused(message)) => {
            eprintln!("hearth ctl: {message}");
            ExitCode::from(1)
        }
        Err(CtlError::Unreachable(message)) => {
            eprintln!("hearth ctl: {message}");
            ExitCode::from(2)
        }
    }
}

enum CtlError {
    Refused(String),
    Unreachable(String),
}

fn run_with(args: CtlArgs) -> Result<(), CtlError> {
    let bus = ServiceBus::parse(&args.bus).map_err(CtlError::Unreachable)?;
    let connection = bus
        .builder()
        .and_then(|builder| builder.build())
        .map_err(|error| CtlError::Unreachable(format!("cannot reach the {bus:?} bus: {error}")))?;
    let proxy = Proxy::new(&connection, BUS_NAME, PATH, INTERFACE)
        .map_err(|error| CtlError::Unreachable(error.to_string()))?;
    ensure_running(&connection)?;
    match args.command {
        CtlCommand::Status { json } => {
            let status = read_status(&proxy)?;
            if json {
                let text = serde_json::to_string_pretty(&status)
                    .map_err(|error| CtlError::Refused(error.to_string()))?;
                println!("{text}");
            } else {
                print!("{}", describe(&status));
            }
            Ok(())
        }
        CtlCommand::Switch { vm } => call(&proxy, "Switch", &(vm,)),
        CtlCommand::Home => call(&proxy, "GoHome", &()),
        CtlCommand::Start { vm } => call(&proxy, "StartVm", &(vm,)),
        CtlCommand::Stop { vm } => call(&proxy, "StopVm", &(vm,)),
        CtlCommand::Open { path } => {
            let path = std::path::absolute(&path).unwrap_or(path);
            let Some(text) = path.to_str() else {
                return Err(CtlError::Refused(format!(
                    "{} is not valid UTF-8, which D-Bus strings must be",
                    path.display()
                )));
            };
            call(&proxy, "OpenMedia", &(text,))
        }
    }
}

fn ensure_running(connection: &Connection) -> Result<(), CtlError> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(connection)
        .map_err(|error| CtlError::Unreachable(error.to_string()))?;
    let name = zbus::names::BusName::try_from(BUS_NAME)
        .map_err(|error| CtlError::Unreachable(error.to_string()))?;
    match dbus.name_has_owner(name) {
        Ok(true) => Ok(()),
        Ok(false) => Err(CtlError::Unreachable(format!(
            "Hearth is not running on this bus (nobody owns {BUS_NAME})"
        ))),
        Err(error) => Err(CtlError::Unreachable(error.to_string())),
    }
}

fn call<B>(proxy: &Proxy<'_>, method: &str, body: &B) -> Result<(), CtlError>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    match proxy.call_method(method, body) {
        Ok(_) => Ok(()),
        Err(zbus::Error::MethodError(name, description, _)) => {
            let reason = name
                .as_str()
                .strip_prefix("org.hearth.Shell1.Error.")
                .unwrap_or(name.as_str());
            Err(CtlError::Refused(format!(
                "{} ({reason})",
                description.unwrap_or_else(|| "refused".into())
            )))
        }
        Err(error) => Err(CtlError::Unreachable(error.to_string())),
    }
}

fn read_status(proxy: &Proxy<'_>) -> Result<Status, CtlError> {
    let unreachable = |error: zbus::Error| CtlError::Unreachable(error.to_string());
    let vms: Vec<(String, String, String)> = proxy.get_property("Vms").map_err(unreachable)?;
    let playback: (String, String, String) = proxy.get_property("Playback").map_err(unreachable)?;
    let downloads: Vec<(String, String, u64, u64)> =
        proxy.get_property("Downloads").map_err(unreachable)?;
    Ok(Status {
        vms: vms
            .into_iter()
            .map(|(name, state, role)| VmEntry { name, state, role })
            .collect(),
        front: proxy.get_property("Front").map_err(unreachable)?,
        screen: proxy.get_property("Screen").map_err(unreachable)?,
        kiosk: proxy.get_property("Kiosk").map_err(unreachable)?,
        kiosk_targets: proxy.get_property("KioskTargets").map_err(unreachable)?,
        playback: PlaybackEntry {
            state: playback.0,
            title: playback.1,
            file: playback.2,
        },
        downloads: downloads
            .into_iter()
            .map(|(image, phase, bytes_done, bytes_total)| DownloadEntry {
                image,
                phase,
                bytes_done,
                bytes_total,
            })
            .collect(),
    })
}

/// The status as lines for people.
fn describe(status: &Status) -> String {
    let mut text = String::new();
    let front = if status.front.is_empty() {
        "none"
    } else {
        status.front.as_str()
    };
    text.push_str(&format!("screen:   {}\nin front: {front}\n", status.screen));
    if status.kiosk {
        text.push_str(&format!(
            "kiosk:    on, allows {}\n",
            status.kiosk_targets.join(", ")
        ));
    } else {
        text.push_str("kiosk:    off\n");
    }
    let width = status
        .vms
        .iter()
        .map(|vm| vm.name.chars().count())
        .max()
        .unwrap_or(0);
    text.push_str("vms:\n");
    for vm in &status.vms {
        text.push_str(&format!(
            "  {:width$}  {:9} {}\n",
            vm.name, vm.state, vm.role
        ));
    }
    if status.playback.state != "stopped" && !status.playback.state.is_empty() {
        text.push_str(&format!(
            "player:   {} ({})\n",
            status.playback.title, status.playback.state
        ));
    }
    for download in &status.downloads {
        let percent = (download.bytes_done * 100)
            .checked_div(download.bytes_total)
            .unwrap_or(0);
        text.push_str(&format!(
            "image:    {} {} {percent} %\n",
            download.image, download.phase
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reads_as_lines() {
        let status = Status {
            vms: vec![
                VmEntry {
                    name: "Work".into(),
                    state: "running".into(),
                    role: "work".into(),
                },
                VmEntry {
                    name: "Personal".into(),
                    state: "stopped".into(),
                    role: "personal".into(),
                },
            ],
            front: "Work".into(),
            screen: "vm".into(),
            kiosk: true,
            kiosk_targets: vec!["vm:Work".into()],
            playback: PlaybackEntry {
                state: "stopped".into(),
                ..PlaybackEntry::default()
            },
            downloads: vec![DownloadEntry {
                image: "work".into(),
                phase: "downloading".into(),
                bytes_done: 50,
                bytes_total: 200,
            }],
        };
        assert_eq!(
            describe(&status),
            "screen:   vm\nin front: Work\nkiosk:    on, allows vm:Work\nvms:\n  \
             Work      running   work\n  Personal  stopped   personal\n\
             image:    work downloading 25 %\n"
        );
    }

    #[test]
    fn buses_parse_and_nonsense_is_refused() {
        assert_eq!(ServiceBus::parse("system"), Ok(ServiceBus::System));
        assert_eq!(
            ServiceBus::parse("unix:path=/run/bus"),
            Ok(ServiceBus::Address("unix:path=/run/bus".into()))
        );
        assert!(ServiceBus::parse("sesion").is_err());
    }
}

//! `hearth-image serve` on a private bus, driven the way an admin or another program would:
//! `busctl` reads properties, `gdbus` calls methods, `dbus-monitor` watches the signals.
//! NetworkManager and UPower are python-dbusmock on a second private bus standing in for the
//! system bus.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::images::{Publisher, hearth_image};
use crate::services::{PrivateBus, Process, wait_for};

pub const BUS_NAME: &str = "org.hearth.Images1";
pub const INTERFACE: &str = "org.hearth.Images1.Image";
pub const WORK_PATH: &str = "/org/hearth/Images1/work";

/// The service, serving the image `work` from `mirror`.
pub struct ImageService {
    pub process: Process,
    pub config: PathBuf,
    pub state_dir: PathBuf,
    pub bus: String,
}

impl ImageService {
    /// Writes `images.toml` (with `extra` lines at the top) and starts the service; returns
    /// once its name is on the bus.
    pub fn start(
        publisher: &Publisher,
        bus: &PrivateBus,
        system_bus: Option<&PrivateBus>,
        mirror: &str,
        extra: &str,
    ) -> ImageService {
        ImageService::start_for_vm(publisher, bus, system_bus, mirror, extra, "work")
    }

    /// [`ImageService::start`] with the image belonging to the VM named `vm`.
    pub fn start_for_vm(
        publisher: &Publisher,
        bus: &PrivateBus,
        system_bus: Option<&PrivateBus>,
        mirror: &str,
        extra: &str,
        vm: &str,
    ) -> ImageService {
        ImageService::start_with_image_keys(publisher, bus, system_bus, mirror, extra, vm, "")
    }

    /// [`ImageService::start_for_vm`] with `image_keys` added to the image's table (a data
    /// disk, the rollback choice).
    pub fn start_with_image_keys(
        publisher: &Publisher,
        bus: &PrivateBus,
        system_bus: Option<&PrivateBus>,
        mirror: &str,
        extra: &str,
        vm: &str,
        image_keys: &str,
    ) -> ImageService {
        let state_dir = publisher.path("device");
        let config = publisher.path("images.toml");
        let text = format!(
            "state_dir = \"{}\"\n{extra}\n[[image]]\nname = \"work\"\nvm = \"{vm}\"\npublic_keys = [\"{}\"]\nmirrors = [\"{mirror}\"]\nrollback_grace_seconds = 90\n{image_keys}\n",
            state_dir.display(),
            publisher.public_key.display()
        );
        std::fs::write(&config, text).expect("writing images.toml");
        let service = ImageService::spawn(&config, &state_dir, bus, system_bus);
        wait_for("the image service's name", Duration::from_secs(20), || {
            bus.has_owner(BUS_NAME)
        });
        service
    }

    fn spawn(
        config: &Path,
        state_dir: &Path,
        bus: &PrivateBus,
        system_bus: Option<&PrivateBus>,
    ) -> ImageService {
        // Without a stand-in, the system bus is one that is not there: the service must not
        // read the machine's own NetworkManager.
        let system = system_bus.map_or_else(
            || "unix:path=/nonexistent/system_bus_socket".to_string(),
            |bus| bus.address.clone(),
        );
        let process = Process::spawn(
            "hearth-image serve",
            Command::new(hearth_image())
                .args(["serve", "--config"])
                .arg(config)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .env("DBUS_SYSTEM_BUS_ADDRESS", system)
                .env("HEARTH_LOG", "hearth_images=debug"),
        );
        ImageService {
            process,
            config: config.to_owned(),
            state_dir: state_dir.to_owned(),
            bus: bus.address.clone(),
        }
    }

    /// Starts it again after [`Process::kill`], on the same folder.
    pub fn restart(&mut self, bus: &PrivateBus) {
        self.process.kill();
        *self = ImageService::spawn(&self.config, &self.state_dir, bus, None);
        wait_for(
            "the restarted service's name",
            Duration::from_secs(20),
            || bus.has_owner(BUS_NAME),
        );
    }

    /// A property of `work`, as `busctl --json` prints its value.
    pub fn property(&self, name: &str) -> serde_json::Value {
        let output = Command::new("busctl")
            .arg(format!("--address={}", self.bus))
            .args([
                "--json=short",
                "get-property",
                BUS_NAME,
                WORK_PATH,
                INTERFACE,
                name,
            ])
            .output()
            .expect("running busctl");
        assert!(
            output.status.success(),
            "busctl get-property {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("busctl prints JSON");
        value["data"].clone()
    }

    pub fn text(&self, name: &str) -> String {
        self.property(name)
            .as_str()
            .unwrap_or_else(|| panic!("{name} is not a string"))
            .to_string()
    }

    pub fn number(&self, name: &str) -> i64 {
        self.property(name)
            .as_i64()
            .unwrap_or_else(|| panic!("{name} is not a number"))
    }

    /// Calls a method of `work` with `gdbus`; returns what it printed, or its error.
    pub fn try_call(&self, method: &str, args: &[&str]) -> Result<String, String> {
        let output = Command::new("gdbus")
            .args(["call", "--address", &self.bus, "--dest", BUS_NAME])
            .args(["--object-path", WORK_PATH, "--method"])
            .arg(format!("{INTERFACE}.{method}"))
            .args(args)
            .output()
            .expect("running gdbus");
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
        }
    }

    pub fn call(&self, method: &str, args: &[&str]) -> String {
        self.try_call(method, args)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// Waits until the `Phase` property reads `phase`.
    pub fn wait_for_phase(&self, phase: &str, timeout: Duration) {
        let mut last = String::new();
        let start = Instant::now();
        while start.elapsed() < timeout {
            last = self.text("Phase");
            if last == phase {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the phase stayed {last:?}, not {phase:?}; last error: {}",
            self.text("LastError")
        );
    }
}

/// PropertiesChanged signals of the image service, as `dbus-monitor` received them.
pub struct SignalLog {
    _process: Process,
    /// When each signal arrived, with the line naming its first changed property.
    pub signals: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl SignalLog {
    pub fn start(bus: &PrivateBus) -> SignalLog {
        let mut process = Process::spawn(
            "dbus-monitor",
            Command::new("dbus-monitor")
                .args(["--address", &bus.address])
                .arg(format!(
                    "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='{WORK_PATH}'"
                ))
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let stdout = process.take_stdout().expect("dbus-monitor's output");
        let signals = Arc::new(Mutex::new(Vec::new()));
        let log = signals.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            while let Some(Ok(line)) = lines.next() {
                if line.starts_with("signal ") && line.contains("member=PropertiesChanged") {
                    log.lock().unwrap().push((Instant::now(), String::new()));
                } else if line.contains(INTERFACE) {
                    continue;
                } else if let Some(last) = log.lock().unwrap().last_mut() {
                    last.1.push_str(line.trim());
                    last.1.push('\n');
                }
            }
        });
        // dbus-monitor subscribes before it prints; give it a moment to be listening.
        std::thread::sleep(Duration::from_millis(300));
        SignalLog {
            _process: process,
            signals,
        }
    }

    pub fn snapshot(&self) -> Vec<(Instant, String)> {
        self.signals.lock().unwrap().clone()
    }
}

/// python-dbusmock serving a template on `bus` (as the system bus).
pub struct DbusMock {
    _process: Process,
    bus: String,
    name: &'static str,
}

impl DbusMock {
    pub fn start(
        bus: &PrivateBus,
        template: &str,
        name: &'static str,
        parameters: &str,
    ) -> DbusMock {
        let process = Process::spawn(
            "python3 -m dbusmock",
            // Debian's python, where python3-dbusmock is installed (not one earlier in PATH).
            Command::new("/usr/bin/python3")
                .args(["-m", "dbusmock", "--system", "--template", template])
                .args(["--parameters", parameters])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for(name, Duration::from_secs(20), || bus.has_owner(name));
        DbusMock {
            _process: process,
            bus: bus.address.clone(),
            name,
        }
    }

    /// Calls a method on one of the mock's objects (the `org.freedesktop.DBus.Mock` interface
    /// changes properties and emits PropertiesChanged as the real service would).
    pub fn call(&self, path: &str, method: &str, args: &[&str]) {
        let output = Command::new("gdbus")
            .args(["call", "--address", &self.bus, "--dest", self.name])
            .args(["--object-path", path, "--method", method])
            .args(args)
            .output()
            .expect("running gdbus");
        assert!(
            output.status.success(),
            "{method} on {path}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

const NETWORK_MANAGER_PATH: &str = "/org/freedesktop/NetworkManager";
const UPOWER_PATH: &str = "/org/freedesktop/UPower";

/// NetworkManager and UPower (python-dbusmock) on a private system bus: an unmetered link
/// and mains power until told otherwise.
pub struct SystemConditions {
    network: DbusMock,
    power: DbusMock,
}

impl SystemConditions {
    pub fn start(system_bus: &PrivateBus) -> SystemConditions {
        let network = DbusMock::start(
            system_bus,
            "networkmanager",
            "org.freedesktop.NetworkManager",
            "{}",
        );
        // NM_METERED_GUESS_NO: the template has no Metered property of its own.
        network.call(
            NETWORK_MANAGER_PATH,
            "org.freedesktop.DBus.Mock.AddProperty",
            &["org.freedesktop.NetworkManager", "Metered", "<uint32 4>"],
        );
        let power = DbusMock::start(
            system_bus,
            "upower",
            "org.freedesktop.UPower",
            "{\"OnBattery\": false}",
        );
        SystemConditions { network, power }
    }

    /// NetworkManager's `Metered`: 1 yes, 3 guess yes, 4 guess no.
    pub fn set_metered(&self, value: u32) {
        self.network.call(
            NETWORK_MANAGER_PATH,
            "org.freedesktop.DBus.Mock.UpdateProperties",
            &[
                "org.freedesktop.NetworkManager",
                &format!("{{'Metered': <uint32 {value}>}}"),
            ],
        );
    }

    /// The display device: a battery at `percent`.
    pub fn set_battery_level(&self, percent: f64) {
        self.power.call(
            UPOWER_PATH,
            "org.freedesktop.DBus.Mock.SetupDisplayDevice",
            &[
                "2",
                "2",
                &format!("{percent:.1}"),
                "10.0",
                "80.0",
                "5.0",
                "3600",
                "0",
                "true",
                "battery-low",
                "3",
            ],
        );
    }

    pub fn set_on_battery(&self, on_battery: bool) {
        self.power.call(
            UPOWER_PATH,
            "org.freedesktop.DBus.Mock.UpdateProperties",
            &[
                "org.freedesktop.UPower",
                &format!("{{'OnBattery': <{on_battery}>}}"),
            ],
        );
    }
}

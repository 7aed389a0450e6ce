//! Real components the integration tests start for themselves: a private D-Bus daemon,
//! libvirt-dbus with its Test driver, and QEMU with its D-Bus display. Each lives in its own
//! temporary folder and is killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary of this workspace built beside the tests (`cargo xtask test` builds them first).
pub fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(name))
        .expect("target folder");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo xtask test`, which builds it first",
        binary.display()
    );
    binary
}

/// A folder of the test's own, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("hearth-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Process {
    child: Option<Child>,
    pub name: String,
}

impl Process {
    pub fn spawn(name: &str, command: &mut Command) -> Process {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e} (run cargo xtask setup)"));
        Process {
            child: Some(child),
            name: name.to_string(),
        }
    }

    /// The child's standard error, if it was piped and not yet taken.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.as_mut().and_then(|c| c.stderr.take())
    }

    /// The child's standard output, if it was piped and not yet taken.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.as_mut().and_then(|c| c.stdout.take())
    }

    /// The child's process id, while it runs.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// `kill -9`, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for `done`, polling; panics with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A private session bus with no service activation: only what a test starts is on it.
pub struct PrivateBus {
    pub address: String,
    _process: Process,
    _dir: TempDir,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        let dir = TempDir::new("bus");
        let config = dir.path().join("bus.conf");
        let text = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.path().display()
        );
        std::fs::write(&config, text).expect("writing the bus configuration");
        let mut process = Process::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let stdout = process
            .child
            .as_mut()
            .and_then(|c| c.stdout.take())
            .expect("dbus-daemon's stdout");
        let mut address = String::new();
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("reading the bus address");
        let address = address.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        PrivateBus {
            address,
            _process: process,
            _dir: dir,
        }
    }

    pub fn connect(&self) -> zbus::blocking::Connection {
        zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(|b| b.build())
            .expect("connecting to the private bus")
    }

    /// Whether a well-known name has an owner on this bus.
    pub fn has_owner(&self, name: &str) -> bool {
        let connection = self.connect();
        let dbus = zbus::blocking::fdo::DBusProxy::new(&connection).expect("bus proxy");
        let name = zbus::names::BusName::try_from(name).expect("valid bus name");
        dbus.name_has_owner(name).unwrap_or(false)
    }
}

/// libvirt-dbus on a private bus; its Test driver needs no daemon.
pub struct LibvirtDbus {
    pub process: Process,
}

impl LibvirtDbus {
    pub fn start(bus: &PrivateBus) -> LibvirtDbus {
        let process = Process::spawn(
            "libvirt-dbus",
            Command::new("/usr/sbin/libvirt-dbus")
                .arg("--session")
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_for("libvirt-dbus on the bus", Duration::from_secs(20), || {
            bus.has_owner("org.libvirt")
        });
        LibvirtDbus { process }
    }

    /// Calls `org.libvirt.Connect` on the Test connection.
    pub fn define(bus: &PrivateBus, xml: &str) -> String {
        let connection = bus.connect();
        let reply = connection
            .call_method(
                Some("org.libvirt"),
                "/org/libvirt/Test",
                Some("org.libvirt.Connect"),
                "DomainDefineXML",
                &(xml,),
            )
            .expect("defining a domain");
        let path: zbus::zvariant::OwnedObjectPath =
            reply.body().deserialize().expect("an object path");
        path.to_string()
    }

    pub fn create(bus: &PrivateBus, path: &str) {
        bus.connect()
            .call_method(
                Some("org.libvirt"),
                path,
                Some("org.libvirt.Domain"),
                "Create",
                &(0u32,),
            )
            .expect("starting a domain");
    }
}

/// A domain the Test driver accepts.
pub fn test_domain_xml(name: &str, uuid: &str) -> String {
    format!(
        "<domain type='test'><name>{name}</name><uuid>{uuid}</uuid><memory unit='MiB'>128</memory><os><type>hvm</type></os></domain>"
    )
}

/// The system's libvirtd (qemu:///system), started if it is not running. Tests leave it
/// running; each cleans up the domains it defines.
pub fn ensure_system_libvirtd() {
    let works = || {
        Command::new("virsh")
            .args(["-c", "qemu:///system", "version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works() {
        return;
    }
    for daemon in ["virtlogd", "libvirtd"] {
        let status = Command::new(daemon).arg("-d").status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "starting {daemon} (run cargo xtask setup)"
        );
    }
    wait_for("libvirtd to answer", Duration::from_secs(30), works);
}

/// libvirt-dbus serving qemu:///system, on a private bus standing in for the system bus.
pub fn libvirt_dbus_system(bus: &PrivateBus) -> Process {
    let process = Process::spawn(
        "libvirt-dbus",
        Command::new("/usr/sbin/libvirt-dbus")
            .arg("--system")
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_for("libvirt-dbus on the bus", Duration::from_secs(20), || {
        bus.has_owner("org.libvirt")
    });
    process
}

/// A domain defined in qemu:///system, destroyed and undefined when dropped.
pub struct SystemDomain {
    pub name: String,
}

impl SystemDomain {
    pub fn define(name: &str, xml: &str, dir: &Path) -> SystemDomain {
        let file = dir.join(format!("{name}.xml"));
        std::fs::write(&file, xml).expect("writing the domain XML");
        let output = Command::new("virsh")
            .args(["-c", "qemu:///system", "define"])
            .arg(&file)
            .output()
            .expect("virsh define");
        assert!(
            output.status.success(),
            "virsh define failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        SystemDomain {
            name: name.to_string(),
        }
    }
}

impl Drop for SystemDomain {
    fn drop(&mut self) {
        for action in ["destroy", "undefine"] {
            let _ = Command::new("virsh")
                .args(["-c", "qemu:///system", action, &self.name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `dbus-monitor` on a private bus, keeping every line it prints.
pub struct SignalMonitor {
    process: Process,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SignalMonitor {
    /// Watches the signals sent from `path`; gives the monitor a moment to subscribe.
    pub fn start(bus: &PrivateBus, path: &str) -> SignalMonitor {
        let mut process = Process::spawn(
            "dbus-monitor",
            Command::new("dbus-monitor")
                .args(["--address", &bus.address])
                .arg(format!("type='signal',path='{path}'"))
                .stdout(std::process::Stdio::piped()),
        );
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stdout = process.take_stdout().expect("dbus-monitor's output");
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                kept.lock().expect("the monitor's lines").push(line);
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        SignalMonitor { process, lines }
    }

    /// Everything seen so far, one line each.
    pub fn seen(&self) -> String {
        self.lines.lock().expect("the monitor's lines").join("\n")
    }

    pub fn stop(&mut self) {
        self.process.kill();
    }
}

/// A fresh, empty `XDG_STATE_HOME` for one start of `hearth`, so no run restores the session
/// another test left (a caller's own value overrides it).
pub fn fresh_state_home() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("hearth-state-{}-{number}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).expect("a state folder");
    path
}

/// A property of Hearth's own service (`org.hearth.Shell1`) on `bus`, as busctl prints it
/// (`s "home"`).
pub fn shell_property(bus: &PrivateBus, name: &str) -> String {
    let output = Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "get-property",
            "org.hearth.Shell1",
            "/org/hearth/Shell1",
            "org.hearth.Shell1",
            name,
        ])
        .output()
        .expect("running busctl");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

//! The appliance guest: a real machine for Hearth, inside QEMU. Debian 12 with systemd as
//! PID 1, udev and the system bus (made by `cargo xtask setup test` into [`GUEST_DIR`]), a
//! DRM device (virtio-gpu), a multi-touch screen and a keyboard as evdev devices. Each boot
//! writes to an overlay of its own and carries Hearth's binaries, `assets/` and `docs/` on a
//! second, read-only disk, from which Hearth is installed with docs/DEPLOY.md's own script.
//! The screen, touch and keys are driven over QMP; commands run inside through the guest
//! agent. Under TCG (KVM stalls on these machines) a boot to a shell takes about 40 s.

pub mod agent;
pub mod gamepad;
pub mod qmp;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::services::Process;
use agent::{Agent, Output};
use qmp::{ABS_MAX, Qmp};

/// Where `cargo xtask setup test` puts the guest (the same path is in
/// xtask/src/appliance/image.rs).
pub const GUEST_DIR: &str = "/var/tmp/hearth-appliance";

/// The label of the disk that carries what is installed.
const SOURCE_LABEL: &str = "HEARTHSRC";

/// The three programs an appliance runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The `linuxkms` build of `hearth`.
    pub hearth: PathBuf,
    pub media_helper: PathBuf,
    pub image: PathBuf,
    /// Further programs carried in the source disk's `bin/` but not installed (the
    /// benchmark's empty window).
    pub extra: Vec<PathBuf>,
}

impl Binaries {
    /// The builds of `profile` ("debug", "release") in the target folder `target`: `hearth`
    /// from the appliance build's folder, the other two from the workspace's.
    pub fn in_target(target: &Path, profile: &str) -> Binaries {
        Binaries {
            hearth: target.join("appliance").join(profile).join("hearth"),
            media_helper: target.join(profile).join("hearth-media-helper"),
            image: target.join(profile).join("hearth-image"),
            extra: Vec::new(),
        }
    }

    fn all(&self) -> Vec<(&str, &Path)> {
        let installed = [
            ("hearth", self.hearth.as_path()),
            ("hearth-media-helper", &self.media_helper),
            ("hearth-image", &self.image),
        ];
        let extra = self.extra.iter().map(|path| {
            let name = path.file_name().and_then(|name| name.to_str());
            (name.unwrap_or("unnamed"), path.as_path())
        });
        installed.into_iter().chain(extra).collect()
    }
}

/// How the guest is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Only through screendumps.
    Hidden,
    /// Also on QEMU's VNC server at 127.0.0.1:5900+N.
    Vnc(u16),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The display's size (the preferred mode virtio-gpu offers).
    pub width: u32,
    pub height: u32,
    pub screen: Screen,
    /// Memory in MiB.
    pub memory: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            width: 1280,
            height: 800,
            screen: Screen::Hidden,
            memory: 1024,
        }
    }
}

/// A running appliance guest; QEMU is stopped when it is dropped (when this value started
/// it).
pub struct Appliance {
    dir: PathBuf,
    pub width: u32,
    pub height: u32,
    qemu: Option<Process>,
    qmp: Mutex<Option<Qmp>>,
    agent: Mutex<Option<Agent>>,
}

impl Appliance {
    /// Boots a fresh guest with its files in `dir` (made if missing; an earlier guest's files
    /// there are replaced), carrying `binaries` and this checkout's assets and docs.
    pub fn boot(dir: &Path, binaries: &Binaries, options: &Options) -> std::io::Result<Appliance> {
        let guest = Path::new(GUEST_DIR);
        if !guest.join("recipe").exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no appliance guest in {GUEST_DIR}: `cargo xtask setup test` makes it"),
            ));
        }
        for (name, path) in binaries.all() {
            if !path.exists() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{name} is missing at {}: build it first", path.display()),
                ));
            }
        }
        std::fs::create_dir_all(dir)?;
        for stale in [
            "qmp.sock",
            "agent.sock",
            "overlay.qcow2",
            "source.img",
            "serial.log",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        checked(
            Command::new("qemu-img")
                .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
                .arg(guest.join("root.img"))
                .arg(dir.join("overlay.qcow2")),
            "qemu-img create (the guest's overlay)",
        )?;
        source_disk(dir, binaries)?;
        let mut command = Command::new("qemu-system-x86_64");
        command
            .args(["-accel", "tcg", "-smp", "2", "-m"])
            .arg(options.memory.to_string())
            .args([
                "-name",
                "hearth-appliance",
                "-no-user-config",
                "-nodefaults",
            ])
            .arg("-kernel")
            .arg(guest.join("vmlinuz"))
            .arg("-initrd")
            .arg(guest.join("initrd.img"))
            .args(["-append", "root=/dev/vda rw console=ttyS0 quiet"])
            .arg("-drive")
            .arg(format!(
                "file={},if=virtio,format=qcow2",
                dir.join("overlay.qcow2").display()
            ))
            .arg("-drive")
            .arg(format!(
                "file={},if=virtio,format=raw,readonly=on",
                dir.join("source.img").display()
            ))
            .args(["-device"])
            .arg(format!(
                "virtio-gpu-pci,xres={},yres={}",
                options.width, options.height
            ))
            .args(["-device", "virtio-keyboard-pci"])
            .args(["-device", "virtio-multitouch-pci"])
            .args(["-device", "virtio-serial-pci"])
            .arg("-chardev")
            .arg(format!(
                "socket,path={},server=on,wait=off,id=agent",
                dir.join("agent.sock").display()
            ))
            .args([
                "-device",
                "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
            ])
            .arg("-qmp")
            .arg(format!(
                "unix:{},server=on,wait=off",
                dir.join("qmp.sock").display()
            ))
            .arg("-serial")
            .arg(format!("file:{}", dir.join("serial.log").display()))
            .args(["-nic", "user,model=virtio-net-pci"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match options.screen {
            Screen::Hidden => command.args(["-display", "none"]),
            Screen::Vnc(display) => command
                .arg("-display")
                .arg(format!("vnc=127.0.0.1:{display}")),
        };
        let qemu = Process::spawn("qemu-system-x86_64", &mut command);
        let appliance = Appliance {
            dir: dir.to_path_buf(),
            width: options.width,
            height: options.height,
            qemu: Some(qemu),
            qmp: Mutex::new(None),
            agent: Mutex::new(None),
        };
        let started = Instant::now();
        while !dir.join("qmp.sock").exists() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(std::io::Error::other("QEMU did not open its QMP socket"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(appliance)
    }

    /// A guest booted by another process (`appliance boot`), by its folder.
    pub fn attach(dir: &Path, width: u32, height: u32) -> Appliance {
        Appliance {
            dir: dir.to_path_buf(),
            width,
            height,
            qemu: None,
            qmp: Mutex::new(None),
            agent: Mutex::new(None),
        }
    }

    /// The guest's folder on this machine.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the guest wrote to its serial console (the kernel, systemd, a getty).
    pub fn serial(&self) -> String {
        std::fs::read_to_string(self.dir.join("serial.log")).unwrap_or_default()
    }

    fn with_qmp<T>(&self, act: impl FnOnce(&mut Qmp) -> std::io::Result<T>) -> std::io::Result<T> {
        let mut slot = self.qmp.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Qmp::connect(&self.dir.join("qmp.sock"))?);
        }
        let result = act(slot.as_mut().expect("connected above"));
        if result.is_err() {
            *slot = None;
        }
        result
    }

    /// Waits until the guest agent answers: the guest has booted to its services.
    pub fn wait_for_agent(&self, timeout: Duration) -> std::io::Result<()> {
        let started = Instant::now();
        loop {
            let connected = Agent::connect(&self.dir.join("agent.sock"), Duration::from_secs(5));
            match connected {
                Ok(agent) => {
                    *self.agent.lock().unwrap_or_else(|p| p.into_inner()) = Some(agent);
                    return Ok(());
                }
                Err(error) if started.elapsed() > timeout => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the guest did not boot to its agent within {timeout:?} ({error}); \
                             its console:\n{}",
                            tail(&self.serial(), 30)
                        ),
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_secs(1)),
            }
        }
    }

    /// Runs a shell script as root in the guest, with `input` on its standard input.
    pub fn run_with_input(
        &self,
        script: &str,
        input: &[u8],
        timeout: Duration,
    ) -> std::io::Result<Output> {
        let mut slot = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Agent::connect(
                &self.dir.join("agent.sock"),
                Duration::from_secs(60),
            )?);
        }
        let result = slot
            .as_mut()
            .expect("connected above")
            .run(script, input, timeout);
        if result.is_err() {
            *slot = None;
        }
        result
    }

    /// Runs a shell script as root in the guest (at most two minutes).
    pub fn run(&self, script: &str) -> std::io::Result<Output> {
        self.run_with_input(script, &[], Duration::from_secs(120))
    }

    /// Runs a shell script as root in the guest and returns its standard output; a failure is
    /// an error with everything it printed.
    pub fn run_ok(&self, script: &str) -> std::io::Result<String> {
        let output = self.run(script)?;
        if !output.success() {
            return Err(std::io::Error::other(format!(
                "`{script}` failed in the guest ({}):\n{}{}",
                output.code, output.stdout, output.stderr
            )));
        }
        Ok(output.stdout)
    }

    /// Installs Hearth with docs/DEPLOY.md's script from the source disk, with `config` as
    /// /etc/hearth/hearth.toml (the script keeps a configuration that is there), and waits
    /// for the script to end: hearth.service has been started.
    pub fn install(&self, config: &str) -> std::io::Result<Output> {
        self.run_with_input(
            "install -d -m 755 /etc/hearth && cat > /etc/hearth/hearth.toml",
            config.as_bytes(),
            Duration::from_secs(30),
        )?;
        self.run_with_input(
            &format!(
                "set -e; mkdir -p /mnt/hearth-source; \
                 mountpoint -q /mnt/hearth-source || \
                 mount -o ro LABEL={SOURCE_LABEL} /mnt/hearth-source; \
                 /mnt/hearth-source/assets/deploy/install.sh --bin /mnt/hearth-source/bin"
            ),
            &[],
            Duration::from_secs(180),
        )
    }

    /// What hearth.service has logged in the guest since its boot, without timestamps.
    pub fn hearth_journal(&self) -> String {
        self.run("journalctl -o cat --no-pager -u hearth.service")
            .map(|output| output.stdout)
            .unwrap_or_default()
    }

    /// The guest's screen as QEMU shows it.
    pub fn screenshot(&self) -> std::io::Result<image::RgbImage> {
        let path = self.dir.join("screen.png");
        let partial = self.dir.join("screen.partial.png");
        self.with_qmp(|qmp| qmp.screendump(&partial))?;
        let image = image::open(&partial)
            .map_err(std::io::Error::other)?
            .to_rgb8();
        std::fs::rename(&partial, &path)?;
        Ok(image)
    }

    /// The guest's screen as RGB bytes with its width and height, uncompressed: fast enough
    /// to watch the screen change.
    pub fn screen_rgb(&self) -> std::io::Result<(usize, usize, Vec<u8>)> {
        let path = self.dir.join("screen.ppm");
        self.with_qmp(|qmp| qmp.screendump_rgb(&path))
    }

    /// Reboots the guest cleanly (`systemctl reboot`) and waits until it answers from its
    /// next boot.
    pub fn reboot(&self, timeout: Duration) -> std::io::Result<()> {
        const BOOT_ID: &str = "cat /proc/sys/kernel/random/boot_id";
        let before = self.run_ok(BOOT_ID)?;
        self.run_ok("systemctl reboot --no-block")?;
        *self.agent.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            match self.run_with_input(BOOT_ID, &[], Duration::from_secs(10)) {
                Ok(output) if output.success() && output.stdout != before => return Ok(()),
                _ if started.elapsed() > timeout => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the guest did not come back from a reboot within {timeout:?}; \
                             its console:\n{}",
                            tail(&self.serial(), 30)
                        ),
                    ));
                }
                _ => {}
            }
        }
    }

    /// Where `point` (in screen pixels) is on the touch screen's axes.
    fn absolute(&self, (x, y): (f32, f32)) -> (u32, u32) {
        let scale = |value: f32, size: u32| {
            ((value.max(0.0) / size.max(1) as f32) * (ABS_MAX + 1) as f32).min(ABS_MAX as f32)
                as u32
        };
        (scale(x, self.width), scale(y, self.height))
    }

    /// A finger down and up at `point`, in screen pixels: lifted as soon as QEMU has sent
    /// the touch, so a guest busy drawing reads both together and never mistakes the tap for
    /// a long press.
    pub fn tap(&self, point: (f32, f32)) -> std::io::Result<()> {
        let (x, y) = self.absolute(point);
        let tracking_id = fastrand::u32(1..1_000_000);
        self.with_qmp(|qmp| qmp.send_input(qmp::finger_down(0, tracking_id, x, y)))?;
        self.with_qmp(|qmp| qmp.send_input(qmp::finger_up(0)))
    }

    /// Fingers (one per start point) put down at `from`, moved in `steps` steps to `to` over
    /// `duration`, and lifted: a swipe of one or several fingers.
    pub fn swipe(
        &self,
        from: &[(f32, f32)],
        to: &[(f32, f32)],
        steps: u32,
        duration: Duration,
    ) -> std::io::Result<()> {
        let base = fastrand::u32(1..1_000_000);
        let mut events = Vec::new();
        for (slot, &point) in from.iter().enumerate() {
            let (x, y) = self.absolute(point);
            events.extend(qmp::finger_down(slot as u32, base + slot as u32, x, y));
        }
        self.with_qmp(|qmp| qmp.send_input(events))?;
        let steps = steps.max(1);
        for step in 1..=steps {
            std::thread::sleep(duration / steps);
            let mut events = Vec::new();
            for (slot, (&start, &end)) in from.iter().zip(to).enumerate() {
                let t = step as f32 / steps as f32;
                let point = (
                    start.0 + (end.0 - start.0) * t,
                    start.1 + (end.1 - start.1) * t,
                );
                let (x, y) = self.absolute(point);
                events.extend(qmp::finger_move(slot as u32, base + slot as u32, x, y));
            }
            self.with_qmp(|qmp| qmp.send_input(events))?;
        }
        let lifted = (0..from.len() as u32).flat_map(qmp::finger_up).collect();
        self.with_qmp(|qmp| qmp.send_input(lifted))
    }

    /// Presses keys together, by QEMU's key names ("ctrl", "alt", "right"), and lets them go
    /// in the opposite order.
    pub fn press_keys(&self, keys: &[&str]) -> std::io::Result<()> {
        for key in keys {
            self.with_qmp(|qmp| qmp.send_input(vec![qmp::key_event(key, true)]))?;
            std::thread::sleep(Duration::from_millis(30));
        }
        for key in keys.iter().rev() {
            self.with_qmp(|qmp| qmp.send_input(vec![qmp::key_event(key, false)]))?;
            std::thread::sleep(Duration::from_millis(30));
        }
        Ok(())
    }

    /// Types keys one after another, each pressed and let go.
    pub fn type_keys(&self, keys: &[&str]) -> std::io::Result<()> {
        for key in keys {
            self.press_keys(&[key])?;
        }
        Ok(())
    }

    /// Resets the machine as a power cut would: no shutdown, nothing flushed by the guest.
    pub fn power_cut(&self) -> std::io::Result<()> {
        *self.agent.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.with_qmp(|qmp| qmp.execute("system_reset", json!({})).map(drop))
    }

    /// Closes the connections to QMP and the guest agent: each socket serves one client at a
    /// time, so a guest driven from several processes is let go between commands.
    pub fn disconnect(&self) {
        *self.qmp.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.agent.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Stops QEMU at once.
    pub fn quit(&self) -> std::io::Result<()> {
        self.with_qmp(|qmp| qmp.execute("quit", json!({})).map(drop))
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        if self.qemu.is_some() {
            let _ = self.quit();
        }
    }
}

/// The read-only disk with what is installed, laid out as a checkout: `bin/` with the three
/// programs, `assets/` and `docs/`.
fn source_disk(dir: &Path, binaries: &Binaries) -> std::io::Result<()> {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checkout")
        .to_path_buf();
    let staging = dir.join("source");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(staging.join("bin"))?;
    let mut bytes = 0;
    for (name, path) in binaries.all() {
        bytes += std::fs::copy(path, staging.join("bin").join(name))?;
    }
    for folder in ["assets", "docs"] {
        checked(
            Command::new("cp")
                .arg("-r")
                .arg(checkout.join(folder))
                .arg(staging.join(folder)),
            "copying the checkout's files for the guest",
        )?;
    }
    let size_mib = bytes / (1024 * 1024) * 5 / 4 + 96;
    checked(
        Command::new("truncate")
            .arg(format!("--size={size_mib}M"))
            .arg(dir.join("source.img")),
        "making the source disk's file",
    )?;
    checked(
        Command::new("mkfs.ext4")
            .args(["-q", "-F", "-L", SOURCE_LABEL, "-d"])
            .arg(&staging)
            .arg(dir.join("source.img")),
        "mkfs.ext4 -d (the source disk)",
    )?;
    std::fs::remove_dir_all(&staging)
}

fn checked(command: &mut Command, what: &str) -> std::io::Result<()> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The configuration the appliance guest runs Hearth with in the tests and in `cargo xtask
/// appliance`: the two simulated VMs, Hearth's D-Bus service and the image service on the
/// system bus, no sound card.
pub const GUEST_CONFIG: &str = "\
# The appliance guest's /etc/hearth/hearth.toml (tests/src/appliance/mod.rs).
backend = \"simulated\"

[service]
bus = \"system\"

[images]
bus = \"system\"

[playback]
audio = \"none\"
";

/// Polls `check` every half second until it holds; panics with `what` and the last value.
pub fn wait_until<T: std::fmt::Debug>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> (bool, T),
) -> T {
    let started = Instant::now();
    loop {
        let (done, value) = check();
        if done {
            return value;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}; last seen: {value:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

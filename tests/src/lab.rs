//! A local network on this machine: devices each in a network namespace of their own, joined
//! by a bridge in a hub namespace that also holds the origin. mDNS multicast crosses the
//! bridge as it would a switch; nothing reaches the machine's own network. Removed when
//! dropped.
//!
//! ```text
//! hub (10.77.0.1, the origin)  ── br0 ──┬── device 0 (10.77.0.10, eth0)
//!                                       ├── device 1 (10.77.0.11, eth0)
//!                                       └── ...
//! ```

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::services::{Process, TempDir, wait_for};

pub const HUB_ADDRESS: &str = "10.77.0.1";

pub struct Lab {
    hub: String,
    devices: Vec<String>,
}

fn ip(args: &[&str]) {
    let output = Command::new("ip")
        .args(args)
        .output()
        .expect("running ip (iproute2)");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Lab {
    pub fn new(devices: usize) -> Lab {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let tag = format!(
            "hearth-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let hub = format!("{tag}-hub");
        ip(&["netns", "add", &hub]);
        let mut lab = Lab {
            hub: hub.clone(),
            devices: Vec::new(),
        };
        ip(&["-n", &hub, "link", "set", "lo", "up"]);
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        // Without a multicast querier, snooping would hold mDNS back after a while.
        ip(&[
            "-n",
            &hub,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        ip(&[
            "-n",
            &hub,
            "addr",
            "add",
            &format!("{HUB_ADDRESS}/24"),
            "dev",
            "br0",
        ]);
        ip(&["-n", &hub, "link", "set", "br0", "up"]);
        for index in 0..devices {
            let device = format!("{tag}-d{index}");
            ip(&["netns", "add", &device]);
            lab.devices.push(device.clone());
            let port = format!("v{index}");
            ip(&[
                "-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &device,
            ]);
            ip(&["-n", &hub, "link", "set", &port, "master", "br0", "up"]);
            ip(&["-n", &device, "link", "set", "lo", "up"]);
            ip(&[
                "-n",
                &device,
                "addr",
                "add",
                &format!("{}/24", Lab::address(index)),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &device, "link", "set", "eth0", "up"]);
        }
        lab
    }

    /// Device `index`'s address.
    pub fn address(index: usize) -> String {
        format!("10.77.0.{}", 10 + index)
    }

    /// A command that runs `program` in device `index`'s namespace.
    pub fn on_device(&self, index: usize, program: &Path) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.devices[index]])
            .arg(program);
        command
    }

    /// A command that runs `program` in the hub's namespace.
    pub fn on_hub(&self, program: &Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.hub]).arg(program);
        command
    }

    /// nginx serving `store` as the origin on the hub, port 80; stopped when dropped.
    pub fn origin(&self, store: &Path) -> LabOrigin {
        let dir = TempDir::new("lab-nginx");
        let config = crate::images::nginx_config(
            dir.path(),
            &format!("{HUB_ADDRESS}:80"),
            &format!("root {};", store.display()),
        );
        std::fs::write(dir.path().join("nginx.conf"), config).expect("writing nginx.conf");
        let process = Process::spawn(
            "nginx",
            self.on_hub(Path::new("nginx"))
                .arg("-c")
                .arg(dir.path().join("nginx.conf"))
                .arg("-p")
                .arg(dir.path())
                .stderr(Stdio::null()),
        );
        // nginx writes its pid file once it listens.
        let pid = dir.path().join("nginx.pid");
        wait_for("nginx to listen", Duration::from_secs(10), || pid.exists());
        LabOrigin { process, dir }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for namespace in self.devices.iter().chain([&self.hub]) {
            let _ = Command::new("ip")
                .args(["netns", "del", namespace])
                .status();
        }
    }
}

/// The origin on the hub, with its access log.
pub struct LabOrigin {
    process: Process,
    dir: TempDir,
}

impl LabOrigin {
    pub fn url(&self) -> String {
        format!("http://{HUB_ADDRESS}")
    }

    /// What it was asked, as `(uri, status, bytes)`, oldest first.
    pub fn log(&self) -> Vec<crate::images::Request> {
        crate::images::read_access_log(&self.dir.path().join("access.log"))
    }

    /// Waits until every request it is serving is logged.
    pub fn settled_log(&self) -> Vec<crate::images::Request> {
        crate::images::settled(|| self.log())
    }
}

impl Drop for LabOrigin {
    fn drop(&mut self) {
        self.process.kill();
    }
}

//! A tiny guest for QEMU tests: Debian's kernel with a busybox initramfs whose init shows a
//! banner on the screen and reports every line typed on the console to the serial port.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::services::{PrivateBus, Process, TempDir};

/// Where `cargo xtask setup` puts the guest kernel (the same path is in xtask/src/guest.rs).
pub const GUEST_KERNEL: &str = "/var/cache/hearth/guest/vmlinuz";
const BUSYBOX: &str = "/bin/busybox";

/// One entry of an initramfs.
struct Entry<'a> {
    name: &'a str,
    mode: u32,
    data: &'a [u8],
}

/// Writes a cpio archive in the "newc" format the kernel unpacks.
fn cpio(entries: &[Entry<'_>]) -> Vec<u8> {
    fn pad(out: &mut Vec<u8>) {
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
    let mut out = Vec::new();
    let trailer = Entry {
        name: "TRAILER!!!",
        mode: 0,
        data: &[],
    };
    for (inode, entry) in entries.iter().chain(std::iter::once(&trailer)).enumerate() {
        let fields = [
            inode as u32 + 1,
            entry.mode,
            0,
            0,
            1,
            0,
            entry.data.len() as u32,
            0,
            0,
            0,
            0,
            entry.name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for field in fields {
            out.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        out.extend_from_slice(entry.name.as_bytes());
        out.push(0);
        pad(&mut out);
        out.extend_from_slice(entry.data);
        pad(&mut out);
    }
    out
}

fn init_script(name: &str) -> String {
    format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
clear > /dev/tty0
for i in 1 2 3 4 5 6; do echo "======== HEARTH TEST GUEST {name} ========" > /dev/tty0; done
echo "Type a line and press Enter:" > /dev/tty0
echo "READY {name}" > /dev/ttyS0
while true; do
  if read -r line < /dev/tty0; then echo "LINE:$line" > /dev/ttyS0; fi
done
"#
    )
}

/// Builds the initramfs for a guest called `name` in `dir`.
pub fn initramfs(dir: &Path, name: &str) -> PathBuf {
    let busybox = std::fs::read(BUSYBOX).expect("busybox-static (cargo xtask setup installs it)");
    let init = init_script(name);
    let archive = cpio(&[
        Entry {
            name: "bin",
            mode: 0o040755,
            data: &[],
        },
        Entry {
            name: "bin/busybox",
            mode: 0o100755,
            data: &busybox,
        },
        Entry {
            name: "dev",
            mode: 0o040755,
            data: &[],
        },
        Entry {
            name: "proc",
            mode: 0o040755,
            data: &[],
        },
        Entry {
            name: "init",
            mode: 0o100755,
            data: init.as_bytes(),
        },
    ]);
    let path = dir.join(format!("{name}.cpio"));
    std::fs::write(&path, archive).expect("writing the initramfs");
    path
}

/// A QEMU guest with its D-Bus display on a private bus.
pub struct Qemu {
    pub process: Process,
    pub name: String,
    serial: PathBuf,
    _dir: TempDir,
}

impl Qemu {
    /// Boots the guest under TCG (KVM stalls on this machine kind).
    pub fn start(bus: &PrivateBus, name: &str, uuid: &str) -> Qemu {
        let dir = TempDir::new(&format!("qemu-{name}"));
        let initrd = initramfs(dir.path(), name);
        let serial = dir.path().join("serial.log");
        let process = Process::spawn(
            "qemu-system-x86_64",
            Command::new("qemu-system-x86_64")
                .args(["-accel", "tcg", "-m", "192", "-name", name, "-uuid", uuid])
                .args([
                    "-display",
                    "dbus",
                    "-vga",
                    "std",
                    "-nic",
                    "none",
                    "-monitor",
                    "none",
                    "-no-reboot",
                ])
                .arg("-kernel")
                .arg(GUEST_KERNEL)
                .arg("-initrd")
                .arg(&initrd)
                .args(["-append", "console=ttyS0 rdinit=/init quiet loglevel=1"])
                .arg("-serial")
                .arg(format!("file:{}", serial.display()))
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        Qemu {
            process,
            name: name.to_string(),
            serial,
            _dir: dir,
        }
    }

    /// What the guest wrote to its serial port so far.
    pub fn serial(&self) -> String {
        std::fs::read_to_string(&self.serial).unwrap_or_default()
    }

    /// The lines the guest read from its console.
    pub fn lines_typed(&self) -> Vec<String> {
        self.serial()
            .lines()
            .filter_map(|line| line.strip_prefix("LINE:"))
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    pub fn ready(&self) -> bool {
        self.serial().contains(&format!("READY {}", self.name))
    }
}

pub const UUID_A: &str = "0a0a0a0a-1111-4222-8333-444444444444";
pub const UUID_B: &str = "0b0b0b0b-1111-4222-8333-444444444444";

/// Two QEMU guests, vmA and vmB, with their D-Bus displays on a private bus, and
/// libvirt-dbus's Test driver there with running domains of the same names.
pub struct TwoVms {
    pub a: Qemu,
    pub b: Qemu,
    pub libvirt: crate::services::LibvirtDbus,
    pub bus: PrivateBus,
}

impl TwoVms {
    pub fn start() -> TwoVms {
        use crate::services::{LibvirtDbus, test_domain_xml};
        let bus = PrivateBus::start();
        let libvirt = LibvirtDbus::start(&bus);
        for (name, uuid) in [("vmA", UUID_A), ("vmB", UUID_B)] {
            let path = LibvirtDbus::define(&bus, &test_domain_xml(name, uuid));
            LibvirtDbus::create(&bus, &path);
        }
        let a = Qemu::start(&bus, "vmA", UUID_A);
        let b = Qemu::start(&bus, "vmB", UUID_B);
        TwoVms { a, b, libvirt, bus }
    }

    /// Hearth's libvirt backend over them: vmA for work, vmB personal.
    pub fn config(&self) -> hearth_vm_bridge::libvirt::LibvirtConfig {
        use hearth_vm_bridge::VmRole;
        use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, SelectedVm};
        LibvirtConfig {
            bus: Bus::Address(self.bus.address.clone()),
            connection: "Test".into(),
            vms: vec![
                SelectedVm {
                    name: "vmA".into(),
                    role: VmRole::Work,
                },
                SelectedVm {
                    name: "vmB".into(),
                    role: VmRole::Personal,
                },
            ],
            displays: DisplaySource::Bus(Bus::Address(self.bus.address.clone())),
        }
    }
}

//! A tiny guest for QEMU tests: Debian's kernel with a busybox initramfs whose init shows a
//! banner on the screen, reports every line typed on the console to the serial port, and logs
//! every event of its input devices (keyboard, tablet, touch screen) there too, as the guest's
//! own kernel reports them (`struct input_event`, hex).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::services::{PrivateBus, Process, TempDir};

/// Where `cargo xtask setup` puts the guest kernel (the same path is in xtask/src/guest.rs).
pub const GUEST_KERNEL: &str = "/var/cache/hearth/guest/vmlinuz";
/// The guest's modules and their loading order (the same path is in xtask/src/guest.rs).
pub const GUEST_MODULES: &str = "/var/cache/hearth/guest/modules";
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

/// The modules a guest with this hardware loads, in loading order: evdev for its input log
/// always, the virtio stack only when it has virtio devices (loading it costs seconds under
/// TCG).
fn modules_for(hardware: Hardware, order: &str) -> Vec<String> {
    let virtio = hardware.disk
        || hardware.vga == "virtio"
        || hardware.devices.iter().any(|d| d.contains("virtio"));
    order
        .lines()
        .filter(|module| virtio || *module == "evdev.ko")
        .filter(|module| hardware.disk || *module != "virtio_blk.ko")
        .map(str::to_string)
        .collect()
}

fn init_script(name: &str, modules: &[String]) -> String {
    let modules = modules.join(" ");
    format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in {modules}; do insmod /modules/$module; done
sleep 1
if [ -b /dev/vda ]; then
  marker=$(head -c 128 /dev/vda | head -n 1)
  echo "IMAGE $marker" > /dev/ttyS0
  case "$marker" in *PANIC*) sync; poweroff -f;; esac
fi
if [ -b /dev/vdb ]; then
  data=$(dd if=/dev/vdb bs=512 count=1 2>/dev/null | tr -d '\000' | head -n 1)
  if [ -z "$data" ]; then
    dd if=/dev/urandom of=/dev/vdb bs=1M seek=1 count=1 2>/dev/null
    echo "DATA $(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" | dd of=/dev/vdb 2>/dev/null
    sync
  fi
  echo "DATA $(dd if=/dev/vdb bs=512 count=1 2>/dev/null | tr -d '\000' | head -n 1) $(dd if=/dev/vdb bs=1M skip=1 count=1 2>/dev/null | md5sum | cut -d ' ' -f 1)" > /dev/ttyS0
  left=$(dd if=/dev/vda bs=1M skip=4 count=1 2>/dev/null | tr -d '\000' | head -n 1)
  echo "LEFT $left" > /dev/ttyS0
  if [ -z "$left" ]; then
    yes "written under $marker" | head -c 1048576 > /pattern
    for stretch in $(seq 0 19); do
      for mib in $(seq 0 9); do
        dd if=/pattern of=/dev/vda bs=1M seek=$((8 + stretch * 12 + mib)) count=1 2>/dev/null
      done
    done
    echo "WROTE $marker" | dd of=/dev/vda bs=1M seek=4 2>/dev/null
    sync
    echo "WRITTEN" > /dev/ttyS0
  fi
fi
for device in /dev/input/event*; do
  echo "INPUT $device $(cat /sys/class/input/${{device#/dev/input/}}/device/name)" > /dev/ttyS0
  od -An -v -tx1 -w24 $device > /dev/ttyS0 &
done
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

/// Builds the initramfs for a PC guest called `name` in `dir`.
pub fn initramfs(dir: &Path, name: &str) -> PathBuf {
    initramfs_for(dir, name, Hardware::PC)
}

/// Builds the initramfs for a guest called `name` with this hardware in `dir`.
pub fn initramfs_for(dir: &Path, name: &str, hardware: Hardware) -> PathBuf {
    let busybox = std::fs::read(BUSYBOX).expect("busybox-static (cargo xtask setup installs it)");
    let modules_dir = Path::new(GUEST_MODULES);
    let order = std::fs::read_to_string(modules_dir.join("order"))
        .expect("the guest modules (cargo xtask setup installs them)");
    let wanted = modules_for(hardware, &order);
    let init = init_script(name, &wanted);
    let modules: Vec<(String, Vec<u8>)> = wanted
        .iter()
        .map(|module| {
            let data = std::fs::read(modules_dir.join(module)).expect("a guest module");
            (format!("modules/{module}"), data)
        })
        .collect();
    let mut entries = vec![
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
            name: "sys",
            mode: 0o040755,
            data: &[],
        },
        Entry {
            name: "init",
            mode: 0o100755,
            data: init.as_bytes(),
        },
        Entry {
            name: "modules",
            mode: 0o040755,
            data: &[],
        },
    ];
    entries.extend(modules.iter().map(|(name, data)| Entry {
        name,
        mode: 0o100644,
        data,
    }));
    let archive = cpio(&entries);
    let path = dir.join(format!("{name}.cpio"));
    std::fs::write(&path, archive).expect("writing the initramfs");
    path
}

/// The devices of a test guest beyond its CPU and memory.
#[derive(Debug, Clone, Copy)]
pub struct Hardware {
    /// QEMU's `-vga` choice: "std", or "virtio" for a screen that follows Hearth's view size.
    pub vga: &'static str,
    /// Extra `-device` arguments, such as "virtio-tablet-pci".
    pub devices: &'static [&'static str],
    /// A virtio disk (defined by the libvirt domain): the guest loads its driver and prints
    /// the first line of the disk to its serial port as `IMAGE <line>`, and powers off at
    /// once when that line says PANIC (a broken image version). With a second disk (`vdb`,
    /// a data disk) it also prints `DATA <token> <md5>`: the token and the checksum of the
    /// MiB it wrote there on the first boot that found the disk empty; and `LEFT <line>`:
    /// what an earlier boot left at 4 MiB on `vda`. When nothing was left, it writes 200 MiB
    /// over `vda` (twenty 10 MiB stretches from 8 MiB on, 12 MiB apart), then
    /// `WROTE <marker>` at 4 MiB, and prints `WRITTEN`.
    pub disk: bool,
}

impl Hardware {
    /// Standard VGA and the PS/2 keyboard and mouse of a PC.
    pub const PC: Hardware = Hardware {
        vga: "std",
        devices: &[],
        disk: false,
    };

    /// A PC whose libvirt domain gives it a virtio disk carrying a VM image.
    pub const DISK: Hardware = Hardware {
        vga: "std",
        devices: &[],
        disk: true,
    };
}

/// One event from the guest kernel's input layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestInput {
    /// EV_KEY (1), EV_REL (2), EV_ABS (3), EV_SYN (0)…
    pub kind: u16,
    pub code: u16,
    pub value: i32,
}

pub const EV_KEY: u16 = 1;
pub const EV_ABS: u16 = 3;

/// Parses a line of `od -An -v -tx1 -w24`: one `struct input_event` of x86-64.
fn parse_input_event(line: &str) -> Option<GuestInput> {
    let bytes: Vec<u8> = line
        .split_whitespace()
        .map(|byte| u8::from_str_radix(byte, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    Some(GuestInput {
        kind: u16_at(16),
        code: u16_at(18),
        value: i32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]),
    })
}

/// A QEMU guest with its D-Bus display on a private bus.
pub struct Qemu {
    pub process: Process,
    pub name: String,
    serial: PathBuf,
    _dir: TempDir,
}

impl Qemu {
    /// Boots a PC guest under TCG (KVM stalls on this machine kind).
    pub fn start(bus: &PrivateBus, name: &str, uuid: &str) -> Qemu {
        Qemu::start_with(bus, name, uuid, Hardware::PC)
    }

    /// Boots a guest with this hardware under TCG.
    pub fn start_with(bus: &PrivateBus, name: &str, uuid: &str, hardware: Hardware) -> Qemu {
        let dir = TempDir::new(&format!("qemu-{name}"));
        let initrd = initramfs_for(dir.path(), name, hardware);
        let serial = dir.path().join("serial.log");
        let process = Process::spawn(
            "qemu-system-x86_64",
            Command::new("qemu-system-x86_64")
                .args(["-accel", "tcg", "-m", "192", "-name", name, "-uuid", uuid])
                .args(["-display", "dbus", "-vga", hardware.vga])
                .args(
                    hardware
                        .devices
                        .iter()
                        .flat_map(|device| ["-device", device]),
                )
                .args(["-nic", "none", "-monitor", "none", "-no-reboot"])
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

    /// Every input event the guest's kernel reported so far, in order.
    pub fn input_events(&self) -> Vec<GuestInput> {
        self.serial()
            .lines()
            .filter_map(parse_input_event)
            .collect()
    }

    /// Key presses (true) and releases (false) as evdev codes, auto-repeats left out.
    pub fn keys_logged(&self) -> Vec<(u16, bool)> {
        self.input_events()
            .into_iter()
            .filter(|event| event.kind == EV_KEY && event.code < 0x100 && event.value != 2)
            .map(|event| (event.code, event.value == 1))
            .collect()
    }

    /// The guest's input devices, as "event0 AT Translated Set 2 keyboard".
    pub fn input_devices(&self) -> Vec<String> {
        self.serial()
            .lines()
            .filter_map(|line| line.strip_prefix("INPUT /dev/input/"))
            .map(|line| line.trim_end().to_string())
            .collect()
    }

    pub fn ready(&self) -> bool {
        self.serial().contains(&format!("READY {}", self.name))
    }
}

/// One QEMU guest, vmA, with its D-Bus display on a private bus, and a running libvirt Test
/// driver domain of the same name.
pub struct OneVm {
    pub guest: Qemu,
    pub libvirt: crate::services::LibvirtDbus,
    pub bus: PrivateBus,
}

impl OneVm {
    pub fn start(hardware: Hardware) -> OneVm {
        use crate::services::{LibvirtDbus, test_domain_xml};
        let bus = PrivateBus::start();
        let libvirt = LibvirtDbus::start(&bus);
        let path = LibvirtDbus::define(&bus, &test_domain_xml("vmA", UUID_A));
        LibvirtDbus::create(&bus, &path);
        let guest = Qemu::start_with(&bus, "vmA", UUID_A, hardware);
        OneVm {
            guest,
            libvirt,
            bus,
        }
    }

    /// Hearth over it, once vmA is listed and its guest has booted; with vmA's id.
    pub fn world(&self) -> (crate::World, hearth_vm_bridge::VmId) {
        use hearth_vm_bridge::libvirt::LibvirtHypervisor;
        const BOOT: std::time::Duration = std::time::Duration::from_secs(120);
        let world = crate::World::over(std::sync::Arc::new(LibvirtHypervisor::new(self.config())));
        world.wait_until("vmA listed", BOOT, |w| w.app.vms().len() == 1);
        crate::services::wait_for("the guest to boot", BOOT, || self.guest.ready());
        let id = world.app.vms()[0].id.clone();
        (world, id)
    }

    /// Hearth's libvirt backend over it, vmA for work.
    pub fn config(&self) -> hearth_vm_bridge::libvirt::LibvirtConfig {
        test_driver_config(&self.bus, &[("vmA", hearth_vm_bridge::VmRole::Work)])
    }
}

/// Hearth's libvirt backend over the Test driver on `bus`, showing these VMs, with every
/// QEMU's display on the same bus.
fn test_driver_config(
    bus: &PrivateBus,
    vms: &[(&str, hearth_vm_bridge::VmRole)],
) -> hearth_vm_bridge::libvirt::LibvirtConfig {
    use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, SelectedVm};
    LibvirtConfig {
        bus: Bus::Address(bus.address.clone()),
        connection: "Test".into(),
        vms: vms
            .iter()
            .map(|(name, role)| SelectedVm {
                name: (*name).into(),
                role: *role,
            })
            .collect(),
        displays: DisplaySource::Bus(Bus::Address(bus.address.clone())),
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
        TwoVms::start_with(Hardware::PC)
    }

    /// Two guests with this hardware.
    pub fn start_with(hardware: Hardware) -> TwoVms {
        use crate::services::{LibvirtDbus, test_domain_xml};
        let bus = PrivateBus::start();
        let libvirt = LibvirtDbus::start(&bus);
        for (name, uuid) in [("vmA", UUID_A), ("vmB", UUID_B)] {
            let path = LibvirtDbus::define(&bus, &test_domain_xml(name, uuid));
            LibvirtDbus::create(&bus, &path);
        }
        let a = Qemu::start_with(&bus, "vmA", UUID_A, hardware);
        let b = Qemu::start_with(&bus, "vmB", UUID_B, hardware);
        TwoVms { a, b, libvirt, bus }
    }

    /// Hearth's libvirt backend over them: vmA for work, vmB personal.
    pub fn config(&self) -> hearth_vm_bridge::libvirt::LibvirtConfig {
        use hearth_vm_bridge::VmRole;
        test_driver_config(
            &self.bus,
            &[("vmA", VmRole::Work), ("vmB", VmRole::Personal)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_events_parse_from_od_lines() {
        let line = " 5a 1c 6b 65 00 00 00 00 8f 2c 0a 00 00 00 00 00 01 00 1e 00 01 00 00 00";
        assert_eq!(
            parse_input_event(line),
            Some(GuestInput {
                kind: EV_KEY,
                code: 30,
                value: 1
            })
        );
        assert_eq!(parse_input_event("READY vmA"), None);
        assert_eq!(parse_input_event(" 01 02"), None);
    }
}

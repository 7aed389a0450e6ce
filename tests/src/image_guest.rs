//! A real QEMU guest under the system's libvirtd whose disk is an image from the image
//! service, driven through Hearth's screens: its domain, its serial log (the test guest's
//! init prints what it reads from its disks there) and the taps a user makes.

use std::path::Path;
use std::time::Duration;

use hearth_vm_bridge::VmState;
use slint::{ComponentHandle, Model};

use crate::World;
use crate::guest::GUEST_KERNEL;

/// A boot under TCG, plus a redefinition of the domain: this machine's libvirtd probes QEMU
/// again on every define, which takes it half a minute or more.
pub const BOOT: Duration = Duration::from_secs(300);

/// A domain with a virtio disk `vda` (raw, at `disk`: a placeholder until Hearth points it at
/// an image's overlay) and its serial port appended to `serial`.
pub fn domain_xml(name: &str, initrd: &Path, serial: &Path, disk: &Path) -> String {
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>192</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{GUEST_KERNEL}</kernel><initrd>{}</initrd>
    <cmdline>console=ttyS0 rdinit=/init quiet loglevel=1</cmdline></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'><source path='{}' append='on'/><target port='0'/></serial>
    <graphics type='dbus' p2p='yes'/>
    <video><model type='vga'/></video>
  </devices>
</domain>",
        initrd.display(),
        disk.display(),
        serial.display()
    )
}

/// The domain's disks as libvirt has them defined.
pub fn disk_source(name: &str) -> String {
    let output = std::process::Command::new("virsh")
        .args(["-c", "qemu:///system", "domblklist", name, "--inactive"])
        .output()
        .expect("running virsh");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the guest printed after `prefix ` on its serial port, over every boot so far (the
/// log is appended to across starts).
pub fn serial_lines(serial: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_to_string(serial)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(prefix)?;
            if rest.is_empty() {
                Some(String::new())
            } else {
                rest.strip_prefix(' ').map(|value| value.trim().to_string())
            }
        })
        .collect()
}

/// The disk marker of every boot so far.
pub fn boots(serial: &Path) -> Vec<String> {
    serial_lines(serial, "IMAGE")
}

/// Pumps Hearth until `done` holds for the serial log; panics after [`BOOT`] with what
/// the guest, libvirt and the screen say.
pub fn wait_for_serial(world: &World, serial: &Path, what: &str, done: impl Fn(&Path) -> bool) {
    let start = std::time::Instant::now();
    while !done(serial) {
        let name = world.app.vms()[0].name.clone();
        assert!(
            start.elapsed() < BOOT,
            "the guest did not show {what}; its disks: {}; on screen: {:?}; states: {:?}; its serial port:\n{}",
            disk_source(&name),
            world.app.notice_text(),
            world
                .app
                .vms()
                .iter()
                .map(|vm| vm.state)
                .collect::<Vec<_>>(),
            std::fs::read_to_string(serial).unwrap_or_default()
        );
        world.advance(20);
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Waits until the guest has booted exactly these versions, in this order.
pub fn wait_for_boots(world: &World, serial: &Path, expected: &[&str]) {
    wait_for_serial(
        world,
        serial,
        &format!("the boots {expected:?}"),
        |serial| boots(serial) == expected,
    );
}

/// Waits until Hearth shows the version the service has ready (what a user sees before
/// starting the VM on it).
pub fn wait_for_ready_badge(world: &World, name: &str) {
    world.wait_until("Hearth to show the update ready", BOOT, |w| {
        w.app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms()
            .iter()
            .any(|tile| tile.name == name && tile.badge == "Update ready")
    });
}

/// Forces the VM off from its tile's actions (asked twice, as the sheet does).
pub fn force_off(world: &World, name: &str) {
    world.draw();
    world.tap(&format!("Actions for {name}"));
    world.tap("Force off");
    world.tap("Force off");
    world.wait_until("the VM off", BOOT, |w| {
        w.state_of(name) == Some(VmState::ShutOff)
    });
}

/// Starts the VM from its tile's actions.
pub fn start(world: &World, name: &str) {
    world.draw();
    world.tap(&format!("Actions for {name}"));
    world.tap("Start");
}

/// Taps `action` in the image's sheet (opened from the VM's tile) and confirms it.
pub fn image_action(world: &World, name: &str, action: &str) {
    world.draw();
    world.tap(&format!("Actions for {name}"));
    world.tap("Update and versions");
    world.draw();
    world.tap(action);
    world.tap_topmost(action);
}

/// A test guest with a disk, defined in the system's libvirtd, and Hearth over it following
/// the image service on `bus`. Dropped in order: Hearth, libvirt-dbus, the domain.
pub struct GuestUnderHearth {
    pub world: World,
    /// Where the guest's serial port is appended.
    pub serial: std::path::PathBuf,
    _libvirt: crate::services::Process,
    _domain: crate::services::SystemDomain,
}

impl GuestUnderHearth {
    /// Defines the guest `name` (files in `dir`; its disk a placeholder, as IT defined the
    /// domain before any image version) and starts Hearth over it; returns once Hearth lists
    /// it off.
    pub fn start(dir: &Path, bus: &crate::services::PrivateBus, name: &str) -> GuestUnderHearth {
        use hearth_vm_bridge::libvirt::{
            DisplaySource, LibvirtConfig, LibvirtHypervisor, SelectedVm,
        };
        let initrd = crate::guest::initramfs_for(dir, name, crate::guest::Hardware::DISK);
        let serial = dir.join("serial.log");
        let placeholder = dir.join("placeholder.img");
        std::fs::write(&placeholder, vec![0u8; 1 << 20]).expect("a placeholder disk");
        let domain = crate::services::SystemDomain::define(
            name,
            &domain_xml(name, &initrd, &serial, &placeholder),
            dir,
        );
        let libvirt = crate::services::libvirt_dbus_system(bus);
        let config = LibvirtConfig {
            bus: hearth_vm_bridge::libvirt::Bus::Address(bus.address.clone()),
            connection: "QEMU".into(),
            vms: vec![SelectedVm {
                name: name.to_string(),
                role: hearth_vm_bridge::VmRole::Work,
            }],
            displays: DisplaySource::Libvirt,
        };
        let world = World::over(std::sync::Arc::new(LibvirtHypervisor::new(config)));
        world
            .app
            .attach_downloads(hearth::downloads::Bus::Address(bus.address.clone()), None);
        world.app.start_downloads();
        world.wait_until("the VM listed, off", BOOT, |w| {
            w.state_of(name) == Some(VmState::ShutOff)
        });
        GuestUnderHearth {
            world,
            serial,
            _libvirt: libvirt,
            _domain: domain,
        }
    }
}

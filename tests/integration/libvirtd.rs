//! A real QEMU VM under the system's libvirtd, with a peer-to-peer D-Bus display
//! (`<graphics type='dbus' p2p='yes'/>`) that Hearth opens through libvirt's OpenGraphicsFD.

use std::sync::Arc;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::guest::{GUEST_KERNEL, initramfs};
use hearth_tests::services::{
    PrivateBus, SystemDomain, TempDir, ensure_system_libvirtd, libvirt_dbus_system, wait_for,
};
use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, LibvirtHypervisor, SelectedVm};
use hearth_vm_bridge::{VmRole, VmState};

const BOOT: Duration = Duration::from_secs(120);

fn domain_xml(name: &str, initrd: &std::path::Path, serial: &std::path::Path) -> String {
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>192</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{GUEST_KERNEL}</kernel><initrd>{}</initrd>
    <cmdline>console=ttyS0 rdinit=/init quiet loglevel=1</cmdline></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='{}'/><target port='0'/></serial>
    <graphics type='dbus' p2p='yes'/>
    <video><model type='vga'/></video>
  </devices>
</domain>",
        initrd.display(),
        serial.display()
    )
}

#[test]
fn a_libvirtd_vm_with_a_peer_to_peer_display_starts_shows_and_types() {
    ensure_system_libvirtd();
    let dir = TempDir::new("libvirtd");
    let name = format!("hearth-p2p-{}", std::process::id());
    let initrd = initramfs(dir.path(), &name);
    let serial = dir.path().join("serial.log");
    let _domain = SystemDomain::define(&name, &domain_xml(&name, &initrd, &serial), dir.path());
    let bus = PrivateBus::start();
    let _libvirt = libvirt_dbus_system(&bus);
    let config = LibvirtConfig {
        bus: Bus::Address(bus.address.clone()),
        connection: "QEMU".into(),
        vms: vec![SelectedVm {
            name: name.clone(),
            role: VmRole::Work,
        }],
        displays: DisplaySource::Libvirt,
    };
    let world = World::over(Arc::new(LibvirtHypervisor::new(config)));
    world.wait_until("the VM listed, off", BOOT, |w| {
        w.state_of(&name) == Some(VmState::ShutOff)
    });

    world.tap(&format!("Actions for {name}"));
    world.tap("Start");
    world.wait_until("the VM running", BOOT, |w| {
        w.state_of(&name) == Some(VmState::Running)
    });
    world.tap(&format!("Open {name}"));
    world.settle();
    let id = world.app.vms()[0].id.clone();
    let hypervisor = world.app.hypervisor().expect("attached");
    world.wait_until("the VM's screen", BOOT, |_| {
        hypervisor.display(&id).and_then(|d| d.size()).is_some()
    });
    let serial_text = || std::fs::read_to_string(&serial).unwrap_or_default();
    wait_for("the guest to boot", BOOT, || {
        serial_text().contains(&format!("READY {name}"))
    });
    // The guest's PS/2 queue may drop keys while TCG runs it slowly on a busy machine: the
    // line is typed again until the guest reads it whole.
    let start = std::time::Instant::now();
    while !serial_text().contains("LINE:p2p") {
        assert!(
            start.elapsed() < BOOT,
            "the guest never read the line; its serial port:\n{}",
            serial_text()
        );
        for c in "p2p".chars() {
            world.key(&c.to_string());
        }
        world.key("\n");
        let typed = std::time::Instant::now();
        while typed.elapsed() < Duration::from_secs(10) && !serial_text().contains("LINE:p2p") {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    world.hotkey(slint::platform::Key::UpArrow);
    world.tap(&format!("Actions for {name}"));
    world.tap("Force off");
    world.tap("Force off");
    world.wait_until("the VM off", BOOT, |w| {
        w.state_of(&name) == Some(VmState::ShutOff)
    });
    world.wait_until("its screen gone", BOOT, |_| {
        hypervisor.display(&id).and_then(|d| d.size()).is_none()
    });
}

//! The libvirt backend against a real libvirt-dbus (Test driver) on a private bus.

use std::sync::Arc;
use std::time::Duration;

use hearth_tests::World;
use hearth_tests::services::{LibvirtDbus, PrivateBus, test_domain_xml, wait_for};
use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, LibvirtHypervisor};
use hearth_vm_bridge::{Lifecycle, VmState};

const PATIENCE: Duration = Duration::from_secs(20);

fn hearth_over(bus: &PrivateBus) -> World {
    let config = LibvirtConfig {
        bus: Bus::Address(bus.address.clone()),
        connection: "Test".into(),
        vms: Vec::new(),
        displays: DisplaySource::None,
    };
    World::over(Arc::new(LibvirtHypervisor::new(config)))
}

fn wait_state(world: &World, name: &str, state: VmState) {
    world.wait_until(&format!("{name} to be {state:?}"), PATIENCE, |w| {
        w.state_of(name) == Some(state)
    });
}

#[test]
fn lifecycle_from_the_ui_follows_libvirts_events() {
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    let world = hearth_over(&bus);
    // The Test driver starts with one running domain called "test".
    wait_state(&world, "test", VmState::Running);
    assert_eq!(world.hypervisor_status(), "libvirt Test");

    world.tap("Actions for test");
    world.tap("Pause");
    wait_state(&world, "test", VmState::Paused);
    world.tap("Actions for test");
    world.tap("Resume");
    wait_state(&world, "test", VmState::Running);
    world.tap("Actions for test");
    world.tap("Shut down");
    world.tap("Shut down");
    wait_state(&world, "test", VmState::ShutOff);
    world.tap("Actions for test");
    world.tap("Start");
    wait_state(&world, "test", VmState::Running);
    world.tap("Actions for test");
    world.tap("Force off");
    world.tap("Force off");
    wait_state(&world, "test", VmState::ShutOff);
}

#[test]
fn libvirts_refusals_reach_the_user_in_words() {
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    let world = hearth_over(&bus);
    wait_state(&world, "test", VmState::Running);
    let hypervisor = world.app.hypervisor().expect("attached");
    let id = world
        .app
        .vms()
        .into_iter()
        .find(|vm| vm.name == "test")
        .expect("test VM")
        .id;
    hypervisor.request(&id, Lifecycle::Start);
    world.wait_until("an error notice", PATIENCE, |w| {
        !w.app.notice_text().is_empty()
    });
    let notice = world.app.notice_text();
    assert!(
        notice.starts_with("The hypervisor refused to start test: "),
        "notice: {notice}"
    );
    assert!(
        notice.contains("already running"),
        "libvirt's reason is kept: {notice}"
    );
    assert_eq!(world.state_of("test"), Some(VmState::Running));
}

#[test]
fn domains_defined_while_hearth_runs_appear() {
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    let world = hearth_over(&bus);
    wait_state(&world, "test", VmState::Running);
    let path = LibvirtDbus::define(
        &bus,
        &test_domain_xml("work-desktop", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    );
    wait_state(&world, "work-desktop", VmState::ShutOff);
    // Its name makes it a work VM, first on the home screen.
    assert_eq!(world.app.vms()[0].name, "work-desktop");
    assert!(world.find("Open work-desktop").is_some());
    LibvirtDbus::create(&bus, &path);
    wait_state(&world, "work-desktop", VmState::Running);
}

#[test]
fn a_killed_libvirt_dbus_is_reported_and_reconnected_to() {
    let bus = PrivateBus::start();
    let mut libvirt = LibvirtDbus::start(&bus);
    let world = hearth_over(&bus);
    wait_state(&world, "test", VmState::Running);
    // Change something so the resync after the restart has something to correct.
    world.tap("Actions for test");
    world.tap("Pause");
    wait_state(&world, "test", VmState::Paused);

    libvirt.process.kill();
    world.wait_until("Hearth to report libvirt unavailable", PATIENCE, |w| {
        w.hypervisor_status() == "libvirt Test unavailable"
    });
    // Hearth is still up and answering.
    world.tap("Settings");
    world.tap("Back");
    assert_eq!(
        world.state_of("test"),
        Some(VmState::Paused),
        "the last known state stays shown"
    );
    world.tap("Actions for test");
    world.tap("Resume");
    world.wait_until("a notice about the outage", PATIENCE, |w| {
        !w.app.notice_text().is_empty()
    });

    let _restarted = LibvirtDbus::start(&bus);
    world.wait_until("Hearth to reconnect", PATIENCE, |w| {
        w.hypervisor_status() == "libvirt Test"
    });
    // The restarted Test driver starts afresh: its domain runs again, and Hearth shows that.
    wait_state(&world, "test", VmState::Running);
    wait_for("bus to stay up", PATIENCE, || bus.has_owner("org.libvirt"));
}

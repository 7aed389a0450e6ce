//! Switching between two real QEMU VMs, beside a fresh display connection.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use hearth::App;
use hearth::app::Target;
use hearth::headless::Headless;
use hearth::presenter::FramePresenter;
use hearth_tests::guest::{TwoVms, UUID_A};
use hearth_tests::services::wait_for;
use hearth_vm_bridge::libvirt::{Bus, LibvirtHypervisor};
use hearth_vm_bridge::qemu::Viewer;
use slint::ComponentHandle;

use super::{millis, percentile};

const SWITCHES: usize = 200;
const FRESH_CONNECTIONS: usize = 30;
const BOOT: Duration = Duration::from_secs(120);

pub fn report() {
    let vms = TwoVms::start();
    let bus = &vms.bus;
    let headless = Headless::install(false).expect("headless platform");
    headless.set_size(1280, 800);
    let app = App::new(hearth_ui::AppWindow::new().expect("window"), "en-US");
    app.set_waker(headless.waker());
    app.freeze_clock("09:41");
    app.window().show().expect("show");
    let config = vms.config();
    app.attach(Arc::new(LibvirtHypervisor::new(config)));
    wait_for("the guests to boot", BOOT, || {
        headless.pump();
        vms.a.ready() && vms.b.ready()
    });
    let hypervisor = app.hypervisor().expect("attached");
    wait_for("both screens", BOOT, || {
        headless.pump();
        app.vms().len() == 2
            && app
                .vms()
                .iter()
                .all(|vm| hypervisor.display(&vm.id).and_then(|d| d.size()).is_some())
    });

    let mut buffer = Vec::new();
    app.request_switch(Target::Index(0), 0);
    headless.advance(Duration::from_millis(300));
    headless.render_if_needed(&mut buffer);
    let mut switches = Vec::with_capacity(SWITCHES);
    for round in 0..SWITCHES {
        let target = (round + 1) % 2;
        let start = Instant::now();
        app.request_switch(Target::Index(target), 0);
        headless.pump();
        let drew = headless.render_if_needed(&mut buffer);
        switches.push(start.elapsed());
        assert!(drew, "a switch must draw");
        assert_eq!(app.focused(), Some(app.vms()[target].id.clone()));
    }

    // A viewer that reconnects: a new listener, QEMU's first frame, that frame presented.
    let mut fresh = Vec::with_capacity(FRESH_CONNECTIONS);
    for _ in 0..FRESH_CONNECTIONS {
        let start = Instant::now();
        let viewer = Viewer::connect(&Bus::Address(bus.address.clone()), "vmA", UUID_A)
            .expect("fresh connection");
        let (sender, receiver) = channel();
        viewer.display.observe(Arc::new(move || {
            let _ = sender.send(());
        }));
        while viewer.display.size().is_none() {
            let _ = receiver.recv_timeout(Duration::from_millis(50));
        }
        let mut presenter = FramePresenter::default();
        std::hint::black_box(presenter.present(&viewer.display, true));
        // The same full-window redraw a switch ends with.
        app.window().window().request_redraw();
        headless.render_if_needed(&mut buffer);
        fresh.push(start.elapsed());
    }

    let (s50, s99) = (
        percentile(&mut switches, 0.5),
        percentile(&mut switches, 0.99),
    );
    let (f50, f99) = (percentile(&mut fresh, 0.5), percentile(&mut fresh, 0.99));
    println!("## Switch between two real QEMU VMs (TCG, software renderer, 1280x800)");
    println!();
    println!("| measure | p50 | p99 | runs |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| switch: commit to first presented frame of the target | {} | {} | {SWITCHES} |",
        millis(s50),
        millis(s99)
    );
    println!(
        "| baseline: fresh listener, first frame, presented and drawn | {} | {} | {FRESH_CONNECTIONS} |",
        millis(f50),
        millis(f99)
    );
    println!(
        "| fresh / switch | {:.1}x | {:.1}x | |",
        f50.as_secs_f64() / s50.as_secs_f64(),
        f99.as_secs_f64() / s99.as_secs_f64()
    );
}

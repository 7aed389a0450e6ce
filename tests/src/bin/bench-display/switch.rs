//! Switching between two real QEMU VMs, beside a fresh display connection: PC guests with
//! standard VGA at their own small size, and guests with virtio-vga at 1920x1080 shown on a
//! 1920x1080 view.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use hearth::App;
use hearth::app::Target;
use hearth::headless::Headless;
use hearth::presenter::FramePresenter;
use hearth_tests::guest::{Hardware, TwoVms, UUID_A};
use hearth_tests::services::wait_for;
use hearth_vm_bridge::libvirt::{Bus, LibvirtHypervisor};
use hearth_vm_bridge::qemu::Viewer;
use slint::ComponentHandle;

use super::{millis, percentile};

const SWITCHES: usize = 200;
const FRESH_CONNECTIONS: usize = 30;
const BOOT: Duration = Duration::from_secs(120);

struct Scenario {
    name: &'static str,
    hardware: Hardware,
    view: (u32, u32),
    /// The guests' screen size to wait for; None takes whatever they show.
    guest_size: Option<(u32, u32)>,
}

struct Figures {
    switches: Vec<Duration>,
    fresh: Vec<Duration>,
    guest_size: (u32, u32),
}

pub fn report() {
    let headless = Headless::install(false).expect("headless platform");
    let scenarios = [
        Scenario {
            name: "PC guests, standard VGA",
            hardware: Hardware::PC,
            view: (1280, 800),
            guest_size: None,
        },
        Scenario {
            name: "1920x1080 guests, virtio-vga",
            hardware: Hardware {
                vga: "none",
                devices: &["virtio-vga,xres=1920,yres=1080"],
                disk: false,
            },
            view: (1920, 1080),
            guest_size: Some((1920, 1080)),
        },
    ];
    let results: Vec<(&Scenario, Figures)> = scenarios
        .iter()
        .map(|scenario| (scenario, measure(&headless, scenario)))
        .collect();
    println!("## Switch between two real QEMU VMs (TCG, software renderer)");
    println!();
    println!("| guests | view | measure | p50 | p99 | runs |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (scenario, figures) in results {
        let Figures {
            mut switches,
            mut fresh,
            guest_size,
        } = figures;
        let (s50, s99) = (
            percentile(&mut switches, 0.5),
            percentile(&mut switches, 0.99),
        );
        let (f50, f99) = (percentile(&mut fresh, 0.5), percentile(&mut fresh, 0.99));
        let guests = format!("{} ({}x{})", scenario.name, guest_size.0, guest_size.1);
        let view = format!("{}x{}", scenario.view.0, scenario.view.1);
        println!(
            "| {guests} | {view} | switch: commit to first presented frame of the target (goal p99 ≤ 16.7 ms) | {} | {} | {SWITCHES} |",
            millis(s50),
            millis(s99)
        );
        println!(
            "| {guests} | {view} | baseline: fresh listener, first full frame, presented and drawn | {} | {} | {FRESH_CONNECTIONS} |",
            millis(f50),
            millis(f99)
        );
        println!(
            "| {guests} | {view} | fresh / switch (goal ≥ 10x) | {:.1}x | {:.1}x | |",
            f50.as_secs_f64() / s50.as_secs_f64(),
            f99.as_secs_f64() / s99.as_secs_f64()
        );
    }
}

fn measure(headless: &Headless, scenario: &Scenario) -> Figures {
    let vms = TwoVms::start_with(scenario.hardware);
    let bus = &vms.bus;
    headless.set_size(scenario.view.0, scenario.view.1);
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
            && app.vms().iter().all(|vm| {
                let size = hypervisor.display(&vm.id).and_then(|d| d.size());
                match scenario.guest_size {
                    Some(wanted) => size == Some(wanted),
                    None => size.is_some(),
                }
            })
    });
    let guest_size = hypervisor
        .display(&app.vms()[0].id)
        .and_then(|d| d.size())
        .unwrap_or_default();

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

    Figures {
        switches,
        fresh,
        guest_size,
    }
}

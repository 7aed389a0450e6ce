//! `cargo xtask bench switch`: switch latency in the software renderer, and start-up, idle CPU
//! and memory of the real binary, each beside a baseline measured in the same run.

mod focus;
mod startup;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth::App;
use hearth::app::Target;
use hearth::headless::Headless;
use hearth_tests::test_sim_config;
use hearth_vm_bridge::sim::SimHypervisor;
use slint::ComponentHandle;
use slint::platform::software_renderer::Rgb565Pixel;

const SWITCHES: usize = 400;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The red, green, blue of the pixel at the centre of an RGB565 frame.
fn centre(buffer: &[Rgb565Pixel], width: usize, height: usize) -> (u8, u8, u8) {
    let pixel = buffer[(height / 2) * width + width / 2];
    let rgb: slint::Rgb8Pixel = pixel.into();
    (rgb.r, rgb.g, rgb.b)
}

fn switch_latency() -> (Vec<Duration>, Vec<Duration>) {
    let headless = Headless::install(false).expect("headless platform");
    let (width, height) = (1280usize, 800usize);
    headless.set_size(width as u32, height as u32);
    let app = App::new(hearth_ui::AppWindow::new().expect("window"), "en-US");
    app.set_waker(headless.waker());
    app.freeze_clock("09:41");
    app.window().show().expect("show");
    app.attach(Arc::new(SimHypervisor::new(test_sim_config())));
    headless.advance(Duration::from_millis(100));
    let mut buffer = Vec::new();
    app.request_switch(Target::Index(0), 0);
    headless.advance(Duration::from_millis(300));
    headless.render_if_needed(&mut buffer);

    let mut switches = Vec::with_capacity(SWITCHES);
    let mut redraws = Vec::with_capacity(SWITCHES);
    for round in 0..SWITCHES {
        // Baseline: a full redraw of the same screen, no switch.
        let start = Instant::now();
        app.window().window().request_redraw();
        headless.pump();
        headless.render_if_needed(&mut buffer);
        redraws.push(start.elapsed());

        // A switch: commit, then the first frame presented with the target's content.
        let target = (round + 1) % 2;
        let start = Instant::now();
        app.request_switch(Target::Index(target), 0);
        headless.pump();
        let drew = headless.render_if_needed(&mut buffer);
        let elapsed = start.elapsed();
        assert!(drew, "a switch must draw");
        let (r, _, b) = centre(&buffer, width, height);
        let shows_work = b > r;
        assert_eq!(shows_work, target == 0, "frame {round} shows the wrong VM");
        switches.push(elapsed);
    }
    (switches, redraws)
}

fn main() {
    let (mut switches, mut redraws) = switch_latency();
    println!();
    println!("## Switch latency (software renderer, 1280x800, {SWITCHES} switches)");
    println!();
    println!("| measure | p50 | p99 | goal |");
    println!("| --- | --- | --- | --- |");
    let (s50, s99) = (
        percentile(&mut switches, 0.5),
        percentile(&mut switches, 0.99),
    );
    let (r50, r99) = (
        percentile(&mut redraws, 0.5),
        percentile(&mut redraws, 0.99),
    );
    println!(
        "| switch: commit to first presented frame of the target | {} | {} | p99 ≤ 16.7 ms |",
        millis(s50),
        millis(s99)
    );
    println!(
        "| baseline: full redraw of the same screen, no switch | {} | {} | |",
        millis(r50),
        millis(r99)
    );
    println!(
        "| ratio switch / redraw | {:.2} | {:.2} | |",
        s50.as_secs_f64() / r50.as_secs_f64(),
        s99.as_secs_f64() / r99.as_secs_f64()
    );
    focus::report();
    startup::report();
}

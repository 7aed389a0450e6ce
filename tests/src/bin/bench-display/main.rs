//! `cargo xtask bench display`: presenting a full 1920x1080 update beside one memcpy of the
//! frame, and switching between two real QEMU VMs beside connecting a fresh display listener
//! (what a viewer that reconnects does), each measured in the same run.

mod gpu;
mod switch;

use std::time::{Duration, Instant};

use hearth::presenter::FramePresenter;
use hearth_vm_bridge::{Display, PixelFormat, Pixels, Rect, Surface};

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
const ROUNDS: usize = 120;

pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

pub fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn frame_bytes() -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..WIDTH as usize * HEIGHT as usize * 4)
        .map(|_| rng.u8(..))
        .collect()
}

pub fn time(rounds: usize, mut run: impl FnMut()) -> Vec<Duration> {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect()
}

fn update_path() {
    let bytes = frame_bytes();
    let mut target = vec![0u8; bytes.len()];
    let mut memcpy = time(ROUNDS, || {
        target.copy_from_slice(&bytes);
        std::hint::black_box(&target);
    });

    // Shared memory (QEMU 9.2+): the update is a damage rectangle; Hearth's one copy is into
    // the displayed image, swapping BGRX to RGBA on the way.
    let display = Display::new();
    let stride = WIDTH * 4;
    display.scanout(Surface {
        width: WIDTH,
        height: HEIGHT,
        stride,
        format: PixelFormat::Bgrx8888,
        pixels: Pixels::Owned(bytes.clone()),
    });
    let mut presenter = FramePresenter::default();
    presenter.present(&display, true);
    presenter.present(&display, true);
    let full = Rect::new(0, 0, WIDTH, HEIGHT);
    let mut shared = time(ROUNDS, || {
        display.damage(full);
        std::hint::black_box(presenter.present(&display, false));
    });
    // Over D-Bus (`Update` with the pixels in the message): one more copy, into the frame.
    let mut dbus = time(ROUNDS, || {
        display.update(full, stride, &bytes);
        std::hint::black_box(presenter.present(&display, false));
    });

    let gpu = gpu::update_times(&display, ROUNDS / 4);

    let (m50, m99) = (percentile(&mut memcpy, 0.5), percentile(&mut memcpy, 0.99));
    let (s50, s99) = (percentile(&mut shared, 0.5), percentile(&mut shared, 0.99));
    let (d50, d99) = (percentile(&mut dbus, 0.5), percentile(&mut dbus, 0.99));
    println!(
        "## Update path: a full {WIDTH}x{HEIGHT} update, software renderer path ({ROUNDS} rounds)"
    );
    println!();
    println!("| measure | p50 | p99 | p50 / memcpy |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| baseline: one memcpy of the frame ({} MiB) | {} | {} | 1.00 |",
        bytes.len() >> 20,
        millis(m50),
        millis(m99)
    );
    let ratio = |d: Duration| d.as_secs_f64() / m50.as_secs_f64();
    println!(
        "| shared-memory update (UpdateMap) to displayed image | {} | {} | {:.2} |",
        millis(s50),
        millis(s99),
        ratio(s50)
    );
    println!(
        "| D-Bus update (Update with pixels) to displayed image | {} | {} | {:.2} |",
        millis(d50),
        millis(d99),
        ratio(d50)
    );
    match gpu {
        Some((adapter, mut times)) => {
            let (g50, g99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
            println!(
                "| wgpu: texture upload and GPU swizzle, waited for ({adapter}) | {} | {} | {:.2} |",
                millis(g50),
                millis(g99),
                ratio(g50)
            );
        }
        None => println!("| wgpu: no adapter found on this machine | | | |"),
    }
    println!();
}

fn main() {
    update_path();
    switch::report();
}

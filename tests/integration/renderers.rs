//! The real binary on a virtual display with both renderers: the wgpu path (frames uploaded
//! as textures and swizzled on the GPU, here Mesa's lavapipe) must show what the software
//! renderer shows.

use std::time::Duration;

use hearth_tests::xvfb::{Running, Xvfb};

/// Opens Work with a hotkey, types into it and photographs the screen.
fn vm_view_with(renderer: &str) -> Vec<u8> {
    let xvfb = Xvfb::start();
    let mut hearth = Running::start(
        &xvfb,
        &["--renderer", renderer, "--language", "en-US"],
        &[("SLINT_WGPU_CPU", "1")],
    );
    hearth.wait_for_log("hypervisor connected", Duration::from_secs(60));
    if renderer == "wgpu" {
        hearth.wait_for_log(
            "VM frames go through wgpu textures",
            Duration::from_secs(60),
        );
    }
    xvfb.focus_hearth();
    xvfb.keys("ctrl+alt+1");
    hearth.wait_for_log("switched vm=Work", Duration::from_secs(30));
    xvfb.type_text("gpu");
    std::thread::sleep(Duration::from_secs(3));
    let (_, _, pixels) = xvfb.screenshot();
    pixels
}

fn pixel(image: &[u8], x: usize, y: usize) -> (u8, u8, u8) {
    let at = (y * 1280 + x) * 3;
    (image[at], image[at + 1], image[at + 2])
}

#[test]
fn the_wgpu_renderer_shows_the_vm_as_the_software_renderer_does() {
    let software = vm_view_with("software");
    let gpu = vm_view_with("wgpu");
    assert_eq!(software.len(), 1280 * 800 * 3);
    assert_eq!(gpu.len(), software.len());
    // Work's desktop is a blue gradient: if red and blue were swapped on the GPU, this fails.
    for (x, y) in [(640, 700), (100, 100), (1200, 780)] {
        let (r, g, b) = pixel(&gpu, x, y);
        assert!(
            b > 60 && b > r + 30 && b > g,
            "wgpu pixel at {x},{y} is {:?}, not Work's blue",
            (r, g, b)
        );
    }
    let differing = software
        .chunks_exact(3)
        .zip(gpu.chunks_exact(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 40))
        .count();
    // The clock and anti-aliasing may differ a little; the frame itself must not.
    assert!(
        differing < 1280 * 800 / 50,
        "{differing} pixels differ between the renderers"
    );
}

//! Renders Hearth's main screens to PNG without a display, for the README and for review.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hearth_vm_bridge::sim::{SimClock, SimHypervisor};
use hearth_vm_bridge::{Hypervisor, InputEvent, keys};

use slint::ComponentHandle;

use crate::App;
use crate::config::Config;
use crate::headless::{Headless, write_png};

/// The sizes every screen is rendered at: a 10" media centre and a palmtop.
pub const SIZES: &[(u32, u32)] = &[(1280, 800), (800, 480)];
pub const LANGUAGES: &[&str] = &["en-US", "de", "pl"];

/// A simulated hypervisor that draws the same pixels every time.
pub fn still_hypervisor(config: &Config) -> SimHypervisor {
    let mut sim = config.sim_config();
    sim.clock = SimClock::Fixed {
        hours: 9,
        minutes: 41,
        seconds: 0,
    };
    sim.start_delay = Duration::ZERO;
    sim.shutdown_delay = Duration::ZERO;
    SimHypervisor::new(sim)
}

/// Types `text` into a VM, as a user would on its keyboard.
pub fn type_text(hypervisor: &dyn Hypervisor, vm: &hearth_vm_bridge::VmId, text: &str) {
    for c in text.chars() {
        let Some((key, shift)) = keys::from_char(c) else {
            continue;
        };
        if shift {
            hypervisor.send_input(
                vm,
                InputEvent::Key {
                    key: keys::SHIFT_LEFT,
                    pressed: true,
                },
            );
        }
        hypervisor.send_input(vm, InputEvent::Key { key, pressed: true });
        hypervisor.send_input(
            vm,
            InputEvent::Key {
                key,
                pressed: false,
            },
        );
        if shift {
            hypervisor.send_input(
                vm,
                InputEvent::Key {
                    key: keys::SHIFT_LEFT,
                    pressed: false,
                },
            );
        }
    }
}

pub fn render_all(dir: &Path, config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let headless = Headless::install(true).context("installing the headless renderer")?;
    headless.set_size(SIZES[0].0, SIZES[0].1);
    let window = hearth_ui::AppWindow::new().context("creating the window")?;
    let app = App::new(window, "en-US");
    app.set_waker(headless.waker());
    app.freeze_clock("09:41");
    slint::ComponentHandle::show(app.window()).context("showing the window")?;
    let hypervisor = Arc::new(still_hypervisor(config));
    app.attach(hypervisor.clone());
    // The sample library, made and read in a folder of its own.
    let library = std::env::temp_dir().join(format!("hearth-screens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&library);
    let mut media = hearth_media::LibrarySettings::new(
        vec![library.join("media")],
        library.join("index.sqlite"),
    );
    media.samples = true;
    media.thumbnails = library.join("thumbnails");
    app.attach_media(media);
    app.start_media();
    let started = std::time::Instant::now();
    while !app.media_idle() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(180),
            "the sample media library was not ready within 3 minutes"
        );
        headless.advance(Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(20));
    }
    headless.advance(Duration::from_millis(50));
    if let Some(first) = app.vms().first() {
        type_text(hypervisor.as_ref(), &first.id, "Hello from Hearth!");
    }
    for &(width, height) in SIZES {
        headless.set_size(width, height);
        for language in LANGUAGES {
            app.set_language(language);
            app.go_home();
            app.refresh_thumbnails();
            headless.advance(Duration::from_millis(400));
            let shot = |name: &str| -> anyhow::Result<()> {
                let path = dir.join(format!("{name}-{language}-{width}x{height}.png"));
                let image = headless.snapshot().map_err(|e| anyhow::anyhow!("{e}"))?;
                write_png(&path, &image).with_context(|| format!("writing {}", path.display()))?;
                println!("{}", path.display());
                Ok(())
            };
            shot("home")?;
            // Home scrolled down to its media rows.
            app.window()
                .global::<hearth_ui::AppAdapter>()
                .set_home_scroll(-(height as f32) * if height < 600 { 0.55 } else { 0.3 });
            headless.advance(Duration::from_millis(100));
            shot("home-media")?;
            app.window()
                .global::<hearth_ui::AppAdapter>()
                .set_home_scroll(0.0);
            app.request_switch(crate::app::Target::Index(0), 0);
            headless.advance(Duration::from_millis(400));
            shot("vm")?;
            app.go_home();
            app.show_settings();
            headless.advance(Duration::from_millis(100));
            shot("settings")?;
            for shelf in ["videos", "music", "photos"] {
                app.go_home();
                app.open_media_shelf(shelf);
                headless.advance(Duration::from_millis(400));
                shot(&format!("media-{shelf}"))?;
            }
        }
    }
    app.go_home();
    app.stop_media();
    let _ = std::fs::remove_dir_all(&library);
    Ok(())
}

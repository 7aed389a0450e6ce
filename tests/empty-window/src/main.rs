//! The baseline for start-up benchmarks: an empty Slint window with the backend and renderer
//! Hearth starts with, reporting its first frame the way Hearth does.
//!
//! The default build opens a 1280x800 window on X11 (winit, software renderer) and prints
//! `first-frame <ms>`, as `hearth --report-first-frame` does. The `linuxkms` build fills the
//! display straight on DRM/KMS and, as `hearth.service` does, tells systemd READY=1 once its
//! first frame has been handed to the display: the appliance benchmark starts it from a copy
//! of Hearth's own unit.

use std::time::Instant;

slint::slint! {
    export component EmptyWindow inherits Window {
        preferred-width: 1280px;
        preferred-height: 800px;
        background: #0e1116;
    }
}

fn main() -> Result<(), slint::PlatformError> {
    let started = Instant::now();
    let report = move || {
        println!(
            "first-frame {:.1}",
            started.elapsed().as_secs_f64() * 1000.0
        )
    };
    #[cfg(feature = "linuxkms")]
    if std::env::var("SLINT_BACKEND").is_ok_and(|backend| backend.starts_with("linuxkms")) {
        return on_drm(report);
    }
    on_x11(report)
}

fn on_x11(report: impl FnOnce() + 'static) -> Result<(), slint::PlatformError> {
    use slint::ComponentHandle;
    use slint::winit_030::winit::event::WindowEvent;
    use slint::winit_030::{EventResult, WinitWindowAccessor};

    // The same renderer Hearth starts with.
    slint::BackendSelector::new()
        .renderer_name("software".into())
        .select()?;
    let window = EmptyWindow::new()?;
    let mut report = Some(report);
    window.window().on_winit_window_event(move |_, event| {
        if matches!(event, WindowEvent::RedrawRequested)
            && let Some(report) = report.take()
        {
            slint::Timer::single_shot(std::time::Duration::ZERO, report);
        }
        EventResult::Propagate
    });
    window.run()
}

/// As Hearth's `kms::after_first_frame`: a callback posted before the event loop starts runs
/// at the start of its second turn, after the first turn has handed its frame to DRM.
#[cfg(feature = "linuxkms")]
fn on_drm(report: impl FnOnce() + Send + 'static) -> Result<(), slint::PlatformError> {
    use slint::ComponentHandle;

    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .select()?;
    let window = EmptyWindow::new()?;
    slint::invoke_from_event_loop(move || {
        report();
        if let Err(error) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
            eprintln!("cannot tell the service manager the window is ready: {error}");
        }
    })
    .map_err(|error| slint::PlatformError::Other(error.to_string()))?;
    window.run()
}

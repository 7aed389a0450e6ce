//! The baseline for start-up benchmarks: an empty Slint window of Hearth's size, with the same
//! backend and renderer, reporting its first frame the way `hearth --report-first-frame` does.

use std::time::Instant;

use slint::ComponentHandle;
use slint::winit_030::winit::event::WindowEvent;
use slint::winit_030::{EventResult, WinitWindowAccessor};

slint::slint! {
    export component EmptyWindow inherits Window {
        preferred-width: 1280px;
        preferred-height: 800px;
        background: #0e1116;
    }
}

fn main() -> Result<(), slint::PlatformError> {
    let started = Instant::now();
    // The same renderer Hearth starts with.
    slint::BackendSelector::new()
        .renderer_name("software".into())
        .select()?;
    let window = EmptyWindow::new()?;
    let mut reported = false;
    window.window().on_winit_window_event(move |_, event| {
        if matches!(event, WindowEvent::RedrawRequested) && !reported {
            reported = true;
            slint::Timer::single_shot(std::time::Duration::ZERO, move || {
                println!(
                    "first-frame {:.1}",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            });
        }
        EventResult::Propagate
    });
    window.run()
}

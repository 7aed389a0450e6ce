//! Hearth's look at winit's events before Slint's: keys go to Hearth's keyboard by their
//! physical position (the evdev code under X11 and Wayland), whatever the host's layout, so a
//! guest's own layout makes the character; real touch points go to Hearth's touch router
//! (Slint itself only reports a primary finger, so system gestures could not be seen); and the
//! first redraw is reported when asked for.

use std::path::{Path, PathBuf};
use std::rc::Weak;
use std::time::Instant;

use slint::ComponentHandle;
use slint::winit_030::winit::event::{ElementState, TouchPhase, WindowEvent};
use slint::winit_030::winit::platform::scancode::PhysicalKeyExtScancode;
use slint::winit_030::{EventResult, WinitWindowAccessor};

use crate::App;
use crate::gestures::{Phase, Touch};

/// Installs the hook on the app's window; does nothing on other backends. With
/// `first_frame`, runs it once just after the first frame is drawn; with `snapshot`, saves
/// that frame to this PNG file, rendered from the very state it is drawn from.
pub fn install(
    app: Weak<App>,
    mut first_frame: Option<Box<dyn FnOnce()>>,
    mut snapshot: Option<PathBuf>,
) {
    let Some(strong) = app.upgrade() else { return };
    let started = Instant::now();
    strong
        .window()
        .window()
        .on_winit_window_event(move |window, event| {
            let touch = match event {
                WindowEvent::Touch(touch) => touch,
                // Synthetic events are winit's guesses at keys held across a focus change.
                WindowEvent::KeyboardInput {
                    event,
                    is_synthetic: false,
                    ..
                } => {
                    let (Some(app), Some(evdev)) =
                        (app.upgrade(), event.physical_key.to_scancode())
                    else {
                        return EventResult::Propagate;
                    };
                    let pressed = event.state == ElementState::Pressed;
                    return if app.physical_key(evdev, pressed) {
                        EventResult::PreventDefault
                    } else {
                        EventResult::Propagate
                    };
                }
                WindowEvent::Resized(_) => {
                    if let Some(app) = app.upgrade() {
                        app.view_resized();
                    }
                    return EventResult::Propagate;
                }
                WindowEvent::MouseInput { .. } | WindowEvent::MouseWheel { .. } => {
                    if let Some(app) = app.upgrade() {
                        app.user_active();
                        app.pointer_used();
                    }
                    return EventResult::Propagate;
                }
                WindowEvent::Focused(false) => {
                    if let Some(app) = app.upgrade() {
                        app.keyboard_lost();
                    }
                    return EventResult::Propagate;
                }
                WindowEvent::RedrawRequested => {
                    if let Some(path) = snapshot.take() {
                        save_snapshot(window, &path);
                    }
                    if let Some(report) = first_frame.take() {
                        // Slint draws and presents right after this hook returns.
                        slint::Timer::single_shot(std::time::Duration::ZERO, report);
                    }
                    return EventResult::Propagate;
                }
                _ => return EventResult::Propagate,
            };
            let Some(app) = app.upgrade() else {
                return EventResult::Propagate;
            };
            let scale = window.scale_factor() as f64;
            let phase = match touch.phase {
                TouchPhase::Started => Phase::Down,
                TouchPhase::Moved => Phase::Move,
                TouchPhase::Ended => Phase::Up,
                TouchPhase::Cancelled => Phase::Cancel,
            };
            let point = Touch {
                // Finger ids are small per-device counters; keep them in range.
                id: (touch.id % i32::MAX as u64) as i32,
                phase,
                x: (touch.location.x / scale) as f32,
                y: (touch.location.y / scale) as f32,
                time: started.elapsed(),
            };
            if app.touch(point) {
                EventResult::PreventDefault
            } else {
                EventResult::Propagate
            }
        });
}

fn save_snapshot(window: &slint::Window, path: &Path) {
    let result = window
        .take_snapshot()
        .map_err(|error| std::io::Error::other(error.to_string()))
        .and_then(|pixels| {
            let mut rgb =
                slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(pixels.width(), pixels.height());
            for (to, from) in rgb.make_mut_slice().iter_mut().zip(pixels.as_slice()) {
                *to = slint::Rgb8Pixel::new(from.r, from.g, from.b);
            }
            // Written aside and renamed, so whoever waits for the file never reads half.
            let partial = path.with_extension("partial");
            crate::headless::write_png(&partial, &rgb)?;
            std::fs::rename(&partial, path)
        });
    if let Err(error) = result {
        tracing::error!(path = %path.display(), %error, "cannot save the first frame");
    }
}

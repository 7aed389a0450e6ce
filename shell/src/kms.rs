//! The appliance platform (the `linuxkms` feature): Slint's LinuxKMS backend straight on
//! DRM/KMS with libinput, no X or Wayland. Hearth's libinput hook sees every event first, as
//! the winit hook does on a desktop: fingers go to Hearth's gestures and touch router (the
//! same [`App::touch`] winit feeds), keys by their evdev code to [`App::physical_key`], and
//! touch screens get the configured calibration matrix as they appear.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use input::event::keyboard::{KeyState, KeyboardEvent, KeyboardEventTrait};
use input::event::touch::{TouchEventPosition, TouchEventSlot};
use input::event::{DeviceEvent, EventTrait, TouchEvent};
use slint::ComponentHandle;

use crate::App;
use crate::config::ApplianceSettings;
use crate::gestures::{Phase, Touch};

/// Whether to run on DRM/KMS: asked for with SLINT_BACKEND=linuxkms…, or no X or Wayland
/// display to run on.
pub fn wanted() -> bool {
    match std::env::var("SLINT_BACKEND") {
        Ok(backend) => backend.starts_with("linuxkms"),
        Err(_) => {
            std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none()
        }
    }
}

/// Selects the LinuxKMS backend with the software renderer and Hearth's libinput hook.
pub fn select(settings: &ApplianceSettings) -> anyhow::Result<()> {
    if settings.rotation != 0 && std::env::var_os("SLINT_KMS_ROTATION").is_none() {
        // SAFETY: called from `main`'s thread before Hearth starts any other thread (the
        // configuration is read, logging set up, nothing else), so no thread can read the
        // environment while it changes. Slint reads the rotation only from there.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("SLINT_KMS_ROTATION", settings.rotation.to_string());
        }
    }
    let calibration = settings.touch_calibration;
    let fingers = RefCell::new(HashMap::<i32, (f32, f32)>::new());
    let started = Instant::now();
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .with_libinput_event_hook(move |event| {
            let Some(app) = App::current() else {
                return false;
            };
            match event {
                input::Event::Device(DeviceEvent::Added(added)) => {
                    if let Some(matrix) = calibration {
                        let mut device = added.device();
                        if device.config_calibration_has_matrix() {
                            let result = device.config_calibration_set_matrix(matrix);
                            tracing::info!(device = %device.name(), ?result, "touch calibration");
                        }
                    }
                    false
                }
                input::Event::Touch(touch) => hook_touch(&app, touch, &fingers, started),
                input::Event::Keyboard(KeyboardEvent::Key(key)) => {
                    app.physical_key(key.key(), key.key_state() == KeyState::Pressed)
                }
                _ => false,
            }
        })
        .select()
        .context("selecting the LinuxKMS backend (is there a DRM device and input access?)")
}

thread_local! {
    /// What runs once the first frame is on the display; taken by the first call.
    static AFTER_FIRST_FRAME: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

/// Runs `report` on the UI thread once the first frame has been handed to the display; call
/// before the event loop starts.
///
/// Each turn of Slint's LinuxKMS event loop (1.18) first runs timers and the callbacks
/// posted before that turn, then draws the window and hands the frame to DRM (the first one
/// with a synchronous mode set), and only then reads what was posted since. A callback
/// posted before the loop starts is therefore read after the first turn's frame and run at
/// the start of the second turn: after that frame is on the display.
pub fn after_first_frame(report: Box<dyn FnOnce()>) {
    AFTER_FIRST_FRAME.with(|slot| *slot.borrow_mut() = Some(report));
    let posted = slint::invoke_from_event_loop(|| {
        if let Some(report) = AFTER_FIRST_FRAME.with(|slot| slot.borrow_mut().take()) {
            report();
        }
    });
    if let Err(error) = posted {
        tracing::error!(%error, "cannot wait for the first frame on DRM/KMS");
    }
}

/// A finger from libinput into Hearth's touch router, in the window's logical pixels as
/// Slint's own LinuxKMS input computes them. Returns whether Hearth took it.
fn hook_touch(
    app: &App,
    touch: &TouchEvent,
    fingers: &RefCell<HashMap<i32, (f32, f32)>>,
    started: Instant,
) -> bool {
    let window = app.window().window();
    let size = window.size().to_logical(window.scale_factor());
    let (width, height) = (size.width.max(1.0) as u32, size.height.max(1.0) as u32);
    let mut fingers = fingers.borrow_mut();
    let (id, phase, position) = match touch {
        TouchEvent::Down(down) => {
            let (id, at) = placed(down, width, height);
            fingers.insert(id, at);
            (id, Phase::Down, at)
        }
        TouchEvent::Motion(motion) => {
            let (id, at) = placed(motion, width, height);
            fingers.insert(id, at);
            (id, Phase::Move, at)
        }
        TouchEvent::Up(up) => {
            let id = up.slot().unwrap_or(0) as i32;
            (id, Phase::Up, fingers.remove(&id).unwrap_or_default())
        }
        TouchEvent::Cancel(cancel) => {
            let id = cancel.slot().unwrap_or(0) as i32;
            (id, Phase::Cancel, fingers.remove(&id).unwrap_or_default())
        }
        _ => return false,
    };
    drop(fingers);
    app.touch(Touch {
        id,
        phase,
        x: position.0,
        y: position.1,
        time: started.elapsed(),
    })
}

/// A finger's slot and where it is, in a `width` x `height` window.
fn placed(
    event: &(impl TouchEventSlot + TouchEventPosition),
    width: u32,
    height: u32,
) -> (i32, (f32, f32)) {
    (
        event.slot().unwrap_or(0) as i32,
        (
            event.x_transformed(width) as f32,
            event.y_transformed(height) as f32,
        ),
    )
}

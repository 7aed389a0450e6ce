//! The appliance platform (the `linuxkms` feature): Slint's LinuxKMS backend straight on
//! DRM/KMS with libinput, no X or Wayland. Hearth's libinput hook sees every event first, as
//! the winit hook does on a desktop: fingers go to Hearth's gestures and touch router (the
//! same [`App::touch`] winit feeds), keys by their evdev code to [`App::physical_key`], and
//! touch screens get the configured calibration matrix as they appear (`touch.rs`).

mod touch;

use std::cell::RefCell;

use anyhow::Context;
use input::event::keyboard::{KeyState, KeyboardEvent, KeyboardEventTrait};

use crate::App;
use crate::config::ApplianceSettings;
use touch::TouchInput;

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
    let touch = RefCell::new(TouchInput::new(settings.touch_calibration));
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .with_libinput_event_hook(move |event| {
            let Some(app) = App::current() else {
                return false;
            };
            match event {
                input::Event::Device(device) => {
                    touch.borrow_mut().device(device);
                    false
                }
                input::Event::Touch(event) => touch.borrow_mut().event(&app, event),
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

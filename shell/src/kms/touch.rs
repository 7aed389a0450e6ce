//! Touch on DRM/KMS: fingers from libinput into Hearth's touch router (the one winit feeds
//! too), in the window's logical pixels, and the configured calibration matrix set on each
//! touch screen as it appears.
//!
//! Slint reads libinput's queue only once a device has something to report, so a touch
//! screen's arrival is read in the same turn as its first touch, which libinput has already
//! placed without the matrix. Fingers read in that turn are placed here by the matrix
//! instead; when Hearth's router does not take such a finger, it is given to the window as
//! its pointer from here, since Slint would place it without the matrix.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use input::event::device::DeviceAddedEvent;
use input::event::touch::{TouchEventPosition, TouchEventSlot};
use input::event::{DeviceEvent, EventTrait, TouchEvent};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition};

use crate::App;
use crate::config::calibrated;
use crate::gestures::{Phase, Touch};

pub struct TouchInput {
    calibration: Option<[f32; 6]>,
    /// Where each finger was last, for its lifting.
    fingers: HashMap<i32, (f32, f32)>,
    /// Touch screens that appeared in this turn of the event loop: their touches in this turn
    /// were placed without the matrix. Emptied at the start of the next turn.
    arrived: Rc<RefCell<HashSet<String>>>,
    /// The finger that began uncalibrated and that this module gives to the window as its
    /// pointer, until it lifts.
    pointer_finger: Option<i32>,
    started: Instant,
}

impl TouchInput {
    pub fn new(calibration: Option<[f32; 6]>) -> TouchInput {
        TouchInput {
            calibration,
            fingers: HashMap::new(),
            arrived: Rc::default(),
            pointer_finger: None,
            started: Instant::now(),
        }
    }

    /// A device appeared: a touch screen gets the calibration matrix.
    pub fn device(&mut self, event: &DeviceEvent) {
        if let (DeviceEvent::Added(added), Some(matrix)) = (event, self.calibration) {
            self.calibrate(added, matrix);
        }
    }

    fn calibrate(&mut self, added: &DeviceAddedEvent, matrix: [f32; 6]) {
        let mut device = added.device();
        if !device.config_calibration_has_matrix() {
            return;
        }
        let result = device.config_calibration_set_matrix(matrix);
        tracing::info!(device = %device.name(), ?result, "touch calibration");
        self.arrived
            .borrow_mut()
            .insert(device.sysname().to_string());
        // Timers run at the start of the next turn, after this turn's events.
        let arrived = self.arrived.clone();
        slint::Timer::single_shot(Duration::ZERO, move || arrived.borrow_mut().clear());
    }

    /// A finger; returns whether Hearth took it (else Slint's own touch handling gets it).
    pub fn event(&mut self, app: &App, touch: &TouchEvent) -> bool {
        let window = app.window().window();
        let size = window.size().to_logical(window.scale_factor());
        let (width, height) = (size.width.max(1.0), size.height.max(1.0));
        let uncalibrated = self
            .calibration
            .filter(|_| self.arrived.borrow().contains(touch.device().sysname()));
        let place = |event: &dyn Placed| -> (f32, f32) {
            let x = event.x(width as u32) as f32;
            let y = event.y(height as u32) as f32;
            match uncalibrated {
                Some(matrix) => {
                    let (x, y) = calibrated(matrix, (x / width, y / height));
                    (x * width, y * height)
                }
                None => (x, y),
            }
        };
        let (id, phase, position) = match touch {
            TouchEvent::Down(down) => {
                let at = place(down);
                let id = down.slot().unwrap_or(0) as i32;
                self.fingers.insert(id, at);
                (id, Phase::Down, at)
            }
            TouchEvent::Motion(motion) => {
                let at = place(motion);
                let id = motion.slot().unwrap_or(0) as i32;
                self.fingers.insert(id, at);
                (id, Phase::Move, at)
            }
            TouchEvent::Up(up) => {
                let id = up.slot().unwrap_or(0) as i32;
                (id, Phase::Up, self.fingers.remove(&id).unwrap_or_default())
            }
            TouchEvent::Cancel(cancel) => {
                let id = cancel.slot().unwrap_or(0) as i32;
                (
                    id,
                    Phase::Cancel,
                    self.fingers.remove(&id).unwrap_or_default(),
                )
            }
            _ => return false,
        };
        let taken = app.touch(Touch {
            id,
            phase,
            x: position.0,
            y: position.1,
            time: self.started.elapsed(),
        });
        if self.pointer_finger == Some(id) {
            self.move_pointer(window, phase, position);
            return true;
        }
        if phase == Phase::Down && uncalibrated.is_some() && !taken {
            // Slint would place this finger without the matrix: the first one becomes the
            // window's pointer from here, and any other is left out.
            if self.pointer_finger.is_none() {
                self.pointer_finger = Some(id);
                self.move_pointer(window, phase, position);
            }
            return true;
        }
        taken
    }

    /// The pointer finger's move, as the window's pointer events.
    fn move_pointer(&mut self, window: &slint::Window, phase: Phase, (x, y): (f32, f32)) {
        let position = LogicalPosition::new(x, y);
        let button = PointerEventButton::Left;
        match phase {
            Phase::Down => {
                window.dispatch_event(WindowEvent::PointerMoved { position });
                window.dispatch_event(WindowEvent::PointerPressed { position, button });
            }
            Phase::Move => window.dispatch_event(WindowEvent::PointerMoved { position }),
            Phase::Up | Phase::Cancel => {
                if phase == Phase::Up {
                    window.dispatch_event(WindowEvent::PointerReleased { position, button });
                }
                window.dispatch_event(WindowEvent::PointerExited);
                self.pointer_finger = None;
            }
        }
    }
}

/// A touch event with a place on the screen.
trait Placed {
    fn x(&self, width: u32) -> f64;
    fn y(&self, height: u32) -> f64;
}

impl<T: TouchEventPosition> Placed for T {
    fn x(&self, width: u32) -> f64 {
        self.x_transformed(width)
    }
    fn y(&self, height: u32) -> f64 {
        self.y_transformed(height)
    }
}

//! Delivers what the shell asks of a VM's QEMU console, in order: input, pacing keys so none
//! is lost, and the size of the view the guest is shown in.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::proxies::{
    ConsoleProxyBlocking, KeyboardProxyBlocking, MouseProxyBlocking, MultiTouchProxyBlocking,
};
use crate::{InputEvent, PointerButton, TouchPhase};

/// The least time between two key events for a guest's PS/2 queue to keep up.
const KEY_SPACING: Duration = Duration::from_millis(5);

/// What the shell asks of a console.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConsoleRequest {
    Input(InputEvent),
    /// The view's size in pixels: the guest may switch its screen to it.
    FitTo {
        width: u32,
        height: u32,
    },
}

/// Pixels to millimetres at 96 pixels an inch, the density guests assume for a monitor.
pub fn millimetres(pixels: u32) -> u16 {
    (pixels as u64 * 254 / 960).min(u16::MAX as u64) as u16
}

/// The console's interfaces, replaced when the link reconnects.
pub struct Target {
    pub console: ConsoleProxyBlocking<'static>,
    pub keyboard: KeyboardProxyBlocking<'static>,
    pub mouse: MouseProxyBlocking<'static>,
    pub touch: Option<MultiTouchProxyBlocking<'static>>,
}

pub type SharedTarget = Arc<Mutex<Option<Target>>>;

fn button_code(button: PointerButton) -> u32 {
    match button {
        PointerButton::Left => 0,
        PointerButton::Middle => 1,
        PointerButton::Right => 2,
    }
}

/// Runs until the sending side is dropped (the VM is unlinked).
pub fn run(requests: Receiver<ConsoleRequest>, target: SharedTarget) {
    let mut last_key = Instant::now() - KEY_SPACING;
    let mut last_position: Option<(u32, u32)> = None;
    for request in requests {
        let guard = target.lock().unwrap_or_else(|p| p.into_inner());
        let Some(target) = guard.as_ref() else {
            continue;
        };
        let event = match request {
            ConsoleRequest::Input(event) => event,
            ConsoleRequest::FitTo { width, height } => {
                let result = target.console.set_ui_info(
                    millimetres(width),
                    millimetres(height),
                    0,
                    0,
                    width,
                    height,
                );
                match result {
                    Ok(()) => tracing::debug!(width, height, "asked the guest to fit the view"),
                    // Standard VGA and others keep their size; the view scales the frame.
                    Err(error) => tracing::debug!(%error, "the guest's screen keeps its size"),
                }
                continue;
            }
        };
        let result = match event {
            InputEvent::Key { key, pressed } => {
                let wait = KEY_SPACING.saturating_sub(last_key.elapsed());
                if !wait.is_zero() {
                    std::thread::sleep(wait);
                }
                last_key = Instant::now();
                if pressed {
                    target.keyboard.press(key.0 as u32)
                } else {
                    target.keyboard.release(key.0 as u32)
                }
            }
            InputEvent::PointerMove { x, y } => {
                let absolute = target.mouse.is_absolute().unwrap_or(false);
                let result = if absolute {
                    target.mouse.set_abs_position(x, y)
                } else {
                    let (px, py) = last_position.unwrap_or((x, y));
                    let (dx, dy) = (x as i64 - px as i64, y as i64 - py as i64);
                    if dx == 0 && dy == 0 {
                        Ok(())
                    } else {
                        target.mouse.rel_motion(dx as i32, dy as i32)
                    }
                };
                last_position = Some((x, y));
                result
            }
            InputEvent::PointerButton { button, pressed } => {
                if pressed {
                    target.mouse.press(button_code(button))
                } else {
                    target.mouse.release(button_code(button))
                }
            }
            InputEvent::Touch { slot, phase, x, y } => {
                let kind = match phase {
                    TouchPhase::Begin => 0,
                    TouchPhase::Update => 1,
                    TouchPhase::End => 2,
                    TouchPhase::Cancel => 3,
                };
                match &target.touch {
                    Some(touch) => touch.send_event(kind, slot as u64, x, y),
                    // Without multi-touch, the first finger drives an absolute pointer.
                    None if slot == 0 => {
                        let moved = target.mouse.set_abs_position(x as u32, y as u32);
                        match phase {
                            TouchPhase::Begin => moved.and_then(|_| target.mouse.press(0)),
                            TouchPhase::End | TouchPhase::Cancel => target.mouse.release(0),
                            TouchPhase::Update => moved,
                        }
                    }
                    None => Ok(()),
                }
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, "input not delivered");
        }
    }
}

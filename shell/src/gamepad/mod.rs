//! Gamepads as remotes, on winit and LinuxKMS alike (libinput leaves gamepads alone): the
//! d-pad and left stick are arrows that repeat while held, the south button OK, the east
//! button Back, Start and Mode Home. Pads are found and read off the UI thread
//! (`reader.rs`); their keys reach Hearth as a remote's keys do, through
//! [`App::physical_key`], so in a VM's view they follow the same rules as a keyboard's.

mod pad;
mod reader;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::App;
use pad::{Pad, repeats};
use reader::PadNews;

/// An arrow held down repeats after this long, then every [`REPEAT_EVERY`].
const REPEAT_DELAY: Duration = Duration::from_millis(400);
const REPEAT_EVERY: Duration = Duration::from_millis(100);

thread_local! {
    /// The UI thread's gamepads, once [`start`] has run.
    static GAMEPADS: RefCell<Option<Rc<Gamepads>>> = const { RefCell::new(None) };
}

struct Gamepads {
    app: Weak<App>,
    pads: RefCell<HashMap<u64, Pad>>,
    /// The arrow that repeats while it is held.
    repeating: Cell<Option<u32>>,
    delay: slint::Timer,
    repeat: slint::Timer,
}

/// Starts looking for gamepads; call on the UI thread once the first frame is on screen. A
/// second call does nothing.
pub fn start(app: &Rc<App>) {
    let started = GAMEPADS.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_some() {
            return false;
        }
        *slot = Some(Rc::new(Gamepads {
            app: Rc::downgrade(app),
            pads: RefCell::default(),
            repeating: Cell::new(None),
            delay: slint::Timer::default(),
            repeat: slint::Timer::default(),
        }));
        true
    });
    if started {
        reader::spawn(|news| {
            let _ = slint::invoke_from_event_loop(move || {
                if let Some(gamepads) = GAMEPADS.with(|slot| slot.borrow().clone()) {
                    gamepads.news(news);
                }
            });
        });
    }
}

impl Gamepads {
    fn news(self: &Rc<Self>, news: PadNews) {
        let keys = match news {
            PadNews::Arrived {
                id,
                name,
                stick_x,
                stick_y,
            } => {
                tracing::info!(name, "gamepad connected");
                self.pads
                    .borrow_mut()
                    .insert(id, Pad::new(stick_x, stick_y));
                Vec::new()
            }
            PadNews::Events { id, events } => {
                let mut pads = self.pads.borrow_mut();
                let Some(pad) = pads.get_mut(&id) else {
                    return;
                };
                events
                    .into_iter()
                    .flat_map(|(kind, code, value)| pad.event(kind, code, value))
                    .collect()
            }
            PadNews::Gone { id } => {
                tracing::info!("gamepad disconnected");
                let pad = self.pads.borrow_mut().remove(&id);
                pad.map(|mut pad| pad.release_all()).unwrap_or_default()
            }
        };
        for (key, pressed) in keys {
            self.key(key, pressed);
        }
    }

    fn key(self: &Rc<Self>, key: u32, pressed: bool) {
        let Some(app) = self.app.upgrade() else {
            return;
        };
        app.physical_key(key, pressed);
        if !repeats(key) {
            return;
        }
        if pressed {
            self.repeating.set(Some(key));
            self.repeat.stop();
            let weak = Rc::downgrade(self);
            self.delay
                .start(slint::TimerMode::SingleShot, REPEAT_DELAY, move || {
                    if let Some(gamepads) = weak.upgrade() {
                        gamepads.start_repeating();
                    }
                });
        } else if self.repeating.get() == Some(key) {
            self.repeating.set(None);
            self.delay.stop();
            self.repeat.stop();
        }
    }

    fn start_repeating(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        self.repeat
            .start(slint::TimerMode::Repeated, REPEAT_EVERY, move || {
                let Some(gamepads) = weak.upgrade() else {
                    return;
                };
                let (Some(key), Some(app)) = (gamepads.repeating.get(), gamepads.app.upgrade())
                else {
                    return;
                };
                app.physical_key(key, true);
            });
    }
}

//! The home screen's first frame: the configured VMs as connecting tiles with their last
//! screens from the previous run, and the keeping of those screens for the next one.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use slint::Image;

use super::{App, CURRENT};
use crate::last_screens::LastScreens;

/// How soon a VM's first live thumbnail is kept, so the next start has a picture even if this
/// run ends abruptly.
const FIRST_SAVE_DELAY: Duration = Duration::from_secs(2);
/// How often a VM's last screen is kept at most afterwards.
const SAVE_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct LastScreenState {
    store: Option<LastScreens>,
    /// The picture to show while no live thumbnail is at hand, by VM name.
    shown: HashMap<String, Image>,
    /// Live thumbnails not yet written, by VM name.
    unsaved: HashMap<String, Image>,
    /// VMs with a screen written by this run.
    saved: BTreeSet<String>,
    /// VMs whose last screen was looked for on disk.
    looked_up: BTreeSet<String>,
}

impl LastScreenState {
    /// A live thumbnail of the VM called `name`: shown as its last screen from now on, and
    /// written to disk in a while.
    pub fn remember(&mut self, name: String, image: Image) {
        self.shown.insert(name.clone(), image.clone());
        if self.store.is_some() {
            self.unsaved.insert(name, image);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Image> {
        self.shown.get(name)
    }

    /// How long to wait before writing what is unsaved; None when nothing is.
    fn delay(&self) -> Option<Duration> {
        if self.unsaved.is_empty() {
            return None;
        }
        let new_vm = self.unsaved.keys().any(|name| !self.saved.contains(name));
        Some(if new_vm {
            FIRST_SAVE_DELAY
        } else {
            SAVE_INTERVAL
        })
    }

    /// The unsaved screens as pixels, ready for another thread.
    fn take_unsaved(&mut self) -> Vec<(String, slint::SharedPixelBuffer<slint::Rgba8Pixel>)> {
        let unsaved = std::mem::take(&mut self.unsaved);
        self.saved.extend(unsaved.keys().cloned());
        unsaved
            .into_iter()
            .filter_map(|(name, image)| Some((name, image.to_rgba8()?)))
            .collect()
    }
}

fn write_all(
    store: &LastScreens,
    screens: Vec<(String, slint::SharedPixelBuffer<slint::Rgba8Pixel>)>,
) {
    for (name, pixels) in screens {
        if let Err(error) = store.save(&name, &pixels) {
            tracing::warn!(vm = %name, dir = %store.dir().display(), %error, "cannot keep the VM's last screen");
        }
    }
}

impl App {
    /// Shows the configured VMs, by name and role, as connecting tiles with their last
    /// screens from `store`, until the hypervisor lists its own. Called before the first
    /// frame, so that frame is the complete home.
    pub fn expect_vms(
        &self,
        vms: Vec<(String, hearth_vm_bridge::VmRole)>,
        store: Option<LastScreens>,
    ) {
        {
            let mut state = self.state.borrow_mut();
            state
                .last_screens
                .looked_up
                .extend(vms.iter().map(|(name, _)| name.clone()));
            if let Some(store) = &store {
                for (name, _) in &vms {
                    if let Some(pixels) = store.load(name) {
                        state
                            .last_screens
                            .shown
                            .insert(name.clone(), Image::from_rgb8(pixels));
                    }
                }
            }
            state.last_screens.store = store;
            state.expected = vms
                .into_iter()
                .map(|(name, role)| super::tiles::ExpectedVm { name, role })
                .collect();
            super::tiles::sort_expected(&mut state.expected);
        }
        self.vms_changed();
    }

    /// Reads, on a worker, the last screens of listed VMs the configuration did not name (a
    /// libvirt setup that shows every domain), so their tiles have a picture until a live one.
    pub(super) fn load_unknown_last_screens(&self) {
        let (store, names) = {
            let mut state = self.state.borrow_mut();
            let Some(store) = state.last_screens.store.clone() else {
                return;
            };
            let names: Vec<String> = state
                .vms
                .iter()
                .map(|vm| vm.name.clone())
                .filter(|name| !state.last_screens.looked_up.contains(name))
                .collect();
            state.last_screens.looked_up.extend(names.iter().cloned());
            (store, names)
        };
        if names.is_empty() {
            return;
        }
        let incoming = self.incoming.clone();
        let spawned = std::thread::Builder::new()
            .name("last-screens-read".into())
            .spawn(move || {
                let loaded: Vec<_> = names
                    .into_iter()
                    .filter_map(|name| store.load(&name).map(|pixels| (name, pixels)))
                    .collect();
                if loaded.is_empty() {
                    return;
                }
                let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
                queue.last_screens.extend(loaded);
                super::schedule(&mut queue);
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start reading the last screens");
        }
    }

    /// Last screens read on a worker: shown where no picture is yet.
    pub(super) fn last_screens_loaded(
        &self,
        screens: Vec<(String, slint::SharedPixelBuffer<slint::Rgb8Pixel>)>,
    ) {
        {
            let mut state = self.state.borrow_mut();
            for (name, pixels) in screens {
                state
                    .last_screens
                    .shown
                    .entry(name)
                    .or_insert_with(|| Image::from_rgb8(pixels));
            }
        }
        self.vms_changed();
    }

    /// Writes what is unsaved after the right delay, off the UI thread.
    pub(super) fn schedule_last_screens(&self) {
        if self.last_screen_timer.running() {
            return;
        }
        let Some(delay) = self.state.borrow().last_screens.delay() else {
            return;
        };
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.last_screen_timer
            .start(slint::TimerMode::SingleShot, delay, move || {
                let Some(app) = weak.upgrade() else { return };
                let (store, screens) = {
                    let mut state = app.state.borrow_mut();
                    (
                        state.last_screens.store.clone(),
                        state.last_screens.take_unsaved(),
                    )
                };
                if let Some(store) = store {
                    let spawned = std::thread::Builder::new()
                        .name("last-screens".into())
                        .spawn(move || write_all(&store, screens));
                    if let Err(error) = spawned {
                        tracing::warn!(%error, "cannot start writing the last screens");
                    }
                }
                app.schedule_last_screens();
            });
    }

    /// Writes what is unsaved now, on this thread (Hearth is closing).
    pub fn keep_last_screens_now(&self) {
        self.last_screen_timer.stop();
        let (store, screens) = {
            let mut state = self.state.borrow_mut();
            (
                state.last_screens.store.clone(),
                state.last_screens.take_unsaved(),
            )
        };
        if let Some(store) = store {
            write_all(&store, screens);
        }
    }
}

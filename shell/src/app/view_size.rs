//! Guests sized to the view: the focused VM is told the size of the view it is shown in, so
//! a guest that can change its resolution matches it (QEMU's `SetUIInfo`), after a switch and
//! after the window changes size (debounced). Guests that keep their size are scaled.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use hearth_ui::{AppAdapter, Screen};
use hearth_vm_bridge::VmId;
use slint::ComponentHandle;

use super::{App, CURRENT};

/// How long the window's size must hold still before the guest is told: a drag or a rotation
/// passes through many sizes, and each mode change costs the guest a repaint.
const RESIZE_SETTLE: Duration = Duration::from_millis(300);

#[derive(Debug, Default)]
pub struct ViewSizeState {
    /// The size each VM was last told, so the same size is not sent twice.
    told: HashMap<VmId, (u32, u32)>,
    /// VMs (by name) whose configuration keeps their own size.
    keep_own_size: BTreeSet<String>,
}

impl App {
    /// These VMs (by name) keep their own screen size: Hearth never asks them to fit.
    pub fn keep_guest_sizes(&self, names: BTreeSet<String>) {
        self.state.borrow_mut().view_size.keep_own_size = names;
    }

    /// The window changed size; the shown guest is told once it holds still.
    pub fn view_resized(&self) {
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.fit_timer
            .start(slint::TimerMode::SingleShot, RESIZE_SETTLE, move || {
                if let Some(app) = weak.upgrade() {
                    app.fit_focused();
                }
            });
    }

    /// Tells the focused VM the view's size in physical pixels, unless it already knows it.
    pub(super) fn fit_focused(&self) {
        if self.window.global::<AppAdapter>().get_screen() != Screen::Vm {
            return;
        }
        let size = self.window.window().size();
        let (width, height) = (size.width, size.height);
        if width == 0 || height == 0 {
            return;
        }
        let target = {
            let mut state = self.state.borrow_mut();
            let Some(vm) = state.router.focused().cloned() else {
                return;
            };
            let keeps_own = state
                .vms
                .iter()
                .find(|info| info.id == vm)
                .is_none_or(|info| state.view_size.keep_own_size.contains(&info.name));
            if keeps_own || state.view_size.told.get(&vm) == Some(&(width, height)) {
                return;
            }
            state.view_size.told.insert(vm.clone(), (width, height));
            state.hypervisor.clone().map(|hypervisor| (hypervisor, vm))
        };
        if let Some((hypervisor, vm)) = target {
            tracing::debug!(%vm, width, height, "fitting the guest to the view");
            hypervisor.fit_display(&vm, width, height);
        }
    }

    /// The VM stopped or its display went away: it must be told again when it is back.
    pub(super) fn forget_view_size(&self, vm: &VmId) {
        self.state.borrow_mut().view_size.told.remove(vm);
    }
}

//! A VM's consoles in the VM view: when the focused VM has several (a second head, a text
//! console QEMU draws), the view offers them, and the chosen one is shown and gets input.

use std::rc::Rc;

use hearth_ui::{VmAction, VmAdapter};
use slint::{ComponentHandle, ModelRc, VecModel};

use super::App;

impl App {
    /// Offers the focused VM's consoles, as its display link last saw them. Called as its
    /// frames change, so it returns early when the list is the one on offer.
    pub(super) fn refresh_consoles(&self) {
        let consoles = match (self.hypervisor(), self.focused()) {
            (Some(hypervisor), Some(vm)) => hypervisor.consoles(&vm),
            _ => Vec::new(),
        };
        if self.state.borrow().consoles == consoles {
            return;
        }
        let choices: Vec<VmAction> = consoles
            .iter()
            .map(|console| VmAction {
                id: console.id.to_string().into(),
                label: if console.shown {
                    format!("{} ✓", console.label).into()
                } else {
                    console.label.as_str().into()
                },
                destructive: false,
                confirm_title: Default::default(),
                confirm_body: Default::default(),
            })
            .collect();
        self.state.borrow_mut().consoles = consoles;
        self.window
            .global::<VmAdapter>()
            .set_consoles(ModelRc::from(Rc::new(VecModel::from(choices))));
    }

    /// Shows the focused VM's console with this id (from the choices offered).
    pub(super) fn choose_console(&self, id: &str) {
        let (Some(hypervisor), Some(vm), Ok(console)) =
            (self.hypervisor(), self.focused(), id.parse::<u32>())
        else {
            tracing::warn!(id, "no such console to show");
            return;
        };
        tracing::info!(%vm, console, "showing another console");
        hypervisor.select_console(&vm, console);
    }
}

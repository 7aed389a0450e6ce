//! The home screen's tiles: VM order, words for states and actions, thumbnails.

use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{Strings, VmAction, VmAdapter, VmTile};
use hearth_vm_bridge::{Lifecycle, VmId, VmInfo, VmRole, VmState};
use slint::{ComponentHandle, Image, Model, ModelRc, VecModel};

use super::App;

/// The tile action that opens the sheet of the VM's image (offered when the image service
/// manages the VM's disk).
pub const IMAGE_ACTION: &str = "image";

/// A VM the configuration names, before the hypervisor has said anything about it.
#[derive(Debug, Clone)]
pub struct ExpectedVm {
    pub name: String,
    pub role: VmRole,
}

/// Where a VM goes on home: work first, then personal, then the rest, each by name.
fn order_key(role: VmRole, name: &str) -> (u8, String) {
    let rank = match role {
        VmRole::Work => 0,
        VmRole::Personal => 1,
        VmRole::Other => 2,
    };
    (rank, name.to_lowercase())
}

pub fn sort(vms: &mut [VmInfo]) {
    vms.sort_by_key(|vm| order_key(vm.role, &vm.name));
}

/// The same order as [`sort`], so tiles stay in place when the hypervisor lists the VMs.
pub fn sort_expected(vms: &mut [ExpectedVm]) {
    vms.sort_by_key(|vm| order_key(vm.role, &vm.name));
}

pub fn state_id(state: VmState) -> &'static str {
    match state {
        VmState::Running => "running",
        VmState::Paused => "paused",
        VmState::ShutOff => "shut-off",
        VmState::Crashed => "crashed",
        VmState::Starting => "starting",
        VmState::Stopping => "stopping",
    }
}

pub fn role_id(role: VmRole) -> &'static str {
    match role {
        VmRole::Work => "work",
        VmRole::Personal => "personal",
        VmRole::Other => "other",
    }
}

pub fn action_id(action: Lifecycle) -> &'static str {
    match action {
        Lifecycle::Start => "start",
        Lifecycle::Pause => "pause",
        Lifecycle::Resume => "resume",
        Lifecycle::Shutdown => "shutdown",
        Lifecycle::ForceOff => "force-off",
    }
}

pub fn action_from_id(id: &str) -> Option<Lifecycle> {
    [
        Lifecycle::Start,
        Lifecycle::Pause,
        Lifecycle::Resume,
        Lifecycle::Shutdown,
        Lifecycle::ForceOff,
    ]
    .into_iter()
    .find(|action| action_id(*action) == id)
}

/// What a tile shows of a VM, before the words are looked up.
struct TileFacts<'a> {
    id: &'a str,
    name: &'a str,
    role: VmRole,
    /// "running", "connecting"…
    state: &'static str,
    actions: &'a [Lifecycle],
    /// Whether the screen's picture is worth showing (not for a VM that is off).
    screen_on: bool,
    /// The word about its image, and its kind.
    badge: Option<&'a (String, &'static str)>,
    /// Whether the image service manages its disk.
    imaged: bool,
}

fn tile(
    facts: TileFacts<'_>,
    translator: &Translator,
    thumbnail: Option<&Image>,
    icon: Option<&Image>,
) -> VmTile {
    let name = [("name", Arg::Text(facts.name))];
    let mut actions: Vec<VmAction> = facts
        .actions
        .iter()
        .map(|action| {
            let id = action_id(*action);
            VmAction {
                id: id.into(),
                label: translator.tr(&format!("action-{id}")).into(),
                destructive: action.is_destructive(),
                confirm_title: translator
                    .tr_args(&format!("confirm-{id}-title"), &name)
                    .into(),
                confirm_body: translator.tr(&format!("confirm-{id}-body")).into(),
            }
        })
        .collect();
    if facts.imaged {
        actions.push(VmAction {
            id: IMAGE_ACTION.into(),
            label: translator.tr("action-image").into(),
            destructive: false,
            confirm_title: "".into(),
            confirm_body: "".into(),
        });
    }
    let (badge, badge_kind) = facts.badge.cloned().unwrap_or_default();
    VmTile {
        id: facts.id.into(),
        name: facts.name.into(),
        role: role_id(facts.role).into(),
        role_label: translator
            .tr(&format!("role-{}", role_id(facts.role)))
            .into(),
        state: facts.state.into(),
        state_label: translator.tr(&format!("state-{}", facts.state)).into(),
        open_label: translator.tr_args("open-vm", &name).into(),
        actions_label: translator.tr_args("vm-actions", &name).into(),
        thumbnail: thumbnail.cloned().unwrap_or_default(),
        has_thumbnail: thumbnail.is_some() && facts.screen_on,
        icon: icon.cloned().unwrap_or_default(),
        has_icon: icon.is_some(),
        actions: ModelRc::from(std::rc::Rc::new(VecModel::from(actions))),
        badge: badge.into(),
        badge_kind: badge_kind.into(),
    }
}

impl super::State {
    /// The tile of a listed VM: its live thumbnail, else its last screen.
    fn listed_tile(&self, vm: &VmInfo) -> VmTile {
        let thumbnail = self
            .thumbnails
            .get(&vm.id)
            .or_else(|| self.last_screens.get(&vm.name));
        let kiosk = self.kiosk.as_ref();
        let actions: Vec<Lifecycle> = Lifecycle::offered_in(vm.state)
            .iter()
            .copied()
            .filter(|action| {
                *action == Lifecycle::Start || kiosk.is_none_or(|kiosk| !kiosk.hide_lifecycle)
            })
            .collect();
        tile(
            TileFacts {
                id: &vm.id.0,
                name: &vm.name,
                role: vm.role,
                state: state_id(vm.state),
                actions: &actions,
                screen_on: vm.state != VmState::ShutOff,
                badge: self.badges.get(&vm.name),
                imaged: self.imaged.contains(&vm.name)
                    && kiosk.is_none_or(|kiosk| !kiosk.hide_downloads),
            },
            &self.translator,
            thumbnail,
            self.icons.get(&vm.name),
        )
    }

    /// The tile of a configured VM the hypervisor has not listed yet.
    fn expected_tile(&self, vm: &ExpectedVm) -> VmTile {
        tile(
            TileFacts {
                id: "",
                name: &vm.name,
                role: vm.role,
                state: "connecting",
                actions: &[],
                screen_on: true,
                badge: self.badges.get(&vm.name),
                imaged: false,
            },
            &self.translator,
            self.last_screens.get(&vm.name),
            self.icons.get(&vm.name),
        )
    }

    fn tiles(&self) -> Vec<VmTile> {
        if self.listed {
            self.vms.iter().map(|vm| self.listed_tile(vm)).collect()
        } else {
            self.expected
                .iter()
                .filter(|vm| {
                    self.kiosk
                        .as_ref()
                        .is_none_or(|kiosk| kiosk.allows_vm(&vm.name))
                })
                .map(|vm| self.expected_tile(vm))
                .collect()
        }
    }
}

impl App {
    /// Rebuilds the tiles from the VM list, keeping rows that did not change.
    pub(super) fn vms_changed(&self) {
        let tiles: Vec<VmTile> = self.state.borrow().tiles();
        if self.tiles.row_count() != tiles.len() {
            self.tiles.set_vec(tiles);
        } else {
            for (row, tile) in tiles.into_iter().enumerate() {
                self.replace_tile(row, tile);
            }
        }
        self.refresh_status();
        self.refresh_focused_index();
    }

    pub(super) fn update_tile(&self, id: &VmId) {
        let (row, tile) = {
            let state = self.state.borrow();
            let Some(row) = state.vms.iter().position(|vm| &vm.id == id) else {
                return;
            };
            (row, state.listed_tile(&state.vms[row]))
        };
        if row < self.tiles.row_count() {
            self.replace_tile(row, tile);
        }
    }

    /// Puts a tile in place if it differs. An unchanged action list keeps its model, so an
    /// open actions sheet is not rebuilt under the user's finger by a thumbnail refresh.
    fn replace_tile(&self, row: usize, mut tile: VmTile) {
        let Some(old) = self.tiles.row_data(row) else {
            return;
        };
        if same_tile(&old, &tile) {
            return;
        }
        if same_actions(&old, &tile) {
            tile.actions = old.actions.clone();
        }
        self.tiles.set_row_data(row, tile);
    }

    /// The line in the top bar: how many VMs run and whether the hypervisor answers.
    pub(super) fn refresh_status(&self) {
        let state = self.state.borrow();
        let running = state
            .vms
            .iter()
            .filter(|vm| vm.state == VmState::Running)
            .count() as i64;
        let summary = if state.listed {
            state.translator.tr_args(
                "running-summary",
                &[
                    ("count", Arg::Number(running)),
                    ("total", Arg::Number(state.vms.len() as i64)),
                ],
            )
        } else {
            state.translator.tr("connecting-summary")
        };
        let strings = self.window.global::<Strings>();
        strings.set_running_summary(summary.into());
        let status = match &state.hypervisor {
            None => String::new(),
            Some(hypervisor) => {
                let name = hypervisor.describe();
                let id = if state.connected {
                    "hypervisor-connected"
                } else {
                    "hypervisor-unavailable"
                };
                state.translator.tr_args(id, &[("name", Arg::Text(&name))])
            }
        };
        strings.set_hypervisor_status(status.into());
    }

    pub(super) fn refresh_focused_index(&self) {
        // The VM in front is part of what the service and the session report.
        self.schedule_publish();
        let state = self.state.borrow();
        let index = state
            .router
            .focused()
            .and_then(|id| state.vms.iter().position(|vm| &vm.id == id))
            .map(|i| i as i32)
            .unwrap_or(-1);
        self.window.global::<VmAdapter>().set_focused(index);
    }
}

fn same_tile(a: &VmTile, b: &VmTile) -> bool {
    a.id == b.id
        && a.name == b.name
        && a.state == b.state
        && a.state_label == b.state_label
        && a.role_label == b.role_label
        && a.open_label == b.open_label
        && a.has_thumbnail == b.has_thumbnail
        && a.has_icon == b.has_icon
        && a.icon == b.icon
        && a.thumbnail == b.thumbnail
        && a.badge == b.badge
        && a.badge_kind == b.badge_kind
        && same_actions(a, b)
}

fn same_actions(a: &VmTile, b: &VmTile) -> bool {
    a.actions.row_count() == b.actions.row_count()
        && (0..a.actions.row_count()).all(|i| a.actions.row_data(i) == b.actions.row_data(i))
}

//! The downloads domain wired into the app, and the lifecycle policy around VM image
//! versions: a ready version is used at the VM's next start; "restart into version N" and
//! "go back" (as left or as shipped) and "reset" stop the VM first (asking was the sheet's
//! job), and the VM always starts on its version's overlay with its data disk; a VM that stops by itself
//! within its grace period after its first start on a new version is rolled back and
//! started again, with the reason on screen. A VM's disk is never changed while it runs.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_ui::DownloadsAdapter;
use hearth_vm_bridge::{Lifecycle, VmId, VmState};
use slint::ComponentHandle;

use super::{App, Notice, NoticeArg, schedule};
use crate::downloads::{
    Answer, Bus, DownloadsController, ImageStatus, Method, ServiceEvent, VmRequest,
};

/// How long a VM asked to shut down for a version change may take before it is forced off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// What to do to a VM's image once the VM is off.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Activate,
    /// Back to the previous version; `automatic` when Hearth decided it (restored as the
    /// service's default says), else as the user chose.
    Rollback {
        reason: String,
        automatic: bool,
        as_shipped: bool,
    },
    /// The current version as shipped: its overlay discarded.
    Reset,
}

#[derive(Debug, Clone)]
struct Switch {
    vm: String,
    image: String,
    change: Change,
    since: Instant,
}

/// A VM started on a new version, watched for stopping by itself.
#[derive(Debug, Clone)]
struct Watch {
    image: String,
    version: u64,
    /// When it was first seen running (a start that fails never runs: that is no crash).
    running_since: Option<Instant>,
    grace: Duration,
}

#[derive(Default)]
pub(super) struct ImageSwitches {
    /// Waiting for the VM to be off, by VM name.
    waiting: HashMap<String, Switch>,
    /// The service call in flight, by image name.
    asking: HashMap<String, Switch>,
    watched: HashMap<String, Watch>,
    /// VMs stopped on purpose (by the user or for a switch): their stop is no crash.
    stopping: HashSet<String>,
}

impl App {
    /// Shows the downloads the last run saw; the service is followed from
    /// [`App::start_downloads`], after the first frame.
    pub fn attach_downloads(&self, bus: Bus, cache: Option<std::path::PathBuf>) {
        let language = self.state.borrow().translator.code();
        let controller = DownloadsController::new(&self.window, bus, cache, language);
        self.window.global::<DownloadsAdapter>().on_action(|id| {
            if let Some(app) = App::current() {
                app.download_action(&id);
            }
        });
        *self.downloads.borrow_mut() = Some(controller);
        self.downloads_follow_vms();
        self.refresh_badges();
    }

    /// Starts following the image service.
    pub fn start_downloads(&self) {
        if let Some(downloads) = self.downloads() {
            downloads.start(self.downloads_post());
        }
    }

    pub fn downloads(&self) -> Option<Rc<DownloadsController>> {
        self.downloads.borrow().clone()
    }

    fn downloads_post(&self) -> crate::downloads::Post {
        let incoming = self.incoming.clone();
        Arc::new(move |event| {
            let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
            queue.downloads.push(event);
            schedule(&mut queue);
        })
    }

    pub(super) fn downloads_updates(&self, events: Vec<ServiceEvent>) {
        let Some(downloads) = self.downloads() else {
            return;
        };
        for event in events {
            if let ServiceEvent::Answered {
                image,
                method:
                    Method::Activate | Method::Rollback(_) | Method::RollbackAs(..) | Method::Reset,
                result,
            } = &event
            {
                self.image_changed(image, result.clone());
                continue;
            }
            if let Some(problem) = downloads.handle(&event) {
                self.set_notice(Some(Notice {
                    id: "download-problem",
                    args: vec![("reason", NoticeArg::Text(problem))],
                }));
            }
        }
        self.refresh_badges();
    }

    /// The words on the tiles follow the images.
    pub(super) fn refresh_badges(&self) {
        let badges = self
            .downloads()
            .map(|downloads| downloads.badges())
            .unwrap_or_default();
        let imaged: std::collections::BTreeSet<String> = self
            .downloads()
            .map(|downloads| {
                downloads
                    .images()
                    .into_iter()
                    .map(|image| image.vm)
                    .collect()
            })
            .unwrap_or_default();
        let changed = {
            let state = self.state.borrow();
            state.badges != badges || state.imaged != imaged
        };
        if changed {
            {
                let mut state = self.state.borrow_mut();
                state.badges = badges;
                state.imaged = imaged;
            }
            self.vms_changed();
        }
    }

    /// Which VMs run, for the sheet's "restart into" or "start".
    pub(super) fn downloads_follow_vms(&self) {
        let Some(downloads) = self.downloads() else {
            return;
        };
        let running = self
            .state
            .borrow()
            .vms
            .iter()
            .map(|vm| {
                (
                    vm.name.clone(),
                    vm.state != VmState::ShutOff && vm.state != VmState::Crashed,
                )
            })
            .collect();
        downloads.set_running(running);
    }

    fn download_action(&self, id: &str) {
        let Some(downloads) = self.downloads() else {
            return;
        };
        let Some(request) = downloads.action(id) else {
            return;
        };
        downloads.close_sheet();
        let (vm, image, change) = match request {
            VmRequest::RestartInto { image, vm } => (vm, image, Change::Activate),
            VmRequest::RollBack {
                image,
                vm,
                as_shipped,
            } => (
                vm,
                image,
                Change::Rollback {
                    reason: self.state.borrow().translator.tr("rollback-reason-user"),
                    automatic: false,
                    as_shipped,
                },
            ),
            VmRequest::Reset { image, vm } => (vm, image, Change::Reset),
        };
        self.switch_image(Switch {
            vm,
            image,
            change,
            since: Instant::now(),
        });
    }

    /// Opens the image sheet of the VM on the tile at `index`.
    pub(super) fn open_image_sheet(&self, index: usize) {
        let name = self.state.borrow().vms.get(index).map(|vm| vm.name.clone());
        if let (Some(downloads), Some(name)) = (self.downloads(), name) {
            downloads.open_for_vm(&name);
        }
    }

    /// A start asked for by the user: with the ready version when there is one, and always
    /// from the image's current file when the service manages the VM's disk. Returns whether
    /// it was handled here.
    pub(super) fn start_with_image(&self, vm: &VmId, name: &str) -> bool {
        let Some(image) = self.downloads().and_then(|d| d.image_of_vm(name)) else {
            return false;
        };
        if image.ready != 0 {
            self.switch_image(Switch {
                vm: name.to_string(),
                image: image.name.clone(),
                change: Change::Activate,
                since: Instant::now(),
            });
            return true;
        }
        let Some(disks) = image.boot_disks() else {
            return false;
        };
        if let Some(hypervisor) = self.hypervisor() {
            hypervisor.start_from(vm, &disks);
        }
        true
    }

    /// A stop asked for by the user: not a crash.
    pub(super) fn stopping_on_purpose(&self, name: &str) {
        self.switches.borrow_mut().stopping.insert(name.to_string());
    }

    fn switch_image(&self, switch: Switch) {
        let Some((id, state)) = self.vm_by_name(&switch.vm) else {
            return;
        };
        match state {
            VmState::ShutOff | VmState::Crashed => self.ask_service(switch),
            _ => {
                let action = if state == VmState::Paused {
                    Lifecycle::ForceOff
                } else {
                    Lifecycle::Shutdown
                };
                {
                    let mut switches = self.switches.borrow_mut();
                    switches.stopping.insert(switch.vm.clone());
                    switches.waiting.insert(switch.vm.clone(), switch);
                }
                if state != VmState::Stopping
                    && let Some(hypervisor) = self.hypervisor()
                {
                    hypervisor.request(&id, action);
                }
                self.watch_shutdowns();
            }
        }
    }

    /// Forces off a VM that did not shut down for a switch in time.
    fn watch_shutdowns(&self) {
        let weak = super::CURRENT.with(|current| current.borrow().clone());
        self.switch_timer.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(5),
            move || {
                let Some(app) = weak.upgrade() else { return };
                let late: Vec<String> = app
                    .switches
                    .borrow()
                    .waiting
                    .values()
                    .filter(|switch| switch.since.elapsed() > SHUTDOWN_GRACE)
                    .map(|switch| switch.vm.clone())
                    .collect();
                for vm in late {
                    if let (Some((id, _)), Some(hypervisor)) =
                        (app.vm_by_name(&vm), app.hypervisor())
                    {
                        tracing::info!(
                            vm,
                            "did not shut down for its image switch; forcing it off"
                        );
                        hypervisor.request(&id, Lifecycle::ForceOff);
                    }
                }
                if app.switches.borrow().waiting.is_empty() {
                    app.switch_timer.stop();
                }
            },
        );
    }

    fn ask_service(&self, switch: Switch) {
        let Some(downloads) = self.downloads() else {
            return;
        };
        let method = match &switch.change {
            Change::Activate => Method::Activate,
            Change::Rollback {
                reason,
                automatic: true,
                ..
            } => Method::Rollback(reason.clone()),
            Change::Rollback {
                reason, as_shipped, ..
            } => Method::RollbackAs(reason.clone(), *as_shipped),
            Change::Reset => Method::Reset,
        };
        let image = switch.image.clone();
        self.switches
            .borrow_mut()
            .asking
            .insert(image.clone(), switch);
        downloads.call(&image, method);
    }

    /// A VM's state changed: go on with a switch waiting for it to be off, and roll back a
    /// new version that stopped by itself too soon.
    pub(super) fn images_follow_state(&self, name: &str, state: VmState) {
        self.downloads_follow_vms();
        if state == VmState::Running {
            if let Some(watch) = self.switches.borrow_mut().watched.get_mut(name) {
                watch.running_since.get_or_insert_with(Instant::now);
            }
            return;
        }
        if !matches!(state, VmState::ShutOff | VmState::Crashed) {
            return;
        }
        let (waiting, watched, on_purpose) = {
            let mut switches = self.switches.borrow_mut();
            (
                switches.waiting.remove(name),
                switches.watched.remove(name),
                switches.stopping.remove(name),
            )
        };
        if let Some(switch) = waiting {
            self.ask_service(switch);
            return;
        }
        let Some(watch) = watched else { return };
        let Some(lived) = watch.running_since.map(|since| since.elapsed()) else {
            // Off before it ever ran (a redefinition, a start that failed): keep watching
            // for the start that follows.
            self.switches
                .borrow_mut()
                .watched
                .insert(name.to_string(), watch);
            return;
        };
        if on_purpose || lived > watch.grace {
            return;
        }
        let Some(image) = self.downloads().and_then(|d| d.image_of_vm(name)) else {
            return;
        };
        if image.current != watch.version || image.previous.is_empty() {
            return;
        }
        let reason = self.state.borrow().translator.tr_args(
            if state == VmState::Crashed {
                "rollback-reason-crashed"
            } else {
                "rollback-reason-stopped"
            },
            &[
                (
                    "version",
                    hearth_ui::i18n::Arg::Number(watch.version as i64),
                ),
                (
                    "seconds",
                    hearth_ui::i18n::Arg::Number(lived.as_secs() as i64),
                ),
            ],
        );
        tracing::warn!(vm = name, version = watch.version, %reason, "rolling back");
        let switch = Switch {
            vm: name.to_string(),
            image: watch.image,
            change: Change::Rollback {
                reason,
                automatic: true,
                as_shipped: false,
            },
            since: Instant::now(),
        };
        self.ask_service(switch);
    }

    /// The service made another version current (or could not): start the VM from it.
    fn image_changed(&self, image: &str, result: Result<Answer, String>) {
        let Some(switch) = self.switches.borrow_mut().asking.remove(image) else {
            return;
        };
        let status = self.downloads().and_then(|d| d.image_of_vm(&switch.vm));
        let Some((id, _)) = self.vm_by_name(&switch.vm) else {
            return;
        };
        let hypervisor = self.hypervisor();
        match result {
            Ok(answer) => {
                let disks = status.as_ref().and_then(|status| {
                    ImageStatus {
                        current_file: answer.current_file.clone(),
                        boot_file: answer.boot_file.clone(),
                        ..status.clone()
                    }
                    .boot_disks()
                });
                if let (Some(hypervisor), Some(disks)) = (&hypervisor, disks) {
                    hypervisor.start_from(&id, &disks);
                }
                match &switch.change {
                    Change::Activate => {
                        let grace = status
                            .as_ref()
                            .map_or(0, |s: &ImageStatus| s.rollback_grace_seconds);
                        self.switches.borrow_mut().watched.insert(
                            switch.vm.clone(),
                            Watch {
                                image: switch.image.clone(),
                                version: answer.version,
                                running_since: None,
                                grace: Duration::from_secs(grace),
                            },
                        );
                    }
                    Change::Rollback {
                        reason,
                        automatic: true,
                        ..
                    } => self.set_notice(Some(Notice {
                        id: "rolled-back-automatically",
                        args: vec![
                            ("vm", NoticeArg::Text(switch.vm.clone())),
                            ("version", NoticeArg::Text(answer.version.to_string())),
                            ("reason", NoticeArg::Text(reason.clone())),
                        ],
                    })),
                    Change::Rollback { .. } | Change::Reset => {}
                }
            }
            Err(reason) => {
                tracing::warn!(vm = switch.vm, image, %reason, "image switch refused");
                self.set_notice(Some(Notice {
                    id: "image-switch-failed",
                    args: vec![
                        ("vm", NoticeArg::Text(switch.vm.clone())),
                        ("reason", NoticeArg::Text(reason)),
                    ],
                }));
                // The user asked for the VM to run: it starts on the version it has.
                if switch.change == Change::Activate
                    && let (Some(hypervisor), Some(disks)) = (
                        &hypervisor,
                        status.as_ref().and_then(ImageStatus::boot_disks),
                    )
                {
                    hypervisor.start_from(&id, &disks);
                }
            }
        }
    }

    fn vm_by_name(&self, name: &str) -> Option<(VmId, VmState)> {
        self.state
            .borrow()
            .vms
            .iter()
            .find(|vm| vm.name == name)
            .map(|vm| (vm.id.clone(), vm.state))
    }
}

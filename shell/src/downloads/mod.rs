//! The downloads domain in the shell: pending VM images on home (a card each), the word on
//! each VM's tile, and the detail sheet with its actions. Hearth is a client of the image
//! service (`hearth-image serve`), which keeps downloading whatever Hearth does.
//!
//! The first frame shows what the last run saw (a small cache file), so home is complete
//! at once; the service is reached after it, on a thread of its own.

mod service;
mod status;
mod words;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{AppWindow, DownloadCard, DownloadsAdapter, VmAction};
use slint::{ComponentHandle, Model, ModelRc, VecModel};

pub use service::{Answer, Bus, Method, Post, ServiceEvent};
pub use status::ImageStatus;

use service::ServiceClient;

/// How long after a change the cache is written (changes in between are written together).
const CACHE_DELAY: Duration = Duration::from_secs(2);

/// What the user asked for that needs more than the image service: the VM must be stopped
/// and started around it (the shell's lifecycle policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmRequest {
    /// Stop the VM if it runs, make the ready version current, start it.
    RestartInto { image: String, vm: String },
    /// Stop the VM if it runs, go back to the previous version (as shipped, or as it was
    /// left), start it.
    RollBack {
        image: String,
        vm: String,
        as_shipped: bool,
    },
    /// Stop the VM if it runs, discard what was written under its version, start it.
    Reset { image: String, vm: String },
}

pub struct DownloadsController {
    window: slint::Weak<AppWindow>,
    translator: RefCell<Translator>,
    /// By image name.
    images: Rc<RefCell<Vec<ImageStatus>>>,
    /// Whether the service answers (assumed at first: the cache shows what it last said).
    connected: Cell<bool>,
    cards: Rc<VecModel<DownloadCard>>,
    /// The image whose sheet is open.
    open: RefCell<Option<String>>,
    /// The actions the sheet shows.
    sheet_actions: Rc<VecModel<VmAction>>,
    /// Which VMs run, by name: the sheet offers "restart into" or "start" accordingly.
    running: RefCell<HashMap<String, bool>>,
    client: RefCell<Option<ServiceClient>>,
    bus: Bus,
    cache: Option<PathBuf>,
    cache_timer: slint::Timer,
}

impl DownloadsController {
    /// Shows what the last run saw; nothing slow happens here.
    pub fn new(window: &AppWindow, bus: Bus, cache: Option<PathBuf>, language: &str) -> Rc<Self> {
        let images = cache
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| serde_json::from_slice::<Vec<ImageStatus>>(&bytes).ok())
            .unwrap_or_default();
        let controller = Rc::new(DownloadsController {
            window: window.as_weak(),
            translator: RefCell::new(Translator::new(language)),
            images: Rc::new(RefCell::new(images)),
            connected: Cell::new(true),
            cards: Rc::new(VecModel::default()),
            open: RefCell::new(None),
            sheet_actions: Rc::new(VecModel::default()),
            running: RefCell::new(HashMap::new()),
            client: RefCell::new(None),
            bus,
            cache,
            cache_timer: slint::Timer::default(),
        });
        let adapter = window.global::<DownloadsAdapter>();
        adapter.set_cards(ModelRc::from(controller.cards.clone()));
        adapter.set_sheet_actions(ModelRc::from(controller.sheet_actions.clone()));
        let weak = Rc::downgrade(&controller);
        adapter.on_open(move |id| {
            if let Some(controller) = weak.upgrade() {
                controller.open_sheet(&id);
            }
        });
        let weak = Rc::downgrade(&controller);
        adapter.on_close(move || {
            if let Some(controller) = weak.upgrade() {
                controller.close_sheet();
            }
        });
        controller.refresh();
        controller
    }

    /// Starts following the image service.
    pub fn start(&self, post: Post) {
        if self.client.borrow().is_none() {
            *self.client.borrow_mut() = Some(ServiceClient::start(self.bus.clone(), post));
        }
    }

    pub fn set_language(&self, code: &str) {
        *self.translator.borrow_mut() = Translator::new(code);
        self.refresh();
    }

    /// Which VMs run now, by name.
    pub fn set_running(&self, running: HashMap<String, bool>) {
        if *self.running.borrow() != running {
            *self.running.borrow_mut() = running;
            self.refresh_sheet();
        }
    }

    pub fn images(&self) -> Vec<ImageStatus> {
        self.images.borrow().clone()
    }

    /// The image a VM boots from, if the service manages one.
    pub fn image_of_vm(&self, vm: &str) -> Option<ImageStatus> {
        self.images
            .borrow()
            .iter()
            .find(|image| image.vm == vm)
            .cloned()
    }

    /// The badge of each VM with an image, by VM name.
    pub fn badges(&self) -> HashMap<String, (String, &'static str)> {
        let translator = self.translator.borrow();
        self.images
            .borrow()
            .iter()
            .filter_map(|image| Some((image.vm.clone(), words::badge(image, &translator)?)))
            .collect()
    }

    /// Calls one of the service's methods for `image`.
    pub fn call(&self, image: &str, method: Method) {
        match self.client.borrow().as_ref() {
            Some(client) => client.call(image, method),
            None => tracing::warn!(image, ?method, "the image service is not followed yet"),
        }
    }

    /// Takes in news from the service; returns a problem to show, if any.
    pub fn handle(&self, event: &ServiceEvent) -> Option<String> {
        match event {
            ServiceEvent::Listed(images) => {
                self.connected.set(true);
                *self.images.borrow_mut() = images.clone();
            }
            ServiceEvent::Changed(image) => {
                let mut images = self.images.borrow_mut();
                match images.iter_mut().find(|known| known.name == image.name) {
                    Some(known) => *known = image.clone(),
                    None => images.push(image.clone()),
                }
            }
            ServiceEvent::Gone => self.connected.set(false),
            ServiceEvent::Answered { result: Ok(_), .. } => return None,
            ServiceEvent::Answered {
                result: Err(error), ..
            } => return Some(error.clone()),
        }
        self.images.borrow_mut().sort_by(|a, b| a.name.cmp(&b.name));
        self.refresh();
        self.schedule_cache();
        None
    }

    /// A sheet action: the service's own methods are called here; what needs the VM stopped
    /// and started is handed back.
    pub fn action(&self, id: &str) -> Option<VmRequest> {
        let image = self.open.borrow().clone()?;
        let vm = self.image_named(&image)?.vm;
        let method = match id {
            "pause" => Method::Pause,
            "resume" => Method::Resume,
            "cancel" => Method::Cancel,
            "anyway" => Method::DownloadAnyway,
            "check" => Method::CheckNow,
            "restart" => return Some(VmRequest::RestartInto { image, vm }),
            "rollback-left" | "rollback-shipped" => {
                return Some(VmRequest::RollBack {
                    image,
                    vm,
                    as_shipped: id == "rollback-shipped",
                });
            }
            "reset" => return Some(VmRequest::Reset { image, vm }),
            _ => return None,
        };
        self.call(&image, method);
        None
    }

    fn image_named(&self, image: &str) -> Option<ImageStatus> {
        self.images
            .borrow()
            .iter()
            .find(|known| known.name == image)
            .cloned()
    }

    /// Opens the detail sheet of the image a VM boots from (from the tile's actions).
    pub fn open_for_vm(&self, vm: &str) {
        if let Some(image) = self.image_of_vm(vm) {
            self.open_sheet(&image.name);
        }
    }

    pub fn open_sheet(&self, image: &str) {
        *self.open.borrow_mut() = Some(image.to_string());
        self.sheet_actions.set_vec(Vec::new());
        self.refresh_sheet();
        if let Some(window) = self.window.upgrade() {
            window.global::<DownloadsAdapter>().set_sheet_open(true);
        }
    }

    pub fn close_sheet(&self) {
        *self.open.borrow_mut() = None;
        if let Some(window) = self.window.upgrade() {
            window.global::<DownloadsAdapter>().set_sheet_open(false);
        }
    }

    fn refresh(&self) {
        let cards: Vec<DownloadCard> = {
            let translator = self.translator.borrow();
            self.images
                .borrow()
                .iter()
                .filter(|image| image.pending_for_user())
                .map(|image| self.card(image, &translator))
                .collect()
        };
        set_rows(&self.cards, cards);
        self.refresh_sheet();
    }

    fn card(&self, image: &ImageStatus, translator: &Translator) -> DownloadCard {
        let (status, kind) = words::status_line(image, self.connected.get(), translator);
        DownloadCard {
            id: image.name.as_str().into(),
            title: words::title(image, translator).into(),
            status: status.into(),
            detail: words::detail(image, translator).into(),
            progress: image.fraction(),
            kind: kind.into(),
        }
    }

    fn refresh_sheet(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let Some(name) = self.open.borrow().clone() else {
            return;
        };
        let Some(image) = self.image_named(&name) else {
            self.close_sheet();
            return;
        };
        let translator = self.translator.borrow();
        let adapter = window.global::<DownloadsAdapter>();
        let (status, kind) = words::status_line(&image, self.connected.get(), &translator);
        adapter.set_sheet_title(words::title(&image, &translator).into());
        adapter.set_sheet_status(status.into());
        adapter.set_sheet_kind(kind.into());
        adapter.set_sheet_progress(image.fraction());
        adapter.set_sheet_has_progress(image.downloading() || image.ready != 0);
        adapter.set_sheet_facts(strings(words::facts(&image, &translator)));
        let error = match image.rolled_back() {
            Some((version, _, _, reason)) if image.ready == 0 && !image.downloading() => translator
                .tr_args(
                    "download-rolled-back",
                    &[
                        ("version", Arg::Number(*version as i64)),
                        ("reason", Arg::Text(reason)),
                    ],
                ),
            _ => String::new(),
        };
        adapter.set_sheet_error(error.into());
        let running = self
            .running
            .borrow()
            .get(&image.vm)
            .copied()
            .unwrap_or(false);
        let actions = if self.connected.get() {
            sheet_actions(&image, running, &translator)
        } else {
            Vec::new()
        };
        // Row by row, only where they change: an update must not pull a button from under a
        // finger on it.
        set_rows(&self.sheet_actions, actions);
        adapter.set_sheet_history(strings(words::history(&image, &translator)));
    }

    /// Keeps the statuses for the next start, at most every [`CACHE_DELAY`] (a timer that is
    /// already running writes the latest ones when it fires).
    fn schedule_cache(&self) {
        let Some(path) = self.cache.clone() else {
            return;
        };
        if self.cache_timer.running() {
            return;
        }
        let images = self.images.clone();
        self.cache_timer
            .start(slint::TimerMode::SingleShot, CACHE_DELAY, move || {
                let bytes = serde_json::to_vec(&*images.borrow()).expect("statuses serialise");
                let written = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(path.with_extension("tmp"), bytes))
                    .and_then(|()| std::fs::rename(path.with_extension("tmp"), &path));
                if let Err(error) = written {
                    tracing::debug!(%error, "cannot keep the downloads for the next start");
                }
            });
    }
}

/// `$XDG_CACHE_HOME/hearth/downloads.json`, where the last statuses are kept for the next
/// start's first frame.
pub fn cache_in_user_cache() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(cache.join("hearth").join("downloads.json"))
}

/// Puts `rows` in a model, touching only the rows that differ.
fn set_rows<T: Clone + PartialEq + 'static>(model: &VecModel<T>, rows: Vec<T>) {
    if rows.len() != model.row_count() {
        model.set_vec(rows);
        return;
    }
    for (index, row) in rows.into_iter().enumerate() {
        if model.row_data(index).as_ref() != Some(&row) {
            model.set_row_data(index, row);
        }
    }
}

fn strings(lines: Vec<String>) -> ModelRc<slint::SharedString> {
    ModelRc::from(Rc::new(VecModel::from(
        lines
            .into_iter()
            .map(slint::SharedString::from)
            .collect::<Vec<_>>(),
    )))
}

/// What the sheet offers for the image's state; those that ask first carry their question.
fn sheet_actions(image: &ImageStatus, running: bool, translator: &Translator) -> Vec<VmAction> {
    let plain = |id: &str, label: String| VmAction {
        id: id.into(),
        label: label.into(),
        destructive: false,
        confirm_title: "".into(),
        confirm_body: "".into(),
    };
    let vm = Arg::Text(&image.vm);
    let mut actions = Vec::new();
    if image.downloading() {
        if image.held_by == "user" {
            actions.push(plain("resume", translator.tr("download-resume")));
        } else if image.phase == "paused" {
            actions.push(plain("anyway", translator.tr("download-anyway")));
        } else {
            actions.push(plain("pause", translator.tr("download-pause")));
        }
        actions.push(VmAction {
            id: "cancel".into(),
            label: translator.tr("download-cancel").into(),
            destructive: true,
            confirm_title: translator.tr("download-cancel-title").into(),
            confirm_body: translator.tr("download-cancel-body").into(),
        });
    } else if image.phase == "failed" {
        actions.push(plain("check", translator.tr("download-retry")));
    } else if image.ready == 0 {
        actions.push(plain("check", translator.tr("download-check")));
    }
    if image.ready != 0 {
        let version = Arg::Number(image.ready as i64);
        let current = Arg::Number(image.current as i64);
        let (label, body) = match (running, image.current != 0) {
            (true, true) => ("download-restart", "download-restart-body"),
            (true, false) => ("download-restart", "download-restart-body-first"),
            (false, true) => ("download-start-new", "download-start-new-body"),
            (false, false) => ("download-start-new", "download-start-new-body-first"),
        };
        actions.push(VmAction {
            id: "restart".into(),
            label: translator.tr_args(label, &[("version", version)]).into(),
            destructive: false,
            confirm_title: translator
                .tr_args(
                    "download-restart-title",
                    &[("vm", vm), ("version", version)],
                )
                .into(),
            confirm_body: translator
                .tr_args(
                    body,
                    &[("vm", vm), ("version", version), ("current", current)],
                )
                .into(),
        });
    }
    let data_stays = if image.data_file.is_empty() {
        String::new()
    } else {
        format!(" {}", translator.tr("download-data-disk-stays"))
    };
    if let (Some(&previous), true) = (image.previous.first(), image.current != 0) {
        let version = Arg::Number(previous as i64);
        let mut choices = vec![("rollback-shipped", "download-rollback-shipped")];
        if image.previous_as_left() {
            let left = ("rollback-left", "download-rollback-left");
            // The configured default first.
            if image.rollback_default == "as-shipped" {
                choices.push(left);
            } else {
                choices.insert(0, left);
            }
        }
        for (id, label) in choices {
            let body = format!("{label}-body");
            let args = [
                ("vm", vm),
                ("version", version),
                ("current", Arg::Number(image.current as i64)),
            ];
            actions.push(VmAction {
                id: id.into(),
                label: translator.tr_args(label, &[("version", version)]).into(),
                destructive: true,
                confirm_title: translator
                    .tr_args("download-rollback-title", &[("version", version)])
                    .into(),
                confirm_body: format!("{}{data_stays}", translator.tr_args(&body, &args)).into(),
            });
        }
    }
    if image.current != 0 && !image.boot_file.is_empty() {
        let version = Arg::Number(image.current as i64);
        let args = [("vm", vm), ("version", version)];
        actions.push(VmAction {
            id: "reset".into(),
            label: translator.tr_args("download-reset", &args).into(),
            destructive: true,
            confirm_title: translator.tr_args("download-reset-title", &args).into(),
            confirm_body: format!(
                "{}{data_stays}",
                translator.tr_args("download-reset-body", &args)
            )
            .into(),
        });
    }
    actions
}

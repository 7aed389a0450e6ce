//! Hearth's D-Bus service and the session file wired into the app: what is shown is
//! published to both whenever it changes, clients' commands are carried out (or refused) on
//! the UI thread, and the previous run's session is restored.

use std::cell::RefCell;
use std::sync::Arc;

use hearth_media::player::PlayState;
use hearth_ui::{AppAdapter, Screen};
use hearth_vm_bridge::{Lifecycle, VmState};
use slint::ComponentHandle;

use super::{App, CURRENT, schedule, switching::Target, tiles};
use crate::service::{
    Command, DownloadEntry, PlaybackEntry, Refusal, Reply, ServiceBus, ShellService, Status,
    VmEntry,
};
use crate::session::{Choices, PROVEN_AFTER, Session, SessionFile};

/// The service, the session file and what is left to restore.
#[derive(Default)]
pub(super) struct Outside {
    service: RefCell<Option<ShellService>>,
    session: RefCell<Option<SessionFile>>,
    saved: RefCell<Session>,
    /// The previous run's VM in front, until it is back in front or the user moves on.
    restore_front: RefCell<Option<String>>,
    /// The previous run's file in the player, played once the first frame is on screen.
    restore_playing: RefCell<Option<std::path::PathBuf>>,
    publish_timer: slint::Timer,
    watchdog_timer: slint::Timer,
    /// Whether what waits for the first frame has started.
    started: std::cell::Cell<bool>,
    /// What the user chose on the settings screen, this run or an earlier one.
    chosen: RefCell<Choices>,
    /// The file in the player once it has played for [`PROVEN_AFTER`] this run.
    proven: RefCell<Option<std::path::PathBuf>>,
    proving_timer: slint::Timer,
}

fn screen_id(screen: Screen) -> &'static str {
    match screen {
        Screen::Home => "home",
        Screen::Vm => "vm",
        Screen::Settings => "settings",
        Screen::Media => "media",
        Screen::Player => "player",
        Screen::Photo => "photo",
    }
}

impl App {
    /// Keeps the session in `file` and restores the one kept there by the previous run: the
    /// settings or media screen at once (so the first frame shows it), the VM in front once
    /// the hypervisor lists it running, the player after the first frame.
    pub fn keep_session(&self, file: SessionFile) {
        let last = file.load().unwrap_or_default();
        tracing::info!(path = %file.path().display(), screen = %last.screen, front = ?last.front, "last session");
        *self.outside.saved.borrow_mut() = last.clone();
        *self.outside.session.borrow_mut() = Some(file);
        *self.outside.chosen.borrow_mut() = last.settings.clone();
        if let Some(playback) = self.playback() {
            let adapter = self.window.global::<hearth_ui::PlayerAdapter>();
            let swipe = last.settings.swipe_seek.unwrap_or(adapter.get_swipe_seek());
            let double_tap = last
                .settings
                .double_tap_seek
                .unwrap_or(adapter.get_double_tap_seek());
            playback.set_gestures(swipe, double_tap);
        }
        match last.screen.as_str() {
            "settings" => self.show_screen(Screen::Settings),
            "media" => {
                if let Some(shelf) = &last.shelf {
                    self.open_media_shelf(shelf);
                }
            }
            "vm" => *self.outside.restore_front.borrow_mut() = last.front.clone(),
            "player" if last.playing_proven => {
                *self.outside.restore_playing.borrow_mut() = last.playing.clone();
            }
            "player" => tracing::warn!(
                path = ?last.playing,
                "not playing the last session's file again: the last run had not played it for {} s after opening it (it may be what stopped that run)",
                PROVEN_AFTER.as_secs()
            ),
            _ => {}
        }
    }

    /// The first frame is on screen (or the backend cannot tell, and it is time): starts
    /// what waited for it, once.
    pub fn first_frame_shown(&self, bus: &ServiceBus) {
        if self.outside.started.replace(true) {
            return;
        }
        self.start_media();
        self.start_downloads();
        self.start_mpris();
        self.start_service(bus.clone());
        crate::systemd::ready();
        self.start_watchdog();
        self.restore_playback();
    }

    /// Offers `org.hearth.Shell1` on `bus` (after the first frame).
    pub fn start_service(&self, bus: ServiceBus) {
        if bus == ServiceBus::Off || self.outside.service.borrow().is_some() {
            return;
        }
        let incoming = self.incoming.clone();
        let service = ShellService::start(
            bus,
            Arc::new(move |command, reply| {
                let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
                queue.commands.push((command, reply));
                schedule(&mut queue);
            }),
            self.status(),
        );
        *self.outside.service.borrow_mut() = Some(service);
    }

    /// The user picked a language on the settings screen: shown at once, kept for the next
    /// start.
    pub fn choose_language(&self, code: &str) {
        self.set_language(code);
        self.outside.chosen.borrow_mut().language = Some(code.to_string());
        self.schedule_publish();
    }

    /// The user toggled a setting on the settings screen: kept for the next start.
    /// The on-screen keyboard's layout chosen for `target` (a VM's name, or "" for Hearth's
    /// fields), this run or an earlier one.
    pub(super) fn chosen_keyboard_layout(&self, target: &str) -> Option<String> {
        self.outside
            .chosen
            .borrow()
            .keyboard_layouts
            .get(target)
            .cloned()
    }

    /// Remembers a layout chosen on the on-screen keyboard, in the session file too.
    pub(super) fn keyboard_layout_chosen(&self, target: &str, code: &str) {
        self.outside
            .chosen
            .borrow_mut()
            .keyboard_layouts
            .insert(target.to_string(), code.to_string());
        self.schedule_publish();
    }

    pub(super) fn settings_chosen(&self) {
        let adapter = self.window.global::<hearth_ui::PlayerAdapter>();
        {
            let mut chosen = self.outside.chosen.borrow_mut();
            chosen.swipe_seek = Some(adapter.get_swipe_seek());
            chosen.double_tap_seek = Some(adapter.get_double_tap_seek());
        }
        self.schedule_publish();
    }

    /// Pings the service manager's watchdog from this (the UI) thread, when it asks for it.
    pub fn start_watchdog(&self) {
        crate::systemd::start_watchdog(&self.outside.watchdog_timer);
    }

    /// Plays what the previous run had in the player, from its resume point.
    pub fn restore_playback(&self) {
        let Some(path) = self.outside.restore_playing.borrow_mut().take() else {
            return;
        };
        let Some(playback) = self.playback() else {
            return;
        };
        if !path.exists() {
            tracing::info!(path = %path.display(), "the last session's file is gone");
            return;
        }
        let resume = self
            .media
            .borrow()
            .as_ref()
            .and_then(|media| media.resume_point(&path));
        tracing::info!(path = %path.display(), ?resume, "playing the last session's file again");
        // On disk before it opens: should it bring this run down too, the next start does
        // not open it a third time.
        let unproven = Session {
            screen: "player".to_string(),
            playing: Some(path.clone()),
            playing_proven: false,
            ..self.outside.saved.borrow().clone()
        };
        if let Some(file) = self.outside.session.borrow().as_ref() {
            file.save_now(&unproven);
        }
        *self.outside.saved.borrow_mut() = unproven;
        playback.open_path(&path, resume);
    }

    /// Calls `path` safe to open again after a restart once it is still playing
    /// [`PROVEN_AFTER`] from now.
    fn prove_after_a_while(&self, path: std::path::PathBuf) {
        if self.outside.proving_timer.running() {
            return;
        }
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.outside
            .proving_timer
            .start(slint::TimerMode::SingleShot, PROVEN_AFTER, move || {
                let Some(app) = weak.upgrade() else { return };
                let still = app
                    .playback()
                    .and_then(|playback| playback.now_playing())
                    .is_some_and(|item| item.path == path);
                if still && app.status().playback.state == "playing" {
                    *app.outside.proven.borrow_mut() = Some(path.clone());
                    app.schedule_publish();
                }
            });
    }

    /// What is shown changed (or may have): publish it soon, once per burst.
    pub(super) fn schedule_publish(&self) {
        if self.outside.publish_timer.running() {
            return;
        }
        let weak = CURRENT.with(|current| current.borrow().clone());
        self.outside.publish_timer.start(
            slint::TimerMode::SingleShot,
            std::time::Duration::ZERO,
            move || {
                if let Some(app) = weak.upgrade() {
                    app.publish();
                }
            },
        );
    }

    fn publish(&self) {
        let status = self.status();
        self.keep(&status);
        if let Some(service) = self.outside.service.borrow().as_ref() {
            service.update(status);
        }
    }

    /// Writes the session when what it records changed.
    fn keep(&self, status: &Status) {
        let shelf = self.media.borrow().as_ref().and_then(|media| media.shelf());
        let playing = self
            .playback()
            .and_then(|playback| playback.now_playing())
            .map(|item| item.path);
        let playing_proven = playing.is_some() && *self.outside.proven.borrow() == playing;
        if let (Some(path), false, "playing") =
            (&playing, playing_proven, status.playback.state.as_str())
        {
            self.prove_after_a_while(path.clone());
        }
        let session = Session {
            screen: status.screen.clone(),
            front: (!status.front.is_empty()).then(|| status.front.clone()),
            shelf: shelf.map(str::to_string),
            playing,
            playing_proven,
            settings: self.outside.chosen.borrow().clone(),
        };
        if *self.outside.saved.borrow() == session {
            return;
        }
        *self.outside.saved.borrow_mut() = session.clone();
        if let Some(file) = self.outside.session.borrow().as_ref() {
            file.save(session);
        }
    }

    /// What Hearth shows now, as the service reports it.
    pub fn status(&self) -> Status {
        let screen = self.window.global::<AppAdapter>().get_screen();
        let state = self.state.borrow();
        let front = state
            .router
            .focused()
            .and_then(|id| state.vms.iter().find(|vm| &vm.id == id))
            .map(|vm| vm.name.clone())
            .unwrap_or_default();
        let vms = state
            .vms
            .iter()
            .map(|vm| VmEntry {
                name: vm.name.clone(),
                state: tiles::state_id(vm.state).into(),
                role: tiles::role_id(vm.role).into(),
            })
            .collect();
        drop(state);
        let playback = self
            .playback()
            .map(|playback| {
                let state = match playback.state() {
                    PlayState::Playing | PlayState::Buffering(_) | PlayState::Opening => "playing",
                    PlayState::Paused => "paused",
                    PlayState::Stopped | PlayState::Ended => "stopped",
                };
                let item = playback.now_playing();
                PlaybackEntry {
                    state: state.into(),
                    title: item.as_ref().map(|i| i.title.clone()).unwrap_or_default(),
                    file: item
                        .map(|i| i.path.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                }
            })
            .unwrap_or_else(|| PlaybackEntry {
                state: "stopped".into(),
                ..PlaybackEntry::default()
            });
        let downloads = self
            .downloads()
            .map(|downloads| {
                downloads
                    .images()
                    .into_iter()
                    .map(|image| DownloadEntry {
                        image: image.name,
                        phase: image.phase,
                        bytes_done: image.bytes_done,
                        bytes_total: image.bytes_total,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (kiosk, kiosk_targets) = self.kiosk_status();
        Status {
            vms,
            front,
            screen: screen_id(screen).into(),
            kiosk,
            kiosk_targets,
            playback,
            downloads,
        }
    }

    /// Carries out clients' commands, in order, answering each.
    pub(super) fn service_commands(&self, commands: Vec<(Command, Reply)>) {
        for (command, reply) in commands {
            tracing::info!(?command, "asked over D-Bus");
            let result = self.command(command);
            if let Err(refusal) = &result {
                tracing::info!(%refusal, "refused");
            }
            let _ = reply.send(result);
        }
        self.schedule_publish();
    }

    /// Carries out one command as the matching tap would, within kiosk mode's limits.
    pub fn command(&self, command: Command) -> Result<(), Refusal> {
        self.kiosk_permits(&command)?;
        match command {
            Command::Switch(name) => {
                let index = self.vm_index(&name)?;
                *self.outside.restore_front.borrow_mut() = None;
                self.request_switch(Target::Index(index), 0);
                Ok(())
            }
            Command::Home => {
                *self.outside.restore_front.borrow_mut() = None;
                self.go_home();
                Ok(())
            }
            Command::Start(name) => {
                let index = self.vm_index(&name)?;
                self.lifecycle_checked(index, &name, Lifecycle::Start)
            }
            Command::Stop(name) => {
                let index = self.vm_index(&name)?;
                self.lifecycle_checked(index, &name, Lifecycle::Shutdown)
            }
            Command::OpenMedia(path) => {
                let path = std::path::PathBuf::from(path);
                if !path.is_absolute() {
                    return Err(Refusal::Failed(format!(
                        "{} is not an absolute path",
                        path.display()
                    )));
                }
                if !path.exists() {
                    return Err(Refusal::Failed(format!(
                        "{} does not exist",
                        path.display()
                    )));
                }
                let playback = self
                    .playback()
                    .ok_or_else(|| Refusal::Failed("this Hearth has no player".into()))?;
                if !playback.open_path(&path, None) {
                    return Err(Refusal::Failed(format!(
                        "nothing playable in {}",
                        path.display()
                    )));
                }
                Ok(())
            }
        }
    }

    fn vm_index(&self, name: &str) -> Result<usize, Refusal> {
        let state = self.state.borrow();
        state
            .vms
            .iter()
            .position(|vm| vm.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = state.vms.iter().map(|vm| vm.name.as_str()).collect();
                Refusal::UnknownVm(format!(
                    "no VM is called \"{name}\" (there are: {})",
                    names.join(", ")
                ))
            })
    }

    fn lifecycle_checked(
        &self,
        index: usize,
        name: &str,
        action: Lifecycle,
    ) -> Result<(), Refusal> {
        let vm_state = self.state.borrow().vms.get(index).map(|vm| vm.state);
        let possible = matches!(
            (action, vm_state),
            (Lifecycle::Start, Some(VmState::ShutOff | VmState::Crashed))
                | (
                    Lifecycle::Shutdown,
                    Some(VmState::Running | VmState::Paused)
                )
        );
        if !possible {
            let state = vm_state.map(tiles::state_id).unwrap_or("unknown");
            return Err(Refusal::Failed(format!(
                "{name} is {state}; it cannot {} now",
                tiles::action_id(action)
            )));
        }
        self.lifecycle(index, tiles::action_id(action));
        Ok(())
    }

    /// After the hypervisor listed or a VM changed state: brings the previous run's VM back
    /// to the front once it runs, unless the user has moved on since. Returns whether it did.
    pub(super) fn restore_front(&self) -> bool {
        let Some(name) = self.outside.restore_front.borrow().clone() else {
            return false;
        };
        if self.window.global::<AppAdapter>().get_screen() != Screen::Home {
            *self.outside.restore_front.borrow_mut() = None;
            return false;
        }
        let found = self
            .state
            .borrow()
            .vms
            .iter()
            .position(|vm| vm.name == name && vm.state == VmState::Running);
        if let Some(index) = found
            && self.kiosk_permits(&Command::Switch(name.clone())).is_ok()
        {
            tracing::info!(vm = %name, "back in front as in the last session");
            *self.outside.restore_front.borrow_mut() = None;
            self.request_switch(Target::Index(index), 0);
            return true;
        }
        false
    }
}

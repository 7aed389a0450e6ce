//! Messages for the user: an error in words over home or the VM view, kept as an id and
//! arguments so a language change re-words it, gone after a while or when dismissed.

use hearth_ui::AppAdapter;
use hearth_ui::i18n::Arg;
use hearth_vm_bridge::{Error, Lifecycle, VmState};
use slint::ComponentHandle;

use super::{App, CURRENT, NOTICE_DURATION, tiles};

/// A message for the user, kept as an id and arguments so a language change re-words it.
#[derive(Debug, Clone)]
pub(super) struct Notice {
    pub(super) id: &'static str,
    pub(super) args: Vec<(&'static str, NoticeArg)>,
}

#[derive(Debug, Clone)]
pub(super) enum NoticeArg {
    Text(String),
}

impl App {
    pub(super) fn set_notice(&self, notice: Option<Notice>) {
        let shown = notice.is_some();
        self.state.borrow_mut().notice = notice;
        self.refresh_notice();
        if shown {
            let weak = CURRENT.with(|current| current.borrow().clone());
            self.notice_timer
                .start(slint::TimerMode::SingleShot, NOTICE_DURATION, move || {
                    if let Some(app) = weak.upgrade() {
                        app.set_notice(None);
                    }
                });
        } else {
            self.notice_timer.stop();
        }
    }

    pub(super) fn refresh_notice(&self) {
        let state = self.state.borrow();
        let text = state.notice.as_ref().map(|notice| {
            let args: Vec<(&str, Arg<'_>)> = notice
                .args
                .iter()
                .map(|(name, value)| {
                    let NoticeArg::Text(text) = value;
                    (*name, Arg::Text(text))
                })
                .collect();
            state.translator.tr_args(notice.id, &args)
        });
        self.window
            .global::<AppAdapter>()
            .set_notice(text.unwrap_or_default().into());
    }

    /// The message shown, if any (for tests and logs).
    pub fn notice_text(&self) -> String {
        self.window.global::<AppAdapter>().get_notice().to_string()
    }
}

pub(super) fn notice_for_error(name: &str, action: Lifecycle, error: &Error) -> Notice {
    let text = |value: &str| NoticeArg::Text(value.to_string());
    let named = |id| Notice {
        id,
        args: vec![("name", text(name))],
    };
    match error {
        Error::InvalidTransition { state, .. } => match (action, state) {
            (Lifecycle::Start, VmState::Running | VmState::Paused) => {
                named("error-already-running")
            }
            (Lifecycle::Resume, VmState::Running) => named("error-already-running"),
            (Lifecycle::Resume, _) => named("error-not-paused"),
            (_, VmState::Starting) => Notice {
                id: "error-busy",
                args: vec![("name", text(name)), ("state", text("starting"))],
            },
            (_, VmState::Stopping) => Notice {
                id: "error-busy",
                args: vec![("name", text(name)), ("state", text("stopping"))],
            },
            _ => named("error-not-running"),
        },
        Error::UnknownVm(_) => named("error-unknown-vm"),
        Error::Unavailable(reason) => Notice {
            id: "error-unavailable",
            args: vec![("reason", text(reason))],
        },
        Error::Refused(reason) => Notice {
            id: "error-refused",
            args: vec![
                ("name", text(name)),
                ("action", text(tiles::action_id(action))),
                ("reason", text(reason)),
            ],
        },
    }
}

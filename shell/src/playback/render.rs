//! The player screen and the mini player as the player reported them: the adapter's
//! properties, the track sheets and the album art, in the user's language.

use std::rc::Rc;
use std::time::Duration;

use hearth_media::player::{Crash, PlayState, Problem, ProcessEnd, Repeat, Track};
use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{Screen, VmAction};
use slint::{Image, ModelRc, SharedString, VecModel};

use super::{PlaybackController, QueueItem};

impl PlaybackController {
    pub(super) fn render(&self) {
        let translator = self.translator.borrow();
        let shown = self.shown.borrow();
        let item = shown
            .current
            .and_then(|i| self.queue.borrow().get(i).cloned());
        let skips = super::queue_view::skips(&shown);
        let up_next = shown
            .up_next
            .filter(|_| !shown.tracks.has_video)
            .and_then(|i| self.queue.borrow().get(i).map(|next| next.title.clone()))
            .map(|title| translator.tr_args("player-up-next", &[("title", Arg::Text(&title))]))
            .unwrap_or_default();
        let screen = self.screen();
        self.with_adapter(|adapter| {
            let title = item.as_ref().map(|i| i.title.clone()).unwrap_or_default();
            set_if(adapter.get_title(), title.as_str(), |v| {
                adapter.set_title(v)
            });
            let subtitle = item
                .as_ref()
                .map(|i| i.subtitle.clone())
                .unwrap_or_default();
            set_if(adapter.get_subtitle(), subtitle.as_str(), |v| {
                adapter.set_subtitle(v)
            });
            set_if(adapter.get_up_next(), up_next.as_str(), |v| {
                adapter.set_up_next(v)
            });
            adapter.set_has_video(shown.tracks.has_video);
            adapter.set_playing(matches!(
                shown.state,
                PlayState::Playing | PlayState::Buffering(_)
            ));
            let waiting = match shown.state {
                PlayState::Opening => translator.tr("player-opening"),
                PlayState::Buffering(percent) => translator.tr_args(
                    "player-buffering",
                    &[("percent", Arg::Number(i64::from(percent)))],
                ),
                _ => String::new(),
            };
            set_if(adapter.get_waiting(), waiting.as_str(), |v| {
                adapter.set_waiting(v)
            });
            let duration = shown.duration.unwrap_or_default();
            adapter.set_position(shown.position.as_secs_f32());
            adapter.set_duration(duration.as_secs_f32());
            let position_text = clock(shown.position);
            set_if(adapter.get_position_text(), position_text.as_str(), |v| {
                adapter.set_position_text(v)
            });
            let duration_text = shown.duration.map(clock).unwrap_or_default();
            set_if(adapter.get_duration_text(), duration_text.as_str(), |v| {
                adapter.set_duration_text(v)
            });
            adapter.set_can_next(skips.next);
            adapter.set_can_previous(skips.previous);
            adapter.set_shuffle(shown.shuffle);
            let repeat = match shown.repeat {
                Repeat::Off => ("off", "player-repeat-off"),
                Repeat::All => ("all", "player-repeat-all"),
                Repeat::One => ("one", "player-repeat-one"),
            };
            adapter.set_repeat(repeat.0.into());
            adapter.set_repeat_label(translator.tr(repeat.1).into());
            adapter.set_volume(shown.volume as f32);
            let (error_title, error_text) = match &shown.problem {
                Some((path, problem)) => problem_words(&translator, path, problem),
                None => (String::new(), String::new()),
            };
            set_if(adapter.get_error_title(), error_title.as_str(), |v| {
                adapter.set_error_title(v)
            });
            set_if(adapter.get_error_text(), error_text.as_str(), |v| {
                adapter.set_error_text(v)
            });
            let skipped = match &shown.skipped {
                Some((path, problem)) => {
                    let (title, text) = problem_words(&translator, path, problem);
                    format!("{title}. {text}")
                }
                None => String::new(),
            };
            set_if(adapter.get_skipped(), skipped.as_str(), |v| {
                adapter.set_skipped(v)
            });
            let audio = track_actions(
                &translator,
                &shown.tracks.audio,
                shown.tracks.current_audio,
                None,
            );
            if !same_actions(&adapter.get_audio_tracks(), &audio) {
                adapter.set_audio_tracks(ModelRc::from(Rc::new(VecModel::from(audio))));
            }
            let subtitles = track_actions(
                &translator,
                &shown.tracks.subtitles,
                shown.tracks.current_subtitle,
                Some(translator.tr("player-subtitles-off")),
            );
            if !same_actions(&adapter.get_subtitle_tracks(), &subtitles) {
                adapter.set_subtitle_tracks(ModelRc::from(Rc::new(VecModel::from(subtitles))));
            }
            let mini = item.is_some()
                && !shown.tracks.has_video
                && shown.problem.is_none()
                && !matches!(shown.state, PlayState::Stopped)
                && screen != Some(Screen::Player);
            adapter.set_mini_visible(mini);
        });
        if let Some(mpris) = self.mpris.borrow().as_ref() {
            mpris.update(self.mpris_state(&shown, item.as_ref(), skips));
        }
        drop(shown);
        drop(translator);
        self.render_cover(item.as_ref());
        self.render_queue();
    }

    fn render_cover(&self, item: Option<&QueueItem>) {
        let file = item.and_then(|item| item.cover.clone());
        let changed = *self.cover_shown.borrow() != file;
        self.cover_shown.replace(file.clone());
        if !changed {
            return;
        }
        let picture = file
            .as_deref()
            .and_then(crate::media::decode_thumbnail)
            .map(Image::from_rgb8);
        self.with_adapter(|adapter| {
            adapter.set_has_cover(picture.is_some());
            adapter.set_cover(picture.unwrap_or_default());
        });
    }
}

fn set_if(current: SharedString, new: &str, set: impl FnOnce(SharedString)) {
    if current != new {
        set(new.into());
    }
}

fn same_actions(model: &ModelRc<VmAction>, actions: &[VmAction]) -> bool {
    use slint::Model;
    model.row_count() == actions.len() && model.iter().zip(actions).all(|(a, b)| a == *b)
}

/// `0:42`, `3:04` or `1:02:09`.
pub fn clock(time: Duration) -> String {
    crate::media::duration_words(u64::try_from(time.as_millis()).unwrap_or(u64::MAX))
}

fn track_actions(
    translator: &Translator,
    tracks: &[Track],
    current: Option<usize>,
    off: Option<String>,
) -> Vec<VmAction> {
    let action = |id: String, label: String, chosen: bool| VmAction {
        id: id.into(),
        label: if chosen {
            format!("✓ {label}")
        } else {
            label
        }
        .into(),
        destructive: false,
        confirm_title: SharedString::new(),
        confirm_body: SharedString::new(),
    };
    let mut actions: Vec<VmAction> = off
        .map(|label| action("off".into(), label, current.is_none()))
        .into_iter()
        .collect();
    for (index, track) in tracks.iter().enumerate() {
        let number = translator.tr_args(
            "player-track",
            &[(
                "number",
                Arg::Number(i64::try_from(index + 1).unwrap_or(i64::MAX)),
            )],
        );
        let mut name = [track.title.clone(), track.language.clone()]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        if name.is_empty() {
            name = number;
        }
        if track.external {
            name = translator.tr_args("player-track-external", &[("name", Arg::Text(&name))]);
        }
        actions.push(action(index.to_string(), name, current == Some(index)));
    }
    actions
}

fn problem_words(
    translator: &Translator,
    path: &std::path::Path,
    problem: &Problem,
) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = translator.tr_args("player-error-title", &[("name", Arg::Text(&name))]);
    let text = match problem {
        Problem::MissingCodec(codec) => {
            translator.tr_args("player-error-codec", &[("codec", Arg::Text(codec))])
        }
        Problem::Broken => translator.tr("player-error-broken"),
        Problem::Unreadable => translator.tr("player-error-unreadable"),
        Problem::Output => translator.tr("player-error-output"),
        Problem::Process(end) => {
            let reason = process_end(translator, *end);
            translator.tr_args("player-error-process", &[("reason", Arg::Text(&reason))])
        }
    };
    (title, text)
}

/// Why the player process stopped on a file, in the user's language.
fn process_end(translator: &Translator, end: ProcessEnd) -> String {
    let number = |value: u64| Arg::Number(i64::try_from(value).unwrap_or(i64::MAX));
    match end {
        ProcessEnd::OutOfMemory(mib) => {
            translator.tr_args("player-process-memory", &[("mib", number(mib))])
        }
        ProcessEnd::Crashed(crash) => {
            let how = match crash {
                Crash::SegmentationFault => translator.tr("player-crash-segmentation-fault"),
                Crash::BusError => translator.tr("player-crash-bus-error"),
                Crash::Aborted => translator.tr("player-crash-aborted"),
                Crash::IllegalInstruction => translator.tr("player-crash-illegal-instruction"),
                Crash::ArithmeticError => translator.tr("player-crash-arithmetic-error"),
                Crash::Killed => translator.tr("player-crash-killed"),
                Crash::Signal(signal) => translator.tr_args(
                    "player-crash-signal",
                    &[("number", Arg::Number(i64::from(signal)))],
                ),
            };
            translator.tr_args("player-process-crashed", &[("how", Arg::Text(&how))])
        }
        ProcessEnd::Stalled(seconds) => {
            translator.tr_args("player-process-stalled", &[("seconds", number(seconds))])
        }
        ProcessEnd::Quit(Some(code)) => translator.tr_args(
            "player-process-quit",
            &[("code", Arg::Number(i64::from(code)))],
        ),
        ProcessEnd::Quit(None) | ProcessEnd::Lost => translator.tr("player-process-lost"),
    }
}

//! The playback domain wired into the app: the controller, the player's reports reaching
//! the UI thread, the browser's taps becoming a queue, and switches to VMs pausing video.

use std::rc::Rc;
use std::sync::Arc;

use hearth_ui::Screen;

use super::{App, schedule};
use crate::config::PlaybackSettings;
use crate::playback::{PlaybackController, PlaybackNews};

impl App {
    /// Wires the player screen. The player itself (GStreamer) starts on the first play.
    pub fn attach_playback(&self, settings: PlaybackSettings) {
        let language = self.state.borrow().translator.code();
        let post = self.playback_post();
        let controller = PlaybackController::new(&self.window, settings, language, post.clone());
        let viewer = crate::playback::photos::PhotoViewer::new(
            &self.window,
            language,
            viewer_folder(),
            Arc::new(move |loaded| post(PlaybackNews::Photo(loaded))),
        );
        controller.set_photos(viewer.clone());
        if let Some(media) = self.media.borrow().as_ref() {
            let weak_viewer = Rc::downgrade(&viewer);
            media.set_view(Box::new(move |photos, start| {
                if let Some(viewer) = weak_viewer.upgrade() {
                    viewer.open(photos, start);
                }
            }));
            let weak = Rc::downgrade(&controller);
            media.set_play(Box::new(move |queue, start, position| {
                if let Some(playback) = weak.upgrade() {
                    playback.play(queue, start, position);
                }
            }));
            let weak = Rc::downgrade(&controller);
            media.set_enqueue(Box::new(move |songs, placement| {
                weak.upgrade()
                    .is_some_and(|playback| playback.add(songs, placement))
            }));
            let post = self.media_post();
            controller.keep_positions(
                media.index_file().to_path_buf(),
                Box::new(move || post(crate::media::MediaUpdate::PlaybackSaved)),
            );
        }
        *self.playback.borrow_mut() = Some(controller);
    }

    /// Offers the player to MPRIS clients on the session bus (after the first frame).
    pub fn start_mpris(&self) {
        let Some(playback) = self.playback() else {
            return;
        };
        let post = self.playback_post();
        playback.start_mpris(Arc::new(move |command| post(PlaybackNews::Mpris(command))));
    }

    /// Hands news of the playback domain to the UI thread; called from any thread.
    fn playback_post(&self) -> crate::playback::Post {
        let incoming = self.incoming.clone();
        Arc::new(move |news| {
            let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
            queue.playback.push(news);
            schedule(&mut queue);
        })
    }

    /// The playback domain, once attached.
    pub fn playback(&self) -> Option<Rc<PlaybackController>> {
        self.playback.borrow().clone()
    }

    /// A finger on the photo viewer, before the UI: two fingers zoom. Returns whether Hearth
    /// took it.
    pub(super) fn photo_touch(&self, touch: crate::gestures::Touch) -> bool {
        self.playback()
            .and_then(|playback| playback.photos())
            .is_some_and(|viewer| viewer.touch(touch))
    }

    pub(super) fn playback_updates(&self, news: Vec<PlaybackNews>) {
        if let Some(playback) = self.playback() {
            playback.handle(news);
        }
    }

    /// The screen is about to change from `from` to `to`: a VM coming to the front pauses
    /// what the settings say.
    pub(super) fn playback_screen_change(&self, from: Screen, to: Screen) {
        let Some(playback) = self.playback() else {
            return;
        };
        if to == Screen::Vm && from != Screen::Vm {
            playback.vm_shown(from);
        }
    }

    /// Home was asked for after a VM: the player comes back instead if it was in front.
    pub(super) fn playback_back_from_vm(&self) -> bool {
        self.playback()
            .is_some_and(|playback| playback.back_from_vm())
    }
}

/// Where the helper leaves the viewer's decoded photos: Hearth's own cache folder, or a
/// private one under the temporary folder.
fn viewer_folder() -> std::path::PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| std::path::PathBuf::from(home).join(".cache"))
        })
        .map(|cache| cache.join("hearth").join("viewer"))
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("hearth-viewer-{}", std::process::id()))
        })
}

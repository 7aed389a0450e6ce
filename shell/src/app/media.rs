//! The media domain wired into the app: the controller made before the first frame, the
//! library service started after it, and its news reaching the UI thread.

use std::sync::Arc;

use super::{App, Notice, NoticeArg, schedule};

impl App {
    /// Shows the media library's rows from its index. Nothing slow runs: the library service
    /// starts with [`App::start_media`] after the first frame.
    pub fn attach_media(&self, settings: hearth_media::LibrarySettings) {
        let language = self.state.borrow().translator.code();
        let controller =
            crate::media::MediaController::new(&self.window, settings, language, self.media_post());
        *self.media.borrow_mut() = Some(controller);
    }

    /// Starts scanning, reading and watching the media library.
    pub fn start_media(&self) {
        if let Some(media) = self.media.borrow().as_ref() {
            media.start(self.media_post());
        }
    }

    /// Opens the media browser on a shelf: "videos", "music" or "photos".
    pub fn open_media_shelf(&self, shelf: &str) {
        if let Some(media) = self.media.borrow().as_ref() {
            media.open_shelf(shelf);
        }
    }

    /// Whether the media library has finished scanning and reading.
    pub fn media_idle(&self) -> bool {
        self.media
            .borrow()
            .as_ref()
            .is_some_and(|media| media.idle())
    }

    /// Stops the media library's service (before the window goes away).
    pub fn stop_media(&self) {
        if let Some(media) = self.media.borrow().as_ref() {
            media.stop();
        }
    }

    pub(super) fn media_post(&self) -> crate::media::Post {
        let incoming = self.incoming.clone();
        Arc::new(move |update| {
            let mut queue = incoming.lock().unwrap_or_else(|p| p.into_inner());
            queue.media.push(update);
            schedule(&mut queue);
        })
    }

    pub(super) fn media_updates(&self, updates: Vec<crate::media::MediaUpdate>) {
        let Some(media) = self.media.borrow().clone() else {
            return;
        };
        for update in updates {
            if let Some(problem) = media.handle(update) {
                self.set_notice(Some(Notice {
                    id: "media-problem",
                    args: vec![("reason", NoticeArg::Text(problem))],
                }));
            }
        }
    }
}

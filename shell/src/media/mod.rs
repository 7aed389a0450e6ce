//! The media domain in the shell: the library's rows on home, the browser, and the library
//! service that keeps the index current.
//!
//! Before the first frame the controller only reads the index (SQLite, read-only) and the
//! thumbnails the home rows show; scanning, reading media and watching folders start after
//! it, on the library service's thread and in its helper processes.

mod browser;
mod cards;
pub mod check;
mod grid;
mod play;
mod thumbnails;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use hearth_media::thumbnail::ThumbnailSize;
use hearth_media::{
    Counts, Entry, EntryKind, Index, Library, LibraryEvent, LibrarySettings, MediaKind, Section,
    Sort,
};
use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{AppWindow, MediaAdapter, MediaCard, MediaShelf};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use browser::{Browser, sort_from_id};
pub use cards::duration as duration_words;
use thumbnails::ThumbnailCache;
pub use thumbnails::{Pixels, decode as decode_thumbnail};

/// What reaches the UI thread from the media domain's threads.
pub enum MediaUpdate {
    Library(LibraryEvent),
    Thumbnails(Vec<(PathBuf, Option<Pixels>)>),
    /// A resume point or a played flag was written: home's "Continue watching" changes.
    PlaybackSaved,
}

/// Hands an update to the UI thread; called from any thread.
pub type Post = Arc<dyn Fn(MediaUpdate) + Send + Sync>;

pub use play::{Enqueue, Play, View};

/// How many recent items home shows, and how many of them the first frame decodes.
const RECENT_COUNT: usize = 24;
const RECENT_DECODED_FIRST: usize = 8;
/// How many videos "Continue watching" shows.
const CONTINUING_COUNT: usize = 12;
/// The most items one browser list shows (the grid builds only the cards in view, so this
/// bounds the query and the model, not what is drawn); search narrows a longer list.
const BROWSER_LIMIT: usize = 20_000;
/// A scan that ends sooner than this is not announced, so a start over an unchanged library
/// shows no flicker of a scanning line.
const SCANNING_SHOWN_AFTER: Duration = Duration::from_millis(800);

const SHELVES: [(&str, &str); 3] = [
    ("videos", "media-videos"),
    ("music", "media-music"),
    ("photos", "media-photos"),
];

/// The widest card's picture in logical pixels; thumbnails cover it in physical pixels.
const CARD_PICTURE_WIDTH: f32 = 256.0;

/// The standard thumbnail size that stays sharp on a screen of this scale factor: `large`
/// on most screens, `x-large` on a 2x screen.
fn thumbnail_size(scale_factor: f32) -> ThumbnailSize {
    ThumbnailSize::covering((CARD_PICTURE_WIDTH * scale_factor.max(1.0)).ceil() as u32)
}

pub struct MediaController {
    window: slint::Weak<AppWindow>,
    settings: LibrarySettings,
    translator: RefCell<Translator>,
    index: RefCell<Option<Index>>,
    library: RefCell<Option<Library>>,
    thumbnails: RefCell<ThumbnailCache>,
    recent: RefCell<Vec<Entry>>,
    recent_model: Rc<VecModel<MediaCard>>,
    continuing: RefCell<Vec<Entry>>,
    continuing_model: Rc<VecModel<MediaCard>>,
    shelf_covers: RefCell<Vec<Option<PathBuf>>>,
    shelves_model: Rc<VecModel<MediaShelf>>,
    items: RefCell<Vec<Entry>>,
    items_model: Rc<VecModel<MediaCard>>,
    browser: RefCell<Option<Browser>>,
    counts: Cell<Counts>,
    scanning: Cell<bool>,
    scanning_shown: Cell<bool>,
    scanning_timer: slint::Timer,
    visible: Cell<(usize, usize)>,
    /// The browser grid's columns, as the screen reported them, and its cards' places.
    columns: Cell<usize>,
    layout: RefCell<grid::Layout>,
    play: RefCell<Option<Play>>,
    enqueue: RefCell<Option<Enqueue>>,
    view: RefCell<Option<View>>,
    /// The card held down, while its actions are offered.
    held: RefCell<Option<Entry>>,
    /// Clears the browser's message ("Plays next: …") after a while.
    toast_timer: slint::Timer,
}

impl MediaController {
    /// Reads the index and shows home's media rows; nothing slow happens here.
    pub fn new(
        window: &AppWindow,
        settings: LibrarySettings,
        language: &str,
        post: Post,
    ) -> Rc<MediaController> {
        let thumbnail_post = post.clone();
        let controller = Rc::new(MediaController {
            window: window.as_weak(),
            index: RefCell::new(Index::open_existing(&settings.index_file)),
            settings,
            translator: RefCell::new(Translator::new(language)),
            library: RefCell::new(None),
            thumbnails: RefCell::new(ThumbnailCache::new(move |decoded| {
                thumbnail_post(MediaUpdate::Thumbnails(decoded))
            })),
            recent: RefCell::new(Vec::new()),
            recent_model: Rc::new(VecModel::default()),
            continuing: RefCell::new(Vec::new()),
            continuing_model: Rc::new(VecModel::default()),
            shelf_covers: RefCell::new(vec![None; SHELVES.len()]),
            shelves_model: Rc::new(VecModel::default()),
            items: RefCell::new(Vec::new()),
            items_model: Rc::new(VecModel::default()),
            browser: RefCell::new(None),
            counts: Cell::new(Counts::default()),
            scanning: Cell::new(false),
            scanning_shown: Cell::new(false),
            scanning_timer: slint::Timer::default(),
            visible: Cell::new((0, 0)),
            columns: Cell::new(4),
            layout: RefCell::new(grid::Layout::default()),
            play: RefCell::new(None),
            enqueue: RefCell::new(None),
            view: RefCell::new(None),
            held: RefCell::new(None),
            toast_timer: slint::Timer::default(),
        });
        // Without an index nothing has been found yet: say so from the first frame instead of
        // claiming the library is empty.
        let first_run = controller.index.borrow().is_none();
        controller.scanning.set(first_run);
        controller.scanning_shown.set(first_run);
        let adapter = window.global::<MediaAdapter>();
        adapter.set_recent(ModelRc::from(controller.recent_model.clone()));
        adapter.set_continuing(ModelRc::from(controller.continuing_model.clone()));
        adapter.set_shelves(ModelRc::from(controller.shelves_model.clone()));
        adapter.set_items(ModelRc::from(controller.items_model.clone()));
        controller.connect(&adapter);
        controller.refresh_home(true);
        controller
    }

    /// Starts the library service: scan, read, watch. Called after the first frame; a second
    /// call does nothing.
    pub fn start(&self, post: Post) {
        if self.library.borrow().is_some() {
            return;
        }
        let mut settings = self.settings.clone();
        if let Some(window) = self.window.upgrade() {
            settings.thumbnail_size = thumbnail_size(window.window().scale_factor());
        }
        let sink = Arc::new(move |event| post(MediaUpdate::Library(event)));
        match Library::start(settings, sink) {
            Ok(library) => *self.library.borrow_mut() = Some(library),
            Err(error) => tracing::error!(%error, "cannot start the media library"),
        }
    }

    /// Whether the library has been scanned and read, and is only watching now.
    pub fn idle(&self) -> bool {
        self.index.borrow().is_some() && !self.scanning.get()
    }

    /// Stops the library service (after the file it is reading).
    pub fn stop(&self) {
        self.library.borrow_mut().take();
    }

    pub fn set_language(&self, code: &str) {
        *self.translator.borrow_mut() = Translator::new(code);
        self.render_home();
        if self.browser.borrow().is_some() {
            self.render_browser();
        }
    }

    /// Handles an update from the library or the thumbnail loader. Returns a problem to show
    /// the user, if the library reported one.
    pub fn handle(self: &Rc<Self>, update: MediaUpdate) -> Option<String> {
        match update {
            MediaUpdate::Thumbnails(decoded) => {
                self.thumbnails.borrow_mut().arrived(decoded);
                self.render_cards();
                None
            }
            MediaUpdate::PlaybackSaved => {
                self.refresh_home(false);
                None
            }
            MediaUpdate::Library(LibraryEvent::Problem(problem)) => {
                tracing::warn!(%problem, "media library");
                Some(problem)
            }
            MediaUpdate::Library(LibraryEvent::Changed { counts, scanning }) => {
                self.counts.set(counts);
                self.scanning_changed(scanning);
                if self.index.borrow().is_none() {
                    *self.index.borrow_mut() = Index::open_existing(&self.settings.index_file);
                }
                if !scanning {
                    self.thumbnails.borrow_mut().revalidate();
                }
                self.refresh_home(false);
                if self.browser.borrow().is_some() {
                    self.refresh_browser();
                }
                None
            }
        }
    }

    fn scanning_changed(self: &Rc<Self>, scanning: bool) {
        self.scanning.set(scanning);
        if !scanning {
            self.scanning_timer.stop();
            self.scanning_shown.set(false);
        } else if !self.scanning_shown.get() && !self.scanning_timer.running() {
            let weak = Rc::downgrade(self);
            self.scanning_timer.start(
                slint::TimerMode::SingleShot,
                SCANNING_SHOWN_AFTER,
                move || {
                    if let Some(controller) = weak.upgrade()
                        && controller.scanning.get()
                    {
                        controller.scanning_shown.set(true);
                        controller.render_status();
                    }
                },
            );
        }
    }

    fn connect(self: &Rc<Self>, adapter: &MediaAdapter<'_>) {
        let weak = Rc::downgrade(self);
        adapter.on_open_shelf(move |id| {
            if let Some(controller) = weak.upgrade() {
                controller.open_shelf(&id);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_open_recent(move |index| {
            if let Some(controller) = weak.upgrade() {
                controller.open_row(&controller.recent, index);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_open_continuing(move |index| {
            if let Some(controller) = weak.upgrade() {
                controller.open_row(&controller.continuing, index);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_open_item(move |index| {
            if let Some(controller) = weak.upgrade() {
                controller.open_row(&controller.items, index);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_hold_item(move |index| {
            if let Some(controller) = weak.upgrade() {
                controller.hold_row(&controller.items, index);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_hold_action(move |id| {
            if let Some(controller) = weak.upgrade() {
                controller.hold_action(&id);
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_choose_tab(move |id| {
            if let Some(controller) = weak.upgrade() {
                controller.change_browser(|browser| {
                    browser.tab = match id.as_str() {
                        "artists" => "artists",
                        "songs" => "songs",
                        _ => "albums",
                    };
                    browser.stack.clear();
                });
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_choose_sort(move |id| {
            if let Some(controller) = weak.upgrade() {
                controller.change_browser(|browser| browser.sort = sort_from_id(&id));
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_search_edited(move |text| {
            if let Some(controller) = weak.upgrade() {
                controller.change_browser(|browser| browser.search = text.to_string());
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_browser_back(move || {
            if let Some(controller) = weak.upgrade() {
                controller.back();
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_visible_area(move |top, bottom, row_height, heading_height| {
            let Some(controller) = weak.upgrade() else {
                return;
            };
            let metrics = grid::Metrics {
                row_height,
                heading_height,
            };
            let shown = controller.layout.borrow().visible(top, bottom, metrics);
            if let Some(shown) = shown {
                controller.visible.set(shown);
                controller.request_visible_thumbnails();
            }
        });
        let weak = Rc::downgrade(self);
        adapter.on_columns_changed(move |columns| {
            if let Some(controller) = weak.upgrade()
                && controller.columns.replace(columns.max(1) as usize) != columns.max(1) as usize
            {
                controller.place_cards();
                controller.render_cards();
            }
        });
        let weak = self.window.clone();
        adapter.on_close_details(move || {
            if let Some(window) = weak.upgrade() {
                window.global::<MediaAdapter>().set_details_open(false);
            }
        });
    }

    fn with_adapter(&self, f: impl FnOnce(&MediaAdapter<'_>)) {
        if let Some(window) = self.window.upgrade() {
            f(&window.global::<MediaAdapter>());
        }
    }

    /// Reads home's rows from the index; `first_frame` decodes the visible thumbnails at once.
    fn refresh_home(&self, first_frame: bool) {
        let guard = self.index.borrow();
        let Some(index) = guard.as_ref() else {
            drop(guard);
            self.render_home();
            return;
        };
        let recent = index
            .entries(&Section::RecentlyAdded, "", Sort::Added, RECENT_COUNT)
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the media library");
                Vec::new()
            });
        let continuing = index
            .entries(
                &Section::ContinueWatching,
                "",
                Sort::Added,
                CONTINUING_COUNT,
            )
            .unwrap_or_default();
        let covers: Vec<Option<PathBuf>> = [Section::Videos, Section::Albums, Section::Photos]
            .iter()
            .map(|section| {
                index
                    .entries(section, "", Sort::Added, 12)
                    .ok()?
                    .into_iter()
                    .find_map(|entry| entry.thumbnail)
            })
            .collect();
        if first_frame {
            self.counts.set(index.counts().unwrap_or_default());
            let mut files: Vec<PathBuf> = covers.iter().flatten().cloned().collect();
            files.extend(
                continuing
                    .iter()
                    .take(4)
                    .filter_map(|e| e.thumbnail.clone()),
            );
            files.extend(
                recent
                    .iter()
                    .take(RECENT_DECODED_FIRST)
                    .filter_map(|entry| entry.thumbnail.clone()),
            );
            self.thumbnails.borrow_mut().load_now(&files);
        }
        self.thumbnails.borrow_mut().request(
            recent
                .iter()
                .chain(continuing.iter())
                .filter_map(|entry| entry.thumbnail.clone())
                .chain(covers.iter().flatten().cloned()),
        );
        *self.recent.borrow_mut() = recent;
        *self.continuing.borrow_mut() = continuing;
        *self.shelf_covers.borrow_mut() = covers;
        drop(guard);
        self.render_home();
    }

    fn card(&self, translator: &Translator, entry: &Entry) -> MediaCard {
        let thumbnail = entry
            .thumbnail
            .as_deref()
            .and_then(|file| self.thumbnails.borrow().get(file));
        MediaCard {
            title: entry.title.as_str().into(),
            subtitle: cards::subtitle(translator, entry).into(),
            kind: cards::kind_name(entry.kind).into(),
            has_thumbnail: thumbnail.is_some(),
            thumbnail: thumbnail.unwrap_or_default(),
            played: entry.played,
            row: 0,
            column: 0,
            headings: 0,
        }
    }

    fn render_home(&self) {
        let translator = self.translator.borrow();
        let cards: Vec<MediaCard> = self
            .recent
            .borrow()
            .iter()
            .map(|entry| self.card(&translator, entry))
            .collect();
        update_model(&self.recent_model, cards);
        let cards: Vec<MediaCard> = self
            .continuing
            .borrow()
            .iter()
            .map(|entry| self.card(&translator, entry))
            .collect();
        update_model(&self.continuing_model, cards);
        let counts = self.counts.get();
        let shelves: Vec<MediaShelf> = SHELVES
            .iter()
            .zip(self.shelf_covers.borrow().iter())
            .map(|((id, title), cover)| {
                let cover = cover
                    .as_deref()
                    .and_then(|file| self.thumbnails.borrow().get(file));
                MediaShelf {
                    id: (*id).into(),
                    title: translator.tr(title).into(),
                    count_label: cards::shelf_count(&translator, id, &counts).into(),
                    has_cover: cover.is_some(),
                    cover: cover.unwrap_or_default(),
                }
            })
            .collect();
        update_model(&self.shelves_model, shelves);
        drop(translator);
        self.render_status();
    }

    fn render_status(&self) {
        let translator = self.translator.borrow();
        let counts = self.counts.get();
        let shown_scanning = self.scanning.get() && self.scanning_shown.get();
        let status = if shown_scanning && counts.pending > 0 {
            translator.tr_args(
                "media-reading",
                &[("left", Arg::Number(counts.pending as i64))],
            )
        } else if shown_scanning {
            translator.tr("media-scanning")
        } else if counts.failed > 0 {
            translator.tr_args(
                "media-failed",
                &[("count", Arg::Number(counts.failed as i64))],
            )
        } else {
            String::new()
        };
        let has_media = counts.videos + counts.songs + counts.photos > 0;
        self.with_adapter(|adapter| {
            adapter.set_status(status.into());
            adapter.set_scanning(shown_scanning);
            adapter.set_has_media(has_media);
        });
    }

    /// Re-makes the cards from the stored entries, with whatever thumbnails are decoded now.
    fn render_cards(&self) {
        self.render_home();
        if self.browser.borrow().is_some() {
            let cards = self.browser_cards(&self.translator.borrow());
            update_model(&self.items_model, cards);
        }
        self.trim_thumbnails();
    }

    fn trim_thumbnails(&self) {
        let (first, last) = self.visible.get();
        let mut shown: HashSet<PathBuf> = self
            .recent
            .borrow()
            .iter()
            .filter_map(|entry| entry.thumbnail.clone())
            .collect();
        shown.extend(
            self.continuing
                .borrow()
                .iter()
                .filter_map(|e| e.thumbnail.clone()),
        );
        shown.extend(self.shelf_covers.borrow().iter().flatten().cloned());
        if self.browser.borrow().is_some() {
            shown.extend(
                self.items
                    .borrow()
                    .iter()
                    .skip(first)
                    .take(last.saturating_sub(first) + 1)
                    .filter_map(|entry| entry.thumbnail.clone()),
            );
        }
        self.thumbnails.borrow_mut().trim(&shown);
    }

    /// Opens the entry shown at `index` of a list of cards, if there is one.
    fn open_row(&self, rows: &RefCell<Vec<Entry>>, index: i32) {
        let Some(index) = usize::try_from(index).ok() else {
            return;
        };
        let entry = rows.borrow().get(index).cloned();
        let Some(entry) = entry else { return };
        let playable = matches!(
            entry.kind,
            EntryKind::Item(MediaKind::Video | MediaKind::Audio)
        );
        if playable && self.play.borrow().is_some() {
            self.play_from(&rows.borrow(), index);
            return;
        }
        if entry.kind == EntryKind::Item(MediaKind::Photo) && self.view.borrow().is_some() {
            self.view_from(&rows.borrow(), index);
            return;
        }
        self.open_entry(entry);
    }

    fn open_entry(&self, entry: Entry) {
        let nested = match entry.kind {
            EntryKind::Album => Some(Section::Album {
                album: entry.title.clone(),
                artist: entry.artist.clone(),
            }),
            EntryKind::Artist => Some(Section::Artist(entry.title.clone())),
            EntryKind::Item(_) => None,
        };
        if let Some(section) = nested {
            if let Some(browser) = self.browser.borrow_mut().as_mut() {
                browser.stack.push((section, entry.title.clone()));
                browser.search.clear();
            }
            self.with_adapter(|adapter| adapter.set_search(SharedString::new()));
            self.refresh_browser();
            return;
        }
        self.show_details(&entry);
    }

    fn show_details(&self, entry: &Entry) {
        let Some(path) = &entry.path else { return };
        let item = self
            .index
            .borrow()
            .as_ref()
            .and_then(|index| index.item(path).ok().flatten());
        let Some(item) = item else { return };
        let lines = cards::details(&self.translator.borrow(), &item);
        if let Some(file) = &entry.thumbnail {
            self.thumbnails
                .borrow_mut()
                .load_now(std::slice::from_ref(file));
        }
        let picture = entry
            .thumbnail
            .as_deref()
            .and_then(|file| self.thumbnails.borrow().get(file));
        self.with_adapter(|adapter| {
            adapter.set_details_title(entry.title.as_str().into());
            let lines: Vec<SharedString> = lines.into_iter().map(SharedString::from).collect();
            adapter.set_details_lines(ModelRc::from(Rc::new(VecModel::from(lines))));
            adapter.set_details_has_picture(picture.is_some());
            adapter.set_details_picture(picture.unwrap_or_default());
            adapter.set_details_open(true);
        });
    }
}

/// Puts `rows` into `model`, changing only the rows that differ when the length is the same:
/// a card or shelf under a finger is updated in place, never rebuilt, so a thumbnail that
/// arrives mid-tap does not swallow the tap.
fn update_model<T: Clone + PartialEq + 'static>(model: &VecModel<T>, rows: Vec<T>) {
    use slint::Model;
    if model.row_count() != rows.len() {
        model.set_vec(rows);
        return;
    }
    for (index, row) in rows.into_iter().enumerate() {
        if model.row_data(index).as_ref() != Some(&row) {
            model.set_row_data(index, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_stay_sharp_at_the_screens_scale() {
        assert_eq!(thumbnail_size(1.0), ThumbnailSize::Large);
        assert_eq!(thumbnail_size(0.5), ThumbnailSize::Large);
        assert_eq!(thumbnail_size(1.5), ThumbnailSize::XLarge);
        assert_eq!(thumbnail_size(2.0), ThumbnailSize::XLarge);
        assert_eq!(thumbnail_size(3.0), ThumbnailSize::XxLarge);
    }
}

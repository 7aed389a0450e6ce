//! The library browser: a shelf's sections, search and order, its cards placed in the grid
//! (photos by date under month headings), and the thumbnails of the cards in view.

use std::path::PathBuf;
use std::rc::Rc;

use hearth_media::{Section, Sort};
use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{AppAdapter, MediaCard, MediaChoice, MediaHeading, Screen, VmAction};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{BROWSER_LIMIT, MediaController, SHELVES, cards, grid, update_model};

/// Where the browser is.
pub(super) struct Browser {
    pub(super) shelf: &'static str,
    pub(super) tab: &'static str,
    pub(super) sort: Sort,
    pub(super) search: String,
    /// Albums and artists opened from the list, innermost last, with their titles.
    pub(super) stack: Vec<(Section, String)>,
}

impl MediaController {
    /// The browser's cards, each at its place in the grid.
    pub(super) fn browser_cards(&self, translator: &Translator) -> Vec<MediaCard> {
        let layout = self.layout.borrow();
        self.items
            .borrow()
            .iter()
            .zip(&layout.places)
            .map(|(entry, place)| MediaCard {
                row: place.row as i32,
                column: place.column as i32,
                headings: place.headings as i32,
                ..self.card(translator, entry)
            })
            .collect()
    }

    /// Places the browser's cards for the current columns: photos by date under a heading
    /// for each month, everything else in plain rows.
    pub(super) fn place_cards(&self) {
        let by_month = self.browser.borrow().as_ref().is_some_and(|browser| {
            browser.shelf == "photos" && browser.sort == Sort::Date && browser.stack.is_empty()
        });
        let items = self.items.borrow();
        let months: Option<Vec<i64>> = by_month.then(|| {
            items
                .iter()
                .map(|entry| cards::month_key(entry.date))
                .collect()
        });
        let translator = self.translator.borrow();
        let layout = grid::layout(
            items.len(),
            self.columns.get(),
            months.as_deref(),
            |index| cards::month(&translator, items[index].date),
        );
        let headings: Vec<MediaHeading> = layout
            .headings
            .iter()
            .map(|heading| MediaHeading {
                title: heading.title.as_str().into(),
                row: heading.row as i32,
                index: heading.index as i32,
            })
            .collect();
        let rows = layout.rows as i32;
        *self.layout.borrow_mut() = layout;
        self.with_adapter(|adapter| {
            adapter.set_headings(ModelRc::from(Rc::new(VecModel::from(headings))));
            adapter.set_grid_rows(rows);
        });
    }

    /// Opens the browser on a shelf: "videos", "music" or "photos".
    pub fn open_shelf(&self, id: &str) {
        let (shelf, tab, sort) = match id {
            "videos" => ("videos", "", Sort::Added),
            "photos" => ("photos", "", Sort::Date),
            _ => ("music", "albums", Sort::Name),
        };
        *self.browser.borrow_mut() = Some(Browser {
            shelf,
            tab,
            sort,
            search: String::new(),
            stack: Vec::new(),
        });
        self.visible.set((0, 24));
        self.with_adapter(|adapter| adapter.set_search(SharedString::new()));
        self.refresh_browser();
        if let Some(window) = self.window.upgrade() {
            window.global::<AppAdapter>().set_screen(Screen::Media);
        }
    }

    pub(super) fn change_browser(&self, change: impl FnOnce(&mut Browser)) {
        if let Some(browser) = self.browser.borrow_mut().as_mut() {
            change(browser);
        }
        self.refresh_browser();
    }

    pub(super) fn back(&self) {
        let nested = self
            .browser
            .borrow_mut()
            .as_mut()
            .is_some_and(|browser| browser.stack.pop().is_some());
        if nested {
            self.refresh_browser();
            return;
        }
        *self.browser.borrow_mut() = None;
        self.items.borrow_mut().clear();
        self.items_model.set_vec(Vec::new());
        if let Some(window) = self.window.upgrade() {
            window.global::<AppAdapter>().invoke_go_home();
        }
    }

    pub(super) fn browser_section(browser: &Browser) -> Section {
        if let Some((section, _)) = browser.stack.last() {
            return section.clone();
        }
        match (browser.shelf, browser.tab) {
            ("videos", _) => Section::Videos,
            ("photos", _) => Section::Photos,
            (_, "artists") => Section::Artists,
            (_, "songs") => Section::Songs,
            _ => Section::Albums,
        }
    }

    pub(super) fn refresh_browser(&self) {
        let entries = {
            let browser = self.browser.borrow();
            let Some(browser) = browser.as_ref() else {
                return;
            };
            let section = Self::browser_section(browser);
            self.index
                .borrow()
                .as_ref()
                .and_then(|index| {
                    index
                        .entries(&section, &browser.search, browser.sort, BROWSER_LIMIT)
                        .ok()
                })
                .unwrap_or_default()
        };
        *self.items.borrow_mut() = entries;
        self.place_cards();
        self.render_browser();
        self.request_visible_thumbnails();
    }

    pub(super) fn render_browser(&self) {
        let translator = self.translator.borrow();
        let browser = self.browser.borrow();
        let Some(browser) = browser.as_ref() else {
            return;
        };
        update_model(&self.items_model, self.browser_cards(&translator));
        let shelf_title = SHELVES
            .iter()
            .find(|(id, _)| *id == browser.shelf)
            .map(|(_, title)| translator.tr(title))
            .unwrap_or_default();
        let title = browser
            .stack
            .last()
            .map(|(_, title)| title.clone())
            .unwrap_or(shelf_title);
        let tabs: Vec<MediaChoice> = if browser.shelf == "music" {
            [
                ("albums", "media-albums"),
                ("artists", "media-artists"),
                ("songs", "media-songs"),
            ]
            .iter()
            .map(|(id, label)| MediaChoice {
                id: (*id).into(),
                label: translator.tr(label).into(),
            })
            .collect()
        } else {
            Vec::new()
        };
        let sorts: Vec<VmAction> = [
            (Sort::Name, "name"),
            (Sort::Added, "added"),
            (Sort::Date, "date"),
        ]
        .iter()
        .map(|(_, id)| VmAction {
            id: (*id).into(),
            label: translator.tr(&format!("media-sort-{id}")).into(),
            destructive: false,
            confirm_title: SharedString::new(),
            confirm_body: SharedString::new(),
        })
        .collect();
        let sort_id = sort_id(browser.sort);
        let empty = if browser.search.trim().is_empty() {
            translator.tr("media-section-empty")
        } else {
            translator.tr_args(
                "media-no-match",
                &[("search", Arg::Text(browser.search.trim()))],
            )
        };
        self.with_adapter(|adapter| {
            adapter.set_browser_title(title.into());
            adapter.set_tabs(ModelRc::from(Rc::new(VecModel::from(tabs))));
            adapter.set_tab(browser.tab.into());
            adapter.set_sorts(ModelRc::from(Rc::new(VecModel::from(sorts))));
            adapter.set_sort(sort_id.into());
            adapter.set_sort_label(translator.tr(&format!("media-sort-{sort_id}")).into());
            adapter.set_nested(!browser.stack.is_empty());
            adapter.set_empty_text(empty.into());
        });
    }

    pub(super) fn request_visible_thumbnails(&self) {
        let (first, last) = self.visible.get();
        let files: Vec<PathBuf> = self
            .items
            .borrow()
            .iter()
            .skip(first)
            .take(last.saturating_sub(first) + 1)
            .filter_map(|entry| entry.thumbnail.clone())
            .collect();
        self.thumbnails.borrow_mut().request(files);
    }
}

pub(super) fn sort_id(sort: Sort) -> &'static str {
    match sort {
        Sort::Name => "name",
        Sort::Added => "added",
        Sort::Date => "date",
    }
}

pub(super) fn sort_from_id(id: &str) -> Sort {
    match id {
        "name" => Sort::Name,
        "date" => Sort::Date,
        _ => Sort::Added,
    }
}

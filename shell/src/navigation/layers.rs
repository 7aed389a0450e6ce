//! The focus map of each layer the UI names (`AppWindow::layer()`), built from what the
//! adapters hold: the groups and ids here are the ones the .slint files draw the ring for.

use hearth_ui::{
    AppAdapter, AppWindow, DownloadsAdapter, MediaAdapter, OskAdapter, PlayerAdapter, VmAdapter,
};
use slint::{ComponentHandle, Model};

use super::map::{Cell, FocusMap, Group, Kind, Spot};

/// Whether a layer is a sheet or dialog, whose focus starts afresh each time it opens.
pub fn is_transient(layer: &str) -> bool {
    layer.starts_with("sheet:")
}

/// What takes focus on `layer` now; empty where keys are not Hearth's (a VM's view).
pub fn focus_map(window: &AppWindow, layer: &str) -> FocusMap {
    match layer {
        "home" => home(window),
        "player" => player(window),
        "photo" => photo(),
        "settings" => settings(window),
        "sheet:confirm" => confirm(),
        "sheet:pin" => pin_pad(),
        "sheet:queue" => queue(window),
        "sheet:downloads" => downloads_sheet(window),
        "sheet:details" => only(single("sheet.details", 0.9)),
        "vm" => FocusMap::default(),
        "osk" => keyboard(window),
        "sheet:alternates" => alternates(window),
        layer if layer.starts_with("media:") => media(window),
        layer if is_transient(layer) => action_sheet(window.invoke_sheet_size()),
        _ => FocusMap::default(),
    }
}

fn spot(group: &'static str, index: usize) -> Option<Spot> {
    Some(Spot { group, index })
}

/// A group of one control at `x`.
fn single(group: &'static str, x: f32) -> Group {
    let mut only = Group::new(group);
    only.push(Cell::new(0, 0, x));
    only
}

fn only(group: Group) -> FocusMap {
    let mut map = FocusMap::default();
    map.add(group);
    map
}

/// Home: settings, a notice's close button, the tiles (each with its actions button), the
/// updates row, the media rows and shelves, and the mini player.
fn home(window: &AppWindow) -> FocusMap {
    let app = window.global::<AppAdapter>();
    let vms = window.global::<VmAdapter>();
    let media = window.global::<MediaAdapter>();
    let mut map = FocusMap {
        initial: spot("home.tiles", 0),
        ..FocusMap::default()
    };
    if !app.get_settings_hidden() {
        map.add(single("home.bar", 0.97));
    }
    if !app.get_notice().is_empty() {
        map.add(single("home.notice", 0.95));
    }
    // Two tiles fill the width; more scroll sideways.
    let mut tiles = Group::new("home.tiles");
    for index in 0..vms.get_vms().row_count() {
        let left = index as f32 * 0.5;
        tiles.push(Cell::new(index * 2, 0, left + 0.25).with_kind(Kind::Hold));
        if !vms.get_actions_hidden() {
            tiles.push(Cell::new(index * 2 + 1, 0, left + 0.45));
        }
    }
    map.add(tiles);
    let downloads = window.global::<DownloadsAdapter>().get_cards().row_count();
    map.add(cards_row("home.downloads", downloads, 0.3));
    map.add(cards_row(
        "home.continuing",
        media.get_continuing().row_count(),
        0.19,
    ));
    map.add(cards_row(
        "home.recent",
        media.get_recent().row_count(),
        0.19,
    ));
    map.add(Group::row(
        "home.shelves",
        media.get_shelves().row_count(),
        0.0,
        1.0,
    ));
    map.add(mini_player(window));
    map
}

/// A row of cards from the left, each `width` of the screen.
fn cards_row(name: &'static str, count: usize, width: f32) -> Group {
    let mut group = Group::new(name);
    for index in 0..count {
        group.push(Cell::new(index, 0, width * (index as f32 + 0.5)));
    }
    group
}

fn mini_player(window: &AppWindow) -> Group {
    let player = window.global::<PlayerAdapter>();
    let mut group = Group::new("mini");
    if player.get_mini_visible() {
        group.push(Cell::new(0, 0, 0.45));
        group.push(Cell::new(1, 0, 0.68));
        if player.get_can_next() {
            group.push(Cell::new(2, 0, 0.74));
        }
    }
    group
}

/// The media browser: back, search and sort, the tabs, the grid, the mini player.
fn media(window: &AppWindow) -> FocusMap {
    let media = window.global::<MediaAdapter>();
    let mut map = FocusMap {
        initial: spot("media.grid", 0),
        ..FocusMap::default()
    };
    let mut bar = Group::new("media.bar");
    bar.push(Cell::new(0, 0, 0.03));
    bar.push(Cell::new(1, 0, 0.75));
    bar.push(Cell::new(2, 0, 0.96));
    map.add(bar);
    if !media.get_nested() {
        let tabs = media.get_tabs().row_count();
        map.add(Group::row(
            "media.tabs",
            tabs,
            0.03,
            0.03 + 0.12 * tabs as f32,
        ));
    }
    let items = media.get_items();
    let columns = items.iter().map(|card| card.column + 1).max().unwrap_or(1) as f32;
    let mut grid = Group::new("media.grid");
    for (index, card) in items.iter().enumerate() {
        let holdable = matches!(card.kind.as_str(), "audio" | "album" | "artist");
        let x = (card.column as f32 + 0.5) / columns;
        let cell = Cell::new(index, card.row.max(0) as u32, x);
        grid.push(if holdable {
            cell.with_kind(Kind::Hold)
        } else {
            cell
        });
    }
    map.add(grid);
    map.add(mini_player(window));
    map
}

/// The player: back; the big buttons; the position; shuffle, repeat and the queue (music) or
/// the audio and subtitle tracks (video), and the volume. An error leaves only back.
fn player(window: &AppWindow) -> FocusMap {
    let player = window.global::<PlayerAdapter>();
    let mut map = FocusMap {
        initial: spot("player.middle", 1),
        ..FocusMap::default()
    };
    map.add(single("player.top", 0.03));
    if !player.get_error_title().is_empty() {
        return map;
    }
    map.add(Group::row("player.middle", 3, 0.35, 0.65));
    let mut position = Group::new("player.position");
    position.push(Cell::new(0, 0, 0.5).with_kind(Kind::Adjust));
    map.add(position);
    let mut bottom = Group::new("player.bottom");
    if player.get_has_video() {
        if player.get_audio_tracks().row_count() > 1 {
            bottom.push(Cell::new(3, 0, 0.05));
        }
        if player.get_subtitle_tracks().row_count() > 1 {
            bottom.push(Cell::new(4, 0, 0.1));
        }
    } else {
        bottom.push(Cell::new(0, 0, 0.05));
        bottom.push(Cell::new(1, 0, 0.1));
        bottom.push(Cell::new(2, 0, 0.15));
    }
    bottom.push(Cell::new(5, 0, 0.9).with_kind(Kind::Adjust));
    map.add(bottom);
    map
}

fn photo() -> FocusMap {
    let mut map = FocusMap {
        initial: spot("photo.sides", 1),
        ..FocusMap::default()
    };
    for name in ["photo.top", "photo.sides"] {
        let mut group = Group::new(name);
        group.push(Cell::new(0, 0, 0.03));
        group.push(Cell::new(1, 0, 0.97));
        map.add(group);
    }
    map
}

fn settings(window: &AppWindow) -> FocusMap {
    let languages = window.global::<AppAdapter>().get_languages().row_count();
    let mut map = FocusMap {
        initial: spot("settings.list", 0),
        ..FocusMap::default()
    };
    map.add(single("settings.bar", 0.03));
    map.add(Group::column("settings.list", languages + 2, 0.3));
    map
}

/// An action sheet: its actions, then Cancel.
fn action_sheet(actions: i32) -> FocusMap {
    let count = usize::try_from(actions).unwrap_or(0) + 1;
    only(Group::column("sheet.actions", count, 0.5))
}

/// A confirmation starts on Cancel: OK twice must not destroy anything by accident.
fn confirm() -> FocusMap {
    only(Group::row("sheet.confirm", 2, 0.5, 0.8))
}

/// The PIN pad: nine digits in threes, erase, 0 and unlock, then Cancel.
fn pin_pad() -> FocusMap {
    let mut map = FocusMap::default();
    let mut keys = Group::new("sheet.pin");
    for id in 0..12usize {
        let column = id % 3;
        keys.push(Cell::new(id, (id / 3) as u32, 0.4 + 0.1 * column as f32));
    }
    keys.push(Cell::new(12, 4, 0.5));
    map.add(keys);
    map
}

/// The music queue: close, then each song and, but for the one playing, its cross.
fn queue(window: &AppWindow) -> FocusMap {
    let mut map = FocusMap {
        initial: spot("sheet.queue", 1),
        ..FocusMap::default()
    };
    let mut group = Group::new("sheet.queue");
    group.push(Cell::new(0, 0, 0.95));
    for (index, song) in window
        .global::<PlayerAdapter>()
        .get_queue()
        .iter()
        .enumerate()
    {
        let row = index as u32 + 1;
        group.push(Cell::new(1 + 2 * index, row, 0.75));
        if !song.playing {
            group.push(Cell::new(2 + 2 * index, row, 0.95));
        }
    }
    map.add(group);
    map
}

/// The download sheet: close, then its actions one above the other.
fn downloads_sheet(window: &AppWindow) -> FocusMap {
    let actions = window
        .global::<DownloadsAdapter>()
        .get_sheet_actions()
        .row_count();
    let mut group = Group::new("sheet.downloads");
    group.push(Cell::new(0, 0, 0.9));
    for index in 0..actions {
        group.push(Cell::new(index + 1, index as u32 + 1, 0.5));
    }
    let mut map = FocusMap {
        initial: spot("sheet.downloads", 1),
        ..FocusMap::default()
    };
    map.add(group);
    map
}

/// The on-screen keyboard: one group, its rows as the keyboard's, each key at its middle.
/// Focus starts on the first letter.
fn keyboard(window: &AppWindow) -> FocusMap {
    let osk = window.global::<OskAdapter>();
    let first_letters = if osk.get_for_vm() { 1 } else { 0 };
    let mut map = FocusMap {
        initial: spot("osk.keys", first_letters * 100),
        ..FocusMap::default()
    };
    let mut keys = Group::new("osk.keys");
    for (r, row) in osk.get_rows().iter().enumerate() {
        let total: f32 = row.keys.iter().map(|key| key.width).sum();
        let mut left = 0.0;
        for (c, key) in row.keys.iter().enumerate() {
            let x = (left + key.width / 2.0) / total.max(1.0);
            left += key.width;
            let cell = Cell::new(r * 100 + c, r as u32, x);
            keys.push(if key.alternates.row_count() > 0 {
                cell.with_kind(Kind::Hold)
            } else {
                cell
            });
        }
    }
    map.add(keys);
    map
}

/// A key's alternates, side by side.
fn alternates(window: &AppWindow) -> FocusMap {
    let osk = window.global::<OskAdapter>();
    let count = usize::try_from(osk.get_alternates_row())
        .ok()
        .and_then(|row| osk.get_rows().row_data(row))
        .zip(usize::try_from(osk.get_alternates_column()).ok())
        .and_then(|(row, column)| row.keys.row_data(column))
        .map(|key| key.alternates.row_count())
        .unwrap_or(0);
    only(Group::row("osk.alternates", count, 0.4, 0.6))
}

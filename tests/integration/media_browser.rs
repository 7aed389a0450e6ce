//! The media library on screen, over a real library (sample media made by the helper,
//! scanned and read into a real index): home's rows and shelves, the browser's sections,
//! search, sort, scrolling with thumbnails arriving, and an item's details.

use std::process::Command;
use std::time::Duration;

use hearth_media::LibrarySettings;
use hearth_media::helper::helper_binary;
use hearth_tests::World;
use hearth_tests::services::TempDir;
use hearth_ui::{MediaAdapter, Screen};
use slint::{ComponentHandle, Model};

/// How many extra photos the library gets, so the photo grid scrolls.
const EXTRA_PHOTOS: usize = 60;

/// A read library: the samples plus extra photos dated years back (so the samples stay the
/// most recently added).
fn library(dir: &TempDir) -> LibrarySettings {
    let root = dir.path().join("media");
    let made = Command::new(helper_binary())
        .arg("--make-samples")
        .arg(&root)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running the helper");
    assert!(made.success());
    let extra = root.join("Pictures/Older");
    std::fs::create_dir_all(&extra).expect("a folder");
    let coast = std::fs::read(root.join("Pictures/Coast.jpg")).expect("a photo");
    for n in 0..EXTRA_PHOTOS {
        std::fs::write(extra.join(format!("Older {n:02}.jpg")), &coast).expect("a photo");
    }
    let touched = Command::new("touch")
        .args(["-d", "2020-01-01 12:00"])
        .args((0..EXTRA_PHOTOS).map(|n| extra.join(format!("Older {n:02}.jpg"))))
        .status()
        .expect("running touch");
    assert!(touched.success());

    hearth_tests::media::read_library(&root, dir.path())
}

fn titles(model: slint::ModelRc<hearth_ui::MediaCard>) -> Vec<String> {
    model.iter().map(|card| card.title.to_string()).collect()
}

fn media(world: &World) -> MediaAdapter<'_> {
    world.app.window().global::<MediaAdapter>()
}

/// Taps an element and lets the screen settle and draw.
fn activate(world: &World, label: &str) {
    world.tap(label);
    world.advance(50);
    world.draw();
}

#[test]
fn home_shows_recent_media_and_the_library_shelves_from_the_first_frame() {
    let dir = TempDir::new("media-home");
    let settings = library(&dir);
    // Tall enough for the shelves below the VM tiles to be on screen.
    let world = World::with(1280, 1100, "en-US", hearth_tests::test_sim_config());
    world.app.attach_media(settings);
    world.advance(20);
    world.draw();

    let recent = media(&world).get_recent();
    let names = titles(recent.clone());
    assert_eq!(names.len(), 24, "{names:?}");
    for title in [
        "Harbour at dusk",
        "Night train",
        "Fade in",
        "Morning",
        "Noon",
        "Evening",
        "Coast",
    ] {
        assert!(
            names.iter().any(|name| name == title),
            "{title} in {names:?}"
        );
    }
    assert!(
        !names.iter().any(|name| name == "cover"),
        "album art is no photo"
    );
    // The first cards have their pictures in the very first frame.
    assert!(
        recent.iter().take(8).all(|card| card.has_thumbnail),
        "thumbnails on the first frame"
    );
    assert!(
        world.find(&names[0]).is_some(),
        "the newest card is on screen"
    );

    let shelves: Vec<(String, String)> = media(&world)
        .get_shelves()
        .iter()
        .map(|shelf| (shelf.title.to_string(), shelf.count_label.to_string()))
        .collect();
    assert_eq!(
        shelves,
        [
            ("Videos".to_string(), "3 videos".to_string()),
            ("Music".to_string(), "3 songs".to_string()),
            ("Photos".to_string(), format!("{} photos", 4 + EXTRA_PHOTOS)),
        ]
    );
    assert!(media(&world).get_has_media());
    assert_eq!(media(&world).get_status(), "", "nothing is being scanned");

    world.app.set_language("de");
    world.advance(20);
    let shelf = media(&world).get_shelves().row_data(0).expect("a shelf");
    assert_eq!(
        (shelf.title.as_str(), shelf.count_label.as_str()),
        ("Videos", "3 Videos")
    );
}

#[test]
fn the_browser_opens_sections_searches_sorts_scrolls_and_shows_details() {
    let dir = TempDir::new("media-browser");
    let settings = library(&dir);
    // Tall enough for the shelves below the VM tiles to be on screen.
    let world = World::with(1280, 1100, "en-US", hearth_tests::test_sim_config());
    world.app.attach_media(settings);
    world.advance(20);
    world.draw();

    // Videos: newest first, then by name on request.
    activate(&world, "Videos");
    assert_eq!(media(&world).get_browser_title(), "Videos");
    let mut videos = titles(media(&world).get_items());
    videos.sort();
    assert_eq!(videos, ["Fade in", "Harbour at dusk", "Night train"]);
    activate(&world, "Sort: Recently added");
    activate(&world, "Name");
    assert_eq!(
        titles(media(&world).get_items()),
        ["Fade in", "Harbour at dusk", "Night train"]
    );
    activate(&world, "Back");

    // Music opens on its albums; an album lists its songs in track order.
    activate(&world, "Music");
    assert_eq!(world.screen(), Screen::Media);
    assert_eq!(media(&world).get_browser_title(), "Music");
    assert_eq!(titles(media(&world).get_items()), ["Blue Hour"]);
    activate(&world, "Blue Hour");
    assert_eq!(
        titles(media(&world).get_items()),
        ["Morning", "Noon", "Evening"]
    );
    assert!(media(&world).get_nested());
    activate(&world, "Back");
    assert_eq!(titles(media(&world).get_items()), ["Blue Hour"]);
    activate(&world, "Artists");
    assert_eq!(titles(media(&world).get_items()), ["Ada Lind"]);
    activate(&world, "Songs");
    assert_eq!(titles(media(&world).get_items()).len(), 3);

    // Search by typing into the field.
    world.tap("Search");
    for key in "noon".chars() {
        world.key(&key.to_string());
    }
    world.advance(20);
    assert_eq!(titles(media(&world).get_items()), ["Noon"]);
    for _ in 0.."noon".len() {
        world.key("\u{8}");
    }
    for key in "zzz".chars() {
        world.key(&key.to_string());
    }
    world.advance(20);
    assert!(media(&world).get_items().row_count() == 0);
    assert_eq!(media(&world).get_empty_text(), "Nothing matches “zzz”");
    world.draw();
    assert!(
        world.find("Nothing matches “zzz”").is_some(),
        "the empty text is on screen"
    );

    activate(&world, "Back");
    assert_eq!(world.screen(), Screen::Home);

    // Photos: newest taken first; sorted by name on request.
    activate(&world, "Photos");
    let photos = titles(media(&world).get_items());
    assert_eq!(photos.len(), 4 + EXTRA_PHOTOS);
    // Dunes has no EXIF date (its file time is today); the copies share Coast's 2024 date.
    assert_eq!(&photos[..2], ["Dunes", "Meadow"], "{photos:?}");
    assert_eq!(
        photos.last().map(String::as_str),
        Some("Portrait of a lighthouse")
    );
    // Sorted by date, photos sit under a heading for each month, newest first; each month
    // starts a row of its own.
    let headings: Vec<hearth_ui::MediaHeading> = media(&world).get_headings().iter().collect();
    let months: Vec<&str> = headings.iter().map(|h| h.title.as_str()).collect();
    // Dunes (today), Meadow, Coast and its 60 copies, the lighthouse.
    assert_eq!(months.len(), 4, "{months:?}");
    assert_eq!(&months[1..], ["May 2025", "July 2024", "October 2023"]);
    let cards: Vec<hearth_ui::MediaCard> = media(&world).get_items().iter().collect();
    for (index, heading) in headings.iter().enumerate() {
        assert_eq!(heading.index as usize, index);
        let first = cards
            .iter()
            .find(|card| card.headings as usize == index + 1)
            .expect("a heading has cards");
        assert_eq!(
            (first.row, first.column),
            (heading.row, 0),
            "{}",
            heading.title
        );
    }
    assert!(world.find("May 2025").is_some(), "the heading is on screen");
    let screens = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("media-screens");
    hearth_tests::media::save_screen(&world, &screens, "photos-by-month-1280");

    // Scrolling down brings the last rows' thumbnails ("Older 00"; the two after it were on
    // home's row and are decoded already).
    let last = media(&world).get_items().row_count() - 3;
    assert_eq!(photos[last], "Older 00");
    assert!(
        !media(&world)
            .get_items()
            .row_data(last)
            .expect("a card")
            .has_thumbnail
    );
    for _ in 0..12 {
        let start = slint::LogicalPosition::new(640.0, 700.0);
        world.pointer(start, true);
        for step in 1..=10 {
            world.pointer(
                slint::LogicalPosition::new(640.0, 700.0 - 60.0 * step as f32),
                true,
            );
            world.advance(16);
        }
        world.pointer(slint::LogicalPosition::new(640.0, 100.0), false);
        world.advance(300);
    }
    world.wait_until(
        "the last row's thumbnails",
        Duration::from_secs(10),
        |world| {
            media(world)
                .get_items()
                .row_data(last)
                .is_some_and(|card| card.has_thumbnail)
        },
    );

    activate(&world, "Sort: Date");
    activate(&world, "Name");
    let by_name = titles(media(&world).get_items());
    assert_eq!(by_name[0], "Coast", "{by_name:?}");
    assert_eq!(by_name[1], "Dunes");
    assert_eq!(
        media(&world).get_headings().row_count(),
        0,
        "no months by name"
    );

    // An item's details.
    activate(&world, "Back");
    activate(&world, "Photos");
    activate(&world, "Meadow");
    assert!(media(&world).get_details_open());
    let lines: Vec<String> = media(&world)
        .get_details_lines()
        .iter()
        .map(|line| line.to_string())
        .collect();
    assert!(
        lines.contains(&"Taken: May 2, 2025".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Camera: Hearth Sample Camera".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Picture: 1600 × 1200".to_string()),
        "{lines:?}"
    );
    world.tap("Close");
    assert!(!media(&world).get_details_open());
}

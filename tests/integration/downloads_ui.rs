//! The downloads on screen against the real image service (`hearth-image serve` on a private
//! bus, nginx serving the store): the updates row, the word on the VM's tile, the detail
//! sheet's actions with their confirmations, switching the VM between versions, rolling back
//! by hand and by itself; and the screens at both sizes in German.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth::downloads::Bus;
use hearth_tests::World;
use hearth_tests::image_service::ImageService;
use hearth_tests::images::{Nginx, Publisher, change_image, write_image};
use hearth_tests::services::PrivateBus;
use hearth_ui::{DownloadCard, DownloadsAdapter, VmAdapter};
use hearth_vm_bridge::VmState;
use slint::{ComponentHandle, Model};

const WAIT: Duration = Duration::from_secs(60);

fn cards(world: &World) -> Vec<DownloadCard> {
    world
        .app
        .window()
        .global::<DownloadsAdapter>()
        .get_cards()
        .iter()
        .collect()
}

/// The word on a VM's tile and its kind.
fn badge(world: &World, vm: &str) -> (String, String) {
    let tiles = world.app.window().global::<VmAdapter>().get_vms();
    let tile = tiles
        .iter()
        .find(|tile| tile.name == vm)
        .expect("the VM's tile");
    (tile.badge.to_string(), tile.badge_kind.to_string())
}

fn open_sheet_from_tile(world: &World) {
    let adapter = world.app.window().global::<DownloadsAdapter>();
    world.draw();
    world.tap("Actions for Work");
    world.draw();
    world.tap("Update and versions");
    world.draw();
    if !adapter.get_sheet_open() {
        shot(world, "failed-to-open-sheet");
        panic!("the image sheet did not open from the tile's actions");
    }
}

fn wait_for_label(world: &World, label: &str) {
    world.wait_until(label, WAIT, |w| {
        w.draw();
        w.find(label).is_some()
    });
}

/// Waits until Work runs on this version of the image in `folder`: on the version's
/// overlay, the version (read-only) its backing file.
fn wait_for_disk(world: &World, folder: &Path, version: u64) {
    let overlay = folder.join(format!("overlays/{version}.qcow2"));
    let base = folder.join(format!("versions/{version}.img"));
    world.wait_until(&format!("Work running on version {version}"), WAIT, |w| {
        w.sim()
            .disks(&w.vm("Work"))
            .is_some_and(|disks| disks.overlay == overlay && disks.base == base)
            && w.app
                .vms()
                .iter()
                .any(|vm| vm.name == "Work" && vm.state == VmState::Running)
    });
}

fn shot(world: &World, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("downloads-screens");
    std::fs::create_dir_all(&dir).unwrap();
    world.advance(50);
    let image = world.headless.snapshot().expect("a frame");
    hearth::headless::write_png(&dir.join(format!("{name}.png")), &image).unwrap();
}

#[test]
fn the_row_the_badge_and_the_sheet_drive_versions_and_roll_back() {
    let publisher = Publisher::new();
    let v1 = publisher.path("v1.img");
    write_image(&v1, 91, 1 << 20);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    let service = ImageService::start_for_vm(
        &publisher,
        &bus,
        None,
        &origin.url(),
        "max_rate_kib = 1024",
        "Work",
    );
    service.wait_for_phase("ready", WAIT);
    let folder = service.state_dir.join("work");

    let world = World::new();
    world
        .app
        .attach_downloads(Bus::Address(bus.address.clone()), None);
    world.app.start_downloads();
    world.wait_until("the ready card", WAIT, |w| {
        cards(w)
            .first()
            .is_some_and(|card| card.status == "Ready: used at the next start")
    });
    let card = cards(&world)[0].clone();
    assert_eq!(card.title, "Work: version 1");
    assert_eq!(card.progress, 1.0);
    assert_eq!(
        badge(&world, "Work"),
        ("Update ready".to_string(), "ready".to_string())
    );

    // The card opens the sheet; restarting asks first, and cancelling changes nothing.
    world.draw();
    world.tap(&format!("{}. {}. {}", card.title, card.status, card.detail));
    wait_for_label(&world, "Restart into version 1");
    world.tap("Restart into version 1");
    wait_for_label(&world, "Switch Work to version 1?");
    world.tap_topmost("Cancel");
    world.advance(200);
    assert_eq!(service.number("Current"), 0);
    assert_eq!(world.sim().disks(&world.vm("Work")), None);
    world.tap("Restart into version 1");
    world.tap_topmost("Restart into version 1");
    wait_for_disk(&world, &folder, 1);
    assert_eq!(service.number("Current"), 1);
    world.wait_until("the card to go", WAIT, |w| cards(w).is_empty());
    assert_eq!(badge(&world, "Work").0, "");

    // Version 2 (noise, so the capped download takes a few seconds): checked for from the
    // tile's sheet, paused, resumed, cancelled with a confirmation, fetched again.
    let v2 = publisher.path("v2.img");
    std::fs::write(&v2, noise(3 << 20)).unwrap();
    publisher.publish("work", &v2, &[]);
    open_sheet_from_tile(&world);
    world.tap("Check for updates");
    world.wait_until("the download on the row", WAIT, |w| {
        cards(w)
            .first()
            .is_some_and(|card| card.status.starts_with("Downloading · "))
    });
    world.wait_until("the badge's percentage", WAIT, |w| {
        let (text, kind) = badge(w, "Work");
        text.starts_with("Update ") && text.ends_with(" %") && kind == "progress"
    });
    wait_for_label(&world, "Pause");
    world.tap("Pause");
    service.wait_for_phase("paused", WAIT);
    wait_for_label(&world, "Resume");
    world.wait_until("the paused card", WAIT, |w| {
        cards(w)
            .first()
            .is_some_and(|card| card.status.starts_with("Paused at ") && card.kind == "held")
    });
    shot(&world, "home-paused-en-US-1280x800");
    world.tap("Resume");
    service.wait_for_phase("fetching", WAIT);
    wait_for_label(&world, "Pause");
    world.tap("Cancel download");
    wait_for_label(&world, "Cancel this download?");
    world.tap_topmost("Cancel download");
    service.wait_for_phase("idle", WAIT);
    world.wait_until("the cancelled card to go", WAIT, |w| cards(w).is_empty());
    wait_for_label(&world, "Check for updates");
    world.tap("Check for updates");
    service.wait_for_phase("ready", WAIT);

    // The German screens at both sizes, with the sheet open over home.
    world
        .app
        .window()
        .global::<DownloadsAdapter>()
        .invoke_close();
    world.app.set_language("de");
    world.wait_until("German words", WAIT, |w| {
        cards(w)
            .first()
            .is_some_and(|card| card.status == "Bereit für den nächsten Start")
    });
    assert_eq!(badge(&world, "Work").0, "Update bereit");
    shot(&world, "home-ready-de-1280x800");
    world.resize(800, 480);
    // Home scrolled to its updates row.
    world
        .app
        .window()
        .global::<hearth_ui::AppAdapter>()
        .set_home_scroll(-200.0);
    shot(&world, "home-ready-de-800x480");
    world
        .app
        .window()
        .global::<hearth_ui::AppAdapter>()
        .set_home_scroll(0.0);
    world
        .app
        .window()
        .global::<DownloadsAdapter>()
        .invoke_open("work".into());
    world.draw();
    let action = world
        .find("Mit Version 2 neu starten")
        .expect("the sheet's action");
    let bottom = action.absolute_position().y + action.size().height;
    assert!(
        bottom <= 480.0,
        "the sheet's action is off screen at 800x480"
    );
    shot(&world, "sheet-de-800x480");
    world
        .app
        .window()
        .global::<DownloadsAdapter>()
        .invoke_close();
    world.resize(1280, 800);
    world.app.set_language("en-US");

    // Restart into version 2, then back to 1 by hand.
    open_sheet_from_tile(&world);
    world.tap("Restart into version 2");
    world.tap_topmost("Restart into version 2");
    wait_for_disk(&world, &folder, 2);
    open_sheet_from_tile(&world);
    // Both ways back while version 1's overlay is kept, the default first, and the reset.
    for label in [
        "Go back to version 1 as you left it",
        "Go back to version 1 as shipped",
        "Reset version 2 as shipped",
    ] {
        assert!(world.find(label).is_some(), "no {label:?}");
    }
    shot(&world, "sheet-versions");
    world.tap("Go back to version 1 as you left it");
    wait_for_label(&world, "Go back to version 1?");
    world.tap_topmost("Go back to version 1 as you left it");
    wait_for_disk(&world, &folder, 1);
    assert_eq!(service.number("Declined"), 2);
    world.wait_until("the rolled-back badge", WAIT, |w| {
        badge(w, "Work") == ("Rolled back".to_string(), "rolled-back".to_string())
    });

    // Version 3 crashes at once: Hearth goes back to version 1 by itself and says why.
    let v3 = publisher.path("v3.img");
    change_image(&v1, &v3, 93);
    publisher.publish("work", &v3, &[]);
    service.call("CheckNow", &[]);
    service.wait_for_phase("ready", WAIT);
    open_sheet_from_tile(&world);
    wait_for_label(&world, "Restart into version 3");
    world.tap("Restart into version 3");
    world.tap_topmost("Restart into version 3");
    wait_for_disk(&world, &folder, 3);
    world.sim().crash(&world.vm("Work"));
    wait_for_disk(&world, &folder, 1);
    assert_eq!(service.number("Current"), 1);
    assert_eq!(service.number("Declined"), 3);
    let notice = world.app.notice_text();
    assert!(
        notice.starts_with("Work is back on version 1: Version 3 crashed ")
            && notice.ends_with(" s after it started"),
        "{notice}"
    );
    let history = service.property("History");
    let last = history.as_array().and_then(|h| h.last()).cloned().unwrap();
    assert_eq!(last[1], "rolled_back");
    assert!(last[3].as_str().unwrap().starts_with("Version 3 crashed "));
    shot(&world, "home-rolled-back-en-US-1280x800");
}

fn noise(size: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(92);
    std::iter::repeat_with(|| rng.u8(..)).take(size).collect()
}

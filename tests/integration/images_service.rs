//! `hearth-image serve` as its clients see it: properties read with `busctl`, methods called
//! with `gdbus`, PropertiesChanged watched with `dbus-monitor`, and NetworkManager and UPower
//! (python-dbusmock on a private system bus) holding downloads back.

use std::time::Duration;

use hearth_tests::image_service::{ImageService, SignalLog, SystemConditions};
use hearth_tests::images::{Nginx, Publisher, b3, write_image};
use hearth_tests::services::PrivateBus;

const MINUTE: Duration = Duration::from_secs(60);

/// Checks that `BytesDone` stands still for a while.
fn assert_standing_still(service: &ImageService) {
    let before = service.number("BytesDone");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(service.number("BytesDone"), before, "a held download moved");
}

/// An image that does not compress, so a capped download of it takes a while.
fn write_noise(path: &std::path::Path, seed: u64, size: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(size).collect();
    std::fs::write(path, bytes).unwrap();
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    hearth_tests::services::wait_for(what, MINUTE, &mut done);
}

#[test]
fn busctl_and_gdbus_drive_downloads_activation_and_rollback() {
    let publisher = Publisher::new();
    let v1 = publisher.path("v1.img");
    write_image(&v1, 71, 2 << 20);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    // About four seconds for the second version, so it can be watched and held.
    let service = ImageService::start(&publisher, &bus, None, &origin.url(), "max_rate_kib = 1024");

    service.wait_for_phase("ready", MINUTE);
    assert_eq!(service.number("Ready"), 1);
    assert_eq!(service.number("Current"), 0);
    assert_eq!(service.text("Vm"), "work");
    assert_eq!(service.number("RollbackGraceSeconds"), 90);
    let error = service
        .try_call("Rollback", &["nothing to go back to"])
        .unwrap_err();
    assert!(
        error.contains("org.hearth.Images1.Error.NotPossible"),
        "{error}"
    );

    assert_eq!(service.call("Activate", &[]), "(uint64 1,)");
    assert_eq!(service.number("Current"), 1);
    assert_eq!(service.text("Phase"), "idle");
    let current_file = service.text("CurrentFile");
    assert_eq!(b3(std::path::Path::new(&current_file)), b3(&v1));
    let error = service.try_call("Activate", &[]).unwrap_err();
    assert!(
        error.contains("NotPossible") && error.contains("no version is ready"),
        "{error}"
    );

    // Version 1 with new data after it: what it shares with version 1 is not fetched.
    let v2 = publisher.path("v2.img");
    write_noise(&v2, 72, 5 << 20);
    let mut bytes = std::fs::read(&v1).unwrap();
    bytes.extend(std::fs::read(&v2).unwrap());
    std::fs::write(&v2, bytes).unwrap();
    publisher.publish("work", &v2, &[]);
    let signals = SignalLog::start(&bus);

    // Cancel throws the download away, and it does not start again by itself.
    service.call("CheckNow", &[]);
    service.wait_for_phase("fetching", MINUTE);
    wait_until("some bytes of version 2", || {
        service.number("BytesDone") > 0
    });
    assert_eq!(service.number("Pending"), 2);
    service.call("Cancel", &[]);
    service.wait_for_phase("idle", MINUTE);
    assert_eq!(service.number("Pending"), 0);
    let staging = service.state_dir.join("work/staging");
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "cancel left files"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(service.text("Phase"), "idle");

    // Asked again, it fetches; paused, it stands still and says who paused it.
    service.call("CheckNow", &[]);
    service.wait_for_phase("fetching", MINUTE);
    wait_until("progress", || service.number("BytesDone") > 0);
    assert!(service.number("BytesTotal") > service.number("BytesDone"));
    service.call("Pause", &[]);
    service.wait_for_phase("paused", MINUTE);
    assert_eq!(service.text("HeldBy"), "user");
    assert_standing_still(&service);
    service.call("Resume", &[]);
    assert_eq!(service.text("HeldBy"), "");
    service.wait_for_phase("ready", MINUTE);
    assert_eq!(service.number("Ready"), 2);
    assert!(service.number("BytesReused") > 1 << 20);
    assert!(service.number("BytesSaved") > 0);

    // At most four PropertiesChanged a second, though progress moved far more often.
    std::thread::sleep(Duration::from_millis(400));
    let log = signals.snapshot();
    let progress = log
        .iter()
        .filter(|(_, body)| body.contains("BytesDone"))
        .count();
    assert!(progress >= 6, "only {progress} progress signals: {log:?}");
    for window in log.windows(5) {
        let span = window[4].0 - window[0].0;
        assert!(
            span >= Duration::from_millis(900),
            "five PropertiesChanged within {span:?}"
        );
    }

    assert_eq!(service.call("Activate", &[]), "(uint64 2,)");
    assert_eq!(service.property("Previous"), serde_json::json!([1]));
    assert_eq!(
        b3(std::path::Path::new(&service.text("CurrentFile"))),
        b3(&v2)
    );

    // Rollback: back to version 1, version 2 declined and gone, the reason kept.
    assert_eq!(
        service.call("Rollback", &["'the guest did not boot'"]),
        "(uint64 1,)"
    );
    assert_eq!(service.number("Current"), 1);
    assert_eq!(service.number("Declined"), 2);
    assert_eq!(
        b3(std::path::Path::new(&service.text("CurrentFile"))),
        b3(&v1)
    );
    let history = service.property("History");
    let last = history
        .as_array()
        .and_then(|entries| entries.last())
        .cloned();
    let last = last.expect("a history");
    assert_eq!(last[0], 2);
    assert_eq!(last[1], "rolled_back");
    assert_eq!(last[3], "the guest did not boot");
    let events: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| format!("{} {}", entry[1].as_str().unwrap(), entry[0]))
        .collect();
    assert_eq!(
        events,
        [
            "ready 1",
            "activated 1",
            "ready 2",
            "activated 2",
            "rolled_back 2"
        ]
    );
    assert!(!service.state_dir.join("work/versions/2.img").exists());

    // The channel still offers version 2: a check leaves it alone.
    let requests = origin.settled_log().len();
    service.call("CheckNow", &[]);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(service.text("Phase"), "idle");
    assert_eq!((service.number("Ready"), service.number("Pending")), (0, 0));
    let fetched: Vec<_> = origin.settled_log()[requests..]
        .iter()
        .filter(|request| !request.is_metadata())
        .cloned()
        .collect();
    assert!(
        fetched.is_empty(),
        "a declined version was fetched: {fetched:?}"
    );
}

#[test]
fn metered_links_and_low_batteries_hold_downloads_until_they_end() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_noise(&image, 81, 8 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    let system_bus = PrivateBus::start();
    let conditions = SystemConditions::start(&system_bus);
    let service = ImageService::start(
        &publisher,
        &bus,
        Some(&system_bus),
        &origin.url(),
        "max_rate_kib = 1024\n[policy]\npause_on_battery_below = 25",
    );
    service.wait_for_phase("fetching", MINUTE);
    wait_until("progress", || service.number("BytesDone") > 0);
    assert_eq!(service.text("HeldBy"), "");

    // A metered link holds the download; "download anyway" lets it go on.
    conditions.set_metered(1);
    service.wait_for_phase("paused", MINUTE);
    assert_eq!(service.text("HeldBy"), "metered");
    assert_standing_still(&service);
    service.call("DownloadAnyway", &[]);
    service.wait_for_phase("fetching", MINUTE);
    assert_eq!(service.property("PolicyOverridden"), true);
    let moving = service.number("BytesDone");
    wait_until("the overridden download to move", || {
        service.number("BytesDone") > moving
    });
    // The link turns unmetered: the override ends with its condition.
    conditions.set_metered(4);
    wait_until("the override to end", || {
        service.property("PolicyOverridden") == false
    });

    // On battery at 12 %: held; plugged in again: going on.
    conditions.set_battery_level(12.0);
    conditions.set_on_battery(true);
    service.wait_for_phase("paused", MINUTE);
    assert_eq!(service.text("HeldBy"), "battery");
    assert_standing_still(&service);
    conditions.set_on_battery(false);
    service.wait_for_phase("ready", MINUTE);
    assert_eq!(service.number("Ready"), 1);
    assert_eq!(service.text("LastError"), "");
}

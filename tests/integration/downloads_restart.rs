//! Hearth killed with `kill -9` in the middle of a download: the download goes on in the
//! image service, and a restarted Hearth shows the right progress (its downloads, kept for
//! the next start's first frame, follow the service again).

use std::path::Path;
use std::time::{Duration, Instant};

use hearth_tests::image_service::ImageService;
use hearth_tests::images::{Nginx, Publisher};
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::xvfb::{Running, Xvfb};

const WAIT: Duration = Duration::from_secs(60);

/// What a Hearth last kept of the image `work`: (bytes done, ready version).
fn kept(cache: &Path) -> Option<(u64, u64)> {
    let bytes = std::fs::read(cache.join("hearth/downloads.json")).ok()?;
    let statuses: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let work = statuses
        .as_array()?
        .iter()
        .find(|status| status["name"] == "work")?;
    Some((work["bytes_done"].as_u64()?, work["ready"].as_u64()?))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_download_outlives_a_killed_hearth_and_a_restarted_one_follows_it() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    let mut rng = fastrand::Rng::with_seed(101);
    let noise: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
        .take(12 << 20)
        .collect();
    std::fs::write(&image, noise).unwrap();
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let bus = PrivateBus::start();
    // About twelve seconds for the whole download.
    let service = ImageService::start_for_vm(
        &publisher,
        &bus,
        None,
        &origin.url(),
        "max_rate_kib = 1024",
        "Work",
    );
    service.wait_for_phase("fetching", WAIT);

    let xvfb = Xvfb::start();
    let cache = TempDir::new("hearth-cache");
    let cache_home = cache.path().to_string_lossy().into_owned();
    let images_bus = format!("--images-bus={}", bus.address);
    let env = [("XDG_CACHE_HOME", cache_home.as_str())];
    let mut first = Running::start(&xvfb, &[&images_bus], &env);
    wait_until("the first Hearth to follow the download", || {
        kept(cache.path()).is_some_and(|(done, _)| done > 0)
    });
    let (seen_by_first, _) = kept(cache.path()).unwrap();

    first.process.kill();
    let at_kill = service.number("BytesDone") as u64;
    assert_eq!(service.text("Phase"), "fetching");
    wait_until("the download to go on without Hearth", || {
        service.number("BytesDone") as u64 > at_kill
    });
    assert_eq!(service.text("LastError"), "");

    let mut second = Running::start(&xvfb, &[&images_bus], &env);
    let restarted_at = service.number("BytesDone") as u64;
    wait_until("the restarted Hearth to show the live progress", || {
        kept(cache.path()).is_some_and(|(done, _)| done >= restarted_at && done > seen_by_first)
    });
    service.wait_for_phase("ready", WAIT);
    wait_until("the restarted Hearth to show the version ready", || {
        kept(cache.path()).is_some_and(|(_, ready)| ready == 1)
    });
    assert!(
        !second.log().contains("panicked"),
        "the restarted Hearth failed: {}",
        second.log()
    );
}

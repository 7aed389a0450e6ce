//! `kill -9` of the agent at random moments, by pack and by single chunks: every run goes on
//! from what reached the disk, no run fetches more than 2 MiB again, and the image ends
//! with the right hash, and the manifest is fetched once. Then a full disk: a clear refusal
//! before anything is written, the current image intact, and the download goes on once
//! space is freed.

use std::process::Stdio;
use std::time::Duration;

use hearth_tests::images::{
    Nginx, Publisher, SmallDisk, assert_succeeded, b3, change_image, device_state, fetch,
    fetch_command, free_bytes, outcome, write_image,
};
use hearth_tests::services::Process;

const REFETCH_LIMIT: u64 = 2 << 20;

/// The bytes a run planned to fetch, from its log.
fn planned(log: &str) -> Option<u64> {
    let line = log.lines().find(|line| line.contains(" bytes to fetch"))?;
    let before = line.split(" bytes to fetch").next()?;
    before.rsplit(' ').next()?.parse().ok()
}

fn kill_and_resume(extra: &[&str], seed: u64) {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, seed, 24 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);

    // What a download in one go costs, on a device of its own.
    let reference = fetch(
        &publisher.path("reference"),
        &publisher.public_key,
        &[origin.url()],
        extra,
    );
    assert_succeeded(&reference);
    let total = outcome(&reference)["planned"].as_u64().unwrap();
    // Slow enough that every run is cut off part-way: the whole download would take 24 s.
    let rate = (total / 24).to_string();

    let device = publisher.path("device");
    let mut rng = fastrand::Rng::with_seed(seed);
    let spool = device.join("work/staging/1.spool");
    let spooled = || std::fs::metadata(&spool).map(|m| m.len()).unwrap_or(0);
    let mut runs: Vec<Run> = Vec::new();
    let data_sent = |from: usize| -> (u64, usize) {
        let log = origin.settled_log();
        let sent = log[from..]
            .iter()
            .filter(|r| !r.is_metadata())
            .map(|r| r.bytes)
            .sum();
        (sent, log.len())
    };
    let mut seen = origin.settled_log().len();
    for _ in 0..20 {
        let stderr_path = publisher.path("run.log");
        let extra = [extra, &["--limit-rate", &rate]].concat();
        let mut command = fetch_command(&device, &publisher.public_key, &[origin.url()], &extra);
        command
            .env("HEARTH_LOG", "hearth_images=info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap());
        let mut run = Process::spawn("hearth-image fetch", &mut command);
        std::thread::sleep(Duration::from_millis(rng.u64(200..700)));
        run.kill();
        let (sent, length) = data_sent(seen);
        let manifests = origin.settled_log()[seen..length]
            .iter()
            .filter(|r| r.uri.starts_with("/manifests/"))
            .count();
        seen = length;
        runs.push(Run {
            planned: planned(&std::fs::read_to_string(&stderr_path).unwrap()),
            sent,
            spooled: spooled(),
            manifests,
        });
    }
    // The last run goes at full speed to the end.
    let spooled_before_last = spooled();
    let last = fetch(&device, &publisher.public_key, &[origin.url()], extra);
    assert_succeeded(&last);
    let last_planned = outcome(&last)["planned"].as_u64().unwrap();
    let (last_sent, _) = data_sent(seen);
    // Once a run had the verified manifest in its staging folder, later runs read it there:
    // only the channel is asked for again.
    let staged = runs
        .iter()
        .position(|run| run.planned.is_some())
        .expect("a run got as far as planning");
    let manifests_after: usize = runs[staged + 1..].iter().map(|run| run.manifests).sum();
    let last_manifests = origin.settled_log()[seen..]
        .iter()
        .filter(|r| r.uri.starts_with("/manifests/"))
        .count();
    assert_eq!(
        (manifests_after, last_manifests),
        (0, 0),
        "a resumed run fetched the manifest again: {runs:?}"
    );

    assert_eq!(b3(&device.join("work/versions/1.img")), b3(&image));
    assert_eq!(device_state(&device)["ready"], 1);
    // What had reached the disk after each run: whole frames or chunks (the image bytes the
    // next run did not plan to fetch) and the spooled start of a frame.
    let mut planned_by_next: Vec<Option<u64>> =
        runs.iter().skip(1).map(|run| run.planned).collect();
    planned_by_next.push(Some(last_planned));
    let mut at_rest_before = 0u64;
    let mut planned_before = total;
    let mut cut_mid_download = 0;
    for (index, run) in runs.iter().enumerate() {
        let planned_next = planned_by_next[index].unwrap_or(run.planned.unwrap_or(planned_before));
        let at_rest = total - planned_next + run.spooled;
        let progress = at_rest.saturating_sub(at_rest_before);
        let again = run.sent.saturating_sub(progress);
        assert!(
            again <= REFETCH_LIMIT,
            "run {index} was sent {} bytes for {progress} bytes of progress: {again} bytes will be fetched again ({runs:?})",
            run.sent
        );
        assert!(
            progress > 0 || run.sent == 0,
            "run {index} made no progress: {runs:?}"
        );
        if run.sent > 0 && planned_next > 0 {
            cut_mid_download += 1;
        }
        at_rest_before = at_rest;
        planned_before = planned_next;
    }
    assert!(
        cut_mid_download >= 10,
        "only {cut_mid_download} runs were cut off while downloading: {runs:?}"
    );
    assert_eq!(
        last_sent,
        last_planned - spooled_before_last,
        "the last run fetched exactly what it planned, less what was spooled"
    );
}

#[derive(Debug)]
struct Run {
    /// The bytes it planned to fetch (None when it was killed before planning).
    planned: Option<u64>,
    /// The bytes nginx sent it.
    sent: u64,
    /// The bytes of a frame spooled when it was killed.
    spooled: u64,
    /// Requests for the manifest or its signature.
    manifests: usize,
}

#[test]
fn a_killed_download_by_pack_resumes_where_it_stopped_and_ends_verified() {
    kill_and_resume(&[], 41);
}

#[test]
fn a_killed_download_by_chunks_resumes_and_ends_verified() {
    kill_and_resume(&["--no-packs"], 42);
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_download_goes_on_once_space_is_freed() {
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 51, 10 << 20);
    change_image(&v1, &v2, 52);
    publisher.publish("work", &v1, &[]);
    let origin = Nginx::origin(&publisher.store);
    let disk = SmallDisk::mount(20);
    let device = disk.path().join("state");
    let first = fetch(
        &device,
        &publisher.public_key,
        &[origin.url()],
        &["--activate"],
    );
    assert_succeeded(&first);
    let current = b3(&device.join("work/versions/1.img"));

    // Fill the disk but for 2 MiB, then offer version 2.
    publisher.publish("work", &v2, &[]);
    let filler = disk.path().join("filler");
    let free = free_bytes(disk.path());
    std::fs::write(&filler, vec![1u8; (free - (2 << 20)) as usize]).unwrap();
    let full = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert!(!full.status.success());
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(
        stderr.contains("version 2 of work needs ") && stderr.contains("free some space"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Refused before a byte of it was written.
    let staging: Vec<_> = std::fs::read_dir(device.join("work/staging"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    assert!(staging.is_empty(), "{staging:?}");
    assert_eq!(b3(&device.join("work/versions/1.img")), current);
    assert_eq!(device_state(&device)["current"], 1);

    std::fs::remove_file(&filler).unwrap();
    let resumed = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert_succeeded(&resumed);
    assert!(outcome(&resumed)["reused"].as_u64().unwrap() > 0);
    assert_eq!(b3(&device.join("work/versions/2.img")), b3(&v2));
    assert_eq!(b3(&device.join("work/versions/1.img")), current);
}

#[test]
fn a_run_killed_while_installing_installs_on_the_next_run_without_fetching_again() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 53, 8 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let device = publisher.path("device");
    let first = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert_succeeded(&first);
    // As a kill between moving the image into place and saving the state leaves it.
    std::fs::write(
        device.join("work/state.json"),
        r#"{"current": null, "ready": null, "previous": [], "pending": 1}"#,
    )
    .unwrap();
    let mark = origin.settled_log().len();
    let again = fetch(&device, &publisher.public_key, &[origin.url()], &[]);
    assert_succeeded(&again);
    assert_eq!(outcome(&again)["planned"], 0);
    assert!(
        origin.settled_log()[mark..]
            .iter()
            .all(|request| request.is_metadata())
    );
    assert_eq!(device_state(&device)["ready"], 1);
    assert_eq!(b3(&device.join("work/versions/1.img")), b3(&image));
}

//! The agent as the shell will use it: progress sampled while it runs (phases in order, exact
//! byte counts from the start), pause and resume, cancel, and a bandwidth cap.

use std::time::Duration;

use hearth_images::Error;
use hearth_images::agent::{Agent, AgentConfig, Control, Outcome, Phase, Progress};
use hearth_images::signing::load_public_key;
use hearth_tests::images::{Nginx, Publisher, b3, write_image};

fn agent(publisher: &Publisher, origin: &Nginx, device: &str) -> Agent {
    let key = load_public_key(&publisher.public_key).unwrap();
    Agent::new(AgentConfig::new(
        "work",
        vec![origin.url()],
        vec![key],
        publisher.path(device),
    ))
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits (in real time) until the latest progress satisfies `done`.
fn wait_for_progress(control: &Control, what: &str, done: impl Fn(&Progress) -> bool) -> Progress {
    let receiver = control.progress();
    for _ in 0..1000 {
        let progress = receiver.borrow().clone();
        if done(&progress) {
            return progress;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}: {:?}", receiver.borrow());
}

#[test]
fn progress_is_exact_and_a_paused_download_resumes_where_it_was() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 61, 16 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let agent = agent(&publisher, &origin, "device");
    let control = Control::new();
    // About four seconds for the whole download.
    control.set_bandwidth_cap(Some(2 << 20));
    let runtime = runtime();

    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Progress>::new()));
    let mut receiver = control.progress();
    let sampled = samples.clone();
    runtime.spawn(async move {
        while receiver.changed().await.is_ok() {
            sampled
                .lock()
                .unwrap()
                .push(receiver.borrow_and_update().clone());
        }
    });
    let task = {
        let control = control.clone();
        runtime.spawn(async move { agent.update(&control).await })
    };

    let started = wait_for_progress(&control, "the first bytes", |p| p.fetched > 0);
    assert_eq!(started.phase, Phase::Fetching);
    control.pause();
    // Frames already received are still written; then nothing moves.
    std::thread::sleep(Duration::from_millis(500));
    let paused = control.progress().borrow().clone();
    std::thread::sleep(Duration::from_secs(1));
    let still = control.progress().borrow().clone();
    assert!(still.paused);
    assert_eq!(
        still.fetched, paused.fetched,
        "the download went on while paused"
    );
    assert!(still.fetched < still.to_fetch);
    control.resume();
    control.set_bandwidth_cap(None);

    let outcome = runtime.block_on(task).unwrap().unwrap();
    let Outcome::Ready {
        version, planned, ..
    } = outcome
    else {
        panic!("expected a ready version, got {outcome:?}");
    };
    assert_eq!(version, 1);
    assert_eq!(
        b3(&publisher.path("device/work/versions/1.img")),
        b3(&image)
    );

    std::thread::sleep(Duration::from_millis(100));
    let samples = samples.lock().unwrap().clone();
    let last = samples.last().unwrap();
    assert_eq!(
        (last.phase, last.fetched, last.to_fetch),
        (Phase::Ready, planned, planned)
    );
    let order = |phase: Phase| {
        [
            Phase::Checking,
            Phase::Fetching,
            Phase::Verifying,
            Phase::Ready,
        ]
        .iter()
        .position(|p| *p == phase)
    };
    let fetching: Vec<&Progress> = samples
        .iter()
        .filter(|p| p.phase == Phase::Fetching)
        .collect();
    assert!(!fetching.is_empty());
    for pair in samples.windows(2) {
        assert!(
            order(pair[0].phase) <= order(pair[1].phase),
            "phases went back: {:?} then {:?}",
            pair[0].phase,
            pair[1].phase
        );
        assert!(
            pair[0].fetched <= pair[1].fetched
                || pair[1].phase == Phase::Fetching && pair[0].phase == Phase::Checking
        );
    }
    // The total is known from the first sample of the fetching phase and never changes.
    assert!(
        fetching
            .iter()
            .all(|p| p.to_fetch == planned && p.image_bytes == 16 << 20)
    );
    assert!(
        fetching
            .iter()
            .any(|p| p.rate > 0 && p.eta_seconds.is_some())
    );
}

#[test]
fn a_cancelled_download_leaves_nothing_behind() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 62, 16 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let agent = agent(&publisher, &origin, "device");
    let control = Control::new();
    control.set_bandwidth_cap(Some(1 << 20));
    let runtime = runtime();
    let task = {
        let control = control.clone();
        runtime.spawn(async move {
            let result = agent.update(&control).await;
            (result, agent.state().unwrap())
        })
    };
    wait_for_progress(&control, "the first bytes", |p| p.fetched > 0);
    control.cancel();
    let (result, state) = runtime.block_on(task).unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert_eq!(
        (state.pending, state.ready, state.current),
        (None, None, None)
    );
    let staging: Vec<_> = std::fs::read_dir(publisher.path("device/work/staging"))
        .unwrap()
        .collect();
    assert!(staging.is_empty(), "left behind: {staging:?}");
}

//! The network as it is: mirrors that answer 500 or 503, a connection that stalls, a mirror
//! that is gone, and a branch office's cache in front of the origin.

use hearth_tests::images::{
    Nginx, Publisher, StalledServer, assert_succeeded, b3, change_image, fetch, free_port, outcome,
    write_image,
};

#[test]
fn failing_mirrors_are_retried_then_left_for_the_next_and_then_named_in_the_error() {
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    write_image(&image, 21, 6 << 20);
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);
    let (broken, overloaded) = (Nginx::failing(500), Nginx::failing(503));
    let stalled = StalledServer::start();
    let dead = format!("http://127.0.0.1:{}", free_port());

    let device = publisher.path("device");
    let mirrors = [
        dead.clone(),
        broken.url(),
        overloaded.url(),
        stalled.url(),
        origin.url(),
    ];
    let output = fetch(&device, &publisher.public_key, &mirrors, &[]);
    assert_succeeded(&output);
    assert_eq!(outcome(&output)["version"], 1);
    assert_eq!(b3(&device.join("work/versions/1.img")), b3(&image));
    // Each failing mirror was tried twice (--attempts 2) for the channel, then left: the
    // rest of the download went to the mirror that worked.
    assert_eq!(broken.settled_log().len(), 2);
    assert_eq!(overloaded.settled_log().len(), 2);
    assert!(broken.log().iter().all(|request| request.status == 500));
    assert!(
        origin
            .log()
            .iter()
            .any(|request| request.uri.starts_with("/packs/"))
    );

    // With no mirror that works, the error names the last URL tried and why it failed.
    let lost = publisher.path("device-2");
    let output = fetch(
        &lost,
        &publisher.public_key,
        &[dead, broken.url(), overloaded.url()],
        &[],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}/channels/work.json", overloaded.url())),
        "{stderr}"
    );
    assert!(stderr.contains("503 Service Unavailable"), "{stderr}");
    assert!(
        stderr.contains("gave up after 6 tries on 3 mirrors"),
        "{stderr}"
    );

    let output = fetch(&lost, &publisher.public_key, &[stalled.url()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&stalled.url()) && stderr.contains("timed out"),
        "{stderr}"
    );
}

#[test]
fn a_branch_cache_serves_the_second_device_without_asking_the_origin() {
    let publisher = Publisher::new();
    let (v1, v2) = (publisher.path("v1.img"), publisher.path("v2.img"));
    write_image(&v1, 31, 12 << 20);
    change_image(&v1, &v2, 32);
    publisher.publish("work", &v1, &[]);
    publisher.publish("work", &v2, &[]);
    let origin = Nginx::origin(&publisher.store);
    let cache = Nginx::cache(&origin);

    let first = publisher.path("device-1");
    let output = fetch(&first, &publisher.public_key, &[cache.url()], &[]);
    assert_succeeded(&output);
    let origin_requests = origin.settled_log().len();
    assert!(origin_requests > 0);

    let second = publisher.path("device-2");
    let output = fetch(&second, &publisher.public_key, &[cache.url()], &[]);
    assert_succeeded(&output);
    assert_eq!(b3(&second.join("work/versions/2.img")), b3(&v2));
    assert!(cache.settled_log().len() > origin_requests.min(3));
    assert_eq!(
        origin.settled_log().len(),
        origin_requests,
        "the second device's download reached the origin: {:?}",
        &origin.log()[origin_requests..]
    );
}

//! `cargo xtask bench images`: Hearth's image delivery beside the tools it replaces, each
//! measured in the same run against the same nginx on loopback, over two versions of a real
//! Debian system (see `os_images.rs`):
//!
//! - bytes and requests from version 1 to version 2: Hearth's pack path and chunk path,
//!   casync seeded with version 1 (on the images as they are, and on the images with their
//!   free space zeroed as Hearth publishes them), and the whole of version 2 compressed with
//!   `zstd -19`;
//! - a full install with nothing to seed from, against `curl | zstd -d` plus `sync` of the
//!   same bytes (version 1 as published), with the write rate beside `dd conv=fsync`;
//! - the agent's peak memory while it installs a 20 GiB sparse image;
//! - a fleet of five devices updating one after another and all at once, with and without
//!   peers (see `fleet.rs`).
//!
//! `bench-images fleet` runs the fleet rows alone.

mod fleet;
mod os_images;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hearth_tests::images::{Nginx, Request, b3};
use hearth_tests::services::TempDir;
use hearth_tests::startup::sibling;

const REPEATS: usize = 3;

fn hearth_image() -> Command {
    Command::new(sibling("hearth-image"))
}

fn run(what: &str, command: &mut Command) -> String {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(output.status.success(), "{what} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn time(mut work: impl FnMut()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

struct Store {
    dir: TempDir,
    secret: PathBuf,
    public: PathBuf,
}

impl Store {
    fn new() -> Store {
        let dir = TempDir::new("bench-images");
        let (secret, public) = (dir.path().join("image.key"), dir.path().join("image.pub"));
        run(
            "hearth-image keygen",
            hearth_image()
                .arg("keygen")
                .arg("--secret-key")
                .arg(&secret)
                .arg("--public-key")
                .arg(&public),
        );
        Store {
            dir,
            secret,
            public,
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn publish(&self, image: &str, input: &Path, extra: &[&str]) -> Duration {
        time(|| {
            let said = run(
                "hearth-image publish",
                hearth_image()
                    .args(["publish", "--image", image])
                    .arg("--store")
                    .arg(self.root())
                    .arg("--secret-key")
                    .arg(&self.secret)
                    .args(extra)
                    .arg(input),
            );
            eprint!("{said}");
        })
    }

    fn fetch(&self, device: &Path, image: &str, mirror: &str, extra: &[&str]) -> serde_json::Value {
        let said = run(
            "hearth-image fetch",
            hearth_image()
                .args(["fetch", "--image", image, "--mirror", mirror])
                .arg("--state")
                .arg(device)
                .arg("--public-key")
                .arg(&self.public)
                .args(extra),
        );
        serde_json::from_str(said.lines().last().unwrap_or_default())
            .expect("fetch prints its outcome")
    }
}

/// Bytes and requests nginx logged since `from`.
fn traffic(log: &[Request], from: usize) -> (u64, usize) {
    let requests = &log[from..];
    (
        requests.iter().map(|request| request.bytes).sum(),
        requests.len(),
    )
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("fleet") {
        fleet_only();
        return;
    }
    let images = os_images::ensure();
    let store = Store::new();
    let scratch = |name: &str| store.dir.path().join(name);
    // What a device ends up with: the versions with their filesystem's free space zeroed.
    let (published_v1, published_v2) = (images.zeroed(&images.v1()), images.zeroed(&images.v2()));
    let data_v1 = disk_usage(&published_v1);
    eprintln!("bench-images: publishing version 1 and 2 at the default levels");
    let publish_v1 = store.publish("work", &images.v1(), &[]);
    let origin = Nginx::origin(&store.root());
    let casync_origin = Nginx::origin(&images.root.join("casync"));
    let files_origin = Nginx::origin(&images.root);

    // Full installs of version 1 with nothing to seed from, alternating with the baseline.
    let (mut hearth_runs, mut curl_runs) = (Vec::new(), Vec::new());
    for round in 0..REPEATS {
        let device = scratch(&format!("install-{round}"));
        hearth_runs.push(time(|| {
            store.fetch(&device, "work", &origin.url(), &[]);
        }));
        assert_eq!(b3(&device.join("work/versions/1.img")), b3(&published_v1));
        let _ = std::fs::remove_dir_all(&device);
        let output = scratch("curl.img");
        curl_runs.push(time(|| {
            run(
                "curl | zstd -d; sync",
                Command::new("sh").arg("-c").arg(format!(
                    "curl -sf {}/{}/v1.img.zst | zstd -d -q -f -o {} && sync",
                    files_origin.url(),
                    os_images::ZEROED,
                    output.display()
                )),
            );
        }));
        let _ = std::fs::remove_file(&output);
    }
    let dd_file = scratch("dd.bin");
    let dd = time(|| {
        run(
            "dd conv=fsync",
            Command::new("dd")
                .arg("if=/dev/zero")
                .arg(format!("of={}", dd_file.display()))
                .arg("bs=4M")
                .arg(format!("count={}", data_v1.div_ceil(4 << 20)))
                .arg("conv=fsync")
                .stderr(Stdio::null()),
        );
    });
    let _ = std::fs::remove_file(&dd_file);

    // Three devices on version 1, one of whose VM then writes 200 MiB over its disk (into
    // its overlay); then version 2 is published.
    let (by_pack, by_chunk, used) = (
        scratch("device-pack"),
        scratch("device-chunk"),
        scratch("device-used"),
    );
    for device in [&by_pack, &by_chunk, &used] {
        store.fetch(device, "work", &origin.url(), &["--activate"]);
    }
    let template = scratch("fleet-template");
    store.fetch(&template, "work", &origin.url(), &[]);
    write_as_a_vm(&used.join("work/overlays/1.qcow2"));
    assert_eq!(b3(&used.join("work/versions/1.img")), b3(&published_v1));
    let publish_v2 = store.publish("work", &images.v2(), &[]);
    let mark = origin.settled_log().len();
    store.fetch(&by_pack, "work", &origin.url(), &[]);
    let pack = traffic(&origin.settled_log(), mark);
    let mark = origin.settled_log().len();
    store.fetch(&used, "work", &origin.url(), &[]);
    let after_use = traffic(&origin.settled_log(), mark);
    assert_eq!(b3(&used.join("work/versions/2.img")), b3(&published_v2));
    let mark = origin.settled_log().len();
    store.fetch(&by_chunk, "work", &origin.url(), &["--no-packs"]);
    let chunk = traffic(&origin.settled_log(), mark);
    for device in [&by_pack, &by_chunk] {
        assert_eq!(b3(&device.join("work/versions/2.img")), b3(&published_v2));
    }
    let casync_output = scratch("casync-v2.img");
    let mark = casync_origin.settled_log().len();
    run(
        "casync extract",
        Command::new("casync")
            .arg("extract")
            .arg(format!("--store={}/store.castr", casync_origin.url()))
            .arg(format!("--seed={}", images.v1().display()))
            .arg(format!("{}/v2.caibx", casync_origin.url()))
            .arg(&casync_output),
    );
    let casync = traffic(&casync_origin.settled_log(), mark);
    assert_eq!(b3(&casync_output), b3(&images.v2()));
    let _ = std::fs::remove_file(&casync_output);
    let casync_zeroed_output = scratch("casync-v2-zeroed.img");
    let mark = files_origin.settled_log().len();
    run(
        "casync extract (free space zeroed)",
        Command::new("casync")
            .arg("extract")
            .arg(format!(
                "--store={}/{}/casync/store.castr",
                files_origin.url(),
                os_images::ZEROED
            ))
            .arg(format!("--seed={}", published_v1.display()))
            .arg(format!(
                "{}/{}/casync/v2.caibx",
                files_origin.url(),
                os_images::ZEROED
            ))
            .arg(&casync_zeroed_output),
    );
    let casync_zeroed = traffic(&files_origin.settled_log(), mark);
    assert_eq!(b3(&casync_zeroed_output), b3(&published_v2));
    let zstd_whole = std::fs::metadata(images.zst(&published_v2)).unwrap().len();

    println!();
    println!(
        "Version 1 to version 2 of a Debian 12 ext4 image ({} of data; version 2 adds {}), nginx on loopback, bytes and requests from its log; publishing took {} and {} at zstd -19",
        megabytes(data_v1),
        os_images::UPGRADE.join(", "),
        seconds(publish_v1),
        seconds(publish_v2)
    );
    println!();
    println!(
        "| path | bytes | requests | bytes vs casync | requests vs casync | bytes vs casync on the zeroed images | goal |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let ratio = |a: u64, b: u64| a as f64 / b as f64;
    let row = |what: &str, (bytes, requests): (u64, usize), goal: &str| {
        println!(
            "| {what} | {} | {requests} | {:.2}x | 1/{:.1} | {:.2}x | {goal} |",
            megabytes(bytes),
            ratio(bytes, casync.0),
            casync.1 as f64 / requests as f64,
            ratio(bytes, casync_zeroed.0),
        );
    };
    row("Hearth, delta pack", pack, "≤ 0.7x bytes, ≤ 1/50 requests");
    row("Hearth, single chunks", chunk, "≤ 0.9x bytes");
    row(
        "casync (defaults, seeded with version 1)",
        casync,
        "baseline",
    );
    row(
        "casync on the images with their free space zeroed (as Hearth publishes them)",
        casync_zeroed,
        "baseline",
    );
    row(
        "whole version 2 as published, zstd -19",
        (zstd_whole, 1),
        "baseline",
    );

    println!();
    println!(
        "The same update on a device whose VM wrote {} MiB over version 1 (twenty stretches spread over the image, written with qemu-io into the VM's overlay as QEMU does)",
        USE_WRITES >> 20
    );
    println!();
    println!("| path | bytes | requests | bytes vs version 1 never run | goal |");
    println!("| --- | --- | --- | --- | --- |");
    for (what, (bytes, requests), goal) in [
        ("Hearth, delta pack, version 1 never run", pack, "baseline"),
        (
            "Hearth, delta pack, after the VM's writes",
            after_use,
            "within 2 %",
        ),
    ] {
        println!(
            "| {what} | {} | {requests} | {:.3}x | {goal} |",
            megabytes(bytes),
            ratio(bytes, pack.0)
        );
    }

    let (hearth, curl) = (median(hearth_runs), median(curl_runs));
    println!();
    println!(
        "Full install of version 1 with nothing to seed from (median of {REPEATS}), same nginx, same disk, same bytes (version 1 as published)"
    );
    println!();
    println!("| what | time | ratio to curl + zstd | write rate | goal |");
    println!("| --- | --- | --- | --- | --- |");
    let rate = |bytes: u64, duration: Duration| {
        format!("{:.0} MB/s", bytes as f64 / 1e6 / duration.as_secs_f64())
    };
    println!(
        "| Hearth: fetch, verify every chunk, write, fsync, rename | {} | {:.2}x | {} | ≤ 1.0x |",
        seconds(hearth),
        hearth.as_secs_f64() / curl.as_secs_f64(),
        rate(data_v1, hearth)
    );
    println!(
        "| curl piped into zstd -d to a file, then sync | {} | 1.00x | {} | baseline |",
        seconds(curl),
        rate(data_v1, curl)
    );
    println!(
        "| dd conv=fsync of the same bytes | {} | — | {} | the disk |",
        seconds(dd),
        rate(data_v1, dd)
    );

    print_fleet(&fleet_rows(&store, &template, &published_v2));

    let (rss, size) = big_install(&store, &images, &origin, &scratch("device-big"));
    println!();
    println!("| what | peak RSS | goal |");
    println!("| --- | --- | --- |");
    println!(
        "| agent installing a {} GiB sparse image ({} of data) | {:.1} MiB | ≤ 64 MiB |",
        size >> 30,
        megabytes(data_v1),
        rss as f64 / (1 << 20) as f64
    );
}

/// Publishes the pair and measures the fleet rows only.
fn fleet_only() {
    let images = os_images::ensure();
    let store = Store::new();
    store.publish("work", &images.v1(), &[]);
    let origin = Nginx::origin(&store.root());
    let template = store.dir.path().join("fleet-template");
    store.fetch(&template, "work", &origin.url(), &[]);
    store.publish("work", &images.v2(), &[]);
    print_fleet(&fleet_rows(&store, &template, &images.zeroed(&images.v2())));
}

fn fleet_rows(store: &Store, template: &Path, published_v2: &Path) -> Vec<fleet::Row> {
    fleet::measure(
        &store.root(),
        &store.public,
        template,
        store.dir.path(),
        published_v2,
    )
}

fn print_fleet(rows: &[fleet::Row]) {
    // Each device of the first row fetched the same delta alone.
    let one = rows[0].data_bytes as f64 / fleet::DEVICES as f64;
    println!();
    println!(
        "A fleet of {} devices (each in a network namespace on one bridge, the origin on the bridge's host) updating from version 1 to 2; one device's delta is {}",
        fleet::DEVICES,
        megabytes(one as u64)
    );
    println!();
    println!(
        "| fleet | origin bytes (data) | origin requests (data) | vs {n}x one device's delta | vs one device's delta | from peers | channel and manifests | time | goal |",
        n = fleet::DEVICES
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        let goal = if row.peers {
            "≤ 1.3x one device's delta"
        } else {
            "baseline"
        };
        println!(
            "| {} | {} | {} | {:.2}x | {:.2}x | {} | {} | {:.1} s | {goal} |",
            row.what(),
            megabytes(row.data_bytes),
            row.requests,
            row.data_bytes as f64 / (one * fleet::DEVICES as f64),
            row.data_bytes as f64 / one,
            megabytes(row.from_peers),
            megabytes(row.metadata_bytes),
            row.seconds
        );
    }
}

/// What the VM writes over version 1 in the "after use" row.
const USE_WRITES: u64 = 200 << 20;

/// Writes [`USE_WRITES`] over a version's overlay as a guest would through QEMU: twenty
/// stretches of 10 MiB spread evenly over the image.
fn write_as_a_vm(overlay: &Path) {
    let info = run(
        "qemu-img info",
        Command::new("qemu-img")
            .args(["info", "--output=json"])
            .arg(overlay),
    );
    let size = serde_json::from_str::<serde_json::Value>(&info).expect("qemu-img prints JSON")
        ["virtual-size"]
        .as_u64()
        .expect("a virtual size");
    let stretch = USE_WRITES / 20;
    let mut command = Command::new("qemu-io");
    command.args(["-f", "qcow2"]);
    for index in 0..20 {
        let at = (size - stretch) / 19 * index / 512 * 512;
        command
            .arg("-c")
            .arg(format!("write -P 0x{:02x} {at} {stretch}", 0x41 + index));
    }
    run("qemu-io", command.arg(overlay));
}

/// Bytes a sparse file takes on disk.
fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// Installs a 20 GiB sparse image (version 1's data, then zeros) and returns the agent's peak
/// resident memory and the image's size.
fn big_install(
    store: &Store,
    images: &os_images::Images,
    origin: &Nginx,
    device: &Path,
) -> (u64, u64) {
    let big = store.dir.path().join("big.img");
    let size = 20u64 << 30;
    std::fs::File::create(&big).unwrap().set_len(size).unwrap();
    run(
        "copying version 1 into the big image",
        Command::new("dd")
            .arg(format!("if={}", images.zeroed(&images.v1()).display()))
            .arg(format!("of={}", big.display()))
            .args(["bs=4M", "conv=notrunc,sparse"])
            .stderr(Stdio::null()),
    );
    store.publish(
        "big",
        &big,
        &["--chunk-level", "3", "--pack-level", "3", "--deltas", "0"],
    );
    let mut child = hearth_image()
        .args(["fetch", "--image", "big", "--mirror", &origin.url()])
        .arg("--state")
        .arg(device)
        .arg("--public-key")
        .arg(&store.public)
        .stdout(Stdio::null())
        .spawn()
        .expect("starting hearth-image fetch");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            for line in status.lines() {
                if let Some(value) = line.strip_prefix("VmHWM:") {
                    let kilobytes: u64 = value
                        .trim()
                        .trim_end_matches(" kB")
                        .trim()
                        .parse()
                        .unwrap_or(0);
                    peak = peak.max(kilobytes * 1024);
                }
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "installing the big image failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (peak, size)
}

//! The image tests' world: nginx serving a store (as an origin, a branch cache or a broken
//! mirror), a server that stalls, disk images to publish, and `hearth-image` to run.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::services::{Process, TempDir, wait_for};

/// `hearth-image`, built beside the tests by `cargo xtask test`.
pub fn hearth_image() -> PathBuf {
    crate::services::built_binary("hearth-image")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One request as nginx logged it.
#[derive(Debug, Clone)]
pub struct Request {
    pub uri: String,
    pub status: u16,
    pub bytes: u64,
    pub range: String,
}

impl Request {
    /// Channel, manifest and signature: small files every run reads again.
    pub fn is_metadata(&self) -> bool {
        self.uri.starts_with("/channels/") || self.uri.starts_with("/manifests/")
    }
}

/// nginx on loopback, in a folder of its own, stopped when dropped.
pub struct Nginx {
    process: Process,
    pub port: u16,
    dir: TempDir,
}

impl Nginx {
    /// Serves a store as the origin: channels may be cached for a minute, everything else
    /// forever (what docs/IMAGES.md tells admins to configure).
    pub fn origin(store: &Path) -> Nginx {
        Nginx::start(&format!(
            "root {};
            location /channels/ {{ add_header Cache-Control \"public, max-age=60\"; }}
            location / {{ add_header Cache-Control \"public, max-age=31536000, immutable\"; }}",
            store.display()
        ))
    }

    /// A branch office's cache in front of `upstream`.
    pub fn cache(upstream: &Nginx) -> Nginx {
        Nginx::start(&format!(
            "location / {{
                proxy_pass http://127.0.0.1:{};
                proxy_cache images;
                proxy_cache_lock on;
                proxy_cache_revalidate on;
                proxy_cache_valid 200 1m;
            }}",
            upstream.port
        ))
    }

    /// A mirror that answers every request with `status`.
    pub fn failing(status: u16) -> Nginx {
        Nginx::start(&format!("location / {{ return {status}; }}"))
    }

    fn start(server: &str) -> Nginx {
        let dir = TempDir::new("nginx");
        let port = free_port();
        let config = nginx_config(dir.path(), &format!("127.0.0.1:{port}"), server);
        std::fs::write(dir.path().join("nginx.conf"), config).expect("writing nginx.conf");
        let process = Process::spawn(
            "nginx",
            Command::new("nginx")
                .arg("-c")
                .arg(dir.path().join("nginx.conf"))
                .arg("-p")
                .arg(dir.path())
                .stderr(Stdio::null()),
        );
        wait_for("nginx to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Nginx { process, port, dir }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything logged so far, oldest first.
    pub fn log(&self) -> Vec<Request> {
        read_access_log(&self.dir.path().join("access.log"))
    }

    /// Waits until nginx has logged every request it is serving (a request cut off by a
    /// killed client is logged once nginx notices).
    pub fn settled_log(&self) -> Vec<Request> {
        settled(|| self.log())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.process.kill();
    }
}

/// An nginx configuration running in the foreground from `folder` (its log, its pid file,
/// its temporary files and cache there), listening on `listen` with `server`'s directives.
/// The access log has one line per request: URI, status, body bytes, range asked for.
pub fn nginx_config(folder: &Path, listen: &str, server: &str) -> String {
    let folder = folder.display();
    format!(
        "worker_processes 1;
        daemon off;
        master_process off;
        pid {folder}/nginx.pid;
        error_log {folder}/error.log warn;
        events {{ worker_connections 512; }}
        http {{
            log_format hearth '$request_uri $status $body_bytes_sent \"$http_range\"';
            access_log {folder}/access.log hearth;
            client_body_temp_path {folder}/body;
            proxy_temp_path {folder}/proxy;
            fastcgi_temp_path {folder}/fastcgi;
            uwsgi_temp_path {folder}/uwsgi;
            scgi_temp_path {folder}/scgi;
            proxy_cache_path {folder}/cache levels=1:2 keys_zone=images:10m max_size=4g inactive=7d use_temp_path=off;
            default_type application/octet-stream;
            server {{
                listen {listen};
                {server}
            }}
        }}"
    )
}

/// What `log` says once it stops growing: every request being served is logged (one cut
/// off by a killed client is logged once nginx notices).
pub fn settled(log: impl Fn() -> Vec<Request>) -> Vec<Request> {
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(150));
        let now = log();
        if now.len() == last {
            return now;
        }
        last = now.len();
    }
}

/// The requests in an access log written with the `hearth` log format, oldest first.
pub fn read_access_log(path: &Path) -> Vec<Request> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(4, ' ');
            Some(Request {
                uri: fields.next()?.to_string(),
                status: fields.next()?.parse().ok()?,
                bytes: fields.next()?.parse().ok()?,
                range: fields.next()?.trim_matches('"').to_string(),
            })
        })
        .collect()
}

/// A server that answers with headers and a few bytes, then sends nothing more.
pub struct StalledServer {
    pub port: u16,
}

impl StalledServer {
    pub fn start() -> StalledServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a port");
        let port = listener.local_addr().expect("its address").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ima");
                held.push(stream);
            }
        });
        StalledServer { port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Writes a disk-like image: stretches of text (compressible, like most of a system's
/// files), of random bytes (like compressed archives) and of zeros (free space).
pub fn write_image(path: &Path, seed: u64, size: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut image = vec![0u8; size];
    let words = vocabulary();
    let mut position = 0;
    while position + (1 << 20) < size {
        let length = rng.usize((64 << 10)..(1 << 20));
        match rng.u8(0..10) {
            0..6 => fill_text(&mut rng, &words, &mut image[position..position + length]),
            6..8 => rng.fill(&mut image[position..position + length]),
            _ => {}
        }
        position += length + rng.usize(0..(256 << 10));
    }
    std::fs::write(path, image).expect("writing an image");
}

/// The next version of an image, as an admin's upgrade makes it: a few stretches rewritten
/// in place and one new file that shifts what follows.
pub fn change_image(from: &Path, to: &Path, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let words = vocabulary();
    let mut image = std::fs::read(from).expect("reading an image");
    let size = image.len();
    for _ in 0..6 {
        let at = rng.usize(0..size - (256 << 10));
        fill_text(&mut rng, &words, &mut image[at..at + (200 << 10)]);
    }
    let mut inserted = vec![0u8; 300 << 10];
    fill_text(&mut rng, &words, &mut inserted);
    let at = size / 5;
    image.splice(at..at, inserted);
    image.truncate(size);
    std::fs::write(to, image).expect("writing an image");
}

fn vocabulary() -> Vec<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..3000)
        .map(|_| (0..rng.usize(2..10)).map(|_| rng.u8(b'a'..=b'z')).collect())
        .collect()
}

fn fill_text(rng: &mut fastrand::Rng, words: &[Vec<u8>], out: &mut [u8]) {
    let mut position = 0;
    while position < out.len() {
        let word = &words[rng.usize(0..words.len())];
        for &byte in word.iter().chain(b" ") {
            if position == out.len() {
                return;
            }
            out[position] = byte;
            position += 1;
        }
    }
}

/// BLAKE3 of a file, as the manifests state it.
pub fn b3(path: &Path) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    hasher.update_reader(&mut file).expect("reading");
    hasher.finalize().to_hex().to_string()
}

/// A store with a key pair, and the images published into it.
pub struct Publisher {
    pub dir: TempDir,
    pub store: PathBuf,
    pub secret_key: PathBuf,
    pub public_key: PathBuf,
}

impl Publisher {
    pub fn new() -> Publisher {
        let dir = TempDir::new("images");
        let store = dir.path().join("store");
        let secret_key = dir.path().join("image.key");
        let public_key = dir.path().join("image.pub");
        run_ok(
            Command::new(hearth_image())
                .arg("keygen")
                .arg("--secret-key")
                .arg(&secret_key)
                .arg("--public-key")
                .arg(&public_key),
        );
        Publisher {
            dir,
            store,
            secret_key,
            public_key,
        }
    }

    /// Publishes `input` as the next version of `image`, fast compression levels (the tests
    /// check behaviour; the benchmark publishes at the real levels).
    pub fn publish(&self, image: &str, input: &Path, extra: &[&str]) -> String {
        let output = run_ok(
            Command::new(hearth_image())
                .args([
                    "publish",
                    "--image",
                    image,
                    "--chunk-level",
                    "3",
                    "--pack-level",
                    "6",
                ])
                .arg("--store")
                .arg(&self.store)
                .arg("--secret-key")
                .arg(&self.secret_key)
                .args(extra)
                .arg(input),
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The version the store's channel for `work` offers, and its manifest's path in the store.
    pub fn current(&self) -> (u64, String) {
        let bytes = std::fs::read(self.store.join(hearth_images::store::channel_path("work")))
            .expect("reading the channel");
        let channel = hearth_images::store::Channel::parse(&bytes).expect("a valid channel");
        (channel.version, channel.manifest)
    }

    /// A path inside the test's folder (a device's state folder, an image).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher::new()
    }
}

/// `hearth-image fetch` of `work` for a device folder, with quick retries.
pub fn fetch_command(
    state: &Path,
    public_key: &Path,
    mirrors: &[String],
    extra: &[&str],
) -> Command {
    let mut command = Command::new(hearth_image());
    command.args(fetch_args(state, public_key, mirrors, extra));
    command
}

/// The arguments of [`fetch_command`], for a `hearth-image` started some other way.
pub fn fetch_args(
    state: &Path,
    public_key: &Path,
    mirrors: &[String],
    extra: &[&str],
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = [
        "fetch",
        "--image",
        "work",
        "--attempts",
        "2",
        "--backoff-ms",
        "50",
        "--read-timeout-ms",
        "1000",
        "--state",
    ]
    .iter()
    .map(Into::into)
    .collect();
    args.push(state.into());
    args.push("--public-key".into());
    args.push(public_key.into());
    args.extend(extra.iter().map(Into::into));
    for mirror in mirrors {
        args.push("--mirror".into());
        args.push(mirror.into());
    }
    args
}

/// Runs [`fetch_command`] to its end; returns its output.
pub fn fetch(state: &Path, public_key: &Path, mirrors: &[String], extra: &[&str]) -> Output {
    fetch_command(state, public_key, mirrors, extra)
        .output()
        .expect("running hearth-image fetch")
}

/// Panics with the command's error output unless it succeeded.
pub fn assert_succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "hearth-image failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a command that must succeed; panics with its error output otherwise.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("starting a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The device's state for `work` as `hearth-image status` prints it.
pub fn device_state(state: &Path) -> serde_json::Value {
    let output = run_ok(
        Command::new(hearth_image())
            .args(["status", "--image", "work", "--state"])
            .arg(state),
    );
    serde_json::from_slice(&output.stdout).expect("status prints JSON")
}

/// The last line `hearth-image fetch` printed: its outcome.
pub fn outcome(output: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|_| {
        panic!(
            "no outcome in {text:?}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A small tmpfs, unmounted when dropped: a device whose disk fills up.
pub struct SmallDisk {
    path: PathBuf,
    /// The folder it is mounted on, when it made one of its own.
    _folder: Option<TempDir>,
}

impl SmallDisk {
    /// A tmpfs of `megabytes` on a folder of its own.
    pub fn mount(megabytes: u64) -> SmallDisk {
        let folder = TempDir::new("small-disk");
        let mut disk = SmallDisk::mount_at(folder.path(), megabytes);
        disk._folder = Some(folder);
        disk
    }

    /// A tmpfs of `megabytes` on `path` (made when missing).
    pub fn mount_at(path: &Path, megabytes: u64) -> SmallDisk {
        std::fs::create_dir_all(path).expect("making the mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(path)
            .status()
            .expect("running mount");
        assert!(
            status.success(),
            "mounting a tmpfs needs root, which `cargo xtask test` runs as in CI"
        );
        SmallDisk {
            path: path.to_owned(),
            _folder: None,
        }
    }

    /// Gives it another size in bytes (rounded up to a page), keeping what it holds.
    pub fn resize(&self, bytes: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={}k", bytes.div_ceil(4096) * 4)])
            .arg(&self.path)
            .status()
            .expect("running mount");
        assert!(
            status.success(),
            "resizing the tmpfs at {}",
            self.path.display()
        );
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Free bytes on the filesystem holding `path`, as `df` reports them.
pub fn free_bytes(path: &Path) -> u64 {
    df(path, "avail")
}

/// Used bytes on the filesystem holding `path`, as `df` reports them.
pub fn used_bytes(path: &Path) -> u64 {
    df(path, "used")
}

fn df(path: &Path, field: &str) -> u64 {
    let output = Command::new("df")
        .args([&format!("--output={field}"), "-B1"])
        .arg(path)
        .output()
        .expect("running df");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("df printed {output:?}"))
}

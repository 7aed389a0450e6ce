//! The demo's pending VM image: a local store (made once, signed with a demo key) served by
//! nginx, and `hearth-image serve` on a D-Bus bus of its own with a bandwidth cap, so the
//! download of the Work VM's image moves visibly on home and then becomes ready. The
//! device's copy starts empty on every run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

use crate::root;

/// The demo image's size and the cap: about twenty seconds of download.
const IMAGE_BYTES: usize = 20 << 20;
const MAX_RATE_KIB: u32 = 1024;

/// Kills and reaps a child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The running pieces; stopped when dropped.
pub struct DemoImages {
    _nginx: Guard,
    _bus: crate::private_bus::PrivateBus,
    _service: Guard,
    /// Where Hearth finds the image service.
    pub bus_address: String,
}

pub fn start(tools: &Path) -> anyhow::Result<DemoImages> {
    let dir = root().join("target/hearth-run/images");
    let store = dir.join("store");
    let (secret, public) = (dir.join("demo.key"), dir.join("demo.pub"));
    let hearth_image = tools.join("hearth-image");
    if !store.join("channels/work.json").exists() {
        std::fs::create_dir_all(&dir).context("creating the demo image folder")?;
        let _ = std::fs::remove_file(&secret);
        let _ = std::fs::remove_file(&public);
        run(Command::new(&hearth_image)
            .arg("keygen")
            .arg("--secret-key")
            .arg(&secret)
            .arg("--public-key")
            .arg(&public))?;
        let image = dir.join("work-v1.img");
        std::fs::write(&image, demo_image()).context("writing the demo image")?;
        run(Command::new(&hearth_image)
            .args([
                "publish",
                "--image",
                "work",
                "--chunk-level",
                "3",
                "--pack-level",
                "3",
            ])
            .arg("--store")
            .arg(&store)
            .arg("--secret-key")
            .arg(&secret)
            .arg(&image))?;
        let _ = std::fs::remove_file(&image);
    }
    let device = dir.join("device");
    let _ = std::fs::remove_dir_all(&device);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .context("finding a free port")?
        .port();
    let nginx_dir = dir.join("nginx");
    std::fs::create_dir_all(&nginx_dir).context("creating nginx's folder")?;
    let conf = nginx_dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "master_process off; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;
events {{}}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{ listen 127.0.0.1:{port}; root {store}; }}
}}
",
            d = nginx_dir.display(),
            store = store.display()
        ),
    )
    .context("writing nginx's configuration")?;
    let nginx = Guard(
        Command::new("nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(&nginx_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx")?,
    );

    let bus = crate::private_bus::start()?;
    let bus_address = bus.address.clone();

    let config = dir.join("images.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"{}\"\nmax_rate_kib = {MAX_RATE_KIB}\n\n[[image]]\nname = \"work\"\nvm = \"Work\"\npublic_keys = [\"{}\"]\nmirrors = [\"http://127.0.0.1:{port}/\"]\n",
            device.display(),
            public.display()
        ),
    )
    .context("writing the image service's configuration")?;
    let service = Guard(
        Command::new(&hearth_image)
            .args(["serve", "--config"])
            .arg(&config)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus_address)
            .spawn()
            .context("starting hearth-image serve")?,
    );
    println!(
        "The Work VM's next image downloads from a local store at {} KiB/s (http://127.0.0.1:{port}/).",
        MAX_RATE_KIB
    );
    Ok(DemoImages {
        _nginx: nginx,
        _bus: bus,
        _service: service,
        bus_address,
    })
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A disk image that does not compress (so the cap shows), with a line saying what it is.
fn demo_image() -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes: Vec<u8> = (0..IMAGE_BYTES / 8)
        .flat_map(|_| {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes()
        })
        .collect();
    let header = b"HEARTH DEMO IMAGE: work, version 1\n";
    bytes[..header.len()].copy_from_slice(header);
    bytes
}

/// The folder the build puts binaries in for a profile.
pub fn tools(profile: &str) -> PathBuf {
    crate::run::binary(profile)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

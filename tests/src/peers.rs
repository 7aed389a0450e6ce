//! The peer tests' world: `hearth-image share` serving a device's folder, a hostile peer that
//! lies in the ways a broken or malicious device could, and raw HTTP requests from chosen
//! loopback addresses (each one a different peer to the server).

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::images::hearth_image;
use crate::services::Process;

/// `hearth-image share` on loopback for a device's state folder, stopped when dropped.
pub struct Share {
    process: Process,
    pub address: SocketAddr,
}

impl Share {
    pub fn start(state: &Path, extra: &[&str]) -> Share {
        let mut command = Command::new(hearth_image());
        command.args(["share", "--listen", "127.0.0.1:0"]);
        Share::run(command, state, extra)
    }

    /// `command` (`hearth-image share` with its listening address, started however it
    /// must be: in a network namespace) for `state`.
    pub fn run(mut command: Command, state: &Path, extra: &[&str]) -> Share {
        let mut process = Process::spawn(
            "hearth-image share",
            command
                .arg("--state")
                .arg(state)
                .args(extra)
                .stdout(Stdio::piped()),
        );
        let stdout = process.take_stdout().expect("share's output");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading share's first line");
        let address = line
            .trim()
            .strip_prefix("serving peers on ")
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("share printed {line:?}"));
        Share { process, address }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops it at once, as a device switched off or gone from the network.
    pub fn kill(&mut self) {
        self.process.kill();
    }
}

/// An answer to [`request`].
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One HTTP/1.1 request on a connection of its own from `source` (a loopback address such
/// as 127.0.0.3), read to the end.
pub fn request(source: IpAddr, server: SocketAddr, method: &str, path: &str) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(SocketAddr::new(source, 0))
            .expect("binding the source address");
        let mut stream = socket.connect(server).await.expect("connecting");
        stream
            .write_all(
                format!("{method} {path} HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .expect("sending a request");
        let mut bytes = Vec::new();
        stream
            .read_to_end(&mut bytes)
            .await
            .expect("reading the answer");
        parse(&bytes)
    })
}

fn parse(bytes: &[u8]) -> Answer {
    let end = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..end]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Answer {
        status,
        body: bytes[end + 4..].to_vec(),
    }
}

/// How a [`HostilePeer`] lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lie {
    /// The chunk with one byte flipped in its middle.
    FlippedByte,
    /// Headers announcing the whole chunk, half of it, then the connection closed.
    Truncated,
    /// Headers and a few bytes, then nothing, connection held open.
    Stalled,
    /// Far more bytes than any chunk could take (a stream of garbage).
    Endless,
}

/// A peer written to lie: it answers every chunk request it can with the store's own chunk
/// file, damaged as [`Lie`] says. Counts the body bytes it sent.
pub struct HostilePeer {
    pub port: u16,
    pub sent: Arc<AtomicU64>,
}

impl HostilePeer {
    pub fn start(store: &Path, lie: Lie) -> HostilePeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a port");
        let port = listener.local_addr().expect("its address").port();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let store = store.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (store, counter) = (store.clone(), counter.clone());
                std::thread::spawn(move || lie_to(stream, &store, lie, &counter));
            }
        });
        HostilePeer { port, sent }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

fn lie_to(mut stream: TcpStream, store: &Path, lie: Lie, sent: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().expect("cloning a stream"));
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("/");
        let file: PathBuf = store.join(path.trim_start_matches('/'));
        let Ok(mut chunk) = std::fs::read(&file) else {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        };
        let head = |length: usize| format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n");
        let body: Vec<u8> = match lie {
            Lie::FlippedByte => {
                let middle = chunk.len() / 2;
                chunk[middle] ^= 0x40;
                chunk
            }
            Lie::Truncated => {
                let _ = stream.write_all(head(chunk.len()).as_bytes());
                let half = &chunk[..chunk.len() / 2];
                let _ = stream.write_all(half);
                sent.fetch_add(half.len() as u64, Ordering::Relaxed);
                return;
            }
            Lie::Stalled => {
                let _ = stream.write_all(head(chunk.len()).as_bytes());
                let _ = stream.write_all(&chunk[..16.min(chunk.len())]);
                sent.fetch_add(16, Ordering::Relaxed);
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
            Lie::Endless => {
                let _ = stream.write_all(head(64 << 20).as_bytes());
                let garbage = vec![0x55u8; 64 << 10];
                for _ in 0..1024 {
                    if stream.write_all(&garbage).is_err() {
                        return;
                    }
                    sent.fetch_add(garbage.len() as u64, Ordering::Relaxed);
                }
                return;
            }
        };
        if stream.write_all(head(body.len()).as_bytes()).is_err()
            || stream.write_all(&body).is_err()
        {
            return;
        }
        sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        let _ = stream.flush();
    }
}

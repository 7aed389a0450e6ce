//! The HTTP server peers fetch from: read-only, chunks only, under the same paths as the
//! origin store (`chunks/<4 hex>/<64 hex>.zst`), so a peer is one more base URL to a fetching
//! agent. Anything else is refused: other methods, other paths, listings, queries. What it
//! costs the device is bounded: at most `max_peers` addresses are served at once (others are
//! told to come back later), uploads share one rate cap, a connection lives a minute at most
//! and waits at most ten seconds for a request's headers, and at most 64 connections are open.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::holdings::Holdings;
use crate::ChunkId;
use crate::agent::RateLimit;

/// Connections open at once, whoever they come from.
const MAX_CONNECTIONS: usize = 64;
/// A connection is closed after this long, busy or not (a peer reconnects for more).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The state the server's connections share; the service changes it while it runs.
#[derive(Debug)]
pub struct Sharing {
    holdings: Holdings,
    max_peers: usize,
    rate: RateLimit,
    /// Why nothing is served now (on battery, on a metered link), if so.
    paused: Mutex<Option<String>>,
    active: Mutex<HashMap<IpAddr, usize>>,
}

impl Sharing {
    /// `rate`: the upload cap in bytes per second shared by every peer; `None` for none.
    pub fn new(holdings: Holdings, max_peers: usize, rate: Option<u64>) -> Arc<Sharing> {
        let limit = RateLimit::default();
        limit.set(rate);
        Arc::new(Sharing {
            holdings,
            max_peers: max_peers.max(1),
            rate: limit,
            paused: Mutex::new(None),
            active: Mutex::new(HashMap::new()),
        })
    }

    pub fn holdings(&self) -> &Holdings {
        &self.holdings
    }

    /// Stops serving (`Some(why)`) or serves again (`None`).
    pub fn pause(&self, why: Option<String>) {
        let mut paused = self.paused.lock().expect("sharing lock");
        if *paused != why {
            match &why {
                Some(why) => tracing::info!("serving peers paused: {why}"),
                None => tracing::info!("serving peers again"),
            }
            *paused = why;
        }
    }

    pub fn paused(&self) -> Option<String> {
        self.paused.lock().expect("sharing lock").clone()
    }

    /// A place among the peers being served, unless `max_peers` other addresses hold them.
    fn enter(self: &Arc<Self>, address: IpAddr) -> Option<Entered> {
        let mut active = self.active.lock().expect("sharing lock");
        if !active.contains_key(&address) && active.len() >= self.max_peers {
            return None;
        }
        *active.entry(address).or_default() += 1;
        Some(Entered {
            sharing: self.clone(),
            address,
        })
    }
}

/// A request being served; leaves its place when dropped.
struct Entered {
    sharing: Arc<Sharing>,
    address: IpAddr,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let mut active = self.sharing.active.lock().expect("sharing lock");
        if let Some(count) = active.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                active.remove(&self.address);
            }
        }
    }
}

/// Serves peers on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, sharing: Arc<Sharing>) {
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, most likely: wait rather than spin.
                tracing::warn!("accepting a peer: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let sharing = sharing.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service =
                hyper::service::service_fn(move |request| answer(sharing.clone(), remote, request));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
        });
    }
}

/// Listening sockets for peers on `port`: one on every address when `interfaces` is empty,
/// else one tied to each interface named (it follows the interface's addresses as they
/// change, and nothing arriving on another interface reaches it).
pub fn listeners(
    port: u16,
    interfaces: &[String],
) -> std::io::Result<Vec<tokio::net::TcpListener>> {
    let open = |device: Option<&str>| -> std::io::Result<tokio::net::TcpListener> {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        if let Some(device) = device {
            socket.bind_device(Some(device.as_bytes()))?;
        }
        socket.bind(&SocketAddr::from(([0, 0, 0, 0], port)).into())?;
        socket.listen(128)?;
        socket.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(socket.into())
    };
    if interfaces.is_empty() {
        return Ok(vec![open(None)?]);
    }
    interfaces
        .iter()
        .map(|name| {
            open(Some(name)).map_err(|error| {
                std::io::Error::new(error.kind(), format!("on the interface {name}: {error}"))
            })
        })
        .collect()
}

/// Binds `address` and serves peers there in a task of its own; returns the address bound
/// (its port is chosen when `address` has port 0) and the task.
pub async fn start(
    address: SocketAddr,
    sharing: Arc<Sharing>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    tracing::info!("serving peers on {bound}");
    Ok((bound, tokio::spawn(serve(listener, sharing))))
}

async fn answer(
    sharing: Arc<Sharing>,
    remote: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    if let Some(why) = sharing.paused() {
        return Ok(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("not serving peers: {why}\n"),
        ));
    }
    let Some(id) = chunk_in_path(request.uri()) else {
        return Ok(plain(StatusCode::NOT_FOUND, "not a chunk\n"));
    };
    let Some(_entered) = sharing.enter(remote.ip()) else {
        let mut response = plain(StatusCode::SERVICE_UNAVAILABLE, "serving other peers\n");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("10"));
        return Ok(response);
    };
    let reader = sharing.clone();
    let stored = tokio::task::spawn_blocking(move || reader.holdings.read(id))
        .await
        .unwrap_or(None);
    let Some(stored) = stored else {
        return Ok(plain(StatusCode::NOT_FOUND, "not held here\n"));
    };
    let length = stored.len();
    let body = if head {
        Bytes::new()
    } else {
        sharing.rate.take(length as u64).await;
        Bytes::from(stored)
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/zstd"),
    );
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The chunk a request names: exactly `/chunks/<first 4 of the hash>/<64 lowercase hex>.zst`,
/// no query. Everything else (a listing, `..`, an encoded slash, a manifest) is not one.
pub fn chunk_in_path(uri: &hyper::Uri) -> Option<ChunkId> {
    if uri.query().is_some() {
        return None;
    }
    let rest = uri.path().strip_prefix("/chunks/")?;
    let (prefix, file) = rest.split_once('/')?;
    let hex = file.strip_suffix(".zst")?;
    let lowercase_hex = |text: &str| text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if prefix.len() != 4 || !lowercase_hex(hex) || !hex.starts_with(prefix) {
        return None;
    }
    ChunkId::from_hex(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: bool) {
        let uri: hyper::Uri = path.parse().expect("a valid URI");
        assert_eq!(chunk_in_path(&uri).is_some(), expected, "{path}");
    }

    #[test]
    fn only_chunk_paths_name_a_chunk() {
        let hex = "ab12".to_string() + &"c".repeat(60);
        check(&format!("/chunks/ab12/{hex}.zst"), true);
        check(&format!("/chunks/ab13/{hex}.zst"), false);
        check(&format!("/chunks/ab12/{hex}.zst?x=1"), false);
        check(&format!("/chunks/AB12/{}.zst", hex.to_uppercase()), false);
        check(&format!("/chunks/ab12/../ab12/{hex}.zst"), false);
        check(&format!("/chunks/ab12/{hex}"), false);
        check(&format!("/chunks/ab12%2f{hex}.zst"), false);
        check("/chunks/", false);
        check("/chunks/ab12/", false);
        check("/", false);
        check("/manifests/work/1-0123456789abcdef.json", false);
        check(&format!("/packs/{}.pack", "a".repeat(64)), false);
        check("/../../etc/passwd", false);
    }
}

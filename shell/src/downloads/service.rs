//! Hearth as a client of the image service (`org.hearth.Images1`, docs/IMAGES.md): follows
//! its images (ObjectManager, PropertiesChanged, the name coming and going) on a thread of
//! its own, and calls its methods. Nothing here blocks the UI thread.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use zbus::Connection;
use zbus::fdo::{DBusProxy, ObjectManagerProxy, PropertiesChanged};
use zbus::zvariant::OwnedObjectPath;

use super::status::ImageStatus;

pub const BUS_NAME: &str = "org.hearth.Images1";
const ROOT_PATH: &str = "/org/hearth/Images1";
const INTERFACE: &str = "org.hearth.Images1.Image";

/// Which bus the service is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    Session,
    System,
    /// A bus at this address (tests, or a service on a bus of its own).
    Address(String),
}

/// A successful call: the version it returned (Activate, Rollback, Reset) and the files VMs
/// boot from afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub version: u64,
    pub current_file: String,
    pub boot_file: String,
}

/// What the client tells the UI thread.
#[derive(Debug, Clone)]
pub enum ServiceEvent {
    /// The service's images, every time it (re)appears or its set of images changes.
    Listed(Vec<ImageStatus>),
    Changed(ImageStatus),
    /// The service is not on the bus (not started yet, or gone).
    Gone,
    /// A method call's answer, or the error in words.
    Answered {
        image: String,
        method: Method,
        result: Result<Answer, String>,
    },
}

/// The image service's methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    CheckNow,
    Pause,
    Resume,
    Cancel,
    DownloadAnyway,
    Activate,
    /// Back to the previous version, restored as the service's default says.
    Rollback(String),
    /// Back to the previous version, as shipped (true) or as it was left.
    RollbackAs(String, bool),
    Reset,
}

impl Method {
    fn name(&self) -> &'static str {
        match self {
            Method::CheckNow => "CheckNow",
            Method::Pause => "Pause",
            Method::Resume => "Resume",
            Method::Cancel => "Cancel",
            Method::DownloadAnyway => "DownloadAnyway",
            Method::Activate => "Activate",
            Method::Rollback(_) => "Rollback",
            Method::RollbackAs(..) => "RollbackAs",
            Method::Reset => "Reset",
        }
    }
}

pub type Post = Arc<dyn Fn(ServiceEvent) + Send + Sync>;

/// The connection and each image's object path, once the service has been listed.
#[derive(Default)]
struct Shared {
    connection: Option<Connection>,
    paths: BTreeMap<String, OwnedObjectPath>,
}

pub struct ServiceClient {
    shared: Arc<Mutex<Shared>>,
    post: Post,
}

impl ServiceClient {
    /// Starts following the service on `bus`; events arrive through `post`.
    pub fn start(bus: Bus, post: Post) -> ServiceClient {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (thread_shared, thread_post) = (shared.clone(), post.clone());
        let spawned = std::thread::Builder::new()
            .name("image-service".into())
            .spawn(move || {
                if let Err(error) = zbus::block_on(follow(&bus, &thread_shared, &thread_post)) {
                    tracing::info!(%error, "not following the image service");
                }
                // No bus, or it went away: what the last run saw is no longer the news.
                thread_post(ServiceEvent::Gone);
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the image service thread");
        }
        ServiceClient { shared, post }
    }

    /// Calls a method of `image`; the answer arrives as [`ServiceEvent::Answered`].
    pub fn call(&self, image: &str, method: Method) {
        let (connection, path) = {
            let shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
            (shared.connection.clone(), shared.paths.get(image).cloned())
        };
        let post = self.post.clone();
        let image = image.to_string();
        let (Some(connection), Some(path)) = (connection, path) else {
            post(ServiceEvent::Answered {
                image,
                method,
                result: Err("the image service is not running".to_string()),
            });
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("image-service-call".into())
            .spawn(move || {
                let result = zbus::block_on(call(&connection, &path, &method));
                post(ServiceEvent::Answered {
                    image,
                    method,
                    result,
                });
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a thread for an image service call");
        }
    }
}

async fn call(
    connection: &Connection,
    path: &OwnedObjectPath,
    method: &Method,
) -> Result<Answer, String> {
    let reply = match method {
        Method::Rollback(reason) => {
            connection
                .call_method(
                    Some(BUS_NAME),
                    path,
                    Some(INTERFACE),
                    method.name(),
                    &(reason,),
                )
                .await
        }
        Method::RollbackAs(reason, as_shipped) => {
            connection
                .call_method(
                    Some(BUS_NAME),
                    path,
                    Some(INTERFACE),
                    method.name(),
                    &(reason, *as_shipped),
                )
                .await
        }
        _ => {
            connection
                .call_method(Some(BUS_NAME), path, Some(INTERFACE), method.name(), &())
                .await
        }
    };
    let reply = reply.map_err(words)?;
    let version = reply.body().deserialize::<u64>().unwrap_or(0);
    let properties = zbus::fdo::PropertiesProxy::builder(connection)
        .destination(BUS_NAME)
        .and_then(|builder| builder.path(path.clone()))
        .map_err(words)?
        .build()
        .await
        .map_err(words)?;
    let interface = zbus::names::InterfaceName::from_static_str_unchecked(INTERFACE);
    let mut files = Vec::new();
    for name in ["CurrentFile", "BootFile"] {
        let file = properties
            .get(interface.clone(), name)
            .await
            .ok()
            .and_then(|value| String::try_from(value).ok())
            .unwrap_or_default();
        files.push(file);
    }
    let boot_file = files.pop().unwrap_or_default();
    let current_file = files.pop().unwrap_or_default();
    Ok(Answer {
        version,
        current_file,
        boot_file,
    })
}

/// A D-Bus error in words: the service's own message when it gave one.
fn words(error: impl Into<zbus::Error>) -> String {
    match error.into() {
        zbus::Error::MethodError(_, Some(message), _) => message,
        error => error.to_string(),
    }
}

async fn connect(bus: &Bus) -> zbus::Result<Connection> {
    match bus {
        Bus::Session => Connection::session().await,
        Bus::System => Connection::system().await,
        Bus::Address(address) => {
            zbus::connection::Builder::address(address.as_str())?
                .build()
                .await
        }
    }
}

/// Follows the service until the bus connection ends.
async fn follow(bus: &Bus, shared: &Mutex<Shared>, post: &Post) -> zbus::Result<()> {
    let connection = connect(bus).await?;
    shared.lock().unwrap_or_else(|p| p.into_inner()).connection = Some(connection.clone());
    let dbus = DBusProxy::new(&connection).await?;
    let owners = dbus
        .receive_name_owner_changed_with_args(&[(0, BUS_NAME)])
        .await?
        .map(|_| Incoming::Owner);
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender(BUS_NAME)?
        .build();
    let signals = zbus::MessageStream::for_match_rule(rule, &connection, Some(256))
        .await?
        .map(Incoming::Signal);
    let mut incoming = futures_util::stream::select(owners, signals);
    let mut images = list(&connection, shared, post).await;
    while let Some(next) = incoming.next().await {
        match next {
            Incoming::Owner => images = list(&connection, shared, post).await,
            Incoming::Signal(Err(error)) => tracing::debug!(%error, "image service signal"),
            Incoming::Signal(Ok(message)) => {
                let header = message.header();
                let member = header.member().map(|member| member.as_str().to_string());
                match member.as_deref() {
                    Some("InterfacesAdded" | "InterfacesRemoved") => {
                        images = list(&connection, shared, post).await;
                    }
                    Some("PropertiesChanged") => {
                        let Some(path) = header.path().map(|path| path.to_string()) else {
                            continue;
                        };
                        let Some(signal) = PropertiesChanged::from_message(message.clone()) else {
                            continue;
                        };
                        let Ok(args) = signal.args() else { continue };
                        if args.interface_name.as_str() != INTERFACE {
                            continue;
                        }
                        if let Some(status) = images.get_mut(&path) {
                            status.apply(
                                args.changed_properties
                                    .iter()
                                    .map(|(name, value)| (*name, value)),
                            );
                            post(ServiceEvent::Changed(status.clone()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

enum Incoming {
    Owner,
    Signal(zbus::Result<zbus::Message>),
}

/// Reads every image from the service's ObjectManager; posts them, or `Gone`.
async fn list(
    connection: &Connection,
    shared: &Mutex<Shared>,
    post: &Post,
) -> BTreeMap<String, ImageStatus> {
    let mut images = BTreeMap::new();
    let objects = match ObjectManagerProxy::builder(connection)
        .destination(BUS_NAME)
        .and_then(|builder| builder.path(ROOT_PATH))
    {
        Ok(builder) => match builder.build().await {
            Ok(proxy) => proxy.get_managed_objects().await,
            Err(error) => Err(error.into()),
        },
        Err(error) => Err(error.into()),
    };
    let objects = match objects {
        Ok(objects) => objects,
        Err(error) => {
            tracing::debug!(%error, "the image service is not there");
            shared
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .paths
                .clear();
            post(ServiceEvent::Gone);
            return images;
        }
    };
    let mut paths = BTreeMap::new();
    for (path, interfaces) in objects {
        let Some(properties) = interfaces
            .iter()
            .find(|(name, _)| name.as_str() == INTERFACE)
            .map(|(_, properties)| properties)
        else {
            continue;
        };
        let mut status = ImageStatus::default();
        status.apply_owned(properties);
        paths.insert(status.name.clone(), path.clone());
        images.insert(path.to_string(), status);
    }
    shared.lock().unwrap_or_else(|p| p.into_inner()).paths = paths;
    post(ServiceEvent::Listed(images.values().cloned().collect()));
    images
}

//! MPRIS2 on the session bus (`org.mpris.MediaPlayer2.hearth`), so `playerctl`, KDE Connect
//! and desktop widgets see and drive Hearth's player.
//!
//! A thread of its own owns the connection. Property reads answer from a snapshot the UI
//! thread keeps current ([`Mpris::update`]); that thread also sends one PropertiesChanged
//! per update with what changed (Position excepted, as the specification says) and Seeked
//! after each seek. Method calls become [`MprisCommand`]s for the UI thread: the player's
//! own reports, not the call, then change what is shown and said. The queue is offered as
//! MPRIS's TrackList (`tracklist.rs`).

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use zbus::interface;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, Value};

use super::tracklist::{SharedTracks, TrackList, TrackListObject, signal_changes};
use crate::properties_changed::{Values, emit_changes, owned};

pub const BUS_NAME: &str = "org.mpris.MediaPlayer2.hearth";
const PATH: &str = "/org/mpris/MediaPlayer2";
const PLAYER: &str = "org.mpris.MediaPlayer2.Player";
pub(super) const NO_TRACK: &str = "/org/mpris/MediaPlayer2/TrackList/NoTrack";

/// What the UI thread is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum MprisCommand {
    Raise,
    Play,
    Pause,
    PlayPause,
    Stop,
    Next,
    Previous,
    /// Relative, microseconds.
    Seek(i64),
    /// Absolute, microseconds, for the track with this id.
    SetPosition(String, i64),
    OpenUri(String),
    Volume(f64),
    Shuffle(bool),
    /// "None", "Track" or "Playlist".
    Loop(String),
    /// A file to add after the track with this id (NoTrack: first), played at once if asked.
    AddTrack {
        uri: String,
        after: String,
        play: bool,
    },
    RemoveTrack(String),
    GoTo(String),
}

/// Hands a command to the UI thread; called from the MPRIS thread.
pub type CommandSink = Arc<dyn Fn(MprisCommand) + Send + Sync>;

/// The player as MPRIS describes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MprisState {
    /// "Playing", "Paused" or "Stopped".
    pub status: &'static str,
    /// "None", "Track" or "Playlist".
    pub loop_status: &'static str,
    pub shuffle: bool,
    pub volume: f64,
    /// Microseconds.
    pub position: i64,
    pub can_go_next: bool,
    pub can_go_previous: bool,
    pub can_play: bool,
    pub can_seek: bool,
    pub track: Option<MprisTrack>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MprisTrack {
    /// A D-Bus object path naming the track.
    pub id: String,
    pub title: String,
    pub artist: Option<String>,
    pub album: Option<String>,
    /// Microseconds.
    pub length: Option<i64>,
    pub url: Option<String>,
    pub art_url: Option<String>,
}

enum News {
    State(MprisState),
    Seeked(i64),
    Tracks(TrackList),
}

/// The running service; dropping it closes the connection.
pub struct Mpris {
    news: Sender<News>,
    last: Mutex<Option<MprisState>>,
    last_tracks: Mutex<Option<TrackList>>,
}

type Shared = Arc<Mutex<MprisState>>;

impl Mpris {
    /// Connects to the session bus on a thread and takes the name; failures are logged
    /// (a machine without a session bus simply has no MPRIS).
    pub fn start(commands: CommandSink) -> Mpris {
        let (news, receiver) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hearth-mpris".into())
            .spawn(move || {
                if let Err(error) = serve(commands, receiver) {
                    tracing::warn!("MPRIS is not offered: {error}");
                }
            });
        if let Err(error) = spawned {
            tracing::warn!("MPRIS is not offered: {error}");
        }
        Mpris {
            news,
            last: Mutex::new(None),
            last_tracks: Mutex::new(None),
        }
    }

    /// Tells the bus the player's state; nothing is sent when nothing changed.
    pub fn update(&self, state: MprisState) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() == Some(&state) {
            return;
        }
        *last = Some(state.clone());
        let _ = self.news.send(News::State(state));
    }

    /// Tells the bus the queue as a track list; nothing is sent when nothing changed.
    pub fn set_tracks(&self, list: TrackList) {
        let mut last = self.last_tracks.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() == Some(&list) {
            return;
        }
        *last = Some(list.clone());
        let _ = self.news.send(News::Tracks(list));
    }

    /// A seek finished at `position` (microseconds).
    pub fn seeked(&self, position: i64) {
        let _ = self.news.send(News::Seeked(position));
    }
}

fn serve(commands: CommandSink, news: Receiver<News>) -> zbus::Result<()> {
    let shared: Shared = Arc::new(Mutex::new(MprisState {
        status: "Stopped",
        loop_status: "None",
        volume: 1.0,
        ..MprisState::default()
    }));
    let tracks: SharedTracks = Arc::default();
    let connection = zbus::blocking::connection::Builder::session()?
        .serve_at(
            PATH,
            Root {
                commands: commands.clone(),
            },
        )?
        .serve_at(
            PATH,
            PlayerObject {
                commands: commands.clone(),
                shared: shared.clone(),
            },
        )?
        .serve_at(
            PATH,
            TrackListObject {
                commands,
                list: tracks.clone(),
            },
        )?
        .name(BUS_NAME)?
        .build()?;
    tracing::info!(name = BUS_NAME, "MPRIS offered on the session bus");
    let emitter = SignalEmitter::new(connection.inner(), PATH)?;
    let mut sent = properties(&shared.lock().unwrap_or_else(|p| p.into_inner()));
    while let Ok(message) = news.recv() {
        match message {
            News::State(state) => {
                let now = properties(&state);
                *shared.lock().unwrap_or_else(|p| p.into_inner()) = state;
                emit_changes(&emitter, PLAYER, &sent, &now);
                sent = now;
            }
            News::Seeked(position) => {
                shared.lock().unwrap_or_else(|p| p.into_inner()).position = position;
                if let Err(error) = zbus::block_on(emitter.emit(PLAYER, "Seeked", &(position,))) {
                    tracing::warn!("sending MPRIS Seeked: {error}");
                }
            }
            News::Tracks(list) => {
                let before = std::mem::replace(
                    &mut *tracks.lock().unwrap_or_else(|p| p.into_inner()),
                    list.clone(),
                );
                signal_changes(&emitter, &before, &list);
            }
        }
    }
    Ok(())
}

/// The properties PropertiesChanged carries (Position never does).
fn properties(state: &MprisState) -> Values {
    let value = owned;
    Values::from([
        ("PlaybackStatus", value(Value::from(state.status))),
        ("LoopStatus", value(Value::from(state.loop_status))),
        ("Shuffle", value(Value::from(state.shuffle))),
        ("Volume", value(Value::from(state.volume))),
        ("CanGoNext", value(Value::from(state.can_go_next))),
        ("CanGoPrevious", value(Value::from(state.can_go_previous))),
        ("CanPlay", value(Value::from(state.can_play))),
        ("CanPause", value(Value::from(state.can_play))),
        ("CanSeek", value(Value::from(state.can_seek))),
        (
            "Metadata",
            value(Value::from(metadata(state.track.as_ref()))),
        ),
    ])
}

pub(super) fn metadata(track: Option<&MprisTrack>) -> HashMap<&'static str, Value<'static>> {
    let mut map = HashMap::new();
    let Some(track) = track else {
        if let Ok(path) = ObjectPath::try_from(NO_TRACK) {
            map.insert("mpris:trackid", Value::from(path));
        }
        return map;
    };
    if let Ok(path) = ObjectPath::try_from(track.id.clone()) {
        map.insert("mpris:trackid", Value::from(path));
    }
    map.insert("xesam:title", Value::from(track.title.clone()));
    if let Some(artist) = &track.artist {
        map.insert("xesam:artist", Value::from(vec![artist.clone()]));
    }
    if let Some(album) = &track.album {
        map.insert("xesam:album", Value::from(album.clone()));
    }
    if let Some(length) = track.length {
        map.insert("mpris:length", Value::from(length));
    }
    if let Some(url) = &track.url {
        map.insert("xesam:url", Value::from(url.clone()));
    }
    if let Some(art) = &track.art_url {
        map.insert("mpris:artUrl", Value::from(art.clone()));
    }
    map
}

struct Root {
    commands: CommandSink,
}

#[interface(name = "org.mpris.MediaPlayer2")]
impl Root {
    fn raise(&self) {
        (self.commands)(MprisCommand::Raise);
    }

    /// Hearth is the shell: it does not quit on request.
    fn quit(&self) {}

    #[zbus(property)]
    fn can_quit(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn can_raise(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn has_track_list(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn identity(&self) -> &str {
        "Hearth"
    }

    #[zbus(property)]
    fn desktop_entry(&self) -> &str {
        "hearth"
    }

    #[zbus(property)]
    fn supported_uri_schemes(&self) -> Vec<&str> {
        vec!["file"]
    }

    #[zbus(property)]
    fn supported_mime_types(&self) -> Vec<&str> {
        vec![
            "video/mp4",
            "video/webm",
            "video/x-matroska",
            "audio/flac",
            "audio/mpeg",
            "audio/ogg",
            "audio/x-wav",
        ]
    }
}

struct PlayerObject {
    commands: CommandSink,
    shared: Shared,
}

impl PlayerObject {
    fn state(&self) -> MprisState {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[interface(name = "org.mpris.MediaPlayer2.Player")]
impl PlayerObject {
    fn next(&self) {
        (self.commands)(MprisCommand::Next);
    }
    fn previous(&self) {
        (self.commands)(MprisCommand::Previous);
    }
    fn pause(&self) {
        (self.commands)(MprisCommand::Pause);
    }
    fn play_pause(&self) {
        (self.commands)(MprisCommand::PlayPause);
    }
    fn stop(&self) {
        (self.commands)(MprisCommand::Stop);
    }
    fn play(&self) {
        (self.commands)(MprisCommand::Play);
    }
    fn seek(&self, offset: i64) {
        (self.commands)(MprisCommand::Seek(offset));
    }
    fn set_position(&self, track_id: ObjectPath<'_>, position: i64) {
        (self.commands)(MprisCommand::SetPosition(track_id.to_string(), position));
    }
    fn open_uri(&self, uri: String) -> zbus::fdo::Result<()> {
        if !uri.starts_with("file://") {
            return Err(zbus::fdo::Error::NotSupported(format!(
                "Hearth plays local files only, not {uri}"
            )));
        }
        (self.commands)(MprisCommand::OpenUri(uri));
        Ok(())
    }

    #[zbus(signal)]
    async fn seeked(emitter: &SignalEmitter<'_>, position: i64) -> zbus::Result<()>;

    #[zbus(property)]
    fn playback_status(&self) -> String {
        self.state().status.to_string()
    }
    #[zbus(property)]
    fn loop_status(&self) -> String {
        self.state().loop_status.to_string()
    }
    #[zbus(property)]
    fn set_loop_status(&self, status: String) {
        (self.commands)(MprisCommand::Loop(status));
    }
    #[zbus(property)]
    fn rate(&self) -> f64 {
        1.0
    }
    #[zbus(property)]
    fn set_rate(&self, _rate: f64) {}
    #[zbus(property)]
    fn minimum_rate(&self) -> f64 {
        1.0
    }
    #[zbus(property)]
    fn maximum_rate(&self) -> f64 {
        1.0
    }
    #[zbus(property)]
    fn shuffle(&self) -> bool {
        self.state().shuffle
    }
    #[zbus(property)]
    fn set_shuffle(&self, shuffle: bool) {
        (self.commands)(MprisCommand::Shuffle(shuffle));
    }
    #[zbus(property)]
    fn metadata(&self) -> HashMap<&'static str, Value<'static>> {
        metadata(self.state().track.as_ref())
    }
    #[zbus(property)]
    fn volume(&self) -> f64 {
        self.state().volume
    }
    #[zbus(property)]
    fn set_volume(&self, volume: f64) {
        (self.commands)(MprisCommand::Volume(volume));
    }
    #[zbus(property(emits_changed_signal = "false"))]
    fn position(&self) -> i64 {
        self.state().position
    }
    #[zbus(property)]
    fn can_go_next(&self) -> bool {
        self.state().can_go_next
    }
    #[zbus(property)]
    fn can_go_previous(&self) -> bool {
        self.state().can_go_previous
    }
    #[zbus(property)]
    fn can_play(&self) -> bool {
        self.state().can_play
    }
    #[zbus(property)]
    fn can_pause(&self) -> bool {
        self.state().can_play
    }
    #[zbus(property)]
    fn can_seek(&self) -> bool {
        self.state().can_seek
    }
    #[zbus(property)]
    fn can_control(&self) -> bool {
        true
    }
}

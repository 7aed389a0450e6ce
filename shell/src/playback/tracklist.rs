//! MPRIS's TrackList (`org.mpris.MediaPlayer2.TrackList`): the queue in play order. Each
//! file is a track named by the queue it belongs to and its number there, so an id never
//! comes to name another file. Clients read the tracks' metadata, go to one, remove one or
//! add a file after one; like the player's, the calls become [`MprisCommand`]s for the UI
//! thread, and the list changes when the player reports the new order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::interface;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, Value};

use super::mpris::{CommandSink, MprisCommand, MprisTrack, NO_TRACK, metadata};

pub(super) const TRACK_LIST: &str = "org.mpris.MediaPlayer2.TrackList";

/// The tracks in play order, and the id of the one playing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackList {
    pub tracks: Vec<MprisTrack>,
    pub current: Option<String>,
}

pub(super) type SharedTracks = Arc<Mutex<TrackList>>;

pub(super) struct TrackListObject {
    pub(super) commands: CommandSink,
    pub(super) list: SharedTracks,
}

impl TrackListObject {
    fn list(&self) -> TrackList {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[interface(name = "org.mpris.MediaPlayer2.TrackList")]
impl TrackListObject {
    /// The metadata of the tracks asked for that are in the list, in the order asked.
    fn get_tracks_metadata(
        &self,
        track_ids: Vec<ObjectPath<'_>>,
    ) -> Vec<HashMap<&'static str, Value<'static>>> {
        let list = self.list();
        track_ids
            .iter()
            .filter_map(|id| list.tracks.iter().find(|track| track.id == id.as_str()))
            .map(|track| metadata(Some(track)))
            .collect()
    }

    fn add_track(
        &self,
        uri: String,
        after_track: ObjectPath<'_>,
        set_as_current: bool,
    ) -> zbus::fdo::Result<()> {
        if !uri.starts_with("file://") {
            return Err(zbus::fdo::Error::NotSupported(format!(
                "Hearth plays local files only, not {uri}"
            )));
        }
        (self.commands)(MprisCommand::AddTrack {
            uri,
            after: after_track.to_string(),
            play: set_as_current,
        });
        Ok(())
    }

    fn remove_track(&self, track_id: ObjectPath<'_>) {
        (self.commands)(MprisCommand::RemoveTrack(track_id.to_string()));
    }

    fn go_to(&self, track_id: ObjectPath<'_>) {
        (self.commands)(MprisCommand::GoTo(track_id.to_string()));
    }

    #[zbus(property(emits_changed_signal = "invalidates"))]
    fn tracks(&self) -> Vec<OwnedObjectPath> {
        self.list()
            .tracks
            .iter()
            .filter_map(|track| OwnedObjectPath::try_from(track.id.clone()).ok())
            .collect()
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn can_edit_tracks(&self) -> bool {
        true
    }

    #[zbus(signal)]
    async fn track_list_replaced(
        emitter: &SignalEmitter<'_>,
        tracks: Vec<ObjectPath<'_>>,
        current_track: ObjectPath<'_>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn track_added(
        emitter: &SignalEmitter<'_>,
        metadata: HashMap<&str, Value<'_>>,
        after_track: ObjectPath<'_>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn track_removed(
        emitter: &SignalEmitter<'_>,
        track_id: ObjectPath<'_>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn track_metadata_changed(
        emitter: &SignalEmitter<'_>,
        track_id: ObjectPath<'_>,
        metadata: HashMap<&str, Value<'_>>,
    ) -> zbus::Result<()>;
}

/// How one list of track ids became another, as TrackList signals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListChange {
    Same,
    /// One track was added, at this place in the new list.
    Added(usize),
    /// One track was removed, from this place in the old list.
    Removed(usize),
    /// Anything else: a move, several added or removed, a new queue.
    Replaced,
}

pub(super) fn list_change(before: &[&str], now: &[&str]) -> ListChange {
    if before == now {
        return ListChange::Same;
    }
    // The one place where the lists differ, if only one track went in or out there.
    let (shorter, longer) = if before.len() < now.len() {
        (before, now)
    } else {
        (now, before)
    };
    if longer.len() != shorter.len() + 1 {
        return ListChange::Replaced;
    }
    let at = shorter
        .iter()
        .zip(longer)
        .position(|(a, b)| a != b)
        .unwrap_or(shorter.len());
    if shorter[at..] != longer[at + 1..] {
        return ListChange::Replaced;
    }
    if now.len() > before.len() {
        ListChange::Added(at)
    } else {
        ListChange::Removed(at)
    }
}

/// Signals how the list changed from `before` to `now`: a track added or removed, or the
/// list replaced, with the Tracks property invalidated; and the tracks whose metadata
/// changed. Failures are logged.
pub(super) fn signal_changes(emitter: &SignalEmitter<'_>, before: &TrackList, now: &TrackList) {
    let ids = |list: &TrackList| -> Vec<String> {
        list.tracks.iter().map(|track| track.id.clone()).collect()
    };
    let (old_ids, new_ids) = (ids(before), ids(now));
    let old: Vec<&str> = old_ids.iter().map(String::as_str).collect();
    let new: Vec<&str> = new_ids.iter().map(String::as_str).collect();
    let path = |id: &str| ObjectPath::try_from(id.to_string()).ok();
    let no_track = || ObjectPath::from_static_str_unchecked(NO_TRACK);
    let change = list_change(&old, &new);
    let sent = match change {
        ListChange::Same => Ok(()),
        ListChange::Added(at) => {
            let after = at
                .checked_sub(1)
                .and_then(|i| path(new[i]))
                .unwrap_or_else(no_track);
            let data = metadata(now.tracks.get(at));
            zbus::block_on(TrackListObject::track_added(emitter, data, after))
        }
        ListChange::Removed(at) => match path(old[at]) {
            Some(id) => zbus::block_on(TrackListObject::track_removed(emitter, id)),
            None => Ok(()),
        },
        ListChange::Replaced => {
            let tracks = new.iter().filter_map(|id| path(id)).collect();
            let current = now
                .current
                .as_deref()
                .and_then(path)
                .unwrap_or_else(no_track);
            zbus::block_on(TrackListObject::track_list_replaced(
                emitter, tracks, current,
            ))
        }
    };
    if let Err(error) = sent {
        tracing::warn!("sending an MPRIS TrackList signal: {error}");
    }
    if change != ListChange::Same
        && let Ok(name) = zbus::names::InterfaceName::try_from(TRACK_LIST)
    {
        let invalidated = zbus::block_on(zbus::fdo::Properties::properties_changed(
            emitter,
            name,
            HashMap::new(),
            std::borrow::Cow::Borrowed(&["Tracks"]),
        ));
        if let Err(error) = invalidated {
            tracing::warn!("sending TrackList's PropertiesChanged: {error}");
        }
    }
    let old_tracks: HashMap<&str, &MprisTrack> = before
        .tracks
        .iter()
        .map(|track| (track.id.as_str(), track))
        .collect();
    for track in &now.tracks {
        let renamed = old_tracks
            .get(track.id.as_str())
            .is_some_and(|old| *old != track);
        if renamed && let Some(id) = path(&track.id) {
            let data = metadata(Some(track));
            let sent = zbus::block_on(TrackListObject::track_metadata_changed(emitter, id, data));
            if let Err(error) = sent {
                tracing::warn!("sending MPRIS TrackMetadataChanged: {error}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_track_in_or_out_is_told_as_such_and_anything_else_replaces_the_list() {
        assert_eq!(list_change(&["a", "b"], &["a", "b"]), ListChange::Same);
        assert_eq!(
            list_change(&["a", "b"], &["a", "x", "b"]),
            ListChange::Added(1)
        );
        assert_eq!(
            list_change(&["a", "b"], &["a", "b", "x"]),
            ListChange::Added(2)
        );
        assert_eq!(list_change(&[], &["x"]), ListChange::Added(0));
        assert_eq!(
            list_change(&["a", "b", "c"], &["a", "c"]),
            ListChange::Removed(1)
        );
        assert_eq!(
            list_change(&["a", "b", "c"], &["b", "c"]),
            ListChange::Removed(0)
        );
        assert_eq!(
            list_change(&["a", "b", "c"], &["c", "a", "b"]),
            ListChange::Replaced
        );
        assert_eq!(
            list_change(&["a", "b"], &["a", "b", "x", "y"]),
            ListChange::Replaced
        );
        assert_eq!(
            list_change(&["a", "b", "c"], &["a", "x"]),
            ListChange::Replaced
        );
    }
}

//! The keys of remotes and media keyboards: what they ask of Hearth, and which of them Hearth
//! keeps in a VM's view.
//!
//! An IR remote or HDMI-CEC reaches Linux as ordinary key events (evdev codes), as do the
//! media keys of a keyboard. On Hearth's own screens they act on Hearth's player, KEY_BACK
//! goes up one level and KEY_HOMEPAGE goes home. In a VM's view every key is the VM's, except
//! those `[input] hearth_keys` names (by default KEY_HOMEPAGE). A key Hearth took is Hearth's until it is let go: its release
//! (and its repeats) never reach a guest, whatever is on screen by then.

use std::collections::BTreeSet;

/// What a remote's key asks of Hearth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteAction {
    PlayPause,
    Play,
    Pause,
    Stop,
    Next,
    Previous,
    SeekForward,
    SeekBack,
    VolumeUp,
    VolumeDown,
    Mute,
    /// Shows what is playing.
    Info,
    /// Up one level, as Escape does on Hearth's screens.
    Back,
    Home,
}

impl RemoteAction {
    /// Whether a key held down repeats it (volume and seeking do; a toggle must not).
    fn repeats(self) -> bool {
        matches!(
            self,
            RemoteAction::SeekForward
                | RemoteAction::SeekBack
                | RemoteAction::VolumeUp
                | RemoteAction::VolumeDown
        )
    }
}

/// The keys Hearth knows, by their names in linux/input-event-codes.h and their codes.
const KEYS: &[(&str, u32, RemoteAction)] = &[
    ("KEY_MUTE", 113, RemoteAction::Mute),
    ("KEY_VOLUMEDOWN", 114, RemoteAction::VolumeDown),
    ("KEY_VOLUMEUP", 115, RemoteAction::VolumeUp),
    ("KEY_STOP", 128, RemoteAction::Stop),
    ("KEY_BACK", 158, RemoteAction::Back),
    ("KEY_NEXTSONG", 163, RemoteAction::Next),
    ("KEY_PLAYPAUSE", 164, RemoteAction::PlayPause),
    ("KEY_PREVIOUSSONG", 165, RemoteAction::Previous),
    ("KEY_STOPCD", 166, RemoteAction::Stop),
    ("KEY_REWIND", 168, RemoteAction::SeekBack),
    ("KEY_HOMEPAGE", 172, RemoteAction::Home),
    ("KEY_PLAYCD", 200, RemoteAction::Play),
    ("KEY_PAUSECD", 201, RemoteAction::Pause),
    ("KEY_PLAY", 207, RemoteAction::Play),
    ("KEY_FASTFORWARD", 208, RemoteAction::SeekForward),
    ("KEY_INFO", 358, RemoteAction::Info),
    ("KEY_NEXT", 407, RemoteAction::Next),
    ("KEY_PREVIOUS", 412, RemoteAction::Previous),
];

/// The evdev code of a key named as in linux/input-event-codes.h, if Hearth has a use for it.
pub fn code_of(name: &str) -> Option<u32> {
    KEYS.iter()
        .find(|(known, _, _)| *known == name)
        .map(|(_, code, _)| *code)
}

/// The names `[input] hearth_keys` accepts, for an error message.
pub fn known_names() -> Vec<&'static str> {
    KEYS.iter().map(|(name, _, _)| *name).collect()
}

fn action_of(code: u32) -> Option<RemoteAction> {
    KEYS.iter()
        .find(|(_, known, _)| *known == code)
        .map(|(_, _, action)| *action)
}

/// What became of one key event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteKey {
    /// Not Hearth's: it goes on to the keyboard (a guest, or Hearth's screens).
    Pass,
    /// Hearth's; do this, if anything (a release or a repeat of a toggle does nothing).
    Taken(Option<RemoteAction>),
}

#[derive(Debug)]
pub struct RemoteKeys {
    /// Codes Hearth keeps in a VM's view.
    in_vm_view: BTreeSet<u32>,
    /// Keys Hearth took that are still down.
    held: BTreeSet<u32>,
    pub volume: VolumeKeys,
}

impl RemoteKeys {
    /// `in_vm_view`: the evdev codes Hearth keeps in a VM's view (`[input] hearth_keys`).
    pub fn new(in_vm_view: impl IntoIterator<Item = u32>) -> RemoteKeys {
        RemoteKeys {
            in_vm_view: in_vm_view.into_iter().collect(),
            held: BTreeSet::new(),
            volume: VolumeKeys::default(),
        }
    }

    /// Keeps these codes in a VM's view from now on (the configuration's).
    pub fn set_hearth_keys(&mut self, in_vm_view: impl IntoIterator<Item = u32>) {
        self.in_vm_view = in_vm_view.into_iter().collect();
    }

    /// Decides about a key event (an evdev code) before the keyboard sees it; `on_vm` when a
    /// VM's view is on screen.
    pub fn key(&mut self, code: u32, pressed: bool, on_vm: bool) -> RemoteKey {
        if !pressed {
            return if self.held.remove(&code) {
                RemoteKey::Taken(None)
            } else {
                RemoteKey::Pass
            };
        }
        let repeat = self.held.contains(&code);
        let Some(action) = action_of(code) else {
            return RemoteKey::Pass;
        };
        if repeat {
            return RemoteKey::Taken(action.repeats().then_some(action));
        }
        if on_vm && !self.in_vm_view.contains(&code) {
            return RemoteKey::Pass;
        }
        self.held.insert(code);
        RemoteKey::Taken(Some(action))
    }

    /// The keyboard is gone (the window lost it): no release will come for what is held.
    pub fn reset(&mut self) {
        self.held.clear();
    }
}

/// Volume after a volume key: steps of 5 %, and mute as a toggle that remembers the level.
#[derive(Debug, Default)]
pub struct VolumeKeys {
    muted_from: Option<f64>,
}

impl VolumeKeys {
    const STEP: f64 = 0.05;

    /// The volume to set after `action` at `volume`, or None when it is not a volume key.
    pub fn after(&mut self, action: RemoteAction, volume: f64) -> Option<f64> {
        let step = match action {
            RemoteAction::VolumeUp => Self::STEP,
            RemoteAction::VolumeDown => -Self::STEP,
            RemoteAction::Mute => {
                return Some(match self.muted_from.take() {
                    Some(level) => level,
                    None => {
                        self.muted_from = Some(volume);
                        0.0
                    }
                });
            }
            _ => return None,
        };
        // A step while muted starts from the level mute remembered.
        let level = self.muted_from.take().unwrap_or(volume);
        Some((((level + step) / Self::STEP).round() * Self::STEP).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAYPAUSE: u32 = 164;
    const HOMEPAGE: u32 = 172;
    const VOLUMEUP: u32 = 115;
    const LETTER_A: u32 = 30;

    #[test]
    fn on_hearths_screens_remote_keys_are_hearths_and_other_keys_pass() {
        let mut keys = RemoteKeys::new([HOMEPAGE]);
        assert_eq!(
            keys.key(PLAYPAUSE, true, false),
            RemoteKey::Taken(Some(RemoteAction::PlayPause))
        );
        // A held toggle does not toggle again; its release is Hearth's too.
        assert_eq!(keys.key(PLAYPAUSE, true, false), RemoteKey::Taken(None));
        assert_eq!(keys.key(PLAYPAUSE, false, false), RemoteKey::Taken(None));
        assert_eq!(keys.key(LETTER_A, true, false), RemoteKey::Pass);
        assert_eq!(keys.key(LETTER_A, false, false), RemoteKey::Pass);
        // Volume repeats while held.
        assert_eq!(
            keys.key(VOLUMEUP, true, false),
            RemoteKey::Taken(Some(RemoteAction::VolumeUp))
        );
        assert_eq!(
            keys.key(VOLUMEUP, true, false),
            RemoteKey::Taken(Some(RemoteAction::VolumeUp))
        );
        assert_eq!(keys.key(VOLUMEUP, false, false), RemoteKey::Taken(None));
    }

    #[test]
    fn in_a_vms_view_only_the_listed_keys_are_hearths_and_a_taken_key_stays_hearths() {
        let mut keys = RemoteKeys::new([HOMEPAGE]);
        assert_eq!(keys.key(PLAYPAUSE, true, true), RemoteKey::Pass);
        assert_eq!(keys.key(PLAYPAUSE, false, true), RemoteKey::Pass);
        assert_eq!(
            keys.key(HOMEPAGE, true, true),
            RemoteKey::Taken(Some(RemoteAction::Home))
        );
        // Home is shown by the time it is let go: the release is still Hearth's.
        assert_eq!(keys.key(HOMEPAGE, false, false), RemoteKey::Taken(None));
        // Pressed on home, let go in a VM's view: the VM never hears of it.
        assert_eq!(
            keys.key(PLAYPAUSE, true, false),
            RemoteKey::Taken(Some(RemoteAction::PlayPause))
        );
        assert_eq!(keys.key(PLAYPAUSE, false, true), RemoteKey::Taken(None));
        let mut nothing_kept = RemoteKeys::new([]);
        assert_eq!(nothing_kept.key(HOMEPAGE, true, true), RemoteKey::Pass);
    }

    #[test]
    fn names_are_those_of_the_kernel() {
        assert_eq!(code_of("KEY_HOMEPAGE"), Some(172));
        assert_eq!(code_of("KEY_PLAYPAUSE"), Some(164));
        assert_eq!(code_of("KEY_A"), None);
        assert!(known_names().contains(&"KEY_INFO"));
    }

    #[test]
    fn volume_keys_step_by_five_percent_and_mute_remembers_the_level() {
        let mut volume = VolumeKeys::default();
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(close(volume.after(RemoteAction::VolumeUp, 0.5), 0.55));
        assert!(close(volume.after(RemoteAction::VolumeUp, 0.98), 1.0));
        assert!(close(volume.after(RemoteAction::VolumeDown, 0.03), 0.0));
        assert!(close(volume.after(RemoteAction::Mute, 0.7), 0.0));
        assert!(close(volume.after(RemoteAction::Mute, 0.0), 0.7));
        assert!(close(volume.after(RemoteAction::Mute, 0.7), 0.0));
        // Volume up while muted comes back one step above the remembered level.
        assert!(close(volume.after(RemoteAction::VolumeUp, 0.0), 0.75));
        assert_eq!(volume.after(RemoteAction::Next, 0.75), None);
    }
}

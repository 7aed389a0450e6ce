//! Fills the `Strings` global from a [`Translator`]; run at start and on every language change.

use slint::ComponentHandle;

use crate::i18n::Translator;
use crate::{AppWindow, Strings};

macro_rules! fill {
    ($strings:expr, $translator:expr, $($setter:ident => $id:literal),* $(,)?) => {
        $($strings.$setter($translator.tr($id).into());)*
    };
}

/// Sets every fixed string of the UI in the translator's language.
pub fn apply_strings(window: &AppWindow, translator: &Translator) {
    let strings = window.global::<Strings>();
    fill!(strings, translator,
        set_app_name => "app-name",
        set_kiosk_pin_title => "kiosk-pin-title",
        set_kiosk_pin_entered => "kiosk-pin-entered",
        set_kiosk_pin_digit => "kiosk-pin-digit",
        set_kiosk_pin_erase => "kiosk-pin-erase",
        set_kiosk_pin_unlock => "kiosk-pin-unlock",
        set_home_title => "home-title",
        set_open_settings => "open-settings",
        set_settings_title => "settings-title",
        set_language_title => "language-title",
        set_back => "back",
        set_go_home => "go-home",
        set_actions => "actions",
        set_cancel => "cancel",
        set_close => "close",
        set_dismiss => "dismiss",
        set_vm_off_hint => "vm-off-hint",
        set_vm_paused_hint => "vm-paused-hint",
        set_vm_starting_hint => "vm-starting-hint",
        set_vm_stopping_hint => "vm-stopping-hint",
        set_vm_crashed_hint => "vm-crashed-hint",
        set_start => "start",
        set_resume => "resume",
        set_gestures_hint => "gestures-hint",
        set_no_vms => "no-vms",
        set_choose_console => "choose-console",
        set_osk_title => "osk-title",
        set_vm_keyboard => "vm-keyboard",
        set_media_title => "media-title",
        set_media_recent => "media-recent",
        set_media_continue => "media-continue",
        set_media_empty => "media-empty",
        set_media_search => "media-search",
        set_media_sort => "media-sort",
        set_player_play => "player-play",
        set_player_pause => "player-pause",
        set_player_next => "player-next",
        set_player_previous => "player-previous",
        set_player_back_10 => "player-back-10",
        set_player_forward_10 => "player-forward-10",
        set_player_position => "player-position",
        set_player_audio => "player-audio",
        set_player_subtitles => "player-subtitles",
        set_player_shuffle => "player-shuffle",
        set_player_volume => "player-volume",
        set_player_close => "player-close",
        set_player_open => "player-open",
        set_player_queue => "player-queue",
        set_player_queue_close => "player-queue-close",
        set_player_now_playing => "player-now-playing",
        set_settings_player => "settings-player",
        set_settings_swipe_seek => "settings-swipe-seek",
        set_settings_double_tap_seek => "settings-double-tap-seek",
        set_photo_next => "photo-next",
        set_photo_previous => "photo-previous",
        set_photo_slideshow => "photo-slideshow",
        set_photo_close => "photo-close",
        set_downloads_title => "downloads-title",
        set_downloads_history => "downloads-history",
    );
}

//! Kiosk mode (docs/DEPLOY.md): what the owner lets the user reach, and the only way out.
//!
//! [`KioskSettings`] is the policy, from `[kiosk]` in the configuration: the allowed places
//! (VMs by name, home, the media screens), the start place, what stays hidden, the idle
//! timeout, what a stopped VM does, and the admin PIN's hash. The app asks it before every
//! switch, screen change and D-Bus command, and forces the start place when anything else
//! slips through. [`AdminGesture`] counts the taps in the admin corner; [`pin`] checks the
//! PIN and keeps the growing delay after wrong tries on disk.

pub mod pin;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Where the user can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Home,
    Vm(String),
    Settings,
    /// The media browser, the player and the photo viewer.
    Media,
}

/// Where kiosk mode starts and returns to when idle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Home,
    Vm(String),
    /// The media browser on a shelf: "videos", "music" or "photos".
    Shelf(&'static str),
}

/// What a stopped VM does when it is the only VM allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenStopped {
    /// It is started again.
    Restart,
    /// Its state is shown (with its Start button).
    Show,
}

/// The corner where the admin gesture is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KioskSettings {
    /// The VMs allowed, by name as configured.
    pub vms: Vec<String>,
    pub home: bool,
    pub media: bool,
    pub start: Start,
    pub hide_lifecycle: bool,
    pub hide_settings: bool,
    pub hide_downloads: bool,
    pub idle_timeout: Option<Duration>,
    pub when_stopped: WhenStopped,
    /// The admin PIN's argon2 hash (PHC string); without one kiosk mode cannot be left from
    /// the screen.
    pub pin: Option<String>,
    pub corner: Corner,
}

/// How many taps in the corner, within [`ADMIN_WINDOW`], open the PIN pad.
pub const ADMIN_TAPS: usize = 5;
pub const ADMIN_WINDOW: Duration = Duration::from_secs(3);
/// The side of the admin corner's square, in logical pixels.
pub const ADMIN_CORNER: f32 = 64.0;

impl KioskSettings {
    /// Kiosk mode allowing these VMs and nothing else, starting at the first, with every
    /// other default: lifecycle, settings and downloads hidden, no idle timeout, a stopped
    /// only-VM restarted, the admin corner top left, no PIN.
    pub fn allowing(vms: Vec<String>) -> KioskSettings {
        let start = vms.first().cloned().map(Start::Vm).unwrap_or(Start::Home);
        KioskSettings {
            vms,
            home: false,
            media: false,
            start,
            hide_lifecycle: true,
            hide_settings: true,
            hide_downloads: true,
            idle_timeout: None,
            when_stopped: WhenStopped::Restart,
            pin: None,
            corner: Corner::TopLeft,
        }
    }

    pub fn allows_vm(&self, name: &str) -> bool {
        self.vms
            .iter()
            .any(|vm| vm.eq_ignore_ascii_case(name.trim()))
    }

    pub fn allows(&self, place: &Place) -> bool {
        match place {
            Place::Home => self.home,
            Place::Vm(name) => self.allows_vm(name),
            Place::Settings => self.home && !self.hide_settings,
            Place::Media => self.media,
        }
    }

    /// The allowed places in words, for refusals: "Work, home".
    pub fn targets(&self) -> Vec<String> {
        let mut targets: Vec<String> = self.vms.iter().map(|vm| format!("vm:{vm}")).collect();
        if self.home {
            targets.push("home".into());
        }
        if self.media {
            targets.push("media".into());
        }
        targets
    }

    /// The one VM allowed, when exactly one is.
    pub fn only_vm(&self) -> Option<&str> {
        match self.vms.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Whether a point (logical pixels) lies in the admin corner of a `width` x `height` view.
    pub fn in_corner(&self, x: f32, y: f32, width: f32, height: f32) -> bool {
        let left = x <= ADMIN_CORNER;
        let right = x >= width - ADMIN_CORNER;
        let top = y <= ADMIN_CORNER;
        let bottom = y >= height - ADMIN_CORNER;
        match self.corner {
            Corner::TopLeft => left && top,
            Corner::TopRight => right && top,
            Corner::BottomLeft => left && bottom,
            Corner::BottomRight => right && bottom,
        }
    }
}

/// Counts taps in the admin corner: [`ADMIN_TAPS`] within [`ADMIN_WINDOW`] make the gesture.
#[derive(Debug, Default)]
pub struct AdminGesture {
    taps: VecDeque<Instant>,
}

impl AdminGesture {
    /// A tap in the corner at `now`; true when it completes the gesture.
    pub fn tap(&mut self, now: Instant) -> bool {
        self.taps.push_back(now);
        while self
            .taps
            .front()
            .is_some_and(|first| now.duration_since(*first) > ADMIN_WINDOW)
        {
            self.taps.pop_front();
        }
        if self.taps.len() >= ADMIN_TAPS {
            self.taps.clear();
            return true;
        }
        false
    }

    /// A touch elsewhere breaks the series.
    pub fn reset(&mut self) {
        self.taps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> KioskSettings {
        KioskSettings {
            media: true,
            ..KioskSettings::allowing(vec!["Work".into()])
        }
    }

    #[test]
    fn only_the_allowed_places_are_allowed() {
        let kiosk = settings();
        assert!(kiosk.allows(&Place::Vm("work".into())));
        assert!(!kiosk.allows(&Place::Vm("Personal".into())));
        assert!(!kiosk.allows(&Place::Home));
        assert!(!kiosk.allows(&Place::Settings));
        assert!(kiosk.allows(&Place::Media));
        assert_eq!(kiosk.targets(), vec!["vm:Work", "media"]);
        assert_eq!(kiosk.only_vm(), Some("Work"));
    }

    #[test]
    fn five_taps_within_three_seconds_make_the_gesture() {
        let start = Instant::now();
        let mut gesture = AdminGesture::default();
        for i in 0..4 {
            assert!(!gesture.tap(start + Duration::from_millis(500 * i)));
        }
        assert!(gesture.tap(start + Duration::from_millis(2000)));
        // Slow taps never add up.
        let mut slow = AdminGesture::default();
        for i in 0..10 {
            assert!(!slow.tap(start + Duration::from_millis(800 * i)));
        }
    }

    #[test]
    fn the_corner_is_where_it_is_configured() {
        let mut kiosk = settings();
        assert!(kiosk.in_corner(10.0, 10.0, 800.0, 480.0));
        assert!(!kiosk.in_corner(790.0, 10.0, 800.0, 480.0));
        kiosk.corner = Corner::BottomRight;
        assert!(kiosk.in_corner(790.0, 470.0, 800.0, 480.0));
    }
}

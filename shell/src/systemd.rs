//! Life under systemd (docs/DEPLOY.md): READY once the first frame is on screen, and watchdog
//! pings from the UI thread itself, so a UI that stops turning is killed and restarted.
//! Outside systemd (no `NOTIFY_SOCKET`) all of this does nothing.

use std::time::Duration;

/// Tells the service manager that Hearth is up: the first frame is on screen.
pub fn ready() {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    match sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        Ok(()) => tracing::info!("told the service manager Hearth is ready"),
        Err(error) => tracing::warn!(%error, "cannot tell the service manager Hearth is ready"),
    }
}

/// How often to ping the watchdog, when the service manager asks for pings: half its
/// timeout, as systemd recommends.
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return None;
    }
    Some(Duration::from_micros(usec / 2))
}

/// Starts pinging the watchdog from the UI thread's event loop; the timer must live as long
/// as the window.
pub fn start_watchdog(timer: &slint::Timer) {
    let Some(interval) = watchdog_interval() else {
        return;
    };
    tracing::info!(
        ?interval,
        "pinging the service manager's watchdog from the UI thread"
    );
    ping();
    timer.start(slint::TimerMode::Repeated, interval, ping);
}

fn ping() {
    if let Err(error) = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]) {
        tracing::warn!(%error, "cannot ping the service manager's watchdog");
    }
}

//! When downloads hold back by themselves: on a metered connection (NetworkManager) and on
//! battery below a threshold (UPower), read from the system bus and followed as they change.
//! Without NetworkManager or UPower, nothing holds.

use futures_util::StreamExt;
use tokio::sync::watch;
use zbus::Connection;
use zbus::names::InterfaceName;
use zbus::zvariant::OwnedValue;

use super::config::Policy;
use super::runner::Hold;

const NETWORK_MANAGER: &str = "org.freedesktop.NetworkManager";
const UPOWER: &str = "org.freedesktop.UPower";
const DISPLAY_DEVICE: &str = "/org/freedesktop/UPower/devices/DisplayDevice";

/// What the system reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Conditions {
    /// NetworkManager's `Metered` is "yes" or "guess yes".
    pub metered: bool,
    pub on_battery: bool,
    /// The battery's charge in percent, when a battery is present.
    pub battery: Option<f64>,
}

impl Policy {
    /// Whether these conditions hold downloads back, and why.
    pub fn hold(&self, conditions: Conditions) -> Option<Hold> {
        if self.pause_on_metered && conditions.metered {
            return Some(Hold::Metered);
        }
        let low = conditions
            .battery
            .is_some_and(|percent| percent < self.pause_on_battery_below);
        (conditions.on_battery && low).then_some(Hold::Battery)
    }
}

/// Follows NetworkManager and UPower on the system bus, sending the conditions each time any
/// of them changes (or either service comes or goes). Returns only when the bus goes away.
pub async fn watch_conditions(sender: watch::Sender<Conditions>) -> zbus::Result<()> {
    let connection = Connection::system().await?;
    let rules = [
        format!(
            "type='signal',sender='{NETWORK_MANAGER}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='/org/freedesktop/NetworkManager'"
        ),
        format!(
            "type='signal',sender='{UPOWER}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path_namespace='/org/freedesktop/UPower'"
        ),
        format!(
            "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='{NETWORK_MANAGER}'"
        ),
        format!(
            "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='{UPOWER}'"
        ),
    ];
    let mut streams = Vec::new();
    for rule in rules {
        let rule = zbus::MatchRule::try_from(rule.as_str())?;
        streams.push(zbus::MessageStream::for_match_rule(rule, &connection, Some(64)).await?);
    }
    let mut changes = futures_util::stream::select_all(streams);
    loop {
        let conditions = read(&connection).await;
        sender.send_if_modified(|old| {
            let changed = *old != conditions;
            *old = conditions;
            changed
        });
        if changes.next().await.is_none() {
            return Ok(());
        }
    }
}

async fn read(connection: &Connection) -> Conditions {
    let metered = property(
        connection,
        NETWORK_MANAGER,
        "/org/freedesktop/NetworkManager",
        NETWORK_MANAGER,
        "Metered",
    )
    .await
    .and_then(|value| u32::try_from(value).ok())
    // NM_METERED_YES and NM_METERED_GUESS_YES.
    .is_some_and(|metered| metered == 1 || metered == 3);
    let on_battery = property(
        connection,
        UPOWER,
        "/org/freedesktop/UPower",
        UPOWER,
        "OnBattery",
    )
    .await
    .and_then(|value| bool::try_from(value).ok())
    .unwrap_or(false);
    let present = property(
        connection,
        UPOWER,
        DISPLAY_DEVICE,
        "org.freedesktop.UPower.Device",
        "IsPresent",
    )
    .await
    .and_then(|value| bool::try_from(value).ok())
    .unwrap_or(false);
    let battery = if present {
        property(
            connection,
            UPOWER,
            DISPLAY_DEVICE,
            "org.freedesktop.UPower.Device",
            "Percentage",
        )
        .await
        .and_then(|value| f64::try_from(value).ok())
    } else {
        None
    };
    Conditions {
        metered,
        on_battery,
        battery,
    }
}

/// One property, or `None` when the service, the object or the property is not there.
async fn property(
    connection: &Connection,
    destination: &str,
    path: &str,
    interface: &str,
    name: &str,
) -> Option<OwnedValue> {
    let proxy = zbus::fdo::PropertiesProxy::builder(connection)
        .destination(destination.to_owned())
        .ok()?
        .path(path.to_owned())
        .ok()?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .ok()?;
    let interface = InterfaceName::try_from(interface.to_owned()).ok()?;
    proxy.get(interface, name).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metered_links_and_low_batteries_hold_downloads() {
        let policy = Policy {
            pause_on_metered: true,
            pause_on_battery_below: 20.0,
        };
        let plugged = Conditions::default();
        assert_eq!(policy.hold(plugged), None);
        let metered = Conditions {
            metered: true,
            ..plugged
        };
        assert_eq!(policy.hold(metered), Some(Hold::Metered));
        let low = Conditions {
            on_battery: true,
            battery: Some(12.0),
            ..plugged
        };
        assert_eq!(policy.hold(low), Some(Hold::Battery));
        let charging_low = Conditions {
            on_battery: false,
            ..low
        };
        assert_eq!(policy.hold(charging_low), None);
        let high = Conditions {
            battery: Some(80.0),
            ..low
        };
        assert_eq!(policy.hold(high), None);
        let relaxed = Policy {
            pause_on_metered: false,
            pause_on_battery_below: 0.0,
        };
        assert_eq!(relaxed.hold(metered), None);
        assert_eq!(relaxed.hold(low), None);
    }
}

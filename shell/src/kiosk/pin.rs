//! The admin PIN: stored as an argon2id hash (PHC string) in the configuration, checked off
//! the UI thread, with a growing delay after wrong tries that is kept on disk so a restart
//! does not reset it.
//!
//! The delay: the first [`FREE_TRIES`] wrong PINs cost nothing; the next one locks the pad
//! for [`FIRST_DELAY`], and each further wrong PIN doubles it, up to [`LONGEST_DELAY`]. The
//! right PIN clears the count.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

pub const FREE_TRIES: u32 = 2;
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
pub const LONGEST_DELAY: Duration = Duration::from_secs(60 * 60);
/// PINs are digits only, this many at least and at most.
pub const PIN_LENGTH: std::ops::RangeInclusive<usize> = 4..=12;

/// Whether `pin` is a PIN Hearth accepts: 4 to 12 digits.
pub fn valid(pin: &str) -> bool {
    PIN_LENGTH.contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The argon2id hash of `pin` with a fresh random salt, as a PHC string.
pub fn hash(pin: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut salt))
        .map_err(|error| format!("cannot read random bytes for the salt: {error}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| error.to_string())?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| error.to_string())
}

/// Whether `text` is a hash [`verify`] can check.
pub fn parses(text: &str) -> bool {
    PasswordHash::new(text).is_ok_and(|hash| hash.algorithm.as_str().starts_with("argon2"))
}

/// Whether `pin` matches `hash`. Slow on purpose (tens of milliseconds): call it off the UI
/// thread.
pub fn verify(hash: &str, pin: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(pin.as_bytes(), &parsed)
        .is_ok()
}

/// The delay after `failures` wrong PINs in a row.
pub fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_TRIES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_TRIES - 1).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(LONGEST_DELAY)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    failures: u32,
    /// Seconds since the Unix epoch until which the pad is locked.
    locked_until: u64,
}

/// Wrong tries and the lock they imposed, kept in a file.
#[derive(Debug)]
pub struct Lockout {
    path: Option<PathBuf>,
    record: Record,
}

impl Lockout {
    /// The file in the user's state folder.
    pub fn in_user_state() -> Option<PathBuf> {
        crate::session::SessionFile::in_user_state()
            .map(|session| session.with_file_name("kiosk-lockout.json"))
    }

    /// Reads the lockout kept at `path` (none: nothing kept, nothing locked). A damaged file
    /// counts as the longest lock, so damaging it is no way around the delay.
    pub fn load(path: Option<PathBuf>) -> Lockout {
        let record = match path.as_deref().map(std::fs::read) {
            None => Record::default(),
            Some(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => Record::default(),
            Some(Ok(bytes)) if bytes.len() < 4096 => {
                serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                    tracing::warn!(%error, "the kiosk lockout file is damaged; locking the pad");
                    damaged()
                })
            }
            Some(_) => {
                tracing::warn!("the kiosk lockout file cannot be read; locking the pad");
                damaged()
            }
        };
        Lockout { path, record }
    }

    pub fn failures(&self) -> u32 {
        self.record.failures
    }

    /// How long the pad stays locked from `now`; never longer than [`LONGEST_DELAY`], so a
    /// clock set back does not lock it for good.
    pub fn wait_left(&self, now: SystemTime) -> Option<Duration> {
        let now = seconds(now);
        let left = Duration::from_secs(self.record.locked_until.saturating_sub(now));
        (!left.is_zero()).then(|| left.min(LONGEST_DELAY))
    }

    /// A wrong PIN at `now`: counts it, keeps it, and returns the delay it imposes.
    pub fn failed(&mut self, now: SystemTime) -> Duration {
        self.record.failures = self.record.failures.saturating_add(1);
        let delay = delay_after(self.record.failures);
        self.record.locked_until = seconds(now) + delay.as_secs();
        self.save();
        delay
    }

    /// The right PIN: the count starts again.
    pub fn succeeded(&mut self) {
        self.record = Record::default();
        self.save();
    }

    fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        if let Err(error) = write(path, &self.record) {
            tracing::warn!(path = %path.display(), %error, "cannot keep the kiosk lockout");
        }
    }
}

fn damaged() -> Record {
    Record {
        failures: FREE_TRIES + 1,
        locked_until: seconds(SystemTime::now()) + FIRST_DELAY.as_secs(),
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

/// Flushed to the disk, so a power cut does not reset the lock.
fn write(path: &Path, record: &Record) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    crate::durable::write_whole(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_pin_verifies_and_others_do_not() {
        let hash = hash("2468").expect("hashed");
        assert!(parses(&hash));
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify(&hash, "2468"));
        assert!(!verify(&hash, "2469"));
        assert!(!verify("not a hash", "2468"));
        assert!(valid("0000") && !valid("123") && !valid("12a4") && !valid("1234567890123"));
    }

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(30));
        assert_eq!(delay_after(4), Duration::from_secs(60));
        assert_eq!(delay_after(5), Duration::from_secs(120));
        assert_eq!(delay_after(40), LONGEST_DELAY);
    }

    #[test]
    fn the_lock_survives_a_restart_and_the_right_pin_clears_it() {
        let dir = std::env::temp_dir().join(format!("hearth-lockout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("kiosk-lockout.json");
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut lockout = Lockout::load(Some(path.clone()));
        assert_eq!(lockout.failed(now), Duration::ZERO);
        assert_eq!(lockout.failed(now), Duration::ZERO);
        assert_eq!(lockout.failed(now), Duration::from_secs(30));
        let restarted = Lockout::load(Some(path.clone()));
        assert_eq!(restarted.failures(), 3);
        assert_eq!(
            restarted.wait_left(now + Duration::from_secs(10)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(restarted.wait_left(now + Duration::from_secs(31)), None);
        let mut restarted = restarted;
        restarted.succeeded();
        assert_eq!(Lockout::load(Some(path.clone())).failures(), 0);
        std::fs::write(&path, b"garbage").expect("damaged");
        assert!(
            Lockout::load(Some(path))
                .wait_left(SystemTime::now())
                .is_some()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

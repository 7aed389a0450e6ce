//! Devices on one local network giving each other the versions they hold: a read-only HTTP
//! server of verified chunks ([`server`]) over what a device holds ([`holdings`]). The
//! fetching side is the agent's (it asks peers before the mirrors and checks every byte).

pub mod discovery;
pub mod holdings;
pub mod server;

/// The TCP port peers serve on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 47390;

pub use discovery::{
    Discovery, Found, Holders, Offer, SERVICE_TYPE, keep_announcing, own_address_towards,
};
pub use holdings::{Held, Holdings, PEER_LEVEL};
pub use server::{Sharing, chunk_in_path, start};

//! SMTP: parsing, the pure session state machine, the DATA receiver, AUTH, TLS, and the
//! tokio connection and listener loops that drive them.

pub mod address;
pub mod auth;
pub mod command;
pub mod connection;
pub mod data;
pub mod limits;
pub mod reply;
pub mod server;
pub mod session;
pub mod tls;
pub mod transcript;

pub use limits::{Limits, StorageState};
pub use server::{
    bind_all, BoundServer, NamedListener, ServerError, ServerHandle, ServerOptions,
    DEFAULT_LISTENER,
};
pub use session::{Session, SessionConfig};

//! Pigeonhole's engine: everything but the window.
//!
//! Data moves like this:
//!
//! 1. `smtp::server` accepts a connection and runs `smtp::connection`, which feeds bytes to
//!    `smtp::Session`, a pure state machine (`smtp::session`) built from the command parser
//!    (`smtp::command`, `smtp::address`), the DATA receiver (`smtp::data`) and AUTH
//!    (`smtp::auth`). Every line in and out goes into the session's `smtp::transcript`.
//! 2. A finished message is summarised (`message`) and handed to `store`, whose single
//!    writer thread commits waiting messages together. Only then does the session send 250.
//! 3. After the commit the store publishes `event::Event`s on the `event::EventBus`; the
//!    desktop shell, the CLI and tests subscribe.
//! 4. Readers query `store` on their own connections and parse full views on demand
//!    (`message::MessageDetail`).
//!
//! `config` holds the one `Config` every front end builds from, and `engine` starts it all.

pub mod config;
pub mod engine;
pub mod event;
pub mod message;
pub mod model;
pub mod smtp;
pub mod store;
pub mod ui_types;

pub use config::Config;
pub use engine::Engine;
pub use event::{Event, EventBus};
pub use store::Store;

//! Pigeonhole's engine: everything but the window.
//!
//! Modules, leaf first (a module imports only those above it):
//!
//! - `model`: the shared domain types (ids, addresses, envelopes, summaries, transcripts,
//!   the parsed view, status). A leaf: no `crate::` imports.
//! - `search`: the search box's query language, text -> `search::Query`. Pure; also a leaf.
//! - `rules`: SMTP fault rules (match a stage, addresses, names, occurrences; reply, delay,
//!   throttle, drop, fail TLS, discard, tempfail). Pure: the session asks, the connection
//!   loop carries out delays.
//! - `event`: the bus (`EventBus`) and the event names every front end forwards.
//! - `message`: raw bytes -> summary at ingest, detail on demand (mail-parser).
//! - `lint`: protocol and message checks of raw bytes + envelope -> `LintReport`. Pure.
//! - `store`: SQLite. One writer thread (group commit, then events), readers on their own
//!   connections, the checkpointer, migrations.
//! - `smtp`: the command parser, the pure `Session` state machine (one file per verb family,
//!   with `Stage` hooks), DATA/BDAT, AUTH, TLS, and the tokio connection and listener loops.
//! - `private`: creating the data dir (0700) and its private files (0600).
//! - `config`: the one `Config`, its defaults, validation and files (`settings.json`, TOML).
//! - `relay`: one SMTP conversation with a real server (lettre), for releasing a message.
//! - `transfer`: `.eml`, mbox and Maildir readers and writers, for import and export.
//! - `commands`: THE read/write layer front ends call (list, get, raw, part, delete, ...).
//! - `engine`: the only composition root: store + bus + listeners, rebinding, pause, status.
//! - `ui_types`: the TypeScript module generated from `model` and `config` for the window.
//!
//! Data moves like this:
//!
//! 1. `smtp::server` accepts a connection and runs `smtp::connection`, which feeds bytes to
//!    `smtp::Session`. Every line in and out goes into the session's transcript recorder.
//! 2. A finished message is summarised (`message`) and handed to `store`, whose single
//!    writer thread commits waiting messages together. Only then does the session send 250.
//!    After the ack, the store's lint worker checks each new message (`lint`) and the
//!    writer keeps its findings.
//! 3. After the commit the store publishes `event::Event`s on the `event::EventBus`; the
//!    desktop bridge, the CLI and tests subscribe.
//! 4. Front ends read and write through `commands`, which runs SQLite work on the blocking
//!    pool and parses full views on demand from the raw bytes.
//! 5. A release (`commands::release`) checks the recipients against the config's
//!    allowlist, sends the stored bytes through `relay`, and records the server's reply
//!    with the message through the writer.

pub mod commands;
pub mod config;
pub mod engine;
pub mod event;
pub mod lint;
pub mod message;
pub mod model;
pub mod private;
pub mod relay;
pub mod rules;
pub mod search;
pub mod smtp;
pub mod store;
pub mod transfer;
pub mod ui_types;

pub use config::Config;
pub use engine::Engine;
pub use event::{Event, EventBus};
pub use store::Store;

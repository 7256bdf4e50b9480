//! Pigeonhole as a test fixture: a capture server on free loopback ports with a store in a
//! temporary directory, and the questions a test asks of the mail it caught.
//!
//! - `server`: `TestServer`, its accessors, and the waits (`wait_for`, `wait_for_count`,
//!   `expect_none`), reads (`messages`, `message`, `raw`, `transcript`, `links`, `codes`)
//!   and `test_inbox`. Every one is a call to `pigeonhole_core::commands`: no SQL, no HTTP.
//! - `builder`: `Builder`, the few settings a test changes (STARTTLS, AUTH users, the API,
//!   the wait timeout, anything else through `config`).
//! - `runner`: the thread the server runs on, with its own runtime. A blocking SMTP client
//!   in the test cannot stall it, and dropping the server shuts it down and waits for it.
//! - `error`: `Error`, whose messages say what a failed wait saw.
//!
//! Data moves like this: the test's SMTP client talks to the engine's listener on the
//! server thread; the engine commits the message and publishes it on its bus; a wait in
//! the test subscribed to that bus before it first looked, so it sees the message whether
//! it arrived before or during the wait. Dropping the `TestServer` (or `stop`) stops the
//! API and SMTP listeners, then closes the store, then deletes the directory.
//!
//! ```
//! use std::time::Duration;
//!
//! use lettre::{Message, SmtpTransport, Transport};
//! use pigeonhole_test::TestServer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = TestServer::start().await?;
//!
//! // The app under test sends its mail to the server's SMTP port. A blocking client is
//! // fine, even on a single-threaded test runtime: the server has a thread of its own.
//! let smtp = server.smtp_addr();
//! let mailer = SmtpTransport::builder_dangerous(smtp.ip().to_string())
//!     .port(smtp.port())
//!     .build();
//! let email = Message::builder()
//!     .from("App <app@example.com>".parse()?)
//!     .to("ann@example.com".parse()?)
//!     .subject("Welcome")
//!     .body(String::from("Confirm your address: https://app.example.com/confirm/42"))?;
//! mailer.send(&email)?;
//!
//! let welcome = server.wait_for("subject:Welcome").await?;
//! assert_eq!(welcome.rcpt_to, ["ann@example.com"]);
//! let links = server.links(welcome.id).await?;
//! assert_eq!(links[0].url, "https://app.example.com/confirm/42");
//!
//! // Nothing went to Bob.
//! server.expect_none("to:bob@example.com", Duration::from_millis(200)).await?;
//! # Ok(())
//! # }
//! ```

mod builder;
mod error;
mod runner;
mod server;

pub use builder::{Builder, DEFAULT_WAIT};
pub use error::{Error, Result, Timeout, Unexpected};
pub use server::TestServer;

/// The engine's crate, for the types the answers come in and any command not wrapped here.
pub use pigeonhole_core;
pub use pigeonhole_core::commands::RulesView;
pub use pigeonhole_core::model::{
    Code, Link, MessageDetail, MessageSummary, TestInbox, Transcript,
};
/// Fault rules for `TestServer::set_rules`: `Rule`, `Stage`, `Action`, `CounterScope`.
pub use pigeonhole_core::rules;
pub use pigeonhole_core::Config;

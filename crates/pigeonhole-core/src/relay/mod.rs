//! Releasing a stored message to a real SMTP server with lettre.
//!
//! - `data`: what is checked and added before the bytes go: the ambiguous line endings a
//!   lenient server could read as the end of the message, and the optional `Received:`.
//! - `smtp`: one SMTP conversation over lettre's `SmtpConnection`, step by step, so the
//!   reply that ended it (its code, enhanced code and text as sent) and the step it
//!   answered are known.
//!
//! `commands::release` checks the recipients against the allowlist before anything here
//! runs, and records the outcome with the message afterwards.

mod data;
mod smtp;

pub use data::{ambiguous_dot, with_received};
pub use smtp::{send, Ended, Outgoing, TIMEOUT};

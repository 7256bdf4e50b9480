//! The HTTP API against a real capture server (`pigeonhole-test`): every endpoint, its
//! errors, the access checks, the event streams, and the OpenAPI document's completeness.
//!
//! Most requests go through the router in process (`tower::ServiceExt::oneshot`) over the
//! test server's engine; the WebSocket and SSE tests use the server's real HTTP listener.
//! Mail always arrives over real SMTP (lettre), so what the API shows is what a client sent.

mod access;
mod checks;
mod errors;
mod events;
mod lint;
mod mailpit;
mod openapi;
mod ours;
mod release;
mod rules;
mod support;
mod transfer;

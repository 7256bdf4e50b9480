//! The listeners' deadlines and caps, and the state they share across connections: open
//! connections per client address, and recent AUTH failures per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::event::{Event, EventBus};

/// Deadlines and caps every connection of a server runs under (`Config::limits` applies
/// the documented rules: no deadline is longer than the idle timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Silence, waiting for a command, before the session is closed with 421 4.4.2.
    pub idle_timeout: Duration,
    /// A TLS handshake (STARTTLS or SMTPS) must finish within this.
    pub tls_handshake_timeout: Duration,
    /// A command line must be complete this long after its first byte.
    pub command_timeout: Duration,
    /// Bytes per second DATA/BDAT must average over each `data_rate_window`; 0 is off.
    pub min_data_rate: u64,
    pub data_rate_window: Duration,
    pub max_connections: usize,
    /// Most concurrent connections from one client address.
    pub max_connections_per_client: usize,
}

/// Open connections per client address, shared by every listener of a server.
#[derive(Debug, Default)]
pub struct ClientSlots {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's hold on its client's count; dropping it gives the slot back.
#[derive(Debug)]
pub struct ClientSlot {
    slots: Arc<ClientSlots>,
    ip: IpAddr,
}

impl ClientSlots {
    /// Takes a slot for `ip`, unless it already holds `cap`.
    pub fn try_take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<ClientSlot> {
        let mut open = lock(&self.open);
        let n = open.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            slots: self.clone(),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.slots.open);
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A client address's failures are forgotten this long after its last one.
const AUTH_FAILURE_MEMORY: Duration = Duration::from_secs(300);

/// Recent AUTH failures per client address, so a client cannot reset its delay by
/// reconnecting. A success from the address forgets them.
#[derive(Debug, Default)]
pub struct AuthLedger {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AuthLedger {
    /// Failures recorded for `ip` lately.
    pub fn recent(&self, ip: IpAddr) -> u32 {
        let mut map = lock(&self.failures);
        match map.get(&ip) {
            Some((_, last)) if last.elapsed() > AUTH_FAILURE_MEMORY => {
                map.remove(&ip);
                0
            }
            Some((n, _)) => *n,
            None => 0,
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut map = lock(&self.failures);
        if map.len() > 10_000 {
            // Bounded memory under a spray of addresses: drop what has been forgotten.
            map.retain(|_, (_, last)| last.elapsed() <= AUTH_FAILURE_MEMORY);
        }
        let e = map.entry(ip).or_insert((0, Instant::now()));
        e.0 = e.0.saturating_add(1);
        e.1 = Instant::now();
    }

    pub fn succeeded(&self, ip: IpAddr) {
        lock(&self.failures).remove(&ip);
    }
}

/// Whether the store is refusing writes for want of space, for the status bar and the
/// window's banner. Set by the first delivery that fails so, cleared by the next that
/// succeeds; each change is logged once (WARN, then INFO).
#[derive(Debug, Default)]
pub struct StorageState {
    full: Mutex<Option<String>>,
    /// Where each change is published (`store://full`), for the window and API clients.
    bus: Option<EventBus>,
}

impl StorageState {
    pub fn new(bus: EventBus) -> Self {
        StorageState {
            full: Mutex::new(None),
            bus: Some(bus),
        }
    }

    fn publish(&self, full: Option<String>) {
        if let Some(bus) = &self.bus {
            bus.publish(Event::StorageFull {
                full: full.is_some(),
                error: full,
            });
        }
    }

    /// The last "storage full" error while the condition lasts.
    pub fn full(&self) -> Option<String> {
        lock(&self.full).clone()
    }

    /// A delivery failed because the disk (or the database's size limit) is full.
    /// Returns true when this starts an episode.
    pub fn set_full(&self, error: &str) -> bool {
        let mut full = lock(&self.full);
        let started = full.is_none();
        *full = Some(error.to_string());
        drop(full);
        if started {
            tracing::warn!(
                error,
                "storage full: refusing mail with 452 4.3.1 until space returns"
            );
            self.publish(Some(error.to_string()));
        }
        started
    }

    /// A delivery succeeded. Returns true when this ends an episode.
    pub fn set_ok(&self) -> bool {
        let ended = lock(&self.full).take().is_some();
        if ended {
            tracing::info!("storage has room again: accepting mail");
            self.publish(None);
        }
        ended
    }
}

/// The delay before the answer to a client's `n`th failed AUTH (counting its address's
/// recent failures): 250 ms, doubling, at most 4 s.
pub fn auth_failure_delay(n: u32) -> Duration {
    let shift = n.saturating_sub(1).min(4);
    Duration::from_millis(250u64 << shift)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_delay_doubles_from_a_quarter_second_up_to_four_seconds() {
        let ms: Vec<u128> = (1..=7).map(|n| auth_failure_delay(n).as_millis()).collect();
        assert_eq!(
            ms,
            vec![250, 500, 1000, 2000, 4000, 4000, 4000],
            "the delay grows and is capped"
        );
    }

    #[test]
    fn a_client_address_gets_no_more_slots_than_its_cap_and_gets_them_back() {
        let slots = Arc::new(ClientSlots::default());
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let other: IpAddr = "::1".parse().expect("ip");
        let a = slots.try_take(ip, 2).expect("first slot");
        let _b = slots.try_take(ip, 2).expect("second slot");
        assert!(slots.try_take(ip, 2).is_none(), "a third is over the cap");
        assert!(
            slots.try_take(other, 2).is_some(),
            "another address is not affected"
        );
        drop(a);
        assert!(
            slots.try_take(ip, 2).is_some(),
            "a closed connection gives its slot back"
        );
    }

    #[test]
    fn auth_failures_are_counted_per_address_and_a_success_forgets_them() {
        let ledger = AuthLedger::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        ledger.failed(ip);
        ledger.failed(ip);
        assert_eq!(ledger.recent(ip), 2, "two failures remembered");
        assert_eq!(
            ledger.recent("10.0.0.2".parse().expect("ip")),
            0,
            "other addresses are clean"
        );
        ledger.succeeded(ip);
        assert_eq!(ledger.recent(ip), 0, "a success clears the address");
    }

    #[test]
    fn storage_full_is_an_episode_that_starts_once_and_ends_once() {
        let bus = EventBus::new();
        let mut events = bus.subscribe();
        let s = StorageState::new(bus);
        assert!(
            s.set_full("database or disk is full"),
            "first failure starts it"
        );
        assert!(!s.set_full("database or disk is full"), "second does not");
        assert_eq!(s.full().as_deref(), Some("database or disk is full"));
        assert!(s.set_ok(), "a success ends it");
        assert!(!s.set_ok(), "and only once");
        assert_eq!(s.full(), None, "cleared");
        let mut seen = Vec::new();
        while let Ok(Event::StorageFull { full, .. }) = events.try_recv() {
            seen.push(full);
        }
        assert_eq!(
            seen,
            [true, false],
            "one event when it starts, one when it ends"
        );
    }
}

//! Deterministic SMTP fault rules. PURE: no sockets, clocks or sleeps.
//!
//! A `Rule` (rule.rs) says at which `Stage` (stage.rs), for which addresses, names, users,
//! clients and listeners, and on which occurrences (Nth, every Nth, first N, a seeded
//! fraction) it fires, and what it does then (`Action`). `Faults` (faults.rs) holds the
//! rule set in force with its counters, shared by every connection: a session asks it at
//! each stage and gets a `Verdict`, which the session turns into replies and outputs (a
//! delay is an output the connection loop carries out). The same rules and the same
//! traffic give the same replies every run.

mod faults;
mod pattern;
mod rule;
mod stage;
#[cfg(test)]
mod tests;

pub use faults::{message_key, Effect, Event, Faults, RuleSet, RuleStats, Verdict};
pub use pattern::Pattern;
pub use rule::{
    action_name, check_rules, deserialize_rules, parse_rules, Action, CounterScope, Rule,
    MAX_DELAY_MS,
};
pub use stage::Stage;

//! Fault rules in force: read, replace, clear, reset their counters, and Mailpit's chaos
//! triggers mapped onto rules. Changes apply to the running listeners at once (sessions
//! already open too) and last until the next restart or settings change; the config
//! file's `[[rules]]` are what a start begins with.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::{CommandError, Result};
use crate::rules::{parse_rules, Action, Faults, Rule, RuleSet, RuleStats, Stage};

/// The rules in force and how often each matched and fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
pub struct RulesView {
    pub fail_fast: bool,
    pub rules: Vec<Rule>,
    /// One per rule, in the same order.
    pub stats: Vec<RuleStats>,
}

pub fn rules(faults: &Faults) -> RulesView {
    let set = faults.get();
    RulesView {
        fail_fast: set.fail_fast,
        rules: set.rules,
        stats: faults.stats(),
    }
}

/// Replaces the rule set (counters start over). A set with any bad rule is refused whole,
/// each problem naming the rule and the field.
pub fn set_rules(faults: &Faults, set: RuleSet) -> Result<RulesView> {
    faults.set(set).map_err(CommandError::BadRules)?;
    Ok(rules(faults))
}

/// `set_rules` from JSON as the API receives it: a list of rules, or
/// `{"fail_fast": bool, "rules": [...]}` (a missing `fail_fast` keeps the current one).
pub fn set_rules_json(faults: &Faults, body: &Value) -> Result<RulesView> {
    let (fail_fast, list) = match body {
        Value::Array(_) => (faults.get().fail_fast, body),
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| *k != "fail_fast" && *k != "rules") {
                return Err(CommandError::BadRules(vec![format!(
                    "{k}: is not a field; send {{\"fail_fast\": false, \"rules\": [...]}} or a list of rules"
                )]));
            }
            let fail_fast = match map.get("fail_fast") {
                None | Some(Value::Null) => faults.get().fail_fast,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(CommandError::BadRules(vec![format!(
                        "fail_fast: {other} is not true or false"
                    )]))
                }
            };
            // Only fail_fast given: the rules stay as they are.
            match map.get("rules") {
                None => {
                    return set_rules(
                        faults,
                        RuleSet {
                            fail_fast,
                            rules: faults.get().rules,
                        },
                    )
                }
                Some(list) => (fail_fast, list),
            }
        }
        _ => {
            return Err(CommandError::BadRules(vec![
                "send a list of rules, or {\"fail_fast\": false, \"rules\": [...]}".into(),
            ]))
        }
    };
    let list = if list.is_null() {
        &Value::Array(Vec::new())
    } else {
        list
    };
    let rules = parse_rules(list).map_err(CommandError::BadRules)?;
    set_rules(faults, RuleSet { fail_fast, rules })
}

/// Removes every rule.
pub fn clear_rules(faults: &Faults) -> RulesView {
    let _ = faults.set(RuleSet::default());
    rules(faults)
}

/// Starts every rule's counters (and tempfail's memory of tries) over.
pub fn reset_rule_counters(faults: &Faults) -> RulesView {
    faults.reset_counters();
    rules(faults)
}

/// One of Mailpit's chaos triggers: refuse with `error_code` on `probability` percent of
/// the commands at its stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosTrigger {
    pub error_code: u16,
    pub probability: u8,
}

/// Mailpit's three chaos stages, each a rule named `chaos:<stage>` (seeded, so a run
/// repeats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chaos {
    pub authentication: ChaosTrigger,
    pub sender: ChaosTrigger,
    pub recipient: ChaosTrigger,
}

const CHAOS: [(&str, Stage); 3] = [
    ("chaos:authentication", Stage::Auth),
    ("chaos:sender", Stage::Mail),
    ("chaos:recipient", Stage::Rcpt),
];

/// The chaos triggers the current rules hold (zeros where a trigger has no rule).
pub fn chaos(faults: &Faults) -> Chaos {
    let set = faults.get();
    let trigger = |(name, stage): (&str, Stage)| {
        set.rules
            .iter()
            .find(|r| r.name == name)
            .map(|r| ChaosTrigger {
                error_code: r.code.unwrap_or_else(|| chaos_default_code(stage)),
                probability: (r.probability.unwrap_or(0.0) * 100.0).round() as u8,
            })
            .unwrap_or(ChaosTrigger {
                error_code: chaos_default_code(stage),
                probability: 0,
            })
    };
    Chaos {
        authentication: trigger(CHAOS[0]),
        sender: trigger(CHAOS[1]),
        recipient: trigger(CHAOS[2]),
    }
}

/// Mailpit's code for a trigger that names none: 535 for authentication, else 451.
fn chaos_default_code(stage: Stage) -> u16 {
    if stage == Stage::Auth {
        535
    } else {
        451
    }
}

/// Sets the chaos triggers as Mailpit does (a probability of 0 turns one off), keeping
/// every other rule. Codes must be 400-599 and probabilities 0-100.
pub fn set_chaos(faults: &Faults, chaos: Chaos) -> Result<Chaos> {
    let mut errs = Vec::new();
    for (label, t) in [
        ("Authentication", chaos.authentication),
        ("Sender", chaos.sender),
        ("Recipient", chaos.recipient),
    ] {
        if t.probability > 100 {
            errs.push(format!(
                "{label}.Probability: {} is not 0-100",
                t.probability
            ));
        }
        if t.probability > 0 && t.error_code != 0 && !(400..=599).contains(&t.error_code) {
            errs.push(format!(
                "{label}.ErrorCode: {} is not 400-599",
                t.error_code
            ));
        }
    }
    if !errs.is_empty() {
        return Err(CommandError::BadRules(errs));
    }
    let mut set = faults.get();
    set.rules
        .retain(|r| !CHAOS.iter().any(|(name, _)| r.name == *name));
    for ((name, stage), t) in
        CHAOS
            .iter()
            .zip([chaos.authentication, chaos.sender, chaos.recipient])
    {
        if t.probability == 0 {
            continue;
        }
        set.rules.push(Rule {
            stage: Some(*stage),
            probability: Some(f64::from(t.probability) / 100.0),
            seed: Some(1),
            // As in Mailpit, a code of 0 means the default.
            code: Some(if t.error_code == 0 {
                chaos_default_code(*stage)
            } else {
                t.error_code
            }),
            ..Rule::new(*name, Action::Reply)
        });
    }
    faults.set(set).map_err(CommandError::BadRules)?;
    Ok(self::chaos(faults))
}

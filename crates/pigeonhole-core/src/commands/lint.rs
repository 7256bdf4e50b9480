//! Lint findings for front ends: one message's report, and the catalogue of checks.

use super::{blocking, Result};
use crate::model::{LintCheck, LintReport, MessageId};
use crate::store::Store;

/// The lint report of one message: what the lint worker stored, or, for a message it has
/// not reached yet, the same checks run now. Either way it is `lint::check` of the raw
/// bytes, so a test that asks right after the 250 gets the findings.
pub async fn lint(store: &Store, id: MessageId) -> Result<LintReport> {
    blocking(store, move |s| Ok(s.lint_report(id)?)).await
}

/// Every check the linter runs, with its id, severity, why and reference.
pub fn lint_checks() -> Vec<LintCheck> {
    crate::lint::checks()
}

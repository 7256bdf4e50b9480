//! Laying a set of named fields (JSON values, from a form or a file) over settings, one
//! field at a time, so every problem is reported by the field's name.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Config, FieldError};

/// Field errors as one line: "field: message; field: message".
pub fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `base` with `fields` (serde names to JSON values) laid over it, one field at a time, so a
/// field that is unknown or of the wrong type is reported by name and the rest still apply.
/// Used for `Config` and for a front end's own settings, so they report errors alike.
pub fn merge_fields<T>(base: &T, fields: Map<String, Value>) -> (T, Vec<FieldError>)
where
    T: Serialize + serde::de::DeserializeOwned + Clone,
{
    let mut merged = match serde_json::to_value(base) {
        Ok(Value::Object(m)) => m,
        _ => return (base.clone(), Vec::new()),
    };
    let mut current = base.clone();
    let mut errs = Vec::new();
    for (key, value) in fields {
        let Some(previous) = merged.insert(key.clone(), value) else {
            merged.remove(&key);
            errs.push(FieldError {
                field: key,
                message: "is not a setting Pigeonhole knows".into(),
            });
            continue;
        };
        match serde_json::from_value::<T>(Value::Object(merged.clone())) {
            Ok(t) => current = t,
            Err(e) => {
                errs.push(FieldError {
                    field: key.clone(),
                    message: type_message(&e),
                });
                merged.insert(key, previous);
            }
        }
    }
    (current, errs)
}

/// A serde type error in words a settings form can show.
fn type_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let wants_number = [
        "expected usize",
        "expected u64",
        "expected u32",
        "expected u16",
    ]
    .iter()
    .any(|w| text.contains(w));
    if wants_number {
        "must be a whole number".into()
    } else {
        text
    }
}

impl Config {
    /// These settings with `fields` (config keys to JSON values) laid over them, normalised
    /// and validated. Every problem is reported at once, per field: an unknown key, a value
    /// of the wrong type (a settings form's empty number box) and a value out of bounds.
    pub fn with_fields(self, fields: Map<String, Value>) -> Result<Config, Vec<FieldError>> {
        let (config, mut errs) = merge_fields(&self, fields);
        let config = config.normalized();
        if let Err(more) = config.validate() {
            errs.extend(more);
        }
        if errs.is_empty() {
            Ok(config)
        } else {
            Err(errs)
        }
    }

    /// Like `with_fields`, for loading what was saved when the program must start anyway:
    /// a field that is unknown, of the wrong type or refused by `validate` keeps its value
    /// from `self`, and the errors say which fields were ignored.
    pub fn with_fields_lenient(self, fields: Map<String, Value>) -> (Config, Vec<FieldError>) {
        let (merged, mut ignored) = merge_fields(&self, fields.clone());
        let merged = merged.normalized();
        let refused = match merged.validate() {
            Ok(()) => return (merged, ignored),
            Err(refused) => refused,
        };
        let kept: Map<String, Value> = fields
            .into_iter()
            .filter(|(k, _)| !refused.iter().any(|e| &e.field == k))
            .collect();
        ignored.extend(refused);
        ignored.sort_by(|a, b| a.field.cmp(&b.field));
        let (config, _) = merge_fields(&self, kept);
        let config = config.normalized();
        match config.validate() {
            Ok(()) => (config, ignored),
            // Fields that are only wrong together: keep none of the file's.
            Err(_) => (self, ignored),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Durability;

    #[test]
    fn fields_of_the_wrong_type_or_out_of_bounds_are_reported_per_field() {
        let fields: Map<String, Value> = serde_json::from_str(
            r#"{"max_line_length": 78, "max_connections": null, "hostname": "a b",
                "smtp_addr": " 127.0.0.1:2525 ", "smtps_addr": "", "colour": "red"}"#,
        )
        .expect("valid JSON");
        let errs = Config::default()
            .with_fields(fields)
            .expect_err("four fields are wrong");
        let by_field = |f: &str| {
            errs.iter()
                .find(|e| e.field == f)
                .map(|e| e.message.clone())
                .unwrap_or_else(|| panic!("no error for {f}: {errs:?}"))
        };
        assert!(by_field("max_line_length").contains("512"), "bound named");
        assert_eq!(by_field("max_connections"), "must be a whole number");
        assert!(by_field("hostname").contains("without spaces"));
        assert!(by_field("colour").contains("not a setting"));
        assert!(
            !errs
                .iter()
                .any(|e| e.field == "smtp_addr" || e.field == "smtps_addr"),
            "padded and empty addresses are normalised, not refused: {errs:?}"
        );
    }

    #[test]
    fn addresses_and_numbers_are_checked_as_a_form_needs() {
        let check = |json: &str| {
            let fields: Map<String, Value> = serde_json::from_str(json).expect("valid JSON");
            Config::default().with_fields(fields)
        };
        let same = check(r#"{"smtps_addr": "127.0.0.1:1025"}"#).expect_err("same as SMTP");
        assert_eq!(same[0].field, "smtps_addr");
        assert!(same[0].message.contains("differ"), "{same:?}");
        check(r#"{"smtp_addr": "[::1]:1025"}"#).expect("an IPv6 address with a port is fine");
        for bad in ["-1", "2.5", "\"10\""] {
            let errs =
                check(&format!(r#"{{"max_recipients": {bad}}}"#)).expect_err("not a whole number");
            assert_eq!(
                errs[0].message, "must be a whole number",
                "{bad} is refused in words: {errs:?}"
            );
        }
        let no_port = check(r#"{"smtp_addr": "127.0.0.1"}"#).expect_err("no port");
        assert!(no_port[0].message.contains("needs a port"), "{no_port:?}");
    }

    #[test]
    fn merged_fields_keep_everything_else() {
        let base = Config {
            hostname: "mail.test".into(),
            ..Config::default()
        };
        let fields: Map<String, Value> = serde_json::from_str(
            r#"{"smtps_addr": " 127.0.0.1:2465 ", "durability": "power-loss"}"#,
        )
        .expect("valid JSON");
        let c = base.with_fields(fields).expect("valid");
        assert_eq!(c.hostname, "mail.test", "untouched fields are kept");
        assert_eq!(c.smtps_addr.as_deref(), Some("127.0.0.1:2465"), "trimmed");
        assert_eq!(c.durability, Durability::PowerLoss);
    }
}

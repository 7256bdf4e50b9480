//! The caniemail support data, bundled at build time (`data/caniemail.json`, written by
//! `scripts/caniemail.mjs` from the `caniemail` npm package) and parsed once.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::Support;

const BUNDLED: &str = include_str!("../../../data/caniemail.json");

/// family -> platform -> version -> "y" | "n" | "a" | "u", each optionally with " #N" notes.
type Stats = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

#[derive(Debug, Deserialize)]
pub struct Data {
    pub source: String,
    pub last_update_date: String,
    pub families: HashMap<String, String>,
    pub platforms: HashMap<String, String>,
    pub features: Vec<Feature>,
    #[serde(skip)]
    by_slug: HashMap<String, usize>,
}

#[derive(Debug, Deserialize)]
pub struct Feature {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub url: String,
    pub category: String,
    pub tags: Vec<String>,
    pub stats: Stats,
    pub notes: BTreeMap<String, String>,
}

/// One tested value, split: what it says and the notes it cites.
#[derive(Debug, PartialEq, Eq)]
pub struct Tested {
    /// None for "u": not known, left out of every score.
    pub support: Option<Support>,
    pub notes: Vec<String>,
}

impl Data {
    pub fn feature(&self, slug: &str) -> Option<&Feature> {
        self.by_slug.get(slug).map(|&i| &self.features[i])
    }

    pub fn family_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.families.get(key).map_or(key, String::as_str)
    }

    pub fn platform_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.platforms.get(key).map_or(key, String::as_str)
    }
}

/// The bundled data. It is checked by the tests, so a parse failure here is a build defect.
pub fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut data: Data =
            serde_json::from_str(BUNDLED).expect("the bundled caniemail.json parses");
        data.by_slug = data
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.slug.clone(), i))
            .collect();
        data
    })
}

/// "a #1 #3" -> partial, notes 1 and 3. "y #2" is supported with a note, as caniemail.com
/// shows it; only "a" is partial.
pub fn parse_tested(value: &str) -> Tested {
    let mut words = value.split_whitespace();
    let support = match words.next() {
        Some("y") => Some(Support::Yes),
        Some("n") => Some(Support::No),
        Some("a") => Some(Support::Partial),
        _ => None,
    };
    let notes = words
        .filter_map(|w| w.strip_prefix('#'))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    Tested { support, notes }
}

/// Versions in their natural order: numbers by value ("16.80" > "16.9", "2019-10" >
/// "2019-02"), so the newest test of a webmail and the newest Outlook release sort last.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(u64::MAX))
            .collect()
    };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_data_parses_and_finds_features_by_slug() {
        let d = data();
        assert!(d.features.len() > 200, "caniemail has some 300 features");
        let flex = d
            .feature("css-display-flex")
            .expect("display:flex is in the data");
        assert_eq!(flex.title, "display:flex");
        assert!(
            flex.stats.contains_key("outlook"),
            "Outlook was tested for flex"
        );
        assert_eq!(d.family_name("outlook"), "Outlook");
        assert_eq!(d.platform_name("ios"), "iOS");
    }

    #[test]
    fn tested_values_split_into_support_and_notes() {
        assert_eq!(
            parse_tested("a #1 #3"),
            Tested {
                support: Some(Support::Partial),
                notes: vec!["1".into(), "3".into()]
            }
        );
        assert_eq!(parse_tested("y").support, Some(Support::Yes));
        assert_eq!(parse_tested("n #2").notes, vec!["2".to_string()]);
        assert_eq!(parse_tested("u").support, None, "unknown is no score");
    }

    #[test]
    fn versions_compare_by_their_numbers() {
        assert_eq!(compare_versions("16.80", "16.9"), Ordering::Greater);
        assert_eq!(compare_versions("2019-10", "2019-02"), Ordering::Greater);
        assert_eq!(compare_versions("2007", "2019"), Ordering::Less);
        assert_eq!(compare_versions("5.0.10.2", "5.0.9"), Ordering::Greater);
    }
}

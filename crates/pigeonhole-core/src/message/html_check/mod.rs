//! The HTML compatibility report: which caniemail features a message's HTML uses and which
//! mail clients do not support them (or only partly), with a score computed as Mailpit's
//! HTML check computes it, so the two compare.
//!
//! - `data`: the bundled caniemail data (`data/caniemail.json`), parsed once.
//! - `scan`: one pass over the HTML: elements, attributes, images, and through `css` every
//!   style sheet and `style=` attribute.
//!
//! Offline: nothing is fetched, not even linked style sheets (Mailpit downloads them).

mod css;
mod data;
pub mod scan;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use crate::model::{ClientSupport, HtmlCheck, HtmlCheckTotal, HtmlFeature, Support, SupportScore};

pub use scan::Usage;

/// The report for one HTML body.
pub fn check(html: &str) -> HtmlCheck {
    let usage = scan::scan(html);
    report(&usage)
}

/// The http(s) resources the HTML would load (images, style sheets, backgrounds).
pub fn resources(html: &str) -> Vec<String> {
    scan::scan(html).resources
}

fn report(usage: &Usage) -> HtmlCheck {
    let d = data::data();
    let mut features: Vec<HtmlFeature> = usage
        .found
        .iter()
        .map(|(&slug, &found)| feature(slug, found))
        .collect();
    // Mailpit's weight: a feature used by a larger share of the document counts more.
    let nodes = usage.nodes.max(1) as f32;
    let weight = |f: &HtmlFeature, pct: f32| (pct * (f.found as f32 / nodes).min(1.0)).min(100.0);
    let partial = features
        .iter()
        .map(|f| weight(f, f.score.partial))
        .fold(0.0, f32::max);
    let unsupported = features
        .iter()
        .map(|f| weight(f, f.score.unsupported))
        .fold(0.0, f32::max);
    let (partial, unsupported) = if partial + unsupported > 100.0 {
        (100.0 - unsupported, unsupported)
    } else {
        (partial, unsupported)
    };
    features.sort_by(|a, b| {
        let bad = |f: &HtmlFeature| f.score.unsupported + f.score.partial / 2.0;
        bad(b)
            .partial_cmp(&bad(a))
            .unwrap_or(Ordering::Equal)
            .then_with(|| b.found.cmp(&a.found))
            .then_with(|| a.slug.cmp(&b.slug))
    });
    HtmlCheck {
        features,
        total: HtmlCheckTotal {
            // Every feature in the data was looked for, and <script>.
            tests: d.features.len() as u32 + 1,
            nodes: usage.nodes,
            supported: round(100.0 - partial - unsupported),
            partial: round(partial),
            unsupported: round(unsupported),
        },
        platforms: platforms(),
        data_version: format!("{}; updated {}", d.source, d.last_update_date),
    }
}

/// A feature's report with its count. Everything but the count comes from the bundled data
/// alone, so it is worked out once per feature and cloned after.
fn feature(slug: &str, found: u32) -> HtmlFeature {
    static DONE: OnceLock<Mutex<HashMap<String, HtmlFeature>>> = OnceLock::new();
    let done = DONE.get_or_init(Default::default);
    let cached = done
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(slug)
        .cloned();
    let mut f = cached.unwrap_or_else(|| {
        let f = feature_from_data(slug);
        done.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(slug.to_string(), f.clone());
        f
    });
    f.found = found;
    f
}

fn feature_from_data(slug: &str) -> HtmlFeature {
    let d = data::data();
    let Some(f) = d.feature(slug) else {
        // Only <script> is ours: no client runs it.
        return HtmlFeature {
            slug: slug.to_string(),
            title: "<script> element".into(),
            description: "JavaScript is not supported in any email client.".into(),
            url: String::new(),
            category: "html".into(),
            tags: Vec::new(),
            found: 0,
            score: SupportScore {
                supported: 0.0,
                partial: 0.0,
                unsupported: 100.0,
            },
            unsupported_clients: d.families.len() as u32,
            partial_clients: 0,
            results: Vec::new(),
            notes: BTreeMap::new(),
        };
    };
    let mut results = Vec::new();
    let (mut yes, mut no, mut part) = (0u32, 0u32, 0u32);
    let (mut unsupported_clients, mut partial_clients) = (0u32, 0u32);
    for (family, platforms) in &f.stats {
        for (platform, versions) in platforms {
            let mut tested: Vec<(&String, data::Tested)> = versions
                .iter()
                .map(|(v, s)| (v, data::parse_tested(s)))
                .filter(|(_, t)| t.support.is_some())
                .collect();
            tested.sort_by(|a, b| data::compare_versions(a.0, b.0));
            let last = tested.len().saturating_sub(1);
            for (k, (version, t)) in tested.into_iter().enumerate() {
                let support = t.support.unwrap_or(Support::Yes);
                match support {
                    Support::Yes => yes += 1,
                    Support::No => no += 1,
                    Support::Partial => part += 1,
                }
                if k == last {
                    match support {
                        Support::No => unsupported_clients += 1,
                        Support::Partial => partial_clients += 1,
                        Support::Yes => {}
                    }
                }
                results.push(ClientSupport {
                    name: format!(
                        "{} {} ({version})",
                        d.family_name(family),
                        d.platform_name(platform)
                    ),
                    family: family.clone(),
                    platform: platform.clone(),
                    version: version.clone(),
                    support,
                    notes: t.notes,
                    latest: k == last,
                });
            }
        }
    }
    let rank = |s: Support| match s {
        Support::No => 0,
        Support::Partial => 1,
        Support::Yes => 2,
    };
    results.sort_by(|a, b| {
        rank(a.support)
            .cmp(&rank(b.support))
            .then_with(|| b.latest.cmp(&a.latest))
            .then_with(|| a.name.cmp(&b.name))
    });
    let total = (yes + no + part).max(1) as f32;
    HtmlFeature {
        slug: f.slug.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        url: f.url.clone(),
        category: f.category.clone(),
        tags: f.tags.clone(),
        found: 0,
        score: SupportScore {
            supported: round(yes as f32 / total * 100.0),
            partial: round(part as f32 / total * 100.0),
            unsupported: round(no as f32 / total * 100.0),
        },
        unsupported_clients,
        partial_clients,
        results,
        notes: f.notes.clone(),
    }
}

/// Platform name -> client families tested there, as Mailpit lists them.
fn platforms() -> BTreeMap<String, Vec<String>> {
    static PLATFORMS: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    PLATFORMS.get_or_init(platforms_from_data).clone()
}

fn platforms_from_data() -> BTreeMap<String, Vec<String>> {
    let d = data::data();
    let mut out: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for f in &d.features {
        for (family, platforms) in &f.stats {
            for platform in platforms.keys() {
                out.entry(platform.as_str())
                    .or_default()
                    .insert(d.family_name(family));
            }
        }
    }
    out.into_iter()
        .map(|(p, fams)| {
            (
                p.to_string(),
                fams.into_iter().map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Two decimals: enough for a percentage, and stable JSON.
fn round(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests;

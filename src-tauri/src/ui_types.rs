//! The window's own wire types, rendered to `ui/src/lib/generated/desktop.ts` beside core's
//! module; the test fails while the committed file is stale.

use pigeonhole_core::ui_types::{
    banner, check_committed, export, export_names, export_value, ts_config,
};
use ts_rs::TS;

use crate::commands::{OpenedMessage, LARGE_HTML};
use crate::error::{CommandError, ErrorKind};
use crate::settings::{DesktopSettings, Theme, UiSettings};

const DESKTOP_MODULE: &str = "ui/src/lib/generated/desktop.ts";

fn desktop_module() -> String {
    let mut out = banner("src-tauri/src/ui_types.rs");
    // Core's types these declarations name: Config, and what OpenedMessage takes in from
    // MessageDetail (its fields are flattened into it, as serde writes them).
    let mut from_core = std::collections::BTreeSet::from(["Config".to_string()]);
    from_core.extend(
        <OpenedMessage as TS>::dependencies(&ts_config())
            .into_iter()
            .map(|d| d.ts_name),
    );
    let from_core: Vec<String> = from_core.into_iter().collect();
    out.push_str(&format!(
        "import type {{ {} }} from \"./core\";\n\n",
        from_core.join(", ")
    ));
    for decl in [
        export::<Theme>(),
        export::<UiSettings>(),
        export::<DesktopSettings>(),
        export::<ErrorKind>(),
        export::<CommandError>(),
        export::<OpenedMessage>(),
    ] {
        out.push_str(&decl);
        out.push('\n');
    }
    out.push_str(&export_value(
        "UI_DEFAULTS",
        "UiSettings",
        "The window's defaults, from `UiSettings::default()`.",
        &UiSettings::default(),
    ));
    out.push_str(&export_value(
        "LARGE_HTML",
        "number",
        "Bytes of HTML above which `get_message` holds the body back, from `commands::LARGE_HTML`.",
        &LARGE_HTML,
    ));
    out.push_str(&export_names(
        "DESKTOP_EVENTS",
        "Names of the window's own events, from `bridge::names`.",
        crate::bridge::names::ALL,
    ));
    out
}

#[test]
fn committed_ui_desktop_types_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DESKTOP_MODULE);
    let module = desktop_module();
    assert!(
        module.contains("export type DesktopSettings") && module.contains("UI_DEFAULTS"),
        "the module holds the settings types and defaults"
    );
    if let Err(why) = check_committed(&path, &module) {
        panic!("{why}");
    }
}

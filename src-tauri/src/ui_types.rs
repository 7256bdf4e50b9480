//! The window's own wire types, rendered to `ui/src/lib/generated/desktop.ts` beside core's
//! module; the test fails while the committed file is stale.

use pigeonhole_core::ui_types::{banner, check_committed, export};

use crate::error::{CommandError, ErrorKind};
use crate::settings::{DesktopSettings, Theme, UiSettings};

const DESKTOP_MODULE: &str = "ui/src/lib/generated/desktop.ts";

fn desktop_module() -> String {
    let mut out = banner("src-tauri/src/ui_types.rs");
    out.push_str("import type { Config } from \"./core\";\n\n");
    for decl in [
        export::<Theme>(),
        export::<UiSettings>(),
        export::<DesktopSettings>(),
        export::<ErrorKind>(),
        export::<CommandError>(),
    ] {
        out.push_str(&decl);
        out.push('\n');
    }
    let defaults =
        serde_json::to_string_pretty(&UiSettings::default()).expect("the defaults serialise");
    out.push_str("/** The window's defaults, from `UiSettings::default()`. */\n");
    out.push_str(&format!(
        "export const UI_DEFAULTS: UiSettings = {defaults};\n\n"
    ));
    out.push_str("/** Names of the window's own events, from `bridge::names`. */\n");
    out.push_str("export const DESKTOP_EVENTS = {\n");
    for (key, name) in crate::bridge::names::ALL {
        out.push_str(&format!("  {key}: \"{name}\",\n"));
    }
    out.push_str("} as const;\n");
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

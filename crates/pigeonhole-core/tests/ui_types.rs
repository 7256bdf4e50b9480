//! The committed UI types are what the Rust types generate today.

use std::path::Path;

#[test]
fn committed_ui_core_types_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(pigeonhole_core::ui_types::CORE_MODULE);
    let module = pigeonhole_core::ui_types::core_module();
    assert!(
        module.contains("export type MessageSummary") && module.contains("CONFIG_DEFAULTS"),
        "the module holds the wire types and the defaults"
    );
    if let Err(why) = pigeonhole_core::ui_types::check_committed(&path, &module) {
        panic!("{why}");
    }
}

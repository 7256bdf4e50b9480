include!("src/command_names.rs");

fn main() {
    // An app manifest: each command gets an `allow-<name>` permission, and the window may
    // call only what capabilities/main.json grants.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("running tauri-build");
}

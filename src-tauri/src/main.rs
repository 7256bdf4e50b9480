// Keep a console window from opening on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use pigeonhole_desktop::DesktopArgs;

fn main() -> ExitCode {
    let args = DesktopArgs::parse();
    if let Some(dir) = &args.generate_docs {
        return match pigeonhole_docs::write(DesktopArgs::command(), dir) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pigeonhole-desktop: writing docs to {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        };
    }
    if let Some(why) = DesktopArgs::missing_display() {
        eprintln!(
            "pigeonhole-desktop: cannot open a window: {why}; run `pigeonhole serve` for the headless server"
        );
        return ExitCode::FAILURE;
    }
    pigeonhole_desktop::run(args);
    ExitCode::SUCCESS
}

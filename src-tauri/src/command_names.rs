// Every command the window may call. `build.rs` includes this file to write the app
// manifest (so a command exists for the ACL only when listed here), and a test checks that
// capabilities/main.json grants each one. Keep it in step with `generate_handler!` in lib.rs.
pub const COMMANDS: &[&str] = &[
    "list_messages",
    "check_query",
    "count_messages",
    "list_inboxes",
    "get_message",
    "get_raw",
    "release_message",
    "mark_read",
    "mark_all_read",
    "tag_messages",
    "pin_messages",
    "delete_messages",
    "clear_all",
    "list_sessions",
    "get_transcript",
    "save_message",
    "save_attachment",
    "open_attachment",
    "open_link",
    "get_settings",
    "save_settings",
    "server_status",
    "set_paused",
    "retry_listen",
];

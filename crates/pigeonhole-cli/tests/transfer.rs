//! `pigeonhole import` and `pigeonhole export` as a person runs them: round trips byte for
//! byte through mbox, .eml folders and Maildir, a corrupt mbox reported message by message
//! with byte offsets (exit 1), imports beside a running server, and errors with reasons.

mod common;

use std::path::Path;
use std::process::Output;

use common::{cli, Server};

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = cli(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn count(dir: &Path, query: &str) -> u64 {
    stdout(&ok(dir, &["count", "--query", query]))
        .trim()
        .parse()
        .expect("a number")
}

/// `From ` and `>From ` lines in a body, and a body without a final newline.
fn tricky() -> Vec<Vec<u8>> {
    vec![
        b"Return-Path: <bounce@shop.example>\r\nFrom: news@shop.example\r\nTo: ann@x.example\r\n\
Subject: From lines\r\n\r\nFrom the start of a line\r\n>From quoted\r\nbye\r\n"
            .to_vec(),
        b"From: a@x.example\r\nTo: bob@x.example\r\nSubject: no final newline\r\n\r\nlast".to_vec(),
    ]
}

fn write_emls(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    tricky()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = dir.join(format!("{i}.eml"));
            std::fs::write(&p, r).unwrap();
            p.display().to_string()
        })
        .collect()
}

fn sorted_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn import_then_export_round_trips_byte_for_byte_through_mbox_folder_and_maildir() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let files = write_emls(&tmp.path().join("in"));
    let out = ok(&a, &["import", &files[0], &files[1]]);
    assert!(
        stdout(&out).contains("imported 2 messages"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        count(&a, "is:imported"),
        2,
        "marked imported and searchable"
    );
    assert_eq!(
        count(&a, "is:imported \"start of a line\""),
        1,
        "body indexed"
    );

    // One message, exactly as stored, to standard output.
    let list = stdout(&ok(
        &a,
        &["list", "--json", "--query", "subject:\"no final\""],
    ));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    let id = rows[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(rows[0]["listener"], "import");
    let eml = ok(&a, &["export", &id, "--eml", "-"]);
    assert_eq!(eml.stdout, tricky()[1], "--eml - is byte-exact");

    // mbox to a file and to stdout agree; imported elsewhere it gives the same bytes.
    let mbox = tmp.path().join("all.mbox");
    let wrote = ok(
        &a,
        &[
            "export",
            "--query",
            "is:imported",
            "--mbox",
            mbox.to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&wrote).contains("exported 2 messages"),
        "{}",
        stdout(&wrote)
    );
    let piped = ok(&a, &["export", "--mbox", "-"]);
    assert_eq!(
        piped.stdout,
        std::fs::read(&mbox).unwrap(),
        "stdout mbox = file mbox"
    );
    assert!(
        stderr(&piped).contains("exported 2"),
        "the summary goes to stderr"
    );

    let b = tmp.path().join("b");
    ok(&b, &["import", mbox.to_str().unwrap()]);
    let emls = tmp.path().join("emls");
    ok(&b, &["export", "--dir", emls.to_str().unwrap()]);
    assert_eq!(
        sorted_files(&emls),
        tricky(),
        "mbox then .eml folder: byte-exact"
    );

    let md = tmp.path().join("md");
    ok(&b, &["export", "--maildir", md.to_str().unwrap()]);
    let c = tmp.path().join("c");
    let json = stdout(&ok(&c, &["import", "--json", md.to_str().unwrap()]));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["imported"], 2, "{report}");
    assert!(report["session_id"].as_i64().unwrap() < 0);
    let emls2 = tmp.path().join("emls2");
    ok(&c, &["export", "--dir", emls2.to_str().unwrap()]);
    assert_eq!(
        sorted_files(&emls2),
        tricky(),
        "Maildir round trip: byte-exact"
    );
}

#[test]
fn a_corrupt_mbox_is_imported_as_far_as_it_goes_and_each_problem_is_printed_with_its_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let junk = "garbage line\n";
    let m1 = "From a@x Mon Nov 30 10:00:00 2026\nSubject: one\n\nok\n\n";
    let m2 = "From a@x Mon Nov 30 10:00:01 2026\nSubject: cut\n\nhalf a li";
    let path = tmp.path().join("broken.mbox");
    std::fs::write(&path, format!("{junk}{m1}{m2}")).unwrap();
    let out = cli(&data, &["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "anything left out is exit 1");
    let err = stderr(&out);
    assert!(err.contains("broken.mbox: at byte 0:"), "junk at 0: {err}");
    let at = junk.len() + m1.len();
    assert!(
        err.contains(&format!(
            "broken.mbox: message 2 at byte {at}: message 2 is truncated"
        )),
        "the cut message with its offset: {err}"
    );
    assert!(
        err.contains("2 parts of the input could not be imported"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("imported 1 message"),
        "{}",
        stdout(&out)
    );

    let json = cli(&data, &["import", "--json", path.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["problems"][1]["offset"], at as u64, "{report}");
    assert_eq!(report["problems"][1]["index"], 2);

    let missing = cli(&data, &["import", "/nonexistent/x.eml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no such file"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn import_works_beside_a_running_server_and_export_errors_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let _server = Server::start(&data);
    let files = write_emls(&tmp.path().join("in"));
    let out = ok(&data, &["import", "--tag", "legacy", &files[0]]);
    assert!(
        stdout(&out).contains("imported 1 message"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        count(&data, "is:imported tag:legacy"),
        1,
        "searchable at once"
    );

    let nothing = cli(&data, &["export", "99999", "--eml", "-"]);
    assert_eq!(nothing.status.code(), Some(2), "an unknown id is exit 2");
    assert!(stderr(&nothing).contains("no message with id 99999"));
    let bad_dir = cli(&data, &["export", "--mbox", "/nonexistent/dir/x.mbox"]);
    assert_eq!(bad_dir.status.code(), Some(1));
    assert!(
        stderr(&bad_dir).contains("/nonexistent/dir/x.mbox"),
        "{}",
        stderr(&bad_dir)
    );
    let both = cli(&data, &["export", "1", "--query", "x", "--mbox", "-"]);
    assert_eq!(both.status.code(), Some(1));
    assert!(stderr(&both).contains("not both"), "{}", stderr(&both));
    let none = cli(&data, &["export", "1"]);
    assert!(!none.status.success(), "a destination is required");
}

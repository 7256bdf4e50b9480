//! Import and export through the command layer: round trips byte for byte, the pseudo
//! session, the `is:imported` search term and per-message problems.

use super::*;
use crate::event::EventBus;
use crate::model::{ExportFormat, ListQuery, MessageFilter};
use crate::store::StoreOptions;
use crate::transfer::mbox;

fn open() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        &dir.path().join("data"),
        EventBus::new(),
        StoreOptions::default(),
    )
    .expect("store opens");
    (store, dir)
}

fn opts() -> ImportOptions {
    ImportOptions::new(1024 * 1024, "test", "a test")
}

/// Messages that make an mbox work: `From ` and `>From ` lines in the body, a body
/// without a final newline, a null sender, LF-only lines.
fn tricky() -> Vec<Vec<u8>> {
    vec![
        b"Return-Path: <bounce@shop.example>\r\nFrom: Shop <news@shop.example>\r\nTo: ann@x.example\r\n\
Subject: From lines\r\nMessage-ID: <1@shop.example>\r\n\r\nFrom the start of a line\r\n>From quoted\r\n>>From twice\r\nbye\r\n"
            .to_vec(),
        b"From: a@x.example\r\nTo: bob@x.example\r\nSubject: no final newline\r\n\r\nFrom here\r\nlast".to_vec(),
        b"From: a@x.example\nTo: carol@x.example\nSubject: lf only\n\nbody\n\n".to_vec(),
    ]
}

async fn raws(store: &Store, ids: &[MessageId]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for id in ids {
        out.push(raw(store, *id).await.expect("raw"));
    }
    out
}

fn all() -> ExportSelection {
    ExportSelection::Filter(MessageFilter::default())
}

#[tokio::test]
async fn eml_files_are_imported_byte_for_byte_marked_and_searchable() {
    let (store, dir) = open();
    let mut paths = Vec::new();
    for (i, r) in tricky().iter().enumerate() {
        let p = dir.path().join(format!("m{i}.eml"));
        std::fs::write(&p, r).unwrap();
        paths.push(ImportSource::Path(p));
    }
    let report = import(&store, paths, opts()).await.expect("import");
    assert_eq!(report.imported, 3, "every file imported: {report:?}");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        raws(&store, &report.ids).await,
        tricky(),
        "bytes kept exactly"
    );

    let page = list(
        &store,
        ListQuery {
            query: "is:imported".into(),
            ..ListQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.total, 3, "is:imported finds them");
    assert!(page.messages.iter().all(|m| m.listener == "import"));
    let first = summaries(&store, vec![report.ids[0]])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        first.mail_from, "bounce@shop.example",
        "Return-Path is the sender"
    );
    assert_eq!(
        first.rcpt_to,
        vec!["ann@x.example"],
        "To fills the recipients"
    );
    let words = count(
        &store,
        MessageFilter::query("\"start of a line\" is:imported"),
    )
    .await
    .unwrap();
    assert_eq!(words.total, 1, "the body is in the search index");

    let session_id = report.session_id.expect("a pseudo-session");
    assert!(
        session_id < 0,
        "import sessions are below every SMTP session"
    );
    assert_eq!(first.session_id, session_id);
    let t = transcript(&store, session_id).await.unwrap();
    let text: Vec<&str> = t.lines.iter().map(|l| l.text.as_str()).collect();
    assert!(text[0].contains("no SMTP session"), "{text:?}");
    assert!(
        text[1].contains("m0.eml") && text[1].contains("MAIL FROM:<bounce@shop.example>"),
        "{text:?}"
    );
    assert!(
        text.last().unwrap().contains("imported 3 messages"),
        "{text:?}"
    );

    // An SMTP-like message is not imported.
    super::fixture::seed(
        &store,
        super::fixture::Seed {
            raw: "Subject: smtp\r\n\r\nhi\r\n".into(),
            ..Default::default()
        },
    )
    .await;
    let not = count(&store, MessageFilter::query("-is:imported"))
        .await
        .unwrap();
    assert_eq!(not.total, 1, "-is:imported is the SMTP mail");
}

#[tokio::test]
async fn an_mbox_export_imports_back_byte_for_byte_with_its_envelope() {
    let (store, dir) = open();
    let eml_dir = dir.path().join("in");
    std::fs::create_dir(&eml_dir).unwrap();
    for (i, r) in tricky().iter().enumerate() {
        std::fs::write(eml_dir.join(format!("{i}.eml")), r).unwrap();
    }
    let first = import(&store, vec![ImportSource::Path(eml_dir)], opts())
        .await
        .unwrap();
    assert_eq!(first.imported, 3, "a folder of .eml files: {first:?}");

    let file = dir.path().join("out.mbox");
    let out = std::fs::File::create(&file).unwrap();
    let report = export_mbox(&store, all(), Box::new(out), "out.mbox".into())
        .await
        .unwrap();
    assert_eq!(report.exported, 3);
    let text = std::fs::read(&file).unwrap();
    assert!(
        memchr::memmem::find(
            &text,
            b"\r\n>From the start of a line\r\n>>From quoted\r\n>>>From twice\r\n"
        )
        .is_some(),
        "mboxrd quoting in the file"
    );

    let (other, _d2) = open();
    let back = import(&other, vec![ImportSource::Path(file)], opts())
        .await
        .unwrap();
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    assert_eq!(
        raws(&other, &back.ids).await,
        tricky(),
        "mbox round trip is byte-exact"
    );
    let s = summaries(&other, back.ids.clone()).await.unwrap();
    let by_id = |id| s.iter().find(|m| m.id == id).unwrap();
    assert_eq!(
        by_id(back.ids[0]).mail_from,
        "bounce@shop.example",
        "the From_ line carries the envelope sender"
    );
}

#[tokio::test]
async fn maildir_and_eml_folder_exports_round_trip_byte_for_byte() {
    let (store, dir) = open();
    let sources = tricky()
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| ImportSource::Bytes {
            name: format!("body {i}"),
            bytes,
        })
        .collect();
    let report = import(&store, sources, opts()).await.unwrap();
    assert_eq!(report.imported, 3, "{report:?}");
    mark_read(&store, vec![report.ids[0]], true).await.unwrap();

    let md = dir.path().join("Maildir");
    let r = export_dir(&store, all(), md.clone(), ExportFormat::Maildir)
        .await
        .unwrap();
    assert_eq!(r.exported, 3);
    let (other, _d2) = open();
    let back = import(&other, vec![ImportSource::Path(md)], opts())
        .await
        .unwrap();
    assert_eq!(
        raws(&other, &back.ids).await,
        tricky(),
        "Maildir round trip is byte-exact"
    );
    let s = summaries(&other, vec![back.ids[0], back.ids[1]])
        .await
        .unwrap();
    assert!(
        s.iter().find(|m| m.id == back.ids[0]).unwrap().read,
        "a read message comes back read (Maildir's S flag)"
    );
    assert!(!s.iter().find(|m| m.id == back.ids[1]).unwrap().read);

    let emls = dir.path().join("emls");
    export_dir(
        &store,
        ExportSelection::Ids(vec![report.ids[1]]),
        emls.clone(),
        ExportFormat::Eml,
    )
    .await
    .unwrap();
    let files: Vec<_> = std::fs::read_dir(&emls)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.ends_with("-no final newline.eml"),
        "named after the subject: {name}"
    );
    assert_eq!(
        std::fs::read(&files[0]).unwrap(),
        tricky()[1],
        "eml export is byte-exact"
    );

    let missing = export_dir(
        &store,
        ExportSelection::Ids(vec![999]),
        emls,
        ExportFormat::Eml,
    )
    .await;
    assert!(
        matches!(missing, Err(CommandError::NoMessage(999))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_corrupt_mbox_imports_what_it_can_and_reports_each_problem_with_its_offset() {
    let (store, dir) = open();
    let big = "x".repeat(3000);
    let junk = "not mail\n";
    let m1 = "From a@x Mon Nov 30 10:00:00 2026\nSubject: one\n\nok\n\n";
    let m2 = format!("From a@x Mon Nov 30 10:00:01 2026\nSubject: big\n\n{big}\n\n");
    let m3 = "From a@x Mon Nov 30 10:00:02 2026\nSubject: three\n\nok\n\n";
    let m4 = "From a@x Mon Nov 30 10:00:03 2026\nSubject: cut\n\nhalf a li";
    let file = format!("{junk}{m1}{m2}{m3}{m4}");
    let path = dir.path().join("broken.mbox");
    std::fs::write(&path, &file).unwrap();
    let mut o = opts();
    o.max_size = 2048;
    let report = import(
        &store,
        vec![
            ImportSource::Path(path.clone()),
            ImportSource::Path(dir.path().join("nope.eml")),
        ],
        o,
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2, "messages one and three: {report:?}");
    let p = &report.problems;
    assert_eq!(p.len(), 4, "junk, too big, truncated, missing file: {p:?}");
    assert_eq!(
        (p[0].index, p[0].offset),
        (None, Some(0)),
        "junk at the start"
    );
    let at2 = (junk.len() + m1.len()) as u64;
    assert_eq!(
        (p[1].index, p[1].offset),
        (Some(2), Some(at2)),
        "the big one"
    );
    assert!(p[1].reason.contains("max_message_size"), "{}", p[1].reason);
    let at4 = (junk.len() + m1.len() + m2.len() + m3.len()) as u64;
    assert_eq!(
        (p[2].index, p[2].offset),
        (Some(4), Some(at4)),
        "the cut one"
    );
    assert!(p[2].reason.contains("truncated"));
    assert!(
        p[3].source.ends_with("nope.eml") && p[3].reason.contains("no such file"),
        "{:?}",
        p[3]
    );
    let t = transcript(&store, report.session_id.unwrap())
        .await
        .unwrap();
    assert!(
        t.lines
            .iter()
            .any(|l| l.text.contains(&format!("message 2 at byte {at2}"))),
        "the transcript says what was left out"
    );
}

#[tokio::test]
async fn mboxo_files_and_import_tags_are_honoured() {
    let (store, _dir) = open();
    let file =
        b"From a@x Mon Nov 30 10:00:00 2026\nSubject: o\n\n>From body\n>>From kept\n\n".to_vec();
    let mut o = opts();
    o.flavor = mbox::Flavor::O;
    o.tags = vec!["Legacy".into()];
    let report = import(
        &store,
        vec![ImportSource::Bytes {
            name: "old.mbox".into(),
            bytes: file,
        }],
        o,
    )
    .await
    .unwrap();
    assert_eq!(
        raws(&store, &report.ids).await[0],
        b"Subject: o\n\nFrom body\n>>From kept\n".to_vec()
    );
    let s = summaries(&store, report.ids.clone()).await.unwrap();
    assert_eq!(s[0].tags, vec!["legacy"], "the import's tag, normalised");
    let mut bad = opts();
    bad.tags = vec!["a,b".into()];
    assert!(matches!(
        import(&store, vec![], bad).await,
        Err(CommandError::BadTag(_))
    ));
}

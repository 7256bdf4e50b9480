//! Search benchmark, the query side of `bench/search.sh` (not a test): over a seeded store,
//! times a mixed set of queries through the command layer, as the window and CLI run them,
//! and prints a Markdown table plus the index size against the raw size.
//!
//! Usage: cargo run --release -p pigeonhole-core --example search_bench -- DATA_DIR [RUNS]

use std::time::{Duration, Instant};

use pigeonhole_core::commands;
use pigeonhole_core::model::{ListQuery, MessageFilter};
use pigeonhole_core::store::{Store, DB_FILE};

/// The mix: every operator, negation, phrases, OR and grouping, CJK, exact addresses.
const QUERIES: &[&str] = &[
    "invoice",
    "\"password reset\"",
    "verify code",
    "from:user17@seed.test",
    "to:user17@seed.test",
    "addressed:user5@seed.test",
    "from:ann",
    "cc:user9",
    "bcc:audit3@hidden.test",
    "subject:report",
    "メール",
    "季度",
    "주문",
    "invoice -newsletter",
    "!is:read welcome",
    "invoice OR refund",
    "(invoice OR refund) has:attachment",
    "has:attachment",
    "has:inline",
    "export",
    "tag:urgent",
    "tag:signup OR tag:billing",
    "is:tagged",
    "is:unread",
    "larger:50K",
    "smaller:2K",
    "after:1h",
    "before:2026-01-01",
    "header:X-Mailer:lettre",
    "header:In-Reply-To",
    "user:alice",
    "inbox:user42@seed.test",
    "re deploy -failed",
    "MESSAGE_ID",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: search_bench DATA_DIR [RUNS]"));
    let runs: usize = args
        .next()
        .map(|r| r.parse().expect("RUNS is a number"))
        .unwrap_or(15);
    let store = Store::open_read_only(&dir).expect("open the store");
    let total = commands::counts(&store).await.expect("counts").total;
    // A real message id for the message-id: case, from the newest message's headers.
    let newest = commands::ids(&store, MessageFilter::default(), 0, 1)
        .await
        .expect("ids");
    let detail = commands::get_message(&store, newest[0])
        .await
        .expect("a message");
    let message_id = detail
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("message-id"))
        .map(|h| h.raw.clone())
        .unwrap_or_default();

    println!("{total} messages, {runs} runs per query\n");
    println!("| query | matches | list p50 ms | list p95 ms | count p50 ms | count p95 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut all_list = Vec::new();
    let mut all_count = Vec::new();
    for q in QUERIES {
        let q = if *q == "MESSAGE_ID" {
            format!("message-id:{message_id}")
        } else {
            q.to_string()
        };
        let list_q = ListQuery {
            query: q.clone(),
            limit: 50,
            ..Default::default()
        };
        let mut list_t = Vec::with_capacity(runs);
        let mut count_t = Vec::with_capacity(runs);
        let mut matches = 0;
        for run in 0..runs + 2 {
            let t = Instant::now();
            let page = commands::list(&store, list_q.clone()).await.expect("list");
            let lt = t.elapsed();
            let t = Instant::now();
            let c = commands::count(&store, MessageFilter::query(q.clone()))
                .await
                .expect("count");
            let ct = t.elapsed();
            matches = page.total;
            assert_eq!(c.total, page.total, "{q}: count and list agree");
            if run >= 2 {
                // Two warm-up runs: the first touches cold pages.
                list_t.push(lt);
                count_t.push(ct);
            }
        }
        list_t.sort();
        count_t.sort();
        println!(
            "| `{}` | {matches} | {:.1} | {:.1} | {:.1} | {:.1} |",
            q.replace('|', "\\|"),
            ms(pct(&list_t, 0.5)),
            ms(pct(&list_t, 0.95)),
            ms(pct(&count_t, 0.5)),
            ms(pct(&count_t, 0.95)),
        );
        all_list.extend(list_t);
        all_count.extend(count_t);
    }
    all_list.sort();
    all_count.sort();
    println!(
        "\nAll queries: query + first page of 50 p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; count p50 {:.1} ms, p95 {:.1} ms",
        ms(pct(&all_list, 0.5)),
        ms(pct(&all_list, 0.95)),
        ms(*all_list.last().expect("runs")),
        ms(pct(&all_count, 0.5)),
        ms(pct(&all_count, 0.95)),
    );

    let mut inbox_t = Vec::new();
    let mut inbox_n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        inbox_n = commands::inboxes(&store).await.expect("inboxes").len();
        inbox_t.push(t.elapsed());
    }
    inbox_t.sort();
    println!(
        "Sidebar inboxes ({inbox_n}, every kind, with counts): p50 {:.1} ms, p95 {:.1} ms",
        ms(pct(&inbox_t, 0.5)),
        ms(pct(&inbox_t, 0.95))
    );

    let db = rusqlite::Connection::open_with_flags(
        dir.join(DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database");
    let size = |like: &str| -> f64 {
        db.query_row(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE ?1",
            [like],
            |r| r.get::<_, i64>(0),
        )
        .expect("dbstat") as f64
            / 1_048_576.0
    };
    let raw: f64 = db
        .query_row("SELECT SUM(length(raw)) FROM message_raw", [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("raw size") as f64
        / 1_048_576.0;
    let text = size("message_text%");
    let addresses = size("message_addresses%");
    let tags = size("message_tags%");
    let file = std::fs::metadata(dir.join(DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1_048_576.0;
    println!(
        "\nRaw messages {raw:.1} MB; words index {text:.1} MB, address index {addresses:.1} MB, tags {tags:.2} MB: \
         index {:.1} MB = {:.0} % of raw; database file {file:.1} MB",
        text + addresses + tags,
        (text + addresses + tags) / raw * 100.0
    );
}

//! Times the HTML check and the link list on a large newsletter (bench/html_check.sh; a
//! benchmark, not a test). The newsletter is generated, deterministic: a `<style>` block
//! with media queries and pseudo-classes, then table rows with inline styles, images and
//! links, repeated to the asked size. The reference in the same run is one pass that only
//! counts the '<' bytes, so the ratio says how many plain scans of the input a check costs.
//!
//! Usage: cargo run --release -p pigeonhole-core --example html_check_bench -- [KB] [RUNS]

use std::time::{Duration, Instant};

use pigeonhole_core::message::{extract, html_check};

fn newsletter(kb: usize) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"color-scheme\" content=\"light dark\"><style>\
         body { margin: 0; font-family: system-ui, Arial, sans-serif; }\
         .btn:hover { background-color: #0a6; } .card > td { padding: 12px 16px; }\
         @media (max-width: 600px) { .col { display: block !important; width: 100% !important; } }\
         @media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } }\
         </style></head><body><table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\">",
    );
    let mut n = 0;
    while html.len() < kb * 1024 {
        html.push_str(&format!(
            "<tr class=\"card\"><td class=\"col\" style=\"padding: 8px 12px; border-radius: 6px; \
             background-color: rgb(250, 250, 250); line-height: 1.4em\" valign=\"top\">\
             <img src=\"https://cdn.example.com/img/{n}.png\" width=\"120\" height=\"80\" alt=\"Item {n}\" \
             style=\"display:block; max-width: 100%\"><h3 style=\"margin:0 0 4px; font-size: 16px\">Item {n}</h3>\
             <p style=\"margin:0; color: #333\">A short description of item {n}, with enough words to look \
             like a real newsletter paragraph in a real mail.</p>\
             <a class=\"btn\" href=\"https://shop.example.com/item/{n}?utm_source=news\" \
             style=\"display:inline-block; padding: 6px 12px; background: #08c; color: #fff\">Buy now</a>\
             </td></tr>"
        ));
        n += 1;
    }
    html.push_str("</table></body></html>");
    html
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let kb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(21);
    let html = newsletter(kb);
    // The data is parsed once per process; keep that out of the per-message figure.
    let first = Instant::now();
    let report = html_check::check(&html);
    let cold = first.elapsed();

    let reference = time(runs, || memchr::memchr_iter(b'<', html.as_bytes()).count());
    let check = time(runs, || html_check::check(&html));
    let links = time(runs, || extract::all_links(None, Some(&html)));
    let ratio = |d: Duration| d.as_secs_f64() / reference.as_secs_f64().max(1e-9);
    println!(
        "newsletter: {} KB, {} elements, {} features used, score {:.1}% supported",
        html.len() / 1024,
        report.total.nodes,
        report.features.len(),
        report.total.supported
    );
    println!("first check (parses the bundled data): {cold:?}");
    println!("reference, count '<' once:  {reference:?}");
    println!(
        "html check (median of {runs}): {check:?}  ({:.0}x reference)",
        ratio(check)
    );
    println!(
        "link list  (median of {runs}): {links:?}  ({:.0}x reference)",
        ratio(links)
    );
}

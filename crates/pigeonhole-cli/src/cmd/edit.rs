//! `pigeonhole count`, `delete`, `tag`, `pin` and `unpin`: the commands that count or
//! change mail. Changes go through the store's writer from this process, while a server
//! may be running; the server notices within a second and the window reloads.

use std::io::Write;

use clap::Args;
use pigeonhole_core::commands;
use pigeonhole_core::model::MessageId;
use pigeonhole_core::store::Store;

use super::filter::FilterArgs;
use crate::error::{CliError, Result};
use crate::{block_on, DataDir};

#[derive(Args)]
pub struct CountArgs {
    #[command(flatten)]
    dir: DataDir,
    #[command(flatten)]
    filter: FilterArgs,
    /// Print {"total": N, "unread": N}.
    #[arg(long)]
    json: bool,
}

pub fn count(args: CountArgs) -> Result<()> {
    let filter = args.filter.checked()?;
    let store = args.dir.open()?;
    let counts = block_on(async { Ok(commands::count(&store, filter).await?) })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &counts)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", counts.total)?;
    }
    Ok(())
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("which").required(true).multiple(false))]
pub struct DeleteArgs {
    /// Message ids (from `list`); pinned ones are deleted too.
    #[arg(group = "which")]
    ids: Vec<MessageId>,
    /// Delete every message this query matches, except pinned ones.
    #[arg(long, short = 'q', group = "which")]
    query: Option<String>,
    /// Delete every message except pinned ones (as the window's Clear all).
    #[arg(long, group = "which")]
    all: bool,
    #[command(flatten)]
    dir: DataDir,
}

pub fn delete(args: DeleteArgs) -> Result<()> {
    if let Some(q) = &args.query {
        super::filter::check(q)?;
    }
    let store = edit_store(&args.dir)?;
    let n = block_on(async {
        if let Some(q) = &args.query {
            if q.trim().is_empty() {
                return Err(CliError::Usage(
                    "--query is empty, which would match every message; use --all for that".into(),
                ));
            }
            let filter = FilterArgs {
                query: q.clone(),
                inbox: None,
            };
            Ok(commands::delete_matching(&store, filter.filter()).await?)
        } else if args.all {
            let before = commands::counts(&store).await?.total;
            commands::clear(&store).await?;
            let after = commands::counts(&store).await?.total;
            Ok(before.saturating_sub(after))
        } else {
            // Every id must exist, as for tag and pin: nothing is deleted otherwise.
            require_all(&store, &args.ids).await?;
            Ok(commands::delete(&store, args.ids.clone()).await?)
        }
    })?;
    println!("deleted {n} message{}", if n == 1 { "" } else { "s" });
    Ok(())
}

#[derive(Args)]
pub struct TagArgs {
    /// Message ids (from `list`).
    #[arg(required = true)]
    ids: Vec<MessageId>,
    /// A tag to add; repeat for more.
    #[arg(long)]
    add: Vec<String>,
    /// A tag to remove; repeat for more.
    #[arg(long)]
    remove: Vec<String>,
    #[command(flatten)]
    dir: DataDir,
}

pub fn tag(args: TagArgs) -> Result<()> {
    if args.add.is_empty() && args.remove.is_empty() {
        return Err(CliError::Usage(
            "say what to change: --add TAG and/or --remove TAG".into(),
        ));
    }
    let store = edit_store(&args.dir)?;
    block_on(async {
        require_all(&store, &args.ids).await?;
        Ok(commands::tag(
            &store,
            args.ids.clone(),
            args.add.clone(),
            args.remove.clone(),
        )
        .await?)
    })
}

#[derive(Args)]
pub struct PinArgs {
    /// Message ids (from `list`).
    #[arg(required = true)]
    ids: Vec<MessageId>,
    #[command(flatten)]
    dir: DataDir,
}

pub fn pin(args: PinArgs, pinned: bool) -> Result<()> {
    let store = edit_store(&args.dir)?;
    block_on(async {
        require_all(&store, &args.ids).await?;
        Ok(commands::pin(&store, args.ids.clone(), pinned).await?)
    })
}

/// The store opened for changes, beside a running server if there is one.
pub(super) fn edit_store(dir: &DataDir) -> Result<Store> {
    let path = dir.resolve()?;
    if !path.is_dir() {
        return Err(CliError::NoDataDir(path));
    }
    Ok(Store::open_for_edit(&path)?)
}

/// Fails with "no message with id N" (exit 2) unless every id exists.
async fn require_all(store: &Store, ids: &[MessageId]) -> Result<()> {
    let found = commands::summaries(store, ids.to_vec()).await?;
    match ids.iter().find(|id| !found.iter().any(|m| m.id == **id)) {
        Some(missing) => Err(commands::CommandError::NoMessage(*missing).into()),
        None => Ok(()),
    }
}

//! Documents from the command line: add, version, submit, approve, comment.

use super::*;

#[derive(Subcommand)]
pub(crate) enum DocCommand {
    /// Adds a document from a file; prints its id.
    Add {
        /// The file.
        file: PathBuf,
        /// Thematic folder (Comptes rendus, Délibérations, Modèles...).
        #[arg(long, default_value = "")]
        folder: String,
    },
    /// Adds a new version of a document from a file (the old ones stay).
    Version {
        /// Document id.
        id: String,
        /// The file.
        file: PathBuf,
    },
    /// Writes a version's bytes (the latest by default) to a file.
    Get {
        /// Document id.
        id: String,
        /// Where to write.
        #[arg(long)]
        out: PathBuf,
        /// Version number, from 1 (default: the latest).
        #[arg(long)]
        version: Option<usize>,
    },
    /// Submits the latest version for approval.
    Submit {
        /// Document id.
        id: String,
        /// `all` (every validator of the space) or member ids, comma-separated.
        #[arg(long, default_value = "all")]
        validators: String,
    },
    /// Approves the latest version (validators).
    Approve {
        /// Document id.
        id: String,
    },
    /// Refuses the latest version, saying why (validators).
    Refuse {
        /// Document id.
        id: String,
        /// Why.
        #[arg(long)]
        comment: String,
    },
    /// Shows a document: versions, status (draft, awaiting, approved, refused,
    /// changed_since_approval) and decisions.
    Show {
        /// Document id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists documents by folder (or those in the trash).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The trash instead.
        #[arg(long)]
        trash: bool,
    },
    /// Makes a new document from a template's latest version; prints its id.
    New {
        /// The template document's id.
        #[arg(long)]
        template: String,
        /// The new document's title.
        title: String,
        /// Its folder.
        #[arg(long, default_value = "")]
        folder: String,
    },
    /// Moves a document to the trash.
    Delete {
        /// The document's id.
        id: String,
    },
    /// Brings a document back from the trash.
    Restore {
        /// The document's id.
        id: String,
    },
    /// Empties a document in the trash for good (admins).
    Purge {
        /// The document's id.
        id: String,
    },
    /// Comments on a document (or answers a comment with --reply); prints its id.
    Comment {
        /// The document's id.
        id: String,
        /// The comment.
        text: String,
        /// The comment answered.
        #[arg(long)]
        reply: Option<String>,
    },
    /// Lists a document's comments, oldest first.
    Comments {
        /// The document's id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn doc(profile: &Profile, space: Option<&str>, command: DocCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    let print = |d: &bastide_core::Document, json: bool| -> anyhow::Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(d)?);
        } else {
            let status = serde_json::to_value(d.status)?;
            println!(
                "{}  {}  [{}]  {}  {} version(s)",
                d.id,
                d.title,
                d.folder,
                status.as_str().unwrap_or_default(),
                d.versions.len()
            );
        }
        Ok(())
    };
    match command {
        DocCommand::Add { file, folder } => {
            println!("{}", profile.add_document(space, &file, &folder).await?.id);
        }
        DocCommand::Version { id, file } => {
            profile.add_document_version(space, id.parse()?, &file).await?;
        }
        DocCommand::Get { id, out, version } => {
            let version = match version {
                Some(0) => anyhow::bail!("versions are numbered from 1"),
                Some(n) => Some(n - 1),
                None => None,
            };
            profile.save_document(space, id.parse()?, version, &out).await?;
        }
        DocCommand::Submit { id, validators } => {
            let chosen: Vec<bastide_core::MemberId> = if validators.trim() == "all" {
                Vec::new()
            } else {
                validators
                    .split(',')
                    .map(|m| m.trim().parse())
                    .collect::<Result<_, _>>()?
            };
            profile.submit_document(space, id.parse()?, &chosen).await?;
        }
        DocCommand::Approve { id } => {
            profile.decide_document(space, id.parse()?, true, "").await?;
        }
        DocCommand::Refuse { id, comment } => {
            profile
                .decide_document(space, id.parse()?, false, &comment)
                .await?;
        }
        DocCommand::Show { id, json } => print(&profile.document(space, id.parse()?).await?, json)?,
        DocCommand::New {
            template,
            title,
            folder,
        } => {
            let made = profile
                .document_from_template(space, template.parse()?, &title, &folder)
                .await?;
            println!("{}", made.id);
        }
        DocCommand::Delete { id } => {
            profile.set_document_deleted(space, id.parse()?, true).await?;
        }
        DocCommand::Restore { id } => {
            profile.set_document_deleted(space, id.parse()?, false).await?;
        }
        DocCommand::Purge { id } => profile.purge_document(space, id.parse()?).await?,
        DocCommand::Comment { id, text, reply } => {
            let reply = reply.map(|r| r.parse()).transpose()?;
            let comment = profile.comment_document(space, id.parse()?, reply, &text).await?;
            println!("{}", comment.id);
        }
        DocCommand::Comments { id, json } => {
            let comments = profile.document_comments(space, id.parse()?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&comments)?);
            } else {
                for c in comments {
                    let indent = if c.parent.is_empty() { "" } else { "    " };
                    println!("{indent}{}  {}  {}: {}", c.id, c.created_at, c.author, c.body);
                }
            }
        }
        DocCommand::List { json, trash } => {
            let documents = if trash {
                profile.document_trash(space).await?
            } else {
                profile.documents(space).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&documents)?);
            } else {
                for d in &documents {
                    print(d, false)?;
                }
            }
        }
    }
    Ok(())
}

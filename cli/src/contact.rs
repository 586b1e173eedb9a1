//! The directory from the command line: cards, their fields, imports.

use super::*;

#[derive(Subcommand)]
pub(crate) enum ContactCommand {
    /// Adds a card; prints its id.
    Add {
        /// Full name, or the organisation's name.
        name: String,
        #[command(flatten)]
        fields: CardFields,
    },
    /// Changes a card: only the given fields change.
    Edit {
        /// Card id.
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: CardFields,
    },
    /// Settles a field two members changed at once, with the value to keep.
    Pick {
        /// Card id.
        id: String,
        /// The field (phone, email, organisation...).
        field: String,
        /// The value to keep.
        value: String,
    },
    /// Moves a card to the trash.
    Delete {
        /// Card id.
        id: String,
    },
    /// Brings a card back from the trash.
    Restore {
        /// Card id.
        id: String,
    },
    /// Imports cards from a CSV table (`;`, `,` or tabs; UTF-8 or Windows-1252) or a
    /// vCard address book: all of them, or none if a line is wrong (each is listed).
    /// Cards already in the directory (same name and organisation) are left out.
    Import {
        /// The .csv or .vcf file.
        file: PathBuf,
        /// Only say what would be imported.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists cards by name.
    List {
        /// Print JSON (with `conflicts` for fields changed concurrently).
        #[arg(long)]
        json: bool,
        /// Only this organisation.
        #[arg(long = "org")]
        organisation: Option<String>,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Only this discipline.
        #[arg(long)]
        discipline: Option<String>,
        /// List the trash instead.
        #[arg(long)]
        trash: bool,
    },
}

/// Card fields; on `edit`, only those given change.
#[derive(Args)]
pub(crate) struct CardFields {
    /// person or organisation.
    #[arg(long)]
    kind: Option<String>,
    /// Organisation (commune, EPCI, office, practice).
    #[arg(long = "org")]
    organisation: Option<String>,
    /// Function.
    #[arg(long)]
    function: Option<String>,
    /// Commune.
    #[arg(long)]
    commune: Option<String>,
    /// Discipline (health).
    #[arg(long)]
    discipline: Option<String>,
    /// Specialties.
    #[arg(long)]
    specialties: Option<String>,
    /// titulaire or remplaçant.
    #[arg(long)]
    status: Option<String>,
    /// Phone.
    #[arg(long)]
    phone: Option<String>,
    /// Email.
    #[arg(long)]
    email: Option<String>,
    /// Address.
    #[arg(long)]
    address: Option<String>,
    /// Notes.
    #[arg(long)]
    notes: Option<String>,
}

impl CardFields {
    /// `base` with the given fields replaced.
    fn apply(self, mut base: CardInput) -> CardInput {
        let set = |target: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        set(&mut base.kind, self.kind);
        set(&mut base.organisation, self.organisation);
        set(&mut base.function, self.function);
        set(&mut base.commune, self.commune);
        set(&mut base.discipline, self.discipline);
        set(&mut base.specialties, self.specialties);
        set(&mut base.status, self.status);
        set(&mut base.phone, self.phone);
        set(&mut base.email, self.email);
        set(&mut base.address, self.address);
        set(&mut base.notes, self.notes);
        base
    }
}

pub(crate) async fn contact(
    profile: &Profile,
    space: Option<&str>,
    command: ContactCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        ContactCommand::Add { name, fields } => {
            let input = fields.apply(CardInput {
                name,
                ..CardInput::default()
            });
            println!("{}", profile.add_card(space, input).await?.id);
        }
        ContactCommand::Edit { id, name, fields } => {
            let id = id.parse()?;
            let mut current = profile.card(space, id).await?.fields;
            if let Some(name) = name {
                current.name = name;
            }
            profile.update_card(space, id, fields.apply(current)).await?;
        }
        ContactCommand::Pick { id, field, value } => {
            profile
                .pick_card_value(space, id.parse()?, &field, &value)
                .await?;
        }
        ContactCommand::Delete { id } => {
            profile.set_card_deleted(space, id.parse()?, true).await?;
        }
        ContactCommand::Restore { id } => {
            profile.set_card_deleted(space, id.parse()?, false).await?;
        }
        ContactCommand::Import { file, dry_run, json } => {
            if dry_run {
                let preview = profile.preview_card_import(space, &file).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&preview)?);
                    return Ok(());
                }
                for problem in &preview.problems {
                    eprintln!("{}: {problem}", file.display());
                }
                if !preview.ignored.is_empty() {
                    println!("left out (no such field): {}", preview.ignored.join(", "));
                }
                println!(
                    "would import {} card(s), {} already in the directory, {} problem(s)",
                    preview.cards, preview.duplicates, preview.problem_count
                );
                return Ok(());
            }
            match profile.import_cards(space, &file).await {
                Ok(report) if json => println!("{}", serde_json::to_string_pretty(&report)?),
                Ok(report) => println!(
                    "imported {} card(s), {} already in the directory",
                    report.added, report.duplicates
                ),
                Err(bastide_core::Error::MalformedImport { problems, total }) => {
                    for problem in &problems {
                        eprintln!("{}: {problem}", file.display());
                    }
                    anyhow::bail!("nothing imported: {total} problem(s) in {}", file.display());
                }
                Err(other) => return Err(other.into()),
            }
        }
        ContactCommand::List {
            json,
            organisation,
            commune,
            discipline,
            trash,
        } => {
            let filter = CardFilter {
                organisation,
                commune,
                discipline,
                deleted: trash,
            };
            let cards = profile.cards(space, &filter).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cards)?);
            } else {
                for c in cards {
                    let conflicts = if c.conflicts.is_empty() {
                        String::new()
                    } else {
                        format!("  ({} champ(s) en conflit)", c.conflicts.len())
                    };
                    println!(
                        "{}  {}  {}  {}{conflicts}",
                        c.id, c.fields.name, c.fields.organisation, c.fields.phone
                    );
                }
            }
        }
    }
    Ok(())
}

//! `bastide`: the headless client, for admins and scripts. Same core as the app.

mod contact;
mod daily;
mod doc;

use contact::{ContactCommand, contact};
use doc::{DocCommand, doc};

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bastide_core::{
    CardFilter, CardInput, Code, Event, EventInput, MemberInfo, OpId, OpOutcome, Profile, Role, SpaceId,
};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Bastide from the command line: spaces, agenda, sync.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Profile folder (database and device key).
    #[arg(long, global = true, env = "BASTIDE_PROFILE")]
    profile: Option<PathBuf>,
    /// The space to act on; needed only when the profile has several.
    #[arg(long, global = true, env = "BASTIDE_SPACE")]
    space: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Spaces: create, invite, join, list.
    #[command(subcommand)]
    Space(SpaceCommand),
    /// The shared agenda.
    #[command(subcommand)]
    Agenda(AgendaCommand),
    /// The document base: files, versions, and the élus' approval chain.
    #[command(subcommand)]
    Doc(DocCommand),
    /// The directory (annuaire): cards for people and organisations.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Forums: topics, posts and replies.
    #[command(subcommand)]
    Forum(ForumCommand),
    /// This person's devices: add a second one.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Resources to book: rooms, equipment, vehicles.
    #[command(subcommand)]
    Resource(daily::ResourceCommand),
    /// Bookings of resources.
    #[command(subcommand)]
    Booking(daily::BookingCommand),
    /// The cantine: sites and meal counts.
    #[command(subcommand)]
    Cantine(daily::CantineCommand),
    /// Polls (sondages), anonymous or named.
    #[command(subcommand)]
    Poll(daily::PollCommand),
    /// Teams for the weekly rota.
    #[command(subcommand)]
    Team(daily::TeamCommand),
    /// The weekly rota of a team.
    #[command(subcommand)]
    Rota(daily::RotaCommand),
    /// On-call rosters (tableaux de garde) and swaps.
    #[command(subcommand)]
    Roster(daily::RosterCommand),
    /// The board (petites annonces): jobs, housing, equipment.
    #[command(subcommand)]
    Board(daily::BoardCommand),
    /// Searches events, cards and posts of every space (or of `--space`), offline;
    /// accents and case do not matter.
    Search {
        /// Words to find (each as a word or the start of one).
        query: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pushes local changes and pulls others' until caught up, then exits.
    Sync,
    /// Shows this profile's device and pending changes.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SpaceCommand {
    /// Creates a space on a relay; prints its id.
    Create {
        /// Its name, e.g. "Pays — agents".
        name: String,
        /// The relay address printed by `bastide-relay serve` (quic://HOST:PORT#FINGERPRINT).
        #[arg(long, env = "BASTIDE_RELAY")]
        relay: String,
        /// The admission token the relay's operator gave you (`bastide-relay token
        /// create`), on a relay that asks for one.
        #[arg(long, env = "BASTIDE_RELAY_TOKEN")]
        token: Option<String>,
        #[command(flatten)]
        me: WhoArgs,
    },
    /// Prints a one-time invitation code to a space, for a new person with a role
    /// (admins only). The code works once the invitation has reached the relay.
    Invite {
        /// The space id (the profile's only space by default).
        space: Option<String>,
        /// The role the newcomer gets: admin, validator, editor or reader.
        #[arg(long, default_value = "editor")]
        role: Role,
        /// How many days the code stays valid (1 to 90).
        #[arg(long, default_value_t = 7)]
        expires_days: i64,
    },
    /// Joins a space with an invitation code; prints its id.
    Join {
        /// The code (BSTD1-...).
        code: String,
        #[command(flatten)]
        me: WhoArgs,
    },
    /// Lists the members of a space, with their roles and devices.
    Members {
        /// The space id (the profile's only space by default).
        space: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Changes a member's role (admins only).
    Role {
        /// The space id.
        space: String,
        /// The member id (from `space members`).
        member: String,
        /// admin, validator, editor or reader.
        role: Role,
    },
    /// Lists the invitations of a space (admins see which are used or withdrawn).
    Invitations {
        /// The space id (the profile's only space by default).
        space: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraws an unused invitation: its code is refused from then on.
    Revoke {
        /// The space id.
        space: String,
        /// The invitation id (from `space invitations`).
        invitation: String,
    },
    /// Removes a member, or one device (a lost laptop), from a space. What they wrote
    /// stays; what is written from now on is sealed under a key they never get.
    Remove {
        /// The space id.
        space: String,
        /// A member id, or a device id (from `space members`).
        member: String,
    },
    /// Lists the profile's spaces.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Who you are in a space you create or join.
#[derive(Args)]
struct WhoArgs {
    /// Your full name, as the other members will see it (default: the profile's).
    #[arg(long = "name", default_value = "")]
    member_name: String,
    /// Your organisation (commune, office...).
    #[arg(long, default_value = "")]
    organisation: String,
    /// Your function (secrétaire de mairie, maire...).
    #[arg(long, default_value = "")]
    function: String,
}

impl From<WhoArgs> for MemberInfo {
    fn from(who: WhoArgs) -> Self {
        Self {
            name: who.member_name,
            organisation: who.organisation,
            function: who.function,
        }
    }
}

#[derive(Subcommand)]
enum ForumCommand {
    /// Posts in a topic (its id or title; a new title opens the topic); prints the
    /// post's id.
    Post {
        /// Topic id or title.
        topic: String,
        /// The message (@name mentions a member).
        text: String,
    },
    /// Replies to a post; prints the reply's id.
    Reply {
        /// The post answered.
        post: String,
        /// The message.
        text: String,
        /// A passage of the post to quote.
        #[arg(long)]
        quote: Option<String>,
    },
    /// Lists topics, latest activity first, with their posts in order.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Prints a one-time code (valid a week) that makes another computer a device of
    /// this person in all of this profile's spaces.
    Add,
    /// Uses a `device add` code on a new profile; prints the spaces joined.
    Join {
        /// The code (BSTD1-...).
        code: String,
    },
}

#[derive(Subcommand)]
enum AgendaCommand {
    /// Adds an event; prints its id.
    Add {
        /// Title.
        title: String,
        #[command(flatten)]
        fields: EventFields,
    },
    /// Changes an event: only the given fields change.
    Edit {
        /// Event id.
        id: String,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        fields: OptionalEventFields,
    },
    /// Moves an event to the trash.
    Delete {
        /// Event id.
        id: String,
    },
    /// Brings an event back from the trash.
    Restore {
        /// Event id.
        id: String,
    },
    /// Who changed an event and when, newest first (from the signed changes).
    History {
        /// Event id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists events by start.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List the trash instead.
        #[arg(long)]
        trash: bool,
    },
}

#[derive(Args)]
struct EventFields {
    /// Start, RFC 3339 (2026-12-01T18:00:00+01:00).
    #[arg(long)]
    start: String,
    /// End, RFC 3339.
    #[arg(long)]
    end: String,
    /// Lasts whole days.
    #[arg(long)]
    all_day: bool,
    /// Place.
    #[arg(long, default_value = "")]
    place: String,
    /// Theme.
    #[arg(long, default_value = "")]
    theme: String,
    /// Description.
    #[arg(long, default_value = "")]
    description: String,
}

#[derive(Args)]
struct OptionalEventFields {
    /// New start, RFC 3339.
    #[arg(long)]
    start: Option<String>,
    /// New end, RFC 3339.
    #[arg(long)]
    end: Option<String>,
    /// Whole days or not.
    #[arg(long)]
    all_day: Option<bool>,
    /// New place.
    #[arg(long)]
    place: Option<String>,
    /// New theme.
    #[arg(long)]
    theme: Option<String>,
    /// New description.
    #[arg(long)]
    description: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let line = one_line(&error);
            match error.downcast_ref::<bastide_core::Error>() {
                Some(core) if core.is_disk_full() => eprintln!(
                    "bastide: the disk is full: nothing was written; free some room and try again ({line})"
                ),
                _ => eprintln!("bastide: {line}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: core's messages often
/// include their source already ("cannot write X: No space left on device").
fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = match cli.profile {
        Some(dir) => dir,
        None => default_profile().context("no --profile given and no HOME to put a default one in")?,
    };
    let key = bastide_core::device::load_or_create_file_key(&dir)?;
    let profile = Profile::open(&dir, key)
        .await
        .with_context(|| format!("opening the profile in {}", dir.display()))?;
    let space = cli.space.as_deref();
    let result = command(&profile, space, cli.command).await;
    profile.close().await;
    result
}

/// Every change set aside in the profile's spaces.
async fn all_set_aside(profile: &Profile) -> anyhow::Result<Vec<bastide_core::SetAsideEntry>> {
    let mut all = Vec::new();
    for space in profile.spaces().await? {
        all.extend(profile.set_aside(space.id.parse()?).await?);
    }
    Ok(all)
}

async fn command(profile: &Profile, space: Option<&str>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Space(SpaceCommand::Create {
            name,
            relay,
            token,
            me,
        }) => {
            let created = profile
                .create_space_admitted(&name, &relay, me.into(), token.as_deref())
                .await?;
            println!("{}", created.id);
        }
        Command::Space(SpaceCommand::Invite {
            space: given,
            role,
            expires_days,
        }) => {
            let id = profile.resolve_space(given.as_deref().or(space)).await?;
            let (code, op) = profile.invite(id, role, expires_days).await?;
            publish(profile, &[(id, op)]).await?;
            println!("{code}");
        }
        Command::Space(SpaceCommand::Join { code, me }) => {
            let joined = profile.join(&code, me.into()).await?;
            println!("{}", joined.id);
        }
        Command::Space(SpaceCommand::Members { space: given, json }) => {
            let id = profile.resolve_space(given.as_deref().or(space)).await?;
            let members = profile.members(id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&members)?);
            } else {
                for m in members {
                    let gone = if m.removed { "  (retiré)" } else { "" };
                    let me = if m.is_me { "  (vous)" } else { "" };
                    println!(
                        "{}  {:<9}  {}  {} appareil(s){gone}{me}",
                        m.id,
                        m.role,
                        m.name,
                        m.devices.len()
                    );
                }
            }
        }
        Command::Space(SpaceCommand::Role {
            space: given,
            member,
            role,
        }) => {
            let id = profile.resolve_space(Some(&given)).await?;
            let op = profile.set_role(id, member.parse()?, role).await?;
            publish(profile, &[(id, op)]).await?;
        }
        Command::Space(SpaceCommand::Remove { space: given, member }) => {
            let id = profile.resolve_space(Some(&given)).await?;
            // Member ids are 32 hex characters, device ids 64.
            let op = match member.trim().len() {
                64 => profile.remove_device(id, member.parse()?).await?,
                _ => profile.remove_member(id, member.parse()?).await?,
            };
            publish(profile, &[(id, op)]).await?;
        }
        Command::Space(SpaceCommand::Invitations { space: given, json }) => {
            let id = profile.resolve_space(given.as_deref().or(space)).await?;
            let invitations = profile.invitations(id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&invitations)?);
            } else {
                for i in invitations {
                    let state = match (i.used, i.revoked) {
                        (true, _) => "utilisée",
                        (_, true) => "retirée",
                        _ => "ouverte",
                    };
                    let what = if i.for_device {
                        "appareil".to_owned()
                    } else {
                        i.role.to_string()
                    };
                    println!("{}  {what:<9}  {state:<8}  expire {}", i.id, i.expires);
                }
            }
        }
        Command::Space(SpaceCommand::Revoke {
            space: given,
            invitation,
        }) => {
            let id = profile.resolve_space(Some(&given)).await?;
            let op = profile.revoke(id, invitation.parse()?).await?;
            publish(profile, &[(id, op)]).await?;
        }
        Command::Device(DeviceCommand::Add) => {
            let (code, ops) = profile.device_add().await?;
            publish(profile, &ops).await?;
            println!("{code}");
        }
        Command::Device(DeviceCommand::Join { code }) => {
            for joined in profile.device_join(&code).await? {
                println!("{}", joined.id);
            }
        }
        Command::Space(SpaceCommand::List { json }) => {
            let spaces = profile.spaces().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&spaces)?);
            } else {
                for s in spaces {
                    println!("{}  {}  {}", s.id, s.name, s.relay);
                }
            }
        }
        Command::Agenda(agenda) => self::agenda(profile, space, agenda).await?,
        Command::Contact(contact) => self::contact(profile, space, contact).await?,
        Command::Doc(doc) => self::doc(profile, space, doc).await?,
        Command::Forum(forum) => self::forum(profile, space, forum).await?,
        Command::Resource(command) => daily::resource(profile, space, command).await?,
        Command::Booking(command) => daily::booking(profile, space, command).await?,
        Command::Cantine(command) => daily::cantine(profile, space, command).await?,
        Command::Poll(command) => daily::poll(profile, space, command).await?,
        Command::Team(command) => daily::team(profile, space, command).await?,
        Command::Rota(command) => daily::rota(profile, space, command).await?,
        Command::Roster(command) => daily::roster(profile, space, command).await?,
        Command::Board(command) => daily::board(profile, space, command).await?,
        Command::Search { query, json } => {
            let scope = match space {
                Some(given) => Some(profile.resolve_space(Some(given)).await?),
                None => None,
            };
            let hits = profile.search(scope, &query).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                for h in hits {
                    println!("{}  {:<14}  {}  {}", h.item, h.kind, h.title, h.snippet);
                }
            }
        }
        Command::Sync => {
            let before: std::collections::HashSet<(String, u64)> = all_set_aside(profile)
                .await?
                .into_iter()
                .map(|e| (e.space, e.seq))
                .collect();
            let synced = profile.sync_once().await;
            // Said even when a space failed: what was set aside stays so.
            for entry in all_set_aside(profile).await? {
                if !before.contains(&(entry.space.clone(), entry.seq)) {
                    println!("{}", entry.sentence());
                }
            }
            let report = synced?;
            if report.relay_lost > 0 {
                println!("{}", bastide_core::RELAY_LOST_SENTENCE);
            }
            eprintln!(
                "synced: {} pushed, {} received, {} refused by the relay",
                report.pushed, report.received, report.refused
            );
            if report.refused > 0 {
                anyhow::bail!("the relay refused {} change(s)", report.refused);
            }
        }
        Command::Status { json } => {
            let status = serde_json::json!({
                "device": profile.device_id().to_string(),
                "name": profile.display_name(),
                "pending": profile.pending().await?,
                "spaces": profile.spaces().await?,
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                println!("device  {}", profile.device_id());
                println!("name    {}", profile.display_name());
                println!("pending {}", profile.pending().await?);
            }
        }
    }
    Ok(())
}

async fn agenda(profile: &Profile, space: Option<&str>, command: AgendaCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        AgendaCommand::Add { title, fields } => {
            let input = EventInput {
                title,
                start: fields.start,
                end: fields.end,
                all_day: fields.all_day,
                place: fields.place,
                theme: fields.theme,
                description: fields.description,
            };
            let event = profile.add_event(space, input).await?;
            println!("{}", event.id);
        }
        AgendaCommand::Edit { id, title, fields } => {
            let id = id.parse()?;
            let current = profile.event(space, id).await?;
            let input = EventInput {
                title: title.unwrap_or(current.title),
                start: fields.start.unwrap_or(current.start),
                end: fields.end.unwrap_or(current.end),
                all_day: fields.all_day.unwrap_or(current.all_day),
                place: fields.place.unwrap_or(current.place),
                theme: fields.theme.unwrap_or(current.theme),
                description: fields.description.unwrap_or(current.description),
            };
            profile.update_event(space, id, input).await?;
        }
        AgendaCommand::Delete { id } => {
            profile.delete_event(space, id.parse()?).await?;
        }
        AgendaCommand::Restore { id } => {
            profile.restore_event(space, id.parse()?).await?;
        }
        AgendaCommand::History { id, json } => {
            let history = profile.history(space, id.parse()?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&history)?);
            } else {
                for h in history {
                    let who = if h.author.is_empty() {
                        &h.device[..8]
                    } else {
                        &h.author
                    };
                    println!("{}  {who}", h.at);
                }
            }
        }
        AgendaCommand::List { json, trash } => {
            let events = if trash {
                profile.trash(space).await?
            } else {
                profile.events(space).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&events)?);
            } else {
                print_events(&events);
            }
        }
    }
    Ok(())
}

/// Sends membership ops to the relay now. Offline, they stay queued for the next sync
/// (said on stderr); refused, the command fails with the relay's reason.
async fn publish(profile: &Profile, ops: &[(SpaceId, OpId)]) -> anyhow::Result<()> {
    if let Err(error) = profile.sync_once().await {
        match error.code() {
            Code::RelayUnreachable => {}
            _ => tracing::warn!(%error, "sync after the change failed"),
        }
    }
    for (space, op) in ops {
        if profile.outcome(*space, *op).await? == OpOutcome::Pending {
            eprintln!("bastide: the relay is unreachable; the change goes with the next `bastide sync`");
            break;
        }
    }
    Ok(())
}

async fn forum(profile: &Profile, space: Option<&str>, command: ForumCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        ForumCommand::Post { topic, text } => {
            let topics = profile.topics(space).await?;
            let found = topics
                .iter()
                .find(|t| t.id == topic.trim() || t.title == topic.trim())
                .map(|t| t.id.parse())
                .transpose()?;
            let post = match found {
                Some(id) => profile.post(space, id, &text, None, None).await?,
                None => {
                    let opened = profile.create_topic(space, &topic, &text).await?;
                    let posts = profile.topic_posts(space, opened.id.parse()?).await?;
                    posts
                        .into_iter()
                        .next()
                        .context("the new topic has its first post")?
                }
            };
            println!("{}", post.id);
        }
        ForumCommand::Reply { post, text, quote } => {
            let answered = profile.forum_post(space, post.parse()?).await?;
            let quote = quote.as_deref().map(|q| (answered.id.parse(), q));
            let quote = match quote {
                Some((id, q)) => Some((id?, q)),
                None => None,
            };
            let reply = profile
                .post(
                    space,
                    answered.topic.parse()?,
                    &text,
                    Some(answered.id.parse()?),
                    quote,
                )
                .await?;
            println!("{}", reply.id);
        }
        ForumCommand::List { json } => {
            let mut listed = Vec::new();
            for topic in profile.topics(space).await? {
                let posts = profile.topic_posts(space, topic.id.parse()?).await?;
                listed.push((topic, posts));
            }
            if json {
                let value: Vec<serde_json::Value> = listed
                    .into_iter()
                    .map(|(topic, posts)| {
                        let mut t = serde_json::to_value(topic)?;
                        t["messages"] = serde_json::to_value(posts)?;
                        Ok(t)
                    })
                    .collect::<Result<_, serde_json::Error>>()?;
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                for (topic, posts) in listed {
                    println!("{}  {}  ({} message(s))", topic.id, topic.title, topic.posts);
                    for p in posts {
                        println!("    {}  {}  {}: {}", p.id, p.created_at, p.author, p.body);
                    }
                }
            }
        }
    }
    Ok(())
}

fn print_events(events: &[Event]) {
    for e in events {
        let place = if e.place.is_empty() {
            String::new()
        } else {
            format!("  @ {}", e.place)
        };
        println!("{}  {} → {}  {}{}", e.id, e.start, e.end, e.title, place);
    }
}

fn default_profile() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("bastide").join("cli"))
}

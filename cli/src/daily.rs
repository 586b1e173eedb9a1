//! The daily services from the command line: bookings and the cantine's meal counts.

use std::path::PathBuf;

use anyhow::{Context, bail};
use bastide_core::{
    BookingDecision, BookingInput, ItemId, PollInput, Profile, ResourceInput, SlotFilter, SpaceId,
};
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum ResourceCommand {
    /// Adds a resource to book; prints its id.
    Add {
        /// Its name (Salle du conseil).
        name: String,
        /// room, equipment, vehicle or other.
        #[arg(long, default_value = "room")]
        kind: String,
        /// How many people it holds.
        #[arg(long, default_value_t = 0)]
        capacity: u32,
        /// Where it is.
        #[arg(long, default_value = "")]
        location: String,
        /// Longest booking, in minutes (0: no limit).
        #[arg(long, default_value_t = 0)]
        max_minutes: u32,
        /// Bookings wait for a manager's confirmation.
        #[arg(long)]
        confirm: bool,
        /// Can be shared: a manager may accept overlapping bookings.
        #[arg(long)]
        divisible: bool,
        /// The least role that may book it (editor, validator, admin).
        #[arg(long, default_value = "editor")]
        book_role: String,
    },
    /// Lists the resources.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum BookingCommand {
    /// Books a resource; prints the booking id, or fails on a known conflict.
    Add {
        /// The resource (id or name).
        resource: String,
        /// Start, RFC 3339.
        #[arg(long)]
        start: String,
        /// End, RFC 3339.
        #[arg(long)]
        end: String,
        /// What for.
        #[arg(long, default_value = "")]
        title: String,
        /// Repeats every week until this day (YYYY-MM-DD, included).
        #[arg(long, default_value = "")]
        weekly_until: String,
    },
    /// Moves a booking to another time (or resource).
    Move {
        /// The booking's id.
        id: String,
        /// New start, RFC 3339.
        #[arg(long)]
        start: String,
        /// New end, RFC 3339.
        #[arg(long)]
        end: String,
        /// Another resource (id or name).
        #[arg(long)]
        resource: Option<String>,
    },
    /// A manager confirms a pending booking.
    Confirm {
        /// The booking's id.
        id: String,
    },
    /// A manager refuses a booking.
    Refuse {
        /// The booking's id.
        id: String,
    },
    /// Its author or a manager cancels a booking.
    Cancel {
        /// The booking's id.
        id: String,
    },
    /// A manager accepts that a booking overlaps earlier ones (divisible resources).
    AcceptOverlap {
        /// The booking's id.
        id: String,
    },
    /// Lists occurrences of bookings, with their status (conflict included).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only this resource (id or name).
        #[arg(long)]
        resource: Option<String>,
        /// From this time (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// To this time (RFC 3339).
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum CantineCommand {
    /// Cantine sites (schools).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Enters the count of a day and category.
    Set {
        /// The site (id or name).
        site: String,
        /// The day, YYYY-MM-DD.
        date: String,
        /// The category (maternelle, adulte...).
        category: String,
        /// How many meals.
        #[arg(allow_hyphen_values = true)]
        count: String,
    },
    /// Marks days closed (school holidays), or open again with --open.
    Close {
        /// The site (id or name).
        site: String,
        /// First day, YYYY-MM-DD.
        from: String,
        /// Last day, YYYY-MM-DD.
        to: String,
        /// Open the days again instead.
        #[arg(long)]
        open: bool,
    },
    /// Shows a site's month sheet.
    Show {
        /// The site (id or name).
        site: String,
        /// The month, YYYY-MM.
        month: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exports a site's month sheet for billing.
    Export {
        /// The site (id or name).
        site: String,
        /// The month, YYYY-MM.
        month: String,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum PollCommand {
    /// Creates a poll; prints its id.
    Create {
        /// The question.
        question: String,
        /// An option (repeat).
        #[arg(long = "option")]
        options: Vec<String>,
        /// Nobody can tell who voted what.
        #[arg(long)]
        anonymous: bool,
        /// single, multiple, ranking, dates or text.
        #[arg(long, default_value = "single")]
        mode: String,
        /// Votes open at (RFC 3339); default now.
        #[arg(long, default_value = "")]
        opens: String,
        /// Votes close at (RFC 3339); default when closed by hand.
        #[arg(long, default_value = "")]
        closes: String,
        /// Results show after voting (vote) or once closed (close).
        #[arg(long, default_value = "vote")]
        results_after: String,
    },
    /// Votes (or changes a vote): options by text or number (1 for the first), in
    /// order of preference for a ranking; the answer of a free-text poll.
    Vote {
        /// The poll's id.
        poll: String,
        /// The options chosen.
        #[arg(required = true)]
        options: Vec<String>,
    },
    /// Closes a poll now (its author or an admin).
    Close {
        /// The poll's id.
        poll: String,
    },
    /// Shows a poll's results as this computer counts them.
    Results {
        /// The poll's id.
        poll: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists the polls.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum SiteCommand {
    /// Adds a site; prints its id.
    Add {
        /// Its name.
        name: String,
        /// A meal category (repeat; default: maternelle, élémentaire, adulte).
        #[arg(long = "category")]
        categories: Vec<String>,
    },
    /// Lists the sites.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn resource(
    profile: &Profile,
    space: Option<&str>,
    command: ResourceCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        ResourceCommand::Add {
            name,
            kind,
            capacity,
            location,
            max_minutes,
            confirm,
            divisible,
            book_role,
        } => {
            let input = ResourceInput {
                name,
                kind,
                capacity,
                location,
                description: String::new(),
                max_minutes,
                confirm,
                divisible,
                book_role,
            };
            println!("{}", profile.add_resource(space, input).await?.id);
        }
        ResourceCommand::List { json } => {
            let resources = profile.resources(space, false).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&resources)?);
            } else {
                for r in resources {
                    println!(
                        "{}  {:<9}  {}  {}",
                        r.id, r.fields.kind, r.fields.name, r.fields.location
                    );
                }
            }
        }
    }
    Ok(())
}

/// A resource given by id or by name.
async fn find_resource(profile: &Profile, space: SpaceId, given: &str) -> anyhow::Result<ItemId> {
    if let Ok(id) = given.trim().parse::<ItemId>() {
        return Ok(id);
    }
    let resources = profile.resources(space, false).await?;
    let found: Vec<_> = resources
        .iter()
        .filter(|r| r.fields.name == given.trim())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id.parse()?),
        [] => bail!("no resource named {given:?}"),
        _ => bail!("several resources are named {given:?}: give its id"),
    }
}

pub(crate) async fn booking(
    profile: &Profile,
    space: Option<&str>,
    command: BookingCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    let decide = |id: String, decision| async move {
        let id: ItemId = id.parse()?;
        profile.decide_booking(space, id, decision).await?;
        anyhow::Ok(())
    };
    match command {
        BookingCommand::Add {
            resource,
            start,
            end,
            title,
            weekly_until,
        } => {
            let resource = find_resource(profile, space, &resource).await?;
            let input = BookingInput {
                resource: resource.to_string(),
                title,
                start,
                end,
                repeat_until: weekly_until,
            };
            println!("{}", profile.book(space, input).await?.id);
        }
        BookingCommand::Move {
            id,
            start,
            end,
            resource,
        } => {
            let id: ItemId = id.parse()?;
            let current = profile.booking(space, id).await?;
            let resource = match resource {
                Some(given) => find_resource(profile, space, &given).await?.to_string(),
                None => current.fields.resource.clone(),
            };
            let input = BookingInput {
                resource,
                start,
                end,
                ..current.fields
            };
            profile.move_booking(space, id, input).await?;
        }
        BookingCommand::Confirm { id } => decide(id, BookingDecision::Confirm).await?,
        BookingCommand::Refuse { id } => decide(id, BookingDecision::Refuse).await?,
        BookingCommand::Cancel { id } => decide(id, BookingDecision::Cancel).await?,
        BookingCommand::AcceptOverlap { id } => decide(id, BookingDecision::AcceptOverlap).await?,
        BookingCommand::List {
            json,
            resource,
            from,
            to,
        } => {
            let resource = match resource {
                Some(given) => Some(find_resource(profile, space, &given).await?.to_string()),
                None => None,
            };
            let slots = profile
                .booking_slots(space, &SlotFilter { resource, from, to })
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&slots)?);
            } else {
                for s in slots {
                    let with = if s.conflicts_with.is_empty() {
                        String::new()
                    } else {
                        format!("  (avec {})", s.conflicts_with.join(", "))
                    };
                    println!(
                        "{}  {} → {}  {:<9}  {}  {}{with}",
                        s.id, s.start, s.end, s.status, s.resource_name, s.title
                    );
                }
            }
        }
    }
    Ok(())
}

/// A site given by id or by name.
async fn find_site(profile: &Profile, space: SpaceId, given: &str) -> anyhow::Result<ItemId> {
    if let Ok(id) = given.trim().parse::<ItemId>() {
        return Ok(id);
    }
    let sites = profile.cantine_sites(space).await?;
    let found: Vec<_> = sites.iter().filter(|s| s.name == given.trim()).collect();
    match found.as_slice() {
        [one] => Ok(one.id.parse()?),
        [] => bail!("no cantine site named {given:?}"),
        _ => bail!("several sites are named {given:?}: give its id"),
    }
}

pub(crate) async fn cantine(
    profile: &Profile,
    space: Option<&str>,
    command: CantineCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        CantineCommand::Site(SiteCommand::Add { name, categories }) => {
            let site = profile
                .add_cantine_site(space, bastide_core::SiteInput { name, categories })
                .await?;
            println!("{}", site.id);
        }
        CantineCommand::Site(SiteCommand::List { json }) => {
            let sites = profile.cantine_sites(space).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sites)?);
            } else {
                for s in sites {
                    println!("{}  {}  ({})", s.id, s.name, s.categories.join(", "));
                }
            }
        }
        CantineCommand::Set {
            site,
            date,
            category,
            count,
        } => {
            let site = find_site(profile, space, &site).await?;
            let count = bastide_core::cantine::parse_count(&count)?;
            profile
                .set_meal_count(space, site, &date, &category, i64::from(count))
                .await?;
        }
        CantineCommand::Close { site, from, to, open } => {
            let site = find_site(profile, space, &site).await?;
            profile.set_cantine_closed(space, site, &from, &to, !open).await?;
        }
        CantineCommand::Show { site, month, json } => {
            let site = find_site(profile, space, &site).await?;
            let sheet = profile.meal_month(space, site, &month).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sheet)?);
            } else {
                println!("{}  {}", sheet.site_name, sheet.month);
                for day in &sheet.days {
                    let cells: Vec<String> = sheet
                        .categories
                        .iter()
                        .map(|c| {
                            let cell = day.cells.get(c);
                            let shown = cell
                                .and_then(|cell| cell.count)
                                .map(|n| n.to_string())
                                .unwrap_or_else(|| "-".into());
                            match cell.map(|cell| cell.values.len()) {
                                Some(n) if n > 1 => format!("{c}={shown} (conflit)"),
                                _ => format!("{c}={shown}"),
                            }
                        })
                        .collect();
                    println!("{}  {:<8}  {}", day.date, day.closed, cells.join("  "));
                }
                println!("total {}", sheet.total);
            }
        }
        CantineCommand::Export {
            site,
            month,
            format,
            out,
        } => {
            let site = find_site(profile, space, &site).await?;
            let sheet = profile
                .export_meals(space, site, &month, format.parse()?, &out)
                .await
                .with_context(|| format!("exporting to {}", out.display()))?;
            if sheet.conflicts > 0 {
                eprintln!(
                    "attention : {} case(s) ont deux valeurs saisies hors ligne ; la valeur affichée a été exportée",
                    sheet.conflicts
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn poll(profile: &Profile, space: Option<&str>, command: PollCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        PollCommand::Create {
            question,
            options,
            anonymous,
            mode,
            opens,
            closes,
            results_after,
        } => {
            let input = PollInput {
                question,
                description: String::new(),
                mode,
                options,
                opens_at: opens,
                closes_at: closes,
                anonymous,
                results_after,
            };
            println!("{}", profile.create_poll(space, input).await?.id);
        }
        PollCommand::Vote { poll, options } => {
            let id: ItemId = poll.parse()?;
            let found = profile.poll(space, id).await?;
            if found.fields.mode == "text" {
                profile.vote(space, id, Vec::new(), &options.join(" ")).await?;
            } else {
                let mut choices = Vec::new();
                for given in &options {
                    let by_text = found.fields.options.iter().position(|o| o == given.trim());
                    let by_number = given
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=found.fields.options.len()).contains(n))
                        .map(|n| n - 1);
                    let Some(index) = by_text.or(by_number) else {
                        bail!(
                            "{given:?} is not an option of this poll ({})",
                            found.fields.options.join(", ")
                        );
                    };
                    choices.push(u16::try_from(index)?);
                }
                profile.vote(space, id, choices, "").await?;
            }
        }
        PollCommand::Close { poll } => {
            profile.close_poll(space, poll.parse()?).await?;
        }
        PollCommand::Results { poll, json } => {
            let results = profile.poll_results(space, poll.parse()?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                let state = if results.open { "ouvert" } else { "clos" };
                println!(
                    "{}  ({state}, {} vote(s))",
                    results.poll.fields.question, results.ballots
                );
                if !results.visible {
                    println!("résultats visibles après votre vote ou à la clôture");
                }
                for o in &results.options {
                    println!("  {:>4}  {}  {}", o.votes, o.option, o.voters.join(", "));
                }
                for a in &results.answers {
                    println!("  - {a}");
                }
                if results.late > 0 {
                    println!(
                        "{} vote(s) arrivé(s) après la clôture, non compté(s)",
                        results.late
                    );
                }
            }
        }
        PollCommand::List { json } => {
            let polls = profile.polls(space).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&polls)?);
            } else {
                for p in polls {
                    let anonymous = if p.fields.anonymous { "  (anonyme)" } else { "" };
                    println!("{}  {}  {}{anonymous}", p.id, p.fields.mode, p.fields.question);
                }
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum TeamCommand {
    /// Adds a team; prints its id.
    Add {
        /// Its name.
        name: String,
        /// A person (repeat).
        #[arg(long = "person")]
        people: Vec<String>,
        /// A shift (repeat; default: Matin, Après-midi).
        #[arg(long = "shift")]
        shifts: Vec<String>,
    },
    /// Lists the teams.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum RotaCommand {
    /// Puts a person on a shift on a day (or off it with --off).
    Set {
        /// The team (id or name).
        team: String,
        /// The day, YYYY-MM-DD.
        date: String,
        /// The person.
        person: String,
        /// The shift.
        shift: String,
        /// Take the person off the shift.
        #[arg(long)]
        off: bool,
    },
    /// Shows the week holding a day.
    Show {
        /// The team (id or name).
        team: String,
        /// A day of the week, YYYY-MM-DD.
        date: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Makes the week holding a day like the week before.
    Copy {
        /// The team (id or name).
        team: String,
        /// A day of the week to fill, YYYY-MM-DD.
        date: String,
    },
    /// Writes the week holding a day as CSV.
    Export {
        /// The team (id or name).
        team: String,
        /// A day of the week, YYYY-MM-DD.
        date: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum RosterCommand {
    /// Adds an on-call roster; prints its id.
    Add {
        /// Its name.
        name: String,
    },
    /// Sets who is on call from START to END.
    Slot {
        /// The roster's id.
        roster: String,
        /// Start, RFC 3339.
        #[arg(long)]
        start: String,
        /// End, RFC 3339.
        #[arg(long)]
        end: String,
        /// The member on call (id or name).
        member: String,
    },
    /// Asks another member to take a slot this member holds; prints the swap's id.
    Swap {
        /// The roster's id.
        roster: String,
        /// The slot's start, RFC 3339.
        slot: String,
        /// The member asked (id or name).
        to: String,
    },
    /// Accepts a swap asked of this member.
    Accept {
        /// The roster's id.
        roster: String,
        /// The swap's id.
        swap: String,
    },
    /// Refuses a swap asked of this member (or withdraws one this member asked).
    Refuse {
        /// The roster's id.
        roster: String,
        /// The swap's id.
        swap: String,
    },
    /// Shows the rosters, with who is on call now.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum BoardCommand {
    /// Posts an announcement; prints its id.
    Add {
        /// Its title.
        title: String,
        /// job, housing, equipment or other.
        #[arg(long, default_value = "other")]
        category: String,
        /// Commune.
        #[arg(long, default_value = "")]
        commune: String,
        /// The text.
        #[arg(long, default_value = "")]
        text: String,
        /// How to answer.
        #[arg(long, default_value = "")]
        contact: String,
        /// From (YYYY-MM-DD).
        #[arg(long, default_value = "")]
        from: String,
        /// Until (YYYY-MM-DD).
        #[arg(long, default_value = "")]
        until: String,
        /// Leaves the board after this day (YYYY-MM-DD; default in 30 days).
        #[arg(long, default_value = "")]
        expires: String,
    },
    /// Closes an announcement.
    Close {
        /// Its id.
        id: String,
    },
    /// Renews an announcement.
    Renew {
        /// Its id.
        id: String,
        /// For how many days.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Lists announcements (open ones unless --all).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Only this commune.
        #[arg(long)]
        commune: Option<String>,
        /// Closed and expired ones too.
        #[arg(long)]
        all: bool,
    },
}

/// A team given by id or by name.
async fn find_team(profile: &Profile, space: SpaceId, given: &str) -> anyhow::Result<ItemId> {
    if let Ok(id) = given.trim().parse::<ItemId>() {
        return Ok(id);
    }
    let teams = profile.teams(space).await?;
    match teams
        .iter()
        .filter(|t| t.fields.name == given.trim())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => Ok(one.id.parse()?),
        [] => bail!("no team named {given:?}"),
        _ => bail!("several teams are named {given:?}: give its id"),
    }
}

/// A member given by id or by name.
async fn find_member(
    profile: &Profile,
    space: SpaceId,
    given: &str,
) -> anyhow::Result<bastide_core::MemberId> {
    if let Ok(id) = given.trim().parse() {
        return Ok(id);
    }
    let members = profile.members(space).await?;
    match members
        .iter()
        .filter(|m| !m.removed && m.name == given.trim())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => Ok(one.id.parse()?),
        [] => bail!("no member named {given:?}"),
        _ => bail!("several members are named {given:?}: give their id"),
    }
}

fn print_week(week: &bastide_core::RotaWeek) {
    println!("{}  semaine du {}", week.team_name, week.monday);
    for person in &week.people {
        let days: Vec<String> = week
            .days
            .iter()
            .map(|d| {
                week.cells
                    .get(&format!("{d}|{person}"))
                    .map(|s| s.join("+"))
                    .unwrap_or_else(|| "-".into())
            })
            .collect();
        println!("  {person:<16} {}", days.join("  "));
    }
}

pub(crate) async fn team(profile: &Profile, space: Option<&str>, command: TeamCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        TeamCommand::Add { name, people, shifts } => {
            let team = profile
                .add_team(space, bastide_core::TeamInput { name, people, shifts })
                .await?;
            println!("{}", team.id);
        }
        TeamCommand::List { json } => {
            let teams = profile.teams(space).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&teams)?);
            } else {
                for t in teams {
                    println!("{}  {}  ({})", t.id, t.fields.name, t.fields.people.join(", "));
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn rota(profile: &Profile, space: Option<&str>, command: RotaCommand) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        RotaCommand::Set {
            team,
            date,
            person,
            shift,
            off,
        } => {
            let team = find_team(profile, space, &team).await?;
            profile
                .set_rota(space, team, &date, &person, &shift, !off)
                .await?;
        }
        RotaCommand::Show { team, date, json } => {
            let team = find_team(profile, space, &team).await?;
            let week = profile.rota_week(space, team, &date).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&week)?);
            } else {
                print_week(&week);
            }
        }
        RotaCommand::Copy { team, date } => {
            let team = find_team(profile, space, &team).await?;
            print_week(&profile.copy_previous_week(space, team, &date).await?);
        }
        RotaCommand::Export { team, date, out } => {
            let team = find_team(profile, space, &team).await?;
            profile
                .export_rota(space, team, &date, &out)
                .await
                .with_context(|| format!("exporting to {}", out.display()))?;
        }
    }
    Ok(())
}

pub(crate) async fn roster(
    profile: &Profile,
    space: Option<&str>,
    command: RosterCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        RosterCommand::Add { name } => println!("{}", profile.add_roster(space, &name).await?.id),
        RosterCommand::Slot {
            roster,
            start,
            end,
            member,
        } => {
            let member = find_member(profile, space, &member).await?;
            profile
                .set_roster_slot(space, roster.parse()?, &start, &end, member)
                .await?;
        }
        RosterCommand::Swap { roster, slot, to } => {
            let to = find_member(profile, space, &to).await?;
            let updated = profile.request_swap(space, roster.parse()?, &slot, to).await?;
            let swap = updated.swaps.last().context("the new swap is listed")?;
            println!("{}", swap.id);
        }
        RosterCommand::Accept { roster, swap } => {
            profile.answer_swap(space, roster.parse()?, &swap, true).await?;
        }
        RosterCommand::Refuse { roster, swap } => {
            profile.answer_swap(space, roster.parse()?, &swap, false).await?;
        }
        RosterCommand::Show { json } => {
            let rosters = profile.rosters(space).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rosters)?);
            } else {
                for r in rosters {
                    let now = r
                        .now
                        .as_ref()
                        .map(|s| format!("de garde : {}", s.name))
                        .unwrap_or_else(|| "personne de garde maintenant".into());
                    println!("{}  {}  ({now})", r.id, r.name);
                    for s in &r.slots {
                        println!("    {} → {}  {}", s.start, s.end, s.name);
                    }
                    for s in r.swaps.iter().filter(|s| s.status == "requested") {
                        println!(
                            "    échange {} : {} → {} ({})",
                            s.id, s.from_name, s.to_name, s.slot
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn board(
    profile: &Profile,
    space: Option<&str>,
    command: BoardCommand,
) -> anyhow::Result<()> {
    let space = profile.resolve_space(space).await?;
    match command {
        BoardCommand::Add {
            title,
            category,
            commune,
            text,
            contact,
            from,
            until,
            expires,
        } => {
            let input = bastide_core::AdInput {
                category,
                title,
                description: text,
                commune,
                starts: from,
                ends: until,
                contact,
                expires,
            };
            println!("{}", profile.add_ad(space, input).await?.id);
        }
        BoardCommand::Close { id } => {
            profile.close_ad(space, id.parse()?).await?;
        }
        BoardCommand::Renew { id, days } => {
            profile.renew_ad(space, id.parse()?, Some(days)).await?;
        }
        BoardCommand::List {
            json,
            category,
            commune,
            all,
        } => {
            let ads = profile
                .ads(
                    space,
                    &bastide_core::AdFilter {
                        category,
                        commune,
                        all,
                    },
                )
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&ads)?);
            } else {
                for a in ads {
                    let state = if a.closed {
                        "  (close)"
                    } else if a.expired {
                        "  (expirée)"
                    } else {
                        ""
                    };
                    println!(
                        "{}  {:<9}  {}  {}  jusqu’au {}{state}",
                        a.id, a.fields.category, a.fields.title, a.fields.commune, a.fields.expires
                    );
                }
            }
        }
    }
    Ok(())
}

//! Tauri commands of the daily services: bookings, cantine, polls. One call into core
//! each, errors as `{code, message}` like every command.

use bastide_core::{
    Ad, AdFilter, AdInput, Booking, BookingInput, MealMonth, MemberId, Poll, PollInput, PollResults,
    Resource, ResourceInput, Roster, RotaWeek, Site, SiteInput, Slot, SlotFilter, Team, TeamInput,
};
use tauri::State;
use tracing::instrument;

use crate::AppState;
use crate::commands::{Result, item_id, space_id};

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_resources(
    state: State<'_, AppState>,
    space: String,
    deleted: bool,
) -> Result<Vec<Resource>> {
    Ok(state.profile.resources(space_id(&space)?, deleted).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_resource(
    state: State<'_, AppState>,
    space: String,
    resource: ResourceInput,
) -> Result<Resource> {
    Ok(state.profile.add_resource(space_id(&space)?, resource).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_resource(
    state: State<'_, AppState>,
    space: String,
    id: String,
    resource: ResourceInput,
) -> Result<Resource> {
    Ok(state
        .profile
        .update_resource(space_id(&space)?, item_id(&id)?, resource)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_resource_deleted(
    state: State<'_, AppState>,
    space: String,
    id: String,
    deleted: bool,
) -> Result<Resource> {
    Ok(state
        .profile
        .set_resource_deleted(space_id(&space)?, item_id(&id)?, deleted)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_booking_slots(
    state: State<'_, AppState>,
    space: String,
    filter: SlotFilter,
) -> Result<Vec<Slot>> {
    Ok(state.profile.booking_slots(space_id(&space)?, &filter).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn book(
    state: State<'_, AppState>,
    space: String,
    booking: BookingInput,
) -> Result<Booking> {
    Ok(state.profile.book(space_id(&space)?, booking).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn get_booking(state: State<'_, AppState>, space: String, id: String) -> Result<Booking> {
    Ok(state.profile.booking(space_id(&space)?, item_id(&id)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn move_booking(
    state: State<'_, AppState>,
    space: String,
    id: String,
    booking: BookingInput,
) -> Result<Booking> {
    Ok(state
        .profile
        .move_booking(space_id(&space)?, item_id(&id)?, booking)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn decide_booking(
    state: State<'_, AppState>,
    space: String,
    id: String,
    decision: String,
) -> Result<Booking> {
    Ok(state
        .profile
        .decide_booking(space_id(&space)?, item_id(&id)?, decision.parse()?)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_cantine_sites(state: State<'_, AppState>, space: String) -> Result<Vec<Site>> {
    Ok(state.profile.cantine_sites(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_cantine_site(
    state: State<'_, AppState>,
    space: String,
    site: SiteInput,
) -> Result<Site> {
    Ok(state.profile.add_cantine_site(space_id(&space)?, site).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_cantine_site(
    state: State<'_, AppState>,
    space: String,
    id: String,
    site: SiteInput,
) -> Result<Site> {
    Ok(state
        .profile
        .update_cantine_site(space_id(&space)?, item_id(&id)?, site)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_cantine_closed(
    state: State<'_, AppState>,
    space: String,
    site: String,
    from: String,
    to: String,
    closed: bool,
) -> Result<Site> {
    Ok(state
        .profile
        .set_cantine_closed(space_id(&space)?, item_id(&site)?, &from, &to, closed)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn meal_month(
    state: State<'_, AppState>,
    space: String,
    site: String,
    month: String,
) -> Result<MealMonth> {
    Ok(state
        .profile
        .meal_month(space_id(&space)?, item_id(&site)?, &month)
        .await?)
}

/// `count` arrives as a JSON number: a fraction or a negative is refused with
/// `invalid_count`, not as a malformed call.
#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_meal_count(
    state: State<'_, AppState>,
    space: String,
    site: String,
    date: String,
    category: String,
    count: f64,
) -> Result<MealMonth> {
    if count.fract() != 0.0 || count.abs() > 1e9 {
        return Err(bastide_core::Error::InvalidCount(format!("{count} is not a whole number")).into());
    }
    // Whole and small, checked just above.
    #[allow(clippy::cast_possible_truncation)]
    let whole = count as i64;
    Ok(state
        .profile
        .set_meal_count(space_id(&space)?, item_id(&site)?, &date, &category, whole)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn export_meals(
    state: State<'_, AppState>,
    space: String,
    site: String,
    month: String,
    format: String,
    out: String,
) -> Result<()> {
    state
        .profile
        .export_meals(
            space_id(&space)?,
            item_id(&site)?,
            &month,
            format.parse()?,
            std::path::Path::new(&out),
        )
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_polls(state: State<'_, AppState>, space: String) -> Result<Vec<Poll>> {
    Ok(state.profile.polls(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn create_poll(state: State<'_, AppState>, space: String, poll: PollInput) -> Result<Poll> {
    Ok(state.profile.create_poll(space_id(&space)?, poll).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn close_poll(state: State<'_, AppState>, space: String, id: String) -> Result<Poll> {
    Ok(state.profile.close_poll(space_id(&space)?, item_id(&id)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn poll_results(
    state: State<'_, AppState>,
    space: String,
    id: String,
) -> Result<PollResults> {
    Ok(state
        .profile
        .poll_results(space_id(&space)?, item_id(&id)?)
        .await?)
}

/// The vote itself is not logged: `choices` and `text` are skipped.
#[tauri::command]
#[instrument(skip(state, choices, text), err(level = "info", Debug))]
pub(crate) async fn vote(
    state: State<'_, AppState>,
    space: String,
    id: String,
    choices: Vec<u16>,
    text: String,
) -> Result<PollResults> {
    Ok(state
        .profile
        .vote(space_id(&space)?, item_id(&id)?, choices, &text)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_teams(state: State<'_, AppState>, space: String) -> Result<Vec<Team>> {
    Ok(state.profile.teams(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_team(state: State<'_, AppState>, space: String, team: TeamInput) -> Result<Team> {
    Ok(state.profile.add_team(space_id(&space)?, team).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_team(
    state: State<'_, AppState>,
    space: String,
    id: String,
    team: TeamInput,
) -> Result<Team> {
    Ok(state
        .profile
        .update_team(space_id(&space)?, item_id(&id)?, team)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn rota_week(
    state: State<'_, AppState>,
    space: String,
    team: String,
    date: String,
) -> Result<RotaWeek> {
    Ok(state
        .profile
        .rota_week(space_id(&space)?, item_id(&team)?, &date)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_rota(
    state: State<'_, AppState>,
    space: String,
    team: String,
    date: String,
    person: String,
    shift: String,
    on: bool,
) -> Result<RotaWeek> {
    Ok(state
        .profile
        .set_rota(space_id(&space)?, item_id(&team)?, &date, &person, &shift, on)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn copy_previous_week(
    state: State<'_, AppState>,
    space: String,
    team: String,
    date: String,
) -> Result<RotaWeek> {
    Ok(state
        .profile
        .copy_previous_week(space_id(&space)?, item_id(&team)?, &date)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn export_rota(
    state: State<'_, AppState>,
    space: String,
    team: String,
    date: String,
    out: String,
) -> Result<()> {
    state
        .profile
        .export_rota(
            space_id(&space)?,
            item_id(&team)?,
            &date,
            std::path::Path::new(&out),
        )
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_rosters(state: State<'_, AppState>, space: String) -> Result<Vec<Roster>> {
    Ok(state.profile.rosters(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_roster(state: State<'_, AppState>, space: String, name: String) -> Result<Roster> {
    Ok(state.profile.add_roster(space_id(&space)?, &name).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_roster_slot(
    state: State<'_, AppState>,
    space: String,
    roster: String,
    start: String,
    end: String,
    member: String,
) -> Result<Roster> {
    let member: MemberId = member.parse()?;
    Ok(state
        .profile
        .set_roster_slot(space_id(&space)?, item_id(&roster)?, &start, &end, member)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn request_swap(
    state: State<'_, AppState>,
    space: String,
    roster: String,
    slot: String,
    to: String,
) -> Result<Roster> {
    let to: MemberId = to.parse()?;
    Ok(state
        .profile
        .request_swap(space_id(&space)?, item_id(&roster)?, &slot, to)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn answer_swap(
    state: State<'_, AppState>,
    space: String,
    roster: String,
    swap: String,
    accept: bool,
) -> Result<Roster> {
    Ok(state
        .profile
        .answer_swap(space_id(&space)?, item_id(&roster)?, &swap, accept)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_ads(state: State<'_, AppState>, space: String, filter: AdFilter) -> Result<Vec<Ad>> {
    Ok(state.profile.ads(space_id(&space)?, &filter).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_ad(state: State<'_, AppState>, space: String, ad: AdInput) -> Result<Ad> {
    Ok(state.profile.add_ad(space_id(&space)?, ad).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_ad(
    state: State<'_, AppState>,
    space: String,
    id: String,
    ad: AdInput,
) -> Result<Ad> {
    Ok(state
        .profile
        .update_ad(space_id(&space)?, item_id(&id)?, ad)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn close_ad(state: State<'_, AppState>, space: String, id: String) -> Result<Ad> {
    Ok(state.profile.close_ad(space_id(&space)?, item_id(&id)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn renew_ad(
    state: State<'_, AppState>,
    space: String,
    id: String,
    days: Option<u32>,
) -> Result<Ad> {
    Ok(state
        .profile
        .renew_ad(space_id(&space)?, item_id(&id)?, days)
        .await?)
}

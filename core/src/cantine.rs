//! Cantine meal counts (comptage des repas): one Automerge document per site (its
//! name, meal categories and days closed by hand) and one per site and month (the
//! counts), and the projections the month sheets read.
//!
//! A month's document has an id every computer derives from the site and the month,
//! so two people who start the same month offline write into the same item. Each cell
//! ("2027-01-12|maternelle") is a register holding the count and when it was entered;
//! two counts entered offline for one cell are both kept, shown with who and when,
//! until someone enters the one to keep. Totals add the shown value of each cell once.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use time::{Date, Duration, Month, OffsetDateTime, Weekday};

use crate::error::Error;
use crate::fields::{from_json, get_bool, get_str, put_str_if_changed, stamp, utc};
use bastide_proto::{ItemId, SpaceId};

/// The item kind of sites.
pub const SITE: &str = "cantine.site";
/// The item kind of month sheets.
pub const MONTH: &str = "cantine.month";

/// The categories a new site starts with.
pub const DEFAULT_CATEGORIES: [&str; 3] = ["maternelle", "élémentaire", "adulte"];

/// Most meals one cell may count: more is a typing error.
pub const MAX_COUNT: i64 = 2_000;
const MAX_NAME: usize = 200;
const MAX_CATEGORY: usize = 40;
const MAX_CATEGORIES: usize = 16;
/// Separates the day from the category in a cell's key, and the count from its time.
const SEP: char = '|';

/// What a person enters for a site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SiteInput {
    /// The school or site (École des Tilleuls).
    pub name: String,
    /// Its meal categories, in the order of the sheet's columns.
    pub categories: Vec<String>,
}

/// A site as the views show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    /// Item id.
    pub id: String,
    /// Space id.
    pub space: String,
    /// Name.
    pub name: String,
    /// Meal categories.
    pub categories: Vec<String>,
    /// Days closed by hand (school holidays...), YYYY-MM-DD, in order.
    pub closed_days: Vec<String>,
    /// In the trash.
    pub deleted: bool,
    /// When it was last changed.
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
}

/// One count of a cell, with who entered it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MealValue {
    /// The count.
    pub count: u32,
    /// The member's name (filled by the views).
    pub author: String,
    /// The device that entered it (hex).
    pub device: String,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// A cell of the month sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MealCell {
    /// The count shown and added up (none entered yet: `None`).
    pub count: Option<u32>,
    /// Every count entered concurrently, the shown one first; more than one is a
    /// conflict to settle.
    pub values: Vec<MealValue>,
}

/// A day of the month sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MealDay {
    /// YYYY-MM-DD.
    pub date: String,
    /// 1 for Monday to 7 for Sunday.
    pub weekday: u8,
    /// `""` when open, else `weekend`, `holiday` (public holiday) or `closed`.
    pub closed: String,
    /// The public holiday's name, if any.
    pub label: String,
    /// Cells by category.
    pub cells: BTreeMap<String, MealCell>,
}

/// A site's month sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MealMonth {
    /// The site's id.
    pub site: String,
    /// Its name.
    pub site_name: String,
    /// YYYY-MM.
    pub month: String,
    /// The columns.
    pub categories: Vec<String>,
    /// Every day of the month.
    pub days: Vec<MealDay>,
    /// Per category, the sum of the shown counts.
    pub totals: BTreeMap<String, u32>,
    /// Every category together.
    pub total: u32,
    /// Cells with concurrent counts still to settle.
    pub conflicts: u32,
}

impl SiteInput {
    /// Checks and normalises the input (trimmed, no duplicate or empty category).
    pub(crate) fn check(mut self) -> Result<Self, Error> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(Error::EmptyTitle);
        }
        if self.name.chars().count() > MAX_NAME {
            return Err(Error::InvalidInput(format!(
                "the name is longer than {MAX_NAME} characters"
            )));
        }
        let mut categories =
            crate::fields::clean_names(&self.categories, "category", MAX_CATEGORY, MAX_CATEGORIES)?;
        if categories.is_empty() {
            categories = DEFAULT_CATEGORIES.map(str::to_owned).to_vec();
        }
        self.categories = categories;
        Ok(self)
    }
}

/// Writes a checked site into a new or existing document.
pub(crate) fn write_site(
    doc: &mut AutoCommit,
    input: &SiteInput,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let before = doc.get_heads();
    put_str_if_changed(doc, "type", SITE)?;
    put_str_if_changed(doc, "name", &input.name)?;
    put_str_if_changed(doc, "categories", &input.categories.join("\n"))?;
    crate::fields::init_deleted(doc)?;
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Marks the days from `from` to `to` (included) closed or open again; one key per
/// day, so days closed on two computers merge.
pub(crate) fn write_closed(
    doc: &mut AutoCommit,
    from: Date,
    to: Date,
    closed: bool,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    if to < from || to - from > Duration::days(366) {
        return Err(Error::EndBeforeStart {
            start: day_text(from),
            end: day_text(to),
        });
    }
    let before = doc.get_heads();
    let mut day = from;
    while day <= to {
        let key = format!("closed/{}", day_text(day));
        if get_bool(doc, &key).unwrap_or(false) != closed {
            doc.put(ROOT, key.as_str(), closed)?;
        }
        day += Duration::days(1);
    }
    crate::fields::stamp_if_changed(doc, &before, by, now)
}

/// Reads a site document.
pub(crate) fn read_site(doc: &AutoCommit, space: SpaceId, id: ItemId) -> Site {
    let s = |k| get_str(doc, k).unwrap_or_default();
    let mut closed_days: Vec<String> = doc
        .keys(ROOT)
        .filter_map(|k| k.strip_prefix("closed/").map(str::to_owned))
        .filter(|day| get_bool(doc, &format!("closed/{day}")) == Some(true))
        .collect();
    closed_days.sort();
    Site {
        id: id.to_string(),
        space: space.to_string(),
        name: s("name"),
        categories: s("categories")
            .split('\n')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        closed_days,
        deleted: get_bool(doc, "deleted").unwrap_or(false),
        updated_at: s("updated_at"),
        updated_by: s("updated_by"),
    }
}

/// The id of a site's month sheet: the same on every computer.
pub(crate) fn month_id(site: ItemId, month: &str) -> ItemId {
    crate::fields::derived_id("bastide cantine month", &[&site.0, month.as_bytes()])
}

/// Checks a count typed or given: a whole number from 0 to [`MAX_COUNT`].
pub fn parse_count(text: &str) -> Result<u32, Error> {
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| Error::InvalidCount(format!("{text:?} is not a whole number")))?;
    check_count(n)
}

/// Checks a count: from 0 to [`MAX_COUNT`].
pub fn check_count(n: i64) -> Result<u32, Error> {
    if !(0..=MAX_COUNT).contains(&n) {
        return Err(Error::InvalidCount(format!(
            "{n} is not between 0 and {MAX_COUNT}"
        )));
    }
    u32::try_from(n).map_err(|_| Error::InvalidCount(n.to_string()))
}

/// Writes one count into a month sheet (new or existing). Writing a cell replaces
/// every concurrent value it had: that is how a conflict is settled.
pub(crate) fn write_count(
    doc: &mut AutoCommit,
    site: ItemId,
    day: Date,
    category: &str,
    count: u32,
    by: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let month = &day_text(day)[..7];
    put_str_if_changed(doc, "type", MONTH)?;
    put_str_if_changed(doc, "site", &site.to_string())?;
    put_str_if_changed(doc, "month", month)?;
    let key = format!("{}{SEP}{category}", day_text(day));
    let current = cell(doc, &key);
    if current.values.len() == 1 && current.count == Some(count) {
        return Ok(());
    }
    doc.put(ROOT, key.as_str(), format!("{count}{SEP}{}", utc(now)))?;
    stamp(doc, by, now)
}

/// Every value of a cell, the one Automerge shows first.
fn cell(doc: &AutoCommit, key: &str) -> MealCell {
    let parse = |value: &Value<'_>| match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => {
                let (count, at) = s.split_once(SEP)?;
                Some((count.parse::<u32>().ok()?, at.to_owned()))
            }
            _ => None,
        },
        Value::Object(_) => None,
    };
    let shown = doc
        .get(ROOT, key)
        .ok()
        .flatten()
        .and_then(|(v, id)| Some((parse(&v)?, id)));
    let mut values: Vec<(MealValue, bool)> = doc
        .get_all(ROOT, key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(value, id)| {
            let (count, at) = parse(&value)?;
            let is_shown = shown.as_ref().is_some_and(|(_, s)| *s == id);
            let device = match id {
                automerge::ObjId::Id(_, actor, _) => hex::encode(actor.to_bytes()),
                automerge::ObjId::Root => String::new(),
            };
            Some((
                MealValue {
                    count,
                    author: String::new(),
                    device,
                    at,
                },
                is_shown,
            ))
        })
        .collect();
    values.sort_by_key(|(_, shown)| !shown);
    MealCell {
        count: shown.map(|((count, _), _)| count),
        values: values.into_iter().map(|(v, _)| v).collect(),
    }
}

/// Writes a site into the projection.
pub(crate) async fn project_site(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    site: &Site,
) -> Result<(), Error> {
    let json = crate::fields::to_json(site)?;
    sqlx::query(
        "INSERT INTO cantine_sites (item, space, name, deleted, site) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(item) DO UPDATE SET name = excluded.name, deleted = excluded.deleted, site = excluded.site",
    )
    .bind(id.0.as_slice())
    .bind(space.0.as_slice())
    .bind(&site.name)
    .bind(site.deleted)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a month sheet's cells into the projection; returns the site's name-less
/// title ("YYYY-MM").
pub(crate) async fn project_month(
    conn: &mut SqliteConnection,
    id: ItemId,
    doc: &AutoCommit,
) -> Result<String, Error> {
    let site = get_str(doc, "site").and_then(|s| s.parse::<ItemId>().ok());
    let month = get_str(doc, "month").unwrap_or_default();
    sqlx::query("DELETE FROM meal_counts WHERE item = ?")
        .bind(id.0.as_slice())
        .execute(&mut *conn)
        .await?;
    let Some(site) = site else {
        return Ok(month);
    };
    let cells: Vec<(String, MealCell)> = doc
        .keys(ROOT)
        .filter(|k| k.contains(SEP))
        .map(|k| {
            let c = cell(doc, &k);
            (k, c)
        })
        .collect();
    for (key, cell) in cells {
        let Some((day, category)) = key.split_once(SEP) else {
            continue;
        };
        let Some(count) = cell.count else {
            continue;
        };
        let json = crate::fields::to_json(&cell.values)?;
        sqlx::query(
            "INSERT INTO meal_counts (site, day, category, count, conflict, item, cell) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(site, day, category) DO UPDATE SET count = excluded.count,
               conflict = excluded.conflict, item = excluded.item, cell = excluded.cell",
        )
        .bind(site.0.as_slice())
        .bind(day)
        .bind(category)
        .bind(i64::from(count))
        .bind(cell.values.len() > 1)
        .bind(id.0.as_slice())
        .bind(json)
        .execute(&mut *conn)
        .await?;
    }
    Ok(month)
}

/// The sites of a space, by name.
pub(crate) async fn sites(
    conn: &mut SqliteConnection,
    space: SpaceId,
    deleted: bool,
) -> Result<Vec<Site>, Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT site FROM cantine_sites WHERE space = ? AND deleted = ? ORDER BY name COLLATE NOCASE, item",
    )
    .bind(space.0.as_slice())
    .bind(deleted)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|(json,)| from_json(json)).collect()
}

/// One site.
pub(crate) async fn site(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
) -> Result<Option<Site>, Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT site FROM cantine_sites WHERE item = ? AND space = ?")
            .bind(id.0.as_slice())
            .bind(space.0.as_slice())
            .fetch_optional(conn)
            .await?;
    row.map(|(json,)| from_json(&json)).transpose()
}

/// Parses a month, YYYY-MM, into its first day.
pub fn parse_month(text: &str) -> Result<Date, Error> {
    let bad = || Error::InvalidInput(format!("{text:?} is not a month (YYYY-MM)"));
    let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u8 = month.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, 1).map_err(|_| bad())
}

/// A site's month sheet from the projection; authors are named by the views.
pub(crate) async fn month(conn: &mut SqliteConnection, site: &Site, first: Date) -> Result<MealMonth, Error> {
    let month = day_text(first)[..7].to_owned();
    let site_id: ItemId = site.id.parse()?;
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT day, category, count, cell FROM meal_counts WHERE site = ? AND day >= ? AND day < ?",
    )
    .bind(site_id.0.as_slice())
    .bind(format!("{month}-01"))
    .bind(format!("{month}-32"))
    .fetch_all(conn)
    .await?;
    let mut cells: BTreeMap<(String, String), MealCell> = BTreeMap::new();
    for (day, category, count, json) in rows {
        let values: Vec<MealValue> = from_json(&json)?;
        let count = u32::try_from(count).ok();
        cells.insert((day, category), MealCell { count, values });
    }
    let mut days = Vec::new();
    let mut totals: BTreeMap<String, u32> = site.categories.iter().map(|c| (c.clone(), 0)).collect();
    let mut conflicts = 0;
    let mut day = first;
    while day.month() == first.month() {
        let date = day_text(day);
        let holiday = public_holiday(day);
        let closed = if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            "weekend"
        } else if holiday.is_some() {
            "holiday"
        } else if site.closed_days.binary_search(&date).is_ok() {
            "closed"
        } else {
            ""
        };
        let mut day_cells = BTreeMap::new();
        for category in &site.categories {
            let cell = cells
                .remove(&(date.clone(), category.clone()))
                .unwrap_or_default();
            if let (Some(count), Some(total)) = (cell.count, totals.get_mut(category)) {
                *total += count;
            }
            if cell.values.len() > 1 {
                conflicts += 1;
            }
            day_cells.insert(category.clone(), cell);
        }
        days.push(MealDay {
            date,
            weekday: day.weekday().number_from_monday(),
            closed: closed.to_owned(),
            label: holiday.unwrap_or_default().to_owned(),
            cells: day_cells,
        });
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    let total = totals.values().sum();
    Ok(MealMonth {
        site: site.id.clone(),
        site_name: site.name.clone(),
        month,
        categories: site.categories.clone(),
        days,
        totals,
        total,
        conflicts,
    })
}

/// YYYY-MM-DD.
pub(crate) fn day_text(day: Date) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

/// Easter Sunday of `year` (Gregorian computus).
fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(
        year,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()
}

/// The French public holiday on `day`, if any.
pub fn public_holiday(day: Date) -> Option<&'static str> {
    let fixed = match (day.month(), day.day()) {
        (Month::January, 1) => Some("Jour de l’an"),
        (Month::May, 1) => Some("Fête du travail"),
        (Month::May, 8) => Some("Victoire 1945"),
        (Month::July, 14) => Some("Fête nationale"),
        (Month::August, 15) => Some("Assomption"),
        (Month::November, 1) => Some("Toussaint"),
        (Month::November, 11) => Some("Armistice 1918"),
        (Month::December, 25) => Some("Noël"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter(day.year())?;
    match (day - easter).whole_days() {
        1 => Some("Lundi de Pâques"),
        39 => Some("Ascension"),
        50 => Some("Lundi de Pentecôte"),
        _ => None,
    }
}

/// Export formats of a month sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Semicolon-separated, UTF-8 with a byte-order mark (what French spreadsheets open).
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl std::str::FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            other => Err(Error::InvalidInput(format!(
                "unknown export format {other:?} (csv, xlsx)"
            ))),
        }
    }
}

/// A day's row of an export: the date, the count per category, their sum.
type ExportRow = (String, Vec<Option<u32>>, u32);

/// The rows of an export: the header, one row per day that is open or has counts,
/// then the totals. Cells are the shown values.
fn export_rows(sheet: &MealMonth) -> (Vec<String>, Vec<ExportRow>, Vec<u32>) {
    let mut header = vec!["Date".to_owned()];
    header.extend(sheet.categories.iter().cloned());
    header.push("Total".to_owned());
    let mut rows = Vec::new();
    for day in &sheet.days {
        let counts: Vec<Option<u32>> = sheet
            .categories
            .iter()
            .map(|c| day.cells.get(c).and_then(|cell| cell.count))
            .collect();
        if !day.closed.is_empty() && counts.iter().all(Option::is_none) {
            continue;
        }
        let sum = counts.iter().flatten().sum();
        rows.push((day.date.clone(), counts, sum));
    }
    let mut totals: Vec<u32> = sheet
        .categories
        .iter()
        .map(|c| sheet.totals.get(c).copied().unwrap_or(0))
        .collect();
    totals.push(sheet.total);
    (header, rows, totals)
}

/// The CSV bytes of a month sheet.
pub fn csv(sheet: &MealMonth) -> Vec<u8> {
    let field = crate::export::csv_field;
    let (header, rows, totals) = export_rows(sheet);
    let mut out = String::from("\u{feff}");
    out.push_str(&header.iter().map(|h| field(h)).collect::<Vec<_>>().join(";"));
    out.push_str("\r\n");
    for (date, counts, sum) in rows {
        let mut line = vec![date];
        line.extend(
            counts
                .iter()
                .map(|c| c.map(|n| n.to_string()).unwrap_or_default()),
        );
        line.push(sum.to_string());
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    let mut line = vec!["Total".to_owned()];
    line.extend(totals.iter().map(u32::to_string));
    out.push_str(&line.join(";"));
    out.push_str("\r\n");
    out.into_bytes()
}

/// The XLSX bytes of a month sheet.
pub fn xlsx(sheet: &MealMonth) -> Result<Vec<u8>, Error> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| Error::InvalidInput(format!("cannot build the workbook: {e}"));
    let (header, rows, totals) = export_rows(sheet);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let page = book.add_worksheet();
    let title: String = format!("{} {}", sheet.site_name, sheet.month)
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    page.set_name(title.trim()).map_err(fail)?;
    for (col, name) in header.iter().enumerate() {
        let col = u16::try_from(col).map_err(|_| Error::InvalidInput("too many categories".into()))?;
        page.write_string_with_format(0, col, name, &bold).map_err(fail)?;
    }
    let mut row = 1u32;
    for (date, counts, sum) in &rows {
        page.write_string(row, 0, date).map_err(fail)?;
        let mut col = 1u16;
        for count in counts {
            if let Some(n) = count {
                page.write_number(row, col, f64::from(*n)).map_err(fail)?;
            }
            col += 1;
        }
        page.write_number(row, col, f64::from(*sum)).map_err(fail)?;
        row += 1;
    }
    page.write_string_with_format(row, 0, "Total", &bold)
        .map_err(fail)?;
    for (i, total) in totals.iter().enumerate() {
        let col = u16::try_from(i + 1).map_err(|_| Error::InvalidInput("too many categories".into()))?;
        page.write_number_with_format(row, col, f64::from(*total), &bold)
            .map_err(fail)?;
    }
    page.set_column_width(0, 12).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn french_public_holidays_include_the_moving_ones() {
        assert_eq!(easter(2027), Some(date!(2027 - 03 - 28)));
        assert_eq!(easter(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(public_holiday(date!(2027 - 03 - 29)), Some("Lundi de Pâques"));
        assert_eq!(public_holiday(date!(2027 - 05 - 06)), Some("Ascension"));
        assert_eq!(public_holiday(date!(2027 - 05 - 17)), Some("Lundi de Pentecôte"));
        assert_eq!(public_holiday(date!(2026 - 11 - 11)), Some("Armistice 1918"));
        assert_eq!(public_holiday(date!(2026 - 11 - 12)), None);
    }

    #[test]
    fn counts_must_be_whole_numbers_from_zero_to_the_maximum() {
        assert_eq!(parse_count(" 42 ").unwrap(), 42);
        assert_eq!(parse_count("0").unwrap(), 0);
        for bad in ["-1", "2001", "12.5", "douze", ""] {
            assert!(matches!(parse_count(bad), Err(Error::InvalidCount(_))), "{bad}");
        }
    }

    #[test]
    fn site_input_is_trimmed_and_gets_default_categories() {
        let site = SiteInput {
            name: "  École des Tilleuls ".into(),
            categories: vec![" sans porc ".into(), "".into(), "sans porc".into()],
        }
        .check()
        .unwrap();
        assert_eq!(site.name, "École des Tilleuls");
        assert_eq!(site.categories, ["sans porc"]);
        let default = SiteInput {
            name: "Cantine".into(),
            categories: vec![],
        }
        .check()
        .unwrap();
        assert_eq!(default.categories, DEFAULT_CATEGORIES);
        let bad = SiteInput {
            name: "Cantine".into(),
            categories: vec!["a|b".into()],
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn two_offline_counts_for_a_cell_are_both_kept_and_one_settles_them() {
        let site = ItemId::random();
        let day = date!(2027 - 01 - 12);
        let now = OffsetDateTime::now_utc();
        let mut a = AutoCommit::new();
        write_count(&mut a, site, day, "maternelle", 20, "A", now).unwrap();
        let mut b = a.fork();
        write_count(&mut a, site, day, "maternelle", 24, "A", now).unwrap();
        write_count(&mut b, site, day, "maternelle", 25, "B", now).unwrap();
        a.merge(&mut b).unwrap();
        let key = "2027-01-12|maternelle";
        let both = cell(&a, key);
        let mut counts: Vec<u32> = both.values.iter().map(|v| v.count).collect();
        counts.sort();
        assert_eq!(counts, [24, 25]);
        assert_eq!(
            both.count,
            Some(both.values[0].count),
            "the shown value comes first"
        );
        write_count(&mut a, site, day, "maternelle", 24, "A", now).unwrap();
        let settled = cell(&a, key);
        assert_eq!(settled.values.len(), 1);
        assert_eq!(settled.count, Some(24));
    }

    #[test]
    fn csv_has_one_row_per_open_day_and_totals() {
        let mut cells = BTreeMap::new();
        cells.insert(
            "maternelle".to_owned(),
            MealCell {
                count: Some(12),
                values: vec![],
            },
        );
        let day = |date: &str, weekday, closed: &str, cells: BTreeMap<String, MealCell>| MealDay {
            date: date.into(),
            weekday,
            closed: closed.into(),
            label: String::new(),
            cells,
        };
        let sheet = MealMonth {
            site: String::new(),
            site_name: "École; Tilleuls".into(),
            month: "2027-01".into(),
            categories: vec!["maternelle".into(), "adulte".into()],
            days: vec![
                day("2027-01-01", 5, "holiday", BTreeMap::new()),
                day("2027-01-04", 1, "", cells),
            ],
            totals: [("maternelle".to_owned(), 12), ("adulte".to_owned(), 0)].into(),
            total: 12,
            conflicts: 0,
        };
        let text = String::from_utf8(csv(&sheet)).unwrap();
        assert_eq!(
            text,
            "\u{feff}Date;maternelle;adulte;Total\r\n2027-01-04;12;;12\r\nTotal;12;0;12\r\n"
        );
        let book = xlsx(&sheet).unwrap();
        assert_eq!(&book[..2], b"PK", "an XLSX file is a zip archive");
    }
}

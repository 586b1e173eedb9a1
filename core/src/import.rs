//! Reading a directory from another program: a spreadsheet saved as CSV (Excel,
//! LibreOffice, a webmail's export) or an address book in vCard (a phone, Thunderbird,
//! Outlook). This module only reads: it turns bytes into checked [`CardInput`]s and a
//! list of [`ImportProblem`]s, each with the line it was found on. The profile writes
//! the cards only when there is no problem at all, in one transaction, so a malformed
//! file never leaves half a directory behind.
//!
//! What real files look like, and is therefore accepted:
//! - CSV with `;` (French Excel), `,` or tabs, chosen from the header line; quoted
//!   cells with doubled quotes and line breaks inside; UTF-8 with or without a byte
//!   order mark, UTF-16 with one (Excel's « Texte Unicode »), or Windows-1252
//!   (Excel's « CSV (séparateur : point-virgule) »).
//! - Column titles in French or English, any case, with or without accents: « Nom »,
//!   « Prénom » and « Nom » apart, « Téléphone », « Portable », « Courriel »,
//!   « Code postal »… Columns Bastide has no field for are named in the preview and
//!   left out; they are not an error.
//! - Dates as `2027-01-31` or `31/01/2027`.
//! - vCard 2.1, 3.0 and 4.0: folded lines, escaped `\,` `\;` `\n`, several TEL and
//!   EMAIL, and vCard 2.1's quoted-printable values.

use serde::Serialize;

use crate::directory::CardInput;

/// The largest file read: a directory of a few thousand cards is well below.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// The most problems kept to show; the count says how many there were.
pub const MAX_PROBLEMS: usize = 100;
/// Longest value of a field (as the directory allows).
const MAX_FIELD: usize = 500;
/// Longest notes (as the directory allows).
const MAX_NOTES: usize = 20_000;

/// What kind of file it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// A table: one card per line after the column titles.
    Csv,
    /// An address book: `BEGIN:VCARD` … `END:VCARD` blocks.
    Vcard,
}

/// Why a file, or one of its lines, cannot be imported. The UI says each in French.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Problem {
    /// The file holds no card at all.
    Empty,
    /// The file is larger than [`MAX_IMPORT_BYTES`].
    TooLarge {
        /// The limit.
        max_bytes: usize,
    },
    /// Neither a table nor an address book (a PDF or a picture renamed, for example).
    UnknownFormat,
    /// The column titles name no column for the name.
    NoNameColumn,
    /// A quoted cell is never closed: the rest of the file would be one cell.
    UnclosedQuote,
    /// A line has more cells than there are columns.
    TooManyCells {
        /// Columns in the title line.
        expected: usize,
        /// Cells on this line.
        found: usize,
    },
    /// A card without a name.
    MissingName,
    /// A date that is neither `YYYY-MM-DD` nor `DD/MM/YYYY`.
    InvalidDate {
        /// The field (`status_from`, `status_until`).
        field: String,
        /// What the file says.
        value: String,
    },
    /// A status that is neither titulaire nor remplaçant.
    InvalidStatus {
        /// What the file says.
        value: String,
    },
    /// A card type that is neither a person nor an organisation.
    InvalidKind {
        /// What the file says.
        value: String,
    },
    /// A value longer than the directory keeps.
    TooLong {
        /// The field.
        field: String,
        /// Its limit in characters.
        max: usize,
    },
    /// vCard: `BEGIN:VCARD` with no `END:VCARD`.
    UnterminatedCard,
    /// vCard: a line outside any card.
    OutsideCard,
    /// vCard: a line without `:` between its name and value.
    MalformedLine,
    /// Some other rule of the directory (the English detail says which).
    Invalid {
        /// What the directory said.
        detail: String,
    },
}

/// A problem and where: `line` counts from 1; 0 means the whole file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportProblem {
    /// The line of the file (the first line of the card or table row), or 0.
    pub line: usize,
    /// What is wrong.
    #[serde(flatten)]
    pub problem: Problem,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        match &self.problem {
            Problem::Empty => write!(f, "the file holds no card"),
            Problem::TooLarge { max_bytes } => write!(f, "the file is larger than {max_bytes} bytes"),
            Problem::UnknownFormat => write!(f, "neither a CSV table nor a vCard address book"),
            Problem::NoNameColumn => write!(f, "no column gives the name (Nom, Name…)"),
            Problem::UnclosedQuote => write!(f, "a quoted cell is never closed"),
            Problem::TooManyCells { expected, found } => {
                write!(f, "{found} cells, but the title line has {expected} columns")
            }
            Problem::MissingName => write!(f, "the name is missing"),
            Problem::InvalidDate { field, value } => write!(f, "{field}: {value:?} is not a date"),
            Problem::InvalidStatus { value } => {
                write!(f, "status {value:?} is neither titulaire nor remplaçant")
            }
            Problem::InvalidKind { value } => {
                write!(f, "type {value:?} is neither a person nor an organisation")
            }
            Problem::TooLong { field, max } => write!(f, "{field} is longer than {max} characters"),
            Problem::UnterminatedCard => write!(f, "BEGIN:VCARD without END:VCARD"),
            Problem::OutsideCard => write!(f, "a line outside BEGIN:VCARD … END:VCARD"),
            Problem::MalformedLine => write!(f, "a vCard line without ':'"),
            Problem::Invalid { detail } => write!(f, "{detail}"),
        }
    }
}

/// A file read: the cards it holds (each with its line), or what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// What kind of file it was, when that could be told.
    pub format: Option<ImportFormat>,
    /// Checked cards with the line each starts on.
    pub cards: Vec<(usize, CardInput)>,
    /// Every problem found (the whole file is read, so all are listed at once).
    pub problems: Vec<ImportProblem>,
    /// Column titles (CSV) or properties (vCard) that have no field here.
    pub ignored: Vec<String>,
}

/// Reads a CSV table or a vCard address book.
pub fn parse(bytes: &[u8]) -> Parsed {
    if bytes.len() > MAX_IMPORT_BYTES {
        return too_large();
    }
    let Some(text) = decode(bytes) else {
        return whole_file(None, Problem::UnknownFormat);
    };
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let mut parsed = match first {
        None => return whole_file(None, Problem::Empty),
        Some(line) if line.to_ascii_uppercase().starts_with("BEGIN:VCARD") => vcard(&text),
        Some(_) => csv(&text),
    };
    if parsed.cards.is_empty() && parsed.problems.is_empty() {
        parsed.problems.push(ImportProblem {
            line: 0,
            problem: Problem::Empty,
        });
    }
    parsed
}

/// What [`parse`] says of a file over [`MAX_IMPORT_BYTES`], for callers that know
/// its size without reading it.
pub(crate) fn too_large() -> Parsed {
    whole_file(
        None,
        Problem::TooLarge {
            max_bytes: MAX_IMPORT_BYTES,
        },
    )
}

fn whole_file(format: Option<ImportFormat>, problem: Problem) -> Parsed {
    Parsed {
        format,
        problems: vec![ImportProblem { line: 0, problem }],
        ..Parsed::default()
    }
}

/// The file as text: UTF-16 with its byte order mark (Excel's « Texte Unicode »),
/// UTF-8 (a byte order mark dropped), else Windows-1252, which is what French Excel
/// writes as CSV. `None` for what is clearly not text (NUL bytes, control characters).
fn decode(bytes: &[u8]) -> Option<String> {
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, had_errors) = encoding.decode_without_bom_handling(rest);
            return (!had_errors && !text.contains('\0')).then(|| text.into_owned());
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_owned()),
        Err(_) => {
            let (text, had_errors) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            // Windows-1252 maps almost every byte; control characters other than
            // line breaks and tabs mean a binary file.
            let binary = text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
            (!had_errors && !binary).then(|| text.into_owned())
        }
    }
}

/// Lower case, accents and everything but letters and digits dropped: how column
/// titles and duplicate names are compared.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'œ' => "oe",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => continue,
        };
        out.push_str(plain);
    }
    out
}

// ----- CSV -----

/// Which field a column fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    FirstName,
    LastName,
    Kind,
    Organisation,
    Function,
    Commune,
    PostCode,
    Discipline,
    Specialties,
    Status,
    StatusFrom,
    StatusUntil,
    Phone,
    Email,
    Address,
    Notes,
}

/// The column a title names, folded: French first, then English.
fn column(title: &str) -> Option<Column> {
    use Column::*;
    Some(match fold(title).as_str() {
        "nom" | "nomcomplet" | "nometprenom" | "prenometnom" | "name" | "fullname" | "displayname"
        | "contact" | "raisonsociale" => Name,
        "prenom" | "firstname" | "givenname" => FirstName,
        "nomdefamille" | "lastname" | "surname" | "familyname" => LastName,
        "type" | "kind" | "categorie" => Kind,
        "organisation" | "organisme" | "structure" | "collectivite" | "etablissement" | "employeur"
        | "societe" | "entreprise" | "organization" | "company" => Organisation,
        "fonction" | "poste" | "titre" | "qualite" | "function" | "jobtitle" | "title" | "role" => Function,
        "commune" | "ville" | "localite" | "city" | "town" => Commune,
        "codepostal" | "cp" | "postcode" | "zipcode" | "zip" => PostCode,
        "discipline" | "profession" | "metier" | "specialty" => Discipline,
        "specialites" | "specialite" | "specialties" => Specialties,
        "statut" | "status" => Status,
        "debut" | "du" | "datedebut" | "depuis" | "from" | "startdate" => StatusFrom,
        "fin" | "au" | "datefin" | "jusquau" | "until" | "enddate" => StatusUntil,
        "telephone"
        | "tel"
        | "telfixe"
        | "telportable"
        | "portable"
        | "mobile"
        | "fixe"
        | "telephoneprofessionnel"
        | "phone"
        | "telephonenumber"
        | "mobilephone"
        | "businessphone" => Phone,
        "email" | "mail" | "courriel" | "adressemail" | "adresseemail" | "adressecourriel"
        | "emailaddress" => Email,
        "adresse" | "adressepostale" | "rue" | "address" | "street" => Address,
        "notes" | "note" | "remarques" | "remarque" | "commentaire" | "commentaires" | "observations"
        | "comments" => Notes,
        _ => return None,
    })
}

/// The separator the title line uses: the one of `;`, tab and `,` it has most of,
/// outside quotes (`;` when none: a one-column table).
fn separator(title_line: &str) -> char {
    let mut counts = [(';', 0usize), ('\t', 0), (',', 0)];
    let mut quoted = false;
    for c in title_line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(s, _)| *s == c) {
            entry.1 += 1;
        }
    }
    // The first of the highest counts: `;` wins ties, as French files use it.
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .find(|(_, n)| *n == best && best > 0)
        .map_or(';', |(s, _)| *s)
}

/// A table's records, each with the line it starts on. A quote left open is reported
/// with the line where it opened, and ends the reading.
fn records(text: &str, sep: char) -> (Vec<(usize, Vec<String>)>, Option<usize>) {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut row_line = 1;
    let mut quoted = false;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
                quote_line = line;
            }
            c if c == sep => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut cell));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            c => cell.push(c),
        }
    }
    if quoted {
        return (rows, Some(quote_line));
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push((row_line, row));
    }
    (rows, None)
}

fn csv(text: &str) -> Parsed {
    let mut parsed = Parsed {
        format: Some(ImportFormat::Csv),
        ..Parsed::default()
    };
    let title_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let (rows, open_quote) = records(text, separator(title_line));
    if let Some(line) = open_quote {
        parsed.problems.push(ImportProblem {
            line,
            problem: Problem::UnclosedQuote,
        });
        return parsed;
    }
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((title_at, titles)) = rows.next() else {
        parsed.problems.push(ImportProblem {
            line: 0,
            problem: Problem::Empty,
        });
        return parsed;
    };
    let columns: Vec<Option<Column>> = titles.iter().map(|t| column(t)).collect();
    parsed.ignored = titles
        .iter()
        .zip(&columns)
        .filter(|(t, c)| c.is_none() && !t.trim().is_empty())
        .map(|(t, _)| t.trim().to_owned())
        .collect();
    let named = columns
        .iter()
        .any(|c| matches!(c, Some(Column::Name | Column::FirstName | Column::LastName)));
    if !named {
        parsed.problems.push(ImportProblem {
            line: title_at,
            problem: Problem::NoNameColumn,
        });
        return parsed;
    }
    for (line, cells) in rows {
        // Spreadsheets often end rows with empty cells past the last column.
        let used = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |i| i + 1);
        if used > columns.len() {
            parsed.problems.push(ImportProblem {
                line,
                problem: Problem::TooManyCells {
                    expected: columns.len(),
                    found: used,
                },
            });
            continue;
        }
        let mut row = Row::default();
        for (cell, column) in cells.iter().zip(&columns) {
            if let Some(column) = column {
                row.set(*column, cell.trim());
            }
        }
        match row.into_card() {
            Ok(card) => parsed.cards.push((line, card)),
            Err(problems) => parsed.problems.extend(
                problems
                    .into_iter()
                    .map(|problem| ImportProblem { line, problem }),
            ),
        }
    }
    parsed
}

/// The values of one card as the file gives them, before they are checked.
#[derive(Default)]
struct Row {
    name: String,
    first_name: String,
    last_name: String,
    kind: String,
    organisation: String,
    function: String,
    commune: String,
    post_code: String,
    discipline: String,
    specialties: String,
    status: String,
    status_from: String,
    status_until: String,
    phones: Vec<String>,
    emails: Vec<String>,
    address: String,
    notes: String,
}

impl Row {
    fn set(&mut self, column: Column, value: &str) {
        if value.is_empty() {
            return;
        }
        let target = match column {
            Column::Phone => return self.phones.push(value.to_owned()),
            Column::Email => return self.emails.push(value.to_owned()),
            Column::Name => &mut self.name,
            Column::FirstName => &mut self.first_name,
            Column::LastName => &mut self.last_name,
            Column::Kind => &mut self.kind,
            Column::Organisation => &mut self.organisation,
            Column::Function => &mut self.function,
            Column::Commune => &mut self.commune,
            Column::PostCode => &mut self.post_code,
            Column::Discipline => &mut self.discipline,
            Column::Specialties => &mut self.specialties,
            Column::Status => &mut self.status,
            Column::StatusFrom => &mut self.status_from,
            Column::StatusUntil => &mut self.status_until,
            Column::Address => &mut self.address,
            Column::Notes => &mut self.notes,
        };
        // Two columns for one field (two address lines, two note columns): both kept.
        if !target.is_empty() {
            target.push('\n');
        }
        target.push_str(value);
    }

    /// The card, checked as the directory checks a form, or every problem it has.
    fn into_card(self) -> Result<CardInput, Vec<Problem>> {
        let mut problems = Vec::new();
        // « Prénom » and « Nom » apart: then « Nom » is the family name.
        let name = [
            self.first_name.as_str(),
            self.name.as_str(),
            self.last_name.as_str(),
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        if name.is_empty() {
            problems.push(Problem::MissingName);
        }
        let kind = match fold(&self.kind).as_str() {
            "" | "personne" | "person" | "individu" | "individual" | "contact" => "person",
            "organisation" | "organization" | "org" | "structure" | "organisme" | "etablissement"
            | "entreprise" | "societe" | "collectivite" => "organisation",
            _ => {
                problems.push(Problem::InvalidKind { value: self.kind });
                ""
            }
        };
        let status = match fold(&self.status).as_str() {
            "" => "",
            "titulaire" => "titulaire",
            "remplacant" | "remplacante" => "remplaçant",
            _ => {
                problems.push(Problem::InvalidStatus { value: self.status });
                ""
            }
        };
        let mut date = |field: &str, value: String| match iso_date(&value) {
            Some(date) => date,
            None => {
                problems.push(Problem::InvalidDate {
                    field: field.to_owned(),
                    value,
                });
                String::new()
            }
        };
        let status_from = date("status_from", self.status_from);
        let status_until = date("status_until", self.status_until);
        let address = match (self.address.is_empty(), self.post_code.is_empty()) {
            (_, true) => self.address,
            (true, false) => [self.post_code, self.commune.clone()].join(" ").trim().to_owned(),
            (false, false) => format!("{}\n{} {}", self.address, self.post_code, self.commune)
                .trim()
                .to_owned(),
        };
        let card = CardInput {
            name,
            kind: kind.to_owned(),
            organisation: self.organisation,
            function: self.function,
            commune: self.commune,
            discipline: self.discipline,
            specialties: self.specialties,
            status: status.to_owned(),
            status_from,
            status_until,
            phone: self.phones.join("\n"),
            email: self.emails.join("\n"),
            address,
            notes: self.notes,
            public: Vec::new(),
        };
        for (field, value) in [
            ("name", &card.name),
            ("organisation", &card.organisation),
            ("function", &card.function),
            ("commune", &card.commune),
            ("discipline", &card.discipline),
            ("specialties", &card.specialties),
            ("phone", &card.phone),
            ("email", &card.email),
            ("address", &card.address),
        ] {
            if value.chars().count() > MAX_FIELD {
                problems.push(Problem::TooLong {
                    field: field.to_owned(),
                    max: MAX_FIELD,
                });
            }
        }
        if card.notes.chars().count() > MAX_NOTES {
            problems.push(Problem::TooLong {
                field: "notes".to_owned(),
                max: MAX_NOTES,
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // The directory's own rules, as for a card typed in the form.
        card.check().map_err(|e| {
            vec![Problem::Invalid {
                detail: e.to_string(),
            }]
        })
    }
}

/// `YYYY-MM-DD` from `YYYY-MM-DD` or `DD/MM/YYYY` (also with `-` or `.`), empty
/// from empty; `None` when it is no date.
fn iso_date(text: &str) -> Option<String> {
    use time::format_description::well_known::Iso8601;
    let text = text.trim();
    if text.is_empty() {
        return Some(String::new());
    }
    if let Ok(date) = time::Date::parse(text, &Iso8601::DATE) {
        return Some(date.to_string());
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let (day, month, year): (u8, u8, i32) = (day.parse().ok()?, month.parse().ok()?, year.parse().ok()?);
    if !(1900..=2200).contains(&year) {
        return None;
    }
    let month = time::Month::try_from(month).ok()?;
    time::Date::from_calendar_date(year, month, day)
        .ok()
        .map(|d| d.to_string())
}

// ----- vCard -----

/// One content line of a card: its name, parameters and value, as written.
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    /// Reads `NAME;PARAM=X;TYPE=Y:value` (a group prefix like `item1.` dropped).
    fn parse(line: &str) -> Option<Self> {
        let (head, value) = split_unquoted(line, ':')?;
        let mut parts = head.split(';');
        let name = parts.next()?.trim();
        let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
        let params = parts
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim_matches('"').to_owned()),
                // vCard 2.1 writes bare types: `TEL;CELL:…`, `NOTE;QUOTED-PRINTABLE:…`.
                None => (String::from("TYPE"), p.trim().to_owned()),
            })
            .collect();
        Some(Self {
            name,
            params,
            value: value.to_owned(),
        })
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn quoted_printable(&self) -> bool {
        self.params
            .iter()
            .any(|(k, v)| (k == "ENCODING" || k == "TYPE") && v.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
    }

    /// The value with quoted-printable decoded (vCard 2.1), not yet unescaped.
    fn raw(&self) -> String {
        if !self.quoted_printable() {
            return self.value.clone();
        }
        let bytes = decode_quoted_printable(&self.value);
        let utf8 = self
            .param("CHARSET")
            .is_none_or(|c| c.eq_ignore_ascii_case("UTF-8"));
        match (utf8, String::from_utf8(bytes.clone())) {
            (true, Ok(text)) => text,
            _ => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&bytes)
                .0
                .into_owned(),
        }
    }

    /// The structured value's components (`;`-separated), unescaped.
    fn components(&self) -> Vec<String> {
        split_escaped(&self.raw(), ';')
            .iter()
            .map(|c| unescape(c))
            .collect()
    }

    /// The value as text, unescaped, with plain line breaks.
    fn text(&self) -> String {
        unescape(&self.raw()).replace("\r\n", "\n").trim().to_owned()
    }
}

/// Splits at the first `sep` outside double quotes (parameter values may hold `:`).
fn split_unquoted(line: &str, sep: char) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == sep && !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

/// Splits at each `sep` not preceded by a backslash; the pieces keep their escapes.
fn split_escaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let current = parts.last_mut().expect("parts is never empty");
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if c == sep {
            parts.push(String::new());
        } else {
            current.push(c);
        }
    }
    parts
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn decode_quoted_printable(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(text) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(text, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The logical lines of an address book, each with the line it starts on: folded
/// lines (a continuation starts with a space or a tab) are joined, and so are
/// vCard 2.1's quoted-printable soft line breaks (a value ending in `=`).
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(last) = lines.last_mut() {
            if soft_break {
                last.1.pop();
                last.1.push_str(raw.trim_start());
                soft_break =
                    last.1.ends_with('=') && last.1.to_ascii_uppercase().contains("QUOTED-PRINTABLE");
                continue;
            }
            if let Some(rest) = raw.strip_prefix([' ', '\t']) {
                last.1.push_str(rest);
                continue;
            }
        }
        if raw.trim().is_empty() {
            continue;
        }
        soft_break = raw.ends_with('=') && raw.to_ascii_uppercase().contains("QUOTED-PRINTABLE");
        lines.push((i + 1, raw.to_owned()));
    }
    lines
}

fn vcard(text: &str) -> Parsed {
    let mut parsed = Parsed {
        format: Some(ImportFormat::Vcard),
        ..Parsed::default()
    };
    let mut card: Option<(usize, Vec<Property>)> = None;
    let mut ignored = std::collections::BTreeSet::new();
    for (line, content) in unfold(text) {
        let upper = content.trim().to_ascii_uppercase();
        if upper == "BEGIN:VCARD" {
            if let Some((start, _)) = card.take() {
                parsed.problems.push(ImportProblem {
                    line: start,
                    problem: Problem::UnterminatedCard,
                });
            }
            card = Some((line, Vec::new()));
            continue;
        }
        if upper == "END:VCARD" {
            match card.take() {
                Some((start, properties)) => match vcard_row(properties, &mut ignored).into_card() {
                    Ok(c) => parsed.cards.push((start, c)),
                    Err(problems) => parsed.problems.extend(
                        problems
                            .into_iter()
                            .map(|problem| ImportProblem { line: start, problem }),
                    ),
                },
                None => parsed.problems.push(ImportProblem {
                    line,
                    problem: Problem::OutsideCard,
                }),
            }
            continue;
        }
        let Some((_, properties)) = card.as_mut() else {
            parsed.problems.push(ImportProblem {
                line,
                problem: Problem::OutsideCard,
            });
            continue;
        };
        match Property::parse(&content) {
            Some(property) => properties.push(property),
            None => parsed.problems.push(ImportProblem {
                line,
                problem: Problem::MalformedLine,
            }),
        }
    }
    if let Some((start, _)) = card {
        parsed.problems.push(ImportProblem {
            line: start,
            problem: Problem::UnterminatedCard,
        });
    }
    parsed.ignored = ignored.into_iter().collect();
    parsed
}

/// Properties every card has that carry nothing to keep.
const VCARD_PLUMBING: [&str; 6] = ["VERSION", "PRODID", "UID", "REV", "X-ABUID", "CATEGORIES"];

fn vcard_row(properties: Vec<Property>, ignored: &mut std::collections::BTreeSet<String>) -> Row {
    let mut row = Row::default();
    let mut structured_name = String::new();
    for property in properties {
        match property.name.as_str() {
            "FN" => row.name = property.text(),
            "N" => {
                // Family; Given; Additional; Prefixes; Suffixes.
                let parts = property.components();
                let pick = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
                structured_name = [pick(3), pick(1), pick(2), pick(0), pick(4)]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            "ORG" => {
                let parts = property.components();
                row.organisation = parts.first().map(|s| s.trim().to_owned()).unwrap_or_default();
            }
            "TITLE" | "ROLE" => {
                if row.function.is_empty() {
                    row.function = property.text();
                }
            }
            "TEL" => row.set(Column::Phone, &property.text()),
            "EMAIL" => row.set(Column::Email, &property.text()),
            "NOTE" => row.set(Column::Notes, &property.text()),
            "KIND" | "X-ADDRESSBOOKSERVER-KIND" => row.kind = property.text(),
            "ADR" => {
                // PO box; extended; street; locality; region; post code; country.
                let parts = property.components();
                let pick = |i: usize| parts.get(i).map(|s| s.trim().to_owned()).unwrap_or_default();
                let street = [pick(0), pick(1), pick(2)]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                let town = [pick(5), pick(3)]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                let address = [street, town]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                if row.address.is_empty() {
                    row.address = address;
                    if row.commune.is_empty() {
                        row.commune = pick(3);
                    }
                }
            }
            name if VCARD_PLUMBING.contains(&name) => {}
            other => {
                ignored.insert(other.to_owned());
            }
        }
    }
    if row.name.is_empty() {
        row.name = structured_name;
    }
    // A card with an organisation but no name (KIND:org, or an address book's
    // company card) is the organisation's.
    if row.name.is_empty() && !row.organisation.is_empty() {
        row.name = row.organisation.clone();
        row.kind = "organisation".into();
    }
    if fold(&row.kind) == "org" {
        row.kind = "organisation".into();
    }
    if fold(&row.kind) == "individual" {
        row.kind.clear();
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(parsed: &Parsed) -> Vec<&str> {
        parsed.cards.iter().map(|(_, c)| c.name.as_str()).collect()
    }

    #[test]
    fn a_french_excel_table_is_read() {
        // Semicolons, a byte order mark, French titles with accents, first and last
        // names apart, a quoted cell with a line break and a doubled quote, French
        // dates, a trailing empty cell, an empty row.
        let text = "\u{feff}Prénom;Nom;Organisme;Fonction;Téléphone;Portable;Courriel;Adresse;Code postal;Commune;Statut;Du;Au;Couleur préférée\r\n\
            Anne;Roux;Maison de santé;Médecin;05 65 40 00 01;06 12 34 56 78;anne.roux@exemple.fr;\"2 rue des Écoles\nBâtiment \"\"B\"\"\";46160;Cajarc;Remplaçante;01/02/2027;2027-03-31;bleu;\r\n\
            ;;;;;;;;;;;;;\r\n\
            ;Mairie de Cajarc;Mairie de Cajarc;;05 65 40 65 20;;;;;;;;;\r\n";
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.problems, vec![]);
        assert_eq!(parsed.format, Some(ImportFormat::Csv));
        assert_eq!(names(&parsed), vec!["Anne Roux", "Mairie de Cajarc"]);
        assert_eq!(parsed.ignored, vec!["Couleur préférée"]);
        let (line, anne) = &parsed.cards[0];
        assert_eq!(*line, 2);
        assert_eq!(anne.organisation, "Maison de santé");
        assert_eq!(anne.phone, "05 65 40 00 01\n06 12 34 56 78");
        assert_eq!(anne.address, "2 rue des Écoles\nBâtiment \"B\"\n46160 Cajarc");
        assert_eq!(anne.status, "remplaçant");
        assert_eq!(
            (anne.status_from.as_str(), anne.status_until.as_str()),
            ("2027-02-01", "2027-03-31")
        );
        assert_eq!(anne.kind, "person");
        assert_eq!(
            parsed.cards[1].0, 5,
            "the line counts the quoted line break and the empty row"
        );
    }

    #[test]
    fn windows_1252_and_commas_are_read() {
        let mut bytes = b"Name,Organisation,Email\n".to_vec();
        // "Cécile Durand" and "Office de tourisme" in Windows-1252.
        bytes.extend_from_slice(b"C\xe9cile Durand,Office de tourisme,cecile@ot.fr\n");
        let parsed = parse(&bytes);
        assert_eq!(parsed.problems, vec![]);
        assert_eq!(names(&parsed), vec!["Cécile Durand"]);
        assert_eq!(parsed.cards[0].1.email, "cecile@ot.fr");
    }

    #[test]
    fn excel_unicode_text_is_read() {
        // « Texte Unicode » from Excel: UTF-16 little-endian with its mark, tabs.
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Nom\tCommune\r\nHélène Garric\tSaint-Cirq-Lapopie\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let parsed = parse(&bytes);
        assert_eq!(parsed.problems, vec![]);
        assert_eq!(names(&parsed), vec!["Hélène Garric"]);
        assert_eq!(parsed.cards[0].1.commune, "Saint-Cirq-Lapopie");
    }

    #[test]
    fn every_bad_line_of_a_table_is_named() {
        let text = "Nom;Statut;Début;Type\n\
            Dr Martin;titulaire;;\n\
            ;titulaire;;\n\
            Dr Petit;interne;31/02/2027;\n\
            Dr Grand;;;robot\n\
            Dr Long;;;;;;\n\
            Dr Bis;;;;x\n";
        let parsed = parse(text.as_bytes());
        let found: Vec<(usize, &Problem)> = parsed.problems.iter().map(|p| (p.line, &p.problem)).collect();
        assert_eq!(
            found,
            vec![
                (3, &Problem::MissingName),
                (
                    4,
                    &Problem::InvalidStatus {
                        value: "interne".into()
                    }
                ),
                (
                    4,
                    &Problem::InvalidDate {
                        field: "status_from".into(),
                        value: "31/02/2027".into()
                    }
                ),
                (
                    5,
                    &Problem::InvalidKind {
                        value: "robot".into()
                    }
                ),
                (
                    7,
                    &Problem::TooManyCells {
                        expected: 4,
                        found: 5
                    }
                ),
            ]
        );
        assert_eq!(names(&parsed), vec!["Dr Martin", "Dr Long"]);
    }

    #[test]
    fn malformed_files_are_refused_as_a_whole() {
        let whole = |bytes: &[u8]| parse(bytes).problems;
        assert_eq!(whole(b"").first().map(|p| &p.problem), Some(&Problem::Empty));
        assert_eq!(
            whole(b"\n\n  \n").first().map(|p| &p.problem),
            Some(&Problem::Empty)
        );
        assert_eq!(
            whole(b"Nom;Email\n").first().map(|p| &p.problem),
            Some(&Problem::Empty)
        );
        assert_eq!(
            whole(b"%PDF-1.7\n\x00\x01\x02binary").first().map(|p| &p.problem),
            Some(&Problem::UnknownFormat)
        );
        assert_eq!(
            whole(b"Couleur;Taille\nbleu;12\n"),
            vec![ImportProblem {
                line: 1,
                problem: Problem::NoNameColumn
            }]
        );
        assert_eq!(
            whole(b"Nom;Notes\nDr Martin;ok\nDr Petit;\"jamais ferm\xc3\xa9e\nDr Grand;ok\n"),
            vec![ImportProblem {
                line: 3,
                problem: Problem::UnclosedQuote
            }]
        );
        let huge = vec![b'a'; MAX_IMPORT_BYTES + 1];
        assert_eq!(
            whole(&huge).first().map(|p| &p.problem),
            Some(&Problem::TooLarge {
                max_bytes: MAX_IMPORT_BYTES
            })
        );
        let long = format!("Nom;Fonction\nDr Martin;{}\n", "x".repeat(MAX_FIELD + 1));
        assert_eq!(
            whole(long.as_bytes()),
            vec![ImportProblem {
                line: 2,
                problem: Problem::TooLong {
                    field: "function".into(),
                    max: MAX_FIELD
                }
            }]
        );
    }

    #[test]
    fn an_address_book_is_read() {
        let text = "BEGIN:VCARD\r\n\
            VERSION:3.0\r\n\
            N:Roux;Anne;;Dr;\r\n\
            FN:Dr Anne Roux\r\n\
            ORG:Maison de santé de Cajarc;Cabinet 2\r\n\
            TITLE:Médecin généraliste\r\n\
            TEL;TYPE=WORK,VOICE:05 65 40 00 01\r\n\
            TEL;TYPE=CELL:06 12 34 56 78\r\n\
            EMAIL;TYPE=INTERNET:anne.roux@exemple.fr\r\n\
            item1.ADR;TYPE=WORK:;;2 rue des Écoles;Cajarc;;46160;France\r\n\
            NOTE:Gardes le jeudi\\, \r\n \\nsauf en août\r\n\
            X-SOCIALPROFILE:x\r\n\
            END:VCARD\r\n\
            BEGIN:VCARD\r\n\
            VERSION:2.1\r\n\
            N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Dupr=C3=A9;Ren=C3=A9\r\n\
            TEL;CELL:0601020304\r\n\
            NOTE;ENCODING=QUOTED-PRINTABLE:Premi=C3=A8re ligne=0D=0A=\r\n\
            Deuxi=C3=A8me\r\n\
            END:VCARD\r\n\
            BEGIN:VCARD\r\n\
            VERSION:4.0\r\n\
            KIND:org\r\n\
            ORG:Office de tourisme du Grand Figeac\r\n\
            END:VCARD\r\n";
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.problems, vec![]);
        assert_eq!(parsed.format, Some(ImportFormat::Vcard));
        assert_eq!(
            names(&parsed),
            vec!["Dr Anne Roux", "René Dupré", "Office de tourisme du Grand Figeac"]
        );
        let anne = &parsed.cards[0].1;
        assert_eq!(anne.organisation, "Maison de santé de Cajarc");
        assert_eq!(anne.function, "Médecin généraliste");
        assert_eq!(anne.phone, "05 65 40 00 01\n06 12 34 56 78");
        assert_eq!(anne.address, "2 rue des Écoles\n46160 Cajarc");
        assert_eq!(anne.commune, "Cajarc");
        assert_eq!(anne.notes, "Gardes le jeudi, \nsauf en août");
        let rene = &parsed.cards[1].1;
        assert_eq!(rene.notes, "Première ligne\nDeuxième");
        assert_eq!(parsed.cards[1].0, 15);
        assert_eq!(parsed.cards[2].1.kind, "organisation");
        assert_eq!(parsed.ignored, vec!["X-SOCIALPROFILE"]);
    }

    #[test]
    fn a_malformed_address_book_names_its_lines() {
        let text = "BEGIN:VCARD\n\
            FN:Dr Martin\n\
            END:VCARD\n\
            TEL:0601020304\n\
            BEGIN:VCARD\n\
            TEL:0601020304\n\
            END:VCARD\n\
            BEGIN:VCARD\n\
            une ligne sans deux-points\n\
            FN:Dr Petit\n\
            BEGIN:VCARD\n\
            FN:Dr Grand\n";
        let found: Vec<(usize, Problem)> = parse(text.as_bytes())
            .problems
            .into_iter()
            .map(|p| (p.line, p.problem))
            .collect();
        assert_eq!(
            found,
            vec![
                (4, Problem::OutsideCard),
                (5, Problem::MissingName),
                (9, Problem::MalformedLine),
                (8, Problem::UnterminatedCard),
                (11, Problem::UnterminatedCard),
            ]
        );
    }

    #[test]
    fn titles_and_names_fold_alike() {
        assert_eq!(fold("Téléphone portable"), "telephoneportable");
        assert_eq!(fold("  Œuvre-Sociale "), "oeuvresociale");
        assert_eq!(column("E-mail"), Some(Column::Email));
        assert_eq!(column("Code Postal"), Some(Column::PostCode));
        assert_eq!(separator("a,b;c;d"), ';');
        assert_eq!(separator("\"a;b\",c,d"), ',');
        assert_eq!(separator("a\tb\tc"), '\t');
        assert_eq!(iso_date("7/3/2027").as_deref(), Some("2027-03-07"));
        assert_eq!(iso_date("2027-13-01"), None);
    }
}

//! What exports share: spreadsheet-friendly CSV fields, and writing a file whole or
//! not at all.

use std::io::Write as _;
use std::path::Path;

use crate::error::Error;

/// A CSV field for semicolon-separated files: quoted when it holds a separator, a
/// quote or a line break. Text a spreadsheet would take for a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain number) gets a
/// leading apostrophe, so a name typed by another member cannot run as one.
pub(crate) fn csv_field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(text);
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Whether `text` is a plain number (`-3`, `+2,5`), which a spreadsheet reads as such.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit())
}

/// Writes `bytes` to `out` whole or not at all (a temporary file beside it, then a
/// rename).
pub(crate) fn write_file(out: &Path, bytes: &[u8]) -> Result<(), Error> {
    let unwritable = |source| Error::FileUnwritable {
        path: out.to_owned(),
        source,
    };
    let name = out
        .file_name()
        .ok_or_else(|| unwritable(std::io::Error::other("no file name")))?;
    let mut partial = name.to_owned();
    partial.push(".partial");
    let tmp = out.with_file_name(partial);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&tmp, out)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(unwritable(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_are_quoted() {
        assert_eq!(csv_field("Anne"), "Anne");
        assert_eq!(csv_field("École; Tilleuls"), "\"École; Tilleuls\"");
        assert_eq!(csv_field("dit \"Nono\""), "\"dit \"\"Nono\"\"\"");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_field("+33 5 65 00 00 00"), "'+33 5 65 00 00 00");
        assert_eq!(csv_field("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\t=1"), "'\t=1");
        // Plain numbers stay numbers; text elsewhere is untouched.
        assert_eq!(csv_field("-3"), "-3");
        assert_eq!(csv_field("+2,5"), "+2,5");
        assert_eq!(csv_field("Dr = Roux"), "Dr = Roux");
    }

    #[test]
    fn a_file_that_cannot_be_written_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent").join("export.csv");
        assert!(matches!(
            write_file(&missing, b"x"),
            Err(Error::FileUnwritable { .. })
        ));
        let out = dir.path().join("export.csv");
        write_file(&out, b"a;b\r\n").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"a;b\r\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no partial file left: {names:?}");
    }
}

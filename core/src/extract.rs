//! Text extracted from files for search: OpenDocument (text, spreadsheet,
//! presentation), PDF and plain text. Extraction happens once, on the computer that
//! adds the version; the text travels in the document (sealed like the rest), so every
//! member's search finds it without fetching the file.
//!
//! Extraction never fails an import: a file that cannot be read as text (damaged,
//! encrypted, scanned images) simply has no text.

use std::io::Read;
use std::path::Path;

/// Most characters of text kept per version: enough for minutes and deliberations,
/// bounded so a huge file does not bloat the document.
pub const MAX_TEXT: usize = 100_000;

/// The text of the file at `path`, judged by its name's extension; `None` when the
/// kind is not one we read or the file does not yield text.
pub fn text_of(path: &Path) -> Option<String> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    // A malformed file must not take the import down with it.
    let text = std::panic::catch_unwind(|| match extension.as_str() {
        "odt" | "ods" | "odp" | "ott" => opendocument(path),
        "pdf" => pdf(path),
        "txt" | "md" | "csv" => plain(path),
        _ => None,
    })
    .ok()
    .flatten()?;
    let text = squeeze(&text);
    (!text.is_empty()).then(|| text.chars().take(MAX_TEXT).collect())
}

/// Collapses runs of whitespace, keeping line breaks as single ones.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT * 4));
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&words.join(" "));
        if out.len() > MAX_TEXT * 4 {
            break;
        }
    }
    out
}

fn plain(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(u64::try_from(MAX_TEXT * 4).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The text of an OpenDocument file: the character data of its `content.xml`, a line
/// per paragraph or heading.
fn opendocument(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut archive = zip::ZipArchive::new(file).ok()?;
    let content = archive.by_name("content.xml").ok()?;
    let mut xml = String::new();
    // A content.xml far larger than any text we keep is not read whole.
    content
        .take(u64::try_from(MAX_TEXT * 40).unwrap_or(u64::MAX))
        .read_to_string(&mut xml)
        .ok()?;
    Some(xml_text(&xml))
}

/// Character data of an XML document, entities decoded; paragraph-like elements end
/// a line.
fn xml_text(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or("");
        match name {
            "text:p" | "text:h" | "table:table-row" | "text:line-break"
                if tag.starts_with('/') || tag.ends_with('/') =>
            {
                out.push('\n');
            }
            "text:tab" | "text:s" | "table:table-cell" => out.push(' '),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&decode_entities(rest));
    out
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text of a PDF's pages, as its fonts map it.
fn pdf(path: &Path) -> Option<String> {
    let document = lopdf::Document::load(path).ok()?;
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let mut out = String::new();
    for page in pages {
        if let Ok(text) = document.extract_text(&[page]) {
            out.push_str(&text);
            out.push('\n');
        }
        if out.len() > MAX_TEXT * 4 {
            break;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A minimal OpenDocument text file.
    fn odt(dir: &Path, paragraphs: &[&str]) -> std::path::PathBuf {
        let path = dir.join("compte-rendu.odt");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let stored =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.text").unwrap();
        let deflated = zip::write::SimpleFileOptions::default();
        zip.start_file("content.xml", deflated).unwrap();
        let body: String = paragraphs
            .iter()
            .map(|p| format!("<text:p text:style-name=\"P1\">{p}</text:p>"))
            .collect();
        write!(
            zip,
            "<?xml version=\"1.0\"?><office:document-content><office:body><office:text>{body}</office:text></office:body></office:document-content>"
        )
        .unwrap();
        zip.finish().unwrap();
        path
    }

    #[test]
    fn opendocument_text_is_read_paragraph_by_paragraph() {
        let dir = tempfile::tempdir().unwrap();
        let path = odt(
            dir.path(),
            &[
                "Délibération n°12 : tarifs de la cantine",
                "Vote : 9 pour, 2 contre &amp; 1 abstention",
            ],
        );
        assert_eq!(
            text_of(&path).as_deref(),
            Some("Délibération n°12 : tarifs de la cantine\nVote : 9 pour, 2 contre & 1 abstention")
        );
    }

    #[test]
    fn pdf_text_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arrete.pdf");
        std::fs::write(&path, tiny_pdf("Arrete de voirie du maire")).unwrap();
        let text = text_of(&path).unwrap_or_default();
        assert!(text.contains("Arrete de voirie du maire"), "{text:?}");
    }

    #[test]
    fn damaged_or_unknown_files_have_no_text() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("casse.pdf");
        std::fs::write(&broken, b"%PDF-1.4 not really").unwrap();
        assert_eq!(text_of(&broken), None);
        let odt = dir.path().join("casse.odt");
        std::fs::write(&odt, b"PK not a zip").unwrap();
        assert_eq!(text_of(&odt), None);
        let image = dir.path().join("photo.jpg");
        std::fs::write(&image, [0xff, 0xd8, 0xff]).unwrap();
        assert_eq!(text_of(&image), None);
    }

    /// A one-page PDF showing `text` in Helvetica, with a correct cross-reference table.
    fn tiny_pdf(text: &str) -> Vec<u8> {
        let stream = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
            format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

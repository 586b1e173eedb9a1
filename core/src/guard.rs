//! What a change from another member may cost before Automerge sees it.
//!
//! An entry's body is Automerge change chunks. Automerge 0.12 inflates a compressed
//! chunk (and a document or bundle chunk's compressed columns) before checking it, and
//! expands run-length columns into operations as it applies them, so a few bytes of a
//! patched client could make every member's app run out of memory at the same entry
//! on every start. Bastide's own clients send uncompressed change chunks only, with
//! one operation per run-length value at most a few hundred thousand times; this
//! module reads a body's structure (without allocating what it announces) and refuses
//! anything else before it is applied.

/// Operations one change may expand to. A change here is one edit of one item: a
/// whole document's extracted text is a few hundred thousand at most.
pub const MAX_OPS: u64 = 1 << 20;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;

/// Why a body is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    /// Not a sequence of Automerge chunks, or one is cut short.
    #[error("not a sequence of Automerge change chunks")]
    Malformed,
    /// A compressed change, a document or a bundle: what Bastide never sends, and
    /// what Automerge would inflate before checking.
    #[error("an Automerge chunk of type {0}, not an uncompressed change")]
    ChunkType(u8),
    /// A change announcing more operations than one edit makes.
    #[error("a change expanding to {0} operations or more")]
    TooManyOps(u64),
}

/// Checks that `body` is uncompressed Automerge change chunks whose columns expand to
/// at most [`MAX_OPS`] operations each. Reads every length it trusts against the
/// bytes actually there, so it allocates nothing whatever the body says.
pub fn check_changes(body: &[u8]) -> Result<(), Unsafe> {
    let mut rest = Reader(body);
    if rest.0.is_empty() {
        return Err(Unsafe::Malformed);
    }
    while !rest.0.is_empty() {
        let magic = rest.take(4)?;
        if magic != MAGIC {
            return Err(Unsafe::Malformed);
        }
        rest.take(4)?; // checksum: Automerge checks it
        let kind = rest.byte()?;
        if kind != CHUNK_CHANGE {
            return Err(Unsafe::ChunkType(kind));
        }
        let len = rest.len()?;
        check_change(Reader(rest.take(len)?))?;
    }
    Ok(())
}

/// The chunks of a body that passed [`check_changes`], each whole (header included),
/// as `automerge::Change::from_bytes` takes them.
pub(crate) fn chunks(body: &[u8]) -> Result<Vec<&[u8]>, Unsafe> {
    let mut rest = Reader(body);
    let mut out = Vec::new();
    while !rest.0.is_empty() {
        let start = rest.0;
        rest.take(9)?;
        let len = rest.len()?;
        rest.take(len)?;
        out.push(&start[..start.len() - rest.0.len()]);
    }
    Ok(out)
}

/// One change chunk's contents (after its header).
fn check_change(mut r: Reader<'_>) -> Result<(), Unsafe> {
    let deps = r.len()?;
    r.take(deps.checked_mul(32).ok_or(Unsafe::Malformed)?)?;
    let actor = r.len()?;
    r.take(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    let message = r.len()?;
    r.take(message)?;
    let others = r.len()?;
    for _ in 0..others {
        let actor = r.len()?;
        r.take(actor)?;
    }
    let columns = r.len()?;
    // Each column's spec and length take at least two bytes: a count larger than the
    // bytes left is a lie, not a reason to loop.
    if columns > r.0.len() / 2 {
        return Err(Unsafe::Malformed);
    }
    let mut specs = Vec::with_capacity(columns);
    for _ in 0..columns {
        let spec = r.uleb()?;
        let len = r.len()?;
        specs.push((spec, len));
    }
    for (spec, len) in specs {
        let data = Reader(r.take(len)?);
        // Bit 3 marks a deflated column, which a change may not have.
        if spec & 0b1000 != 0 {
            return Err(Unsafe::ChunkType(CHUNK_CHANGE));
        }
        let expanded = expansion(spec & 0b111, data)?;
        if expanded > MAX_OPS {
            return Err(Unsafe::TooManyOps(expanded));
        }
    }
    Ok(())
}

/// How many values a column of `kind` expands to (run lengths added up).
fn expansion(kind: u64, mut data: Reader<'_>) -> Result<u64, Unsafe> {
    let mut total: u64 = 0;
    let add = |total: u64, n: u64| -> Result<u64, Unsafe> {
        let sum = total.saturating_add(n);
        if sum > MAX_OPS {
            Err(Unsafe::TooManyOps(sum))
        } else {
            Ok(sum)
        }
    };
    match kind {
        // Boolean: alternating run lengths.
        4 => {
            while !data.0.is_empty() {
                total = add(total, data.uleb()?)?;
            }
        }
        // Raw values, whose sizes come from the metadata column: no expansion.
        7 => {}
        // Group, actor, integer, delta, string, value metadata: run-length encoded.
        _ => {
            while !data.0.is_empty() {
                let count = data.sleb()?;
                if count > 0 {
                    total = add(total, count.unsigned_abs())?;
                    skip_value(kind, &mut data)?;
                } else if count < 0 {
                    let literals = count.unsigned_abs();
                    total = add(total, literals)?;
                    for _ in 0..literals {
                        skip_value(kind, &mut data)?;
                    }
                } else {
                    total = add(total, data.uleb()?)?;
                }
            }
        }
    }
    Ok(total)
}

fn skip_value(kind: u64, data: &mut Reader<'_>) -> Result<(), Unsafe> {
    match kind {
        3 => data.sleb().map(drop),
        5 => {
            let len = data.len()?;
            data.take(len).map(drop)
        }
        _ => data.uleb().map(drop),
    }
}

/// A cursor over bytes that refuses to read past their end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Unsafe> {
        if n > self.0.len() {
            return Err(Unsafe::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, Unsafe> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, Unsafe> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Unsafe::Malformed)
    }

    fn sleb(&mut self) -> Result<i64, Unsafe> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift < 64 {
                value |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift >= 70 {
                return Err(Unsafe::Malformed);
            }
        }
    }

    /// A length: a uLEB that fits in what is left (anything larger is a lie).
    fn len(&mut self) -> Result<usize, Unsafe> {
        let n = self.uleb()?;
        usize::try_from(n).map_err(|_| Unsafe::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};
    use proptest::prelude::*;

    use super::*;

    /// An ordinary edit, as the app makes them.
    fn edit(title: &str, text: &str) -> Vec<u8> {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", title).unwrap();
        let body = doc.put_object(ROOT, "body", ObjType::Text).unwrap();
        doc.splice_text(&body, 0, 0, text).unwrap();
        doc.put(ROOT, "count", 42).unwrap();
        doc.save_after(&[])
    }

    #[test]
    fn ordinary_changes_pass() {
        check_changes(&edit("Conseil communautaire", "Ordre du jour : budget.")).unwrap();
        // A long text in one change, as a document's extracted text.
        check_changes(&edit("Rapport", &"é".repeat(200_000))).unwrap();
        // Several changes in one body.
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        doc.commit();
        doc.put(ROOT, "b", "deux").unwrap();
        check_changes(&doc.save_after(&[])).unwrap();
    }

    #[test]
    fn compressed_chunks_documents_and_bundles_are_refused_before_inflating() {
        // A compressed change chunk announcing a gigabyte of zeros, 1 MiB on the wire.
        let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..1024 {
            deflated.write_all(&[0u8; 1 << 20]).unwrap();
        }
        let deflated = deflated.finish().unwrap();
        let mut bomb = MAGIC.to_vec();
        bomb.extend([0, 0, 0, 0, 2]);
        let mut len = Vec::new();
        leb128::write::unsigned(&mut len, deflated.len() as u64).unwrap();
        bomb.extend(len);
        bomb.extend(&deflated);
        assert_eq!(check_changes(&bomb), Err(Unsafe::ChunkType(2)));

        let mut doc = AutoCommit::new();
        doc.put(ROOT, "title", "x".repeat(1000)).unwrap();
        assert_eq!(check_changes(&doc.save()), Err(Unsafe::ChunkType(0)));
    }

    #[test]
    fn a_run_announcing_billions_of_operations_is_refused() {
        // Take a real change and make its first column one run of 2^40 values.
        let body = edit("x", "y");
        let forged = forge_huge_run(&body);
        assert!(
            matches!(check_changes(&forged), Err(Unsafe::TooManyOps(_))),
            "{:?}",
            check_changes(&forged)
        );
    }

    #[test]
    fn cut_or_lying_bodies_are_malformed_not_panics() {
        let body = edit("Conseil", "texte");
        for end in 0..body.len() {
            assert!(check_changes(&body[..end]).is_err(), "cut at {end}");
        }
        assert_eq!(check_changes(b"not automerge"), Err(Unsafe::Malformed));
    }

    /// `body` (one change chunk) with its first column replaced by a run of 2^40
    /// copies of 0, lengths fixed up (the checksum is left stale: this module does
    /// not read it, Automerge would refuse it later anyway).
    fn forge_huge_run(body: &[u8]) -> Vec<u8> {
        let mut r = Reader(&body[9..]);
        let len = r.len().unwrap();
        let header_len = body.len() - r.0.len();
        let mut c = Reader(r.take(len).unwrap());
        let start = c.0.as_ptr() as usize;
        let deps = c.len().unwrap();
        c.take(deps * 32).unwrap();
        let actor = c.len().unwrap();
        c.take(actor).unwrap();
        c.uleb().unwrap();
        c.uleb().unwrap();
        c.sleb().unwrap();
        let m = c.len().unwrap();
        c.take(m).unwrap();
        let others = c.len().unwrap();
        assert_eq!(others, 0);
        let prefix_end = c.0.as_ptr() as usize - start;
        let columns = c.len().unwrap();
        let mut specs = Vec::new();
        for _ in 0..columns {
            specs.push((c.uleb().unwrap(), c.len().unwrap()));
        }
        let mut datas = Vec::new();
        for (_, l) in &specs {
            datas.push(c.take(*l).unwrap().to_vec());
        }
        // First column: an RLE run of 2^40 zeros (for a boolean column: a run length).
        let mut run = Vec::new();
        if specs[0].0 & 0b111 == 4 {
            leb128::write::unsigned(&mut run, 1 << 40).unwrap();
        } else {
            leb128::write::signed(&mut run, 1 << 40).unwrap();
            run.push(0);
        }
        datas[0] = run;
        let mut contents = body[header_len..header_len + prefix_end].to_vec();
        leb128::write::unsigned(&mut contents, columns as u64).unwrap();
        for ((spec, _), data) in specs.iter().zip(&datas) {
            leb128::write::unsigned(&mut contents, *spec).unwrap();
            leb128::write::unsigned(&mut contents, data.len() as u64).unwrap();
        }
        for data in &datas {
            contents.extend(data);
        }
        contents.extend(c.0);
        let mut out = body[..9].to_vec();
        leb128::write::unsigned(&mut out, contents.len() as u64).unwrap();
        out.extend(contents);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever the app writes passes; whatever bytes come in, no panic.
        #[test]
        fn edits_pass_and_noise_never_panics(title in ".{0,40}", text in ".{0,400}", noise in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert!(check_changes(&edit(&title, &text)).is_ok());
            let _ = check_changes(&noise);
            let mut prefixed = MAGIC.to_vec();
            prefixed.extend([0, 0, 0, 0, 1]);
            prefixed.extend(&noise);
            let _ = check_changes(&prefixed);
        }
    }
}

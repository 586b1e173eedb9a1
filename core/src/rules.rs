//! Per-item rules every computer enforces on other members' changes, judged from the
//! signed entry's author (never from what the document says of itself), so a
//! patched client cannot do what the app refuses to its user:
//!
//! - a poll is closed only by its author or an admin, and its options (and mode) are
//!   never changed once a ballot is in the log;
//! - a board notice is changed only by its author (or an admin, who moderates);
//! - a booking's status is decided only by its resource's manager or an admin (its
//!   author may cancel it), and it is moved only by its author or them;
//! - a document's decisions are written only by the deciding device (an admin may
//!   purge them), and a version's submission (who must sign) only by who submitted
//!   it, or an admin.
//!
//! Every client applies the log in the relay's order, so every client judges a change
//! against the same state and reaches the same verdict. A refused change is set aside
//! (`quarantine`) and shown refused in the item's history.

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use bastide_proto::DeviceId;
use bastide_proto::membership::{Membership, Role};

use crate::{board, bookings, documents, polls};

/// The kinds of item with rules.
pub(crate) const RULED: [&str; 4] = [polls::KIND, board::KIND, bookings::BOOKING, documents::KIND];

/// What the rules need to know beyond the document and the change.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// The device that created the item (its first change in the log).
    pub(crate) item_author: Option<DeviceId>,
    /// For a booking: the device that created its resource (the manager).
    pub(crate) manager: Option<DeviceId>,
    /// For a poll: the log positions of its ballots.
    pub(crate) ballots: Vec<u64>,
}

/// One operation of a change, reduced to what the rules look at.
struct Write {
    /// The root key it writes, or the root key of the map it writes into.
    root: String,
    /// The key inside that map, for a nested write.
    inner: Option<String>,
    /// The value put, if a scalar.
    value: Option<ScalarValue>,
}

/// Judges the change `body` by `author`, at log position `seq`, on an item of `kind`
/// whose document is `before`; `Err` says which rule it breaks.
pub(crate) fn judge(
    kind: &str,
    before: &AutoCommit,
    body: &[u8],
    (seq, author): (u64, DeviceId),
    members: &Membership,
    facts: &Facts,
) -> Result<(), String> {
    if !RULED.contains(&kind) {
        return Ok(());
    }
    let Some(item_author) = facts.item_author else {
        // Its first change: whoever creates an item may.
        return Ok(());
    };
    let writes = writes(before, body)?;
    let member = |d: &DeviceId| members.member_of(d).map(|(m, _)| m);
    let same_member = |other: Option<DeviceId>| {
        other.is_some_and(|o| o == author || member(&o).is_some_and(|m| Some(m) == member(&author)))
    };
    let admin = members.role_of(&author) == Some(Role::Admin);
    let by_author = same_member(Some(item_author));
    let root = |key: &'static str| writes.iter().filter(move |w| w.inner.is_none() && w.root == key);
    match kind {
        k if k == polls::KIND => {
            if root("closed_at").next().is_some() && !(by_author || admin) {
                return Err("only its author or an admin closes a poll".into());
            }
            let voted = facts.ballots.iter().any(|b| *b < seq);
            if voted && (root("options").next().is_some() || root("mode").next().is_some()) {
                return Err("a poll's options do not change once someone has voted".into());
            }
        }
        k if k == board::KIND => {
            if !(writes.is_empty() || by_author || admin) {
                return Err("only its author changes a notice".into());
            }
        }
        k if k == bookings::BOOKING => {
            let manages = admin || same_member(facts.manager);
            for write in root("status").chain(root("overlap_ok")) {
                // Its author may cancel it, and (moving it) withdraw an accepted overlap.
                let withdraws = match (write.root.as_str(), &write.value) {
                    ("status", Some(ScalarValue::Str(s))) => s.as_str() == "cancelled",
                    ("overlap_ok", Some(ScalarValue::Boolean(ok))) => !ok,
                    _ => false,
                };
                if !(manages || (withdraws && by_author)) {
                    return Err("only the resource's manager decides a booking".into());
                }
            }
            let moves = ["resource", "title", "start", "end", "repeat_until"]
                .into_iter()
                .any(|key| root(key).next().is_some());
            if moves && !(manages || by_author) {
                return Err("only its author or the resource's manager moves a booking".into());
            }
        }
        _ => {
            let me = author.to_string();
            for write in writes.iter().filter(|w| w.root == "decisions") {
                let device = write
                    .inner
                    .as_deref()
                    .and_then(|k| k.rsplit_once('/'))
                    .map(|(_, d)| d);
                // An admin purges a document whole (its decisions too); a decision
                // an admin forged would not verify anyway: each is signed.
                if device != Some(me.as_str()) && !admin {
                    return Err("a decision is written only by the device that decides".into());
                }
            }
            for write in writes.iter().filter(|w| w.root == "submissions") {
                let Some(version) = write.inner.as_deref() else {
                    continue;
                };
                if let Some(submitter) = submitter(before, version)
                    && !admin
                    && !same_member(Some(submitter))
                {
                    return Err("only who submitted a version changes who must sign it".into());
                }
            }
        }
    }
    Ok(())
}

/// Judges a reader's entry, which may only be a comment of theirs: a new item the
/// change makes a comment, or a comment that reader wrote.
pub(crate) fn judge_comment(
    kind: &str,
    before: &AutoCommit,
    body: &[u8],
    author: DeviceId,
    members: &Membership,
    facts: &Facts,
) -> Result<(), String> {
    let refused = || Err("a reader only writes comments of their own".to_owned());
    match facts.item_author {
        None => {
            let writes = writes(before, body)?;
            let makes_comment = writes.iter().any(|w| {
                w.inner.is_none()
                    && w.root == "type"
                    && matches!(&w.value, Some(ScalarValue::Str(s)) if s.as_str() == crate::comments::KIND)
            });
            if kind.is_empty() && makes_comment {
                Ok(())
            } else {
                refused()
            }
        }
        Some(first) => {
            let member = |d: &DeviceId| members.member_of(d).map(|(m, _)| m);
            let own = first == author || member(&first).is_some_and(|m| Some(m) == member(&author));
            if kind == crate::comments::KIND && own {
                Ok(())
            } else {
                refused()
            }
        }
    }
}

/// The device whose actor last wrote a version's submission, if any.
fn submitter(doc: &AutoCommit, version: &str) -> Option<DeviceId> {
    let (_, map) = doc.get(ROOT, "submissions").ok().flatten()?;
    let (_, id) = doc.get(&map, version).ok().flatten()?;
    let actor = id.to_string();
    let hex = actor.split_once('@')?.1;
    hex.parse().ok()
}

/// The writes of every change in `body`, each attributed to a root key. A nested
/// write names the root key whose map it goes into: a map the document had before
/// (by its object id) or one the same change makes.
fn writes(before: &AutoCommit, body: &[u8]) -> Result<Vec<Write>, String> {
    let mut maps: Vec<(String, String)> = ["decisions", "submissions"]
        .into_iter()
        .filter_map(|key| match before.get(ROOT, key).ok().flatten() {
            Some((Value::Object(ObjType::Map), id)) => Some((id.to_string(), key.to_owned())),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for chunk in crate::guard::chunks(body).map_err(|e| e.to_string())? {
        let change = automerge::Change::from_bytes(chunk.to_vec()).map_err(|e| e.to_string())?;
        // A change the document has already is not this author's doing (a relay's
        // lost records sent again carry the whole item).
        if ReadDoc::get_change_by_hash(before, &change.hash()).is_some() {
            continue;
        }
        let expanded = change.decode();
        let start = expanded.start_op.get();
        for (index, op) in expanded.operations.into_iter().enumerate() {
            let key = match &op.key {
                Key::Map(k) => Some(k.to_string()),
                Key::Seq(_) => None,
            };
            match (&op.obj, key) {
                (ObjectId::Root, Some(key)) => {
                    if matches!(op.action, OpType::Make(_)) {
                        let id = OpId(start + index as u64, expanded.actor_id.clone());
                        maps.push((id.to_string(), key.clone()));
                    }
                    let value = match op.action {
                        OpType::Put(v) => Some(v),
                        _ => None,
                    };
                    out.push(Write {
                        root: key,
                        inner: None,
                        value,
                    });
                }
                (ObjectId::Id(id), inner) => {
                    let id = id.to_string();
                    let root = maps
                        .iter()
                        .find(|(m, _)| *m == id)
                        .map_or_else(|| format!("object {id}"), |(_, k)| k.clone());
                    out.push(Write {
                        root,
                        inner,
                        value: None,
                    });
                }
                (ObjectId::Root, None) => return Err("a list write on the root".into()),
            }
        }
    }
    Ok(out)
}

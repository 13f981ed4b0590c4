//! What an engine's answer may cost in memory. An answer is charged as it
//! is read (its buffer's capacity) and as it is parsed (what is kept of
//! it), per engine and for all engines asked at once; past either bound
//! that engine fails with the reason. Lists are walked one element at a
//! time: an element is parsed alone (it is at most [`ELEMENT_CAP`] bytes,
//! so its tree is a few MB at worst) and dropped once the caller has kept
//! the few fields it needs. A generic tree of a whole answer is never
//! built: `[0,0,…]` cost ~3.4 KB an element that way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{State, Status};

/// The most one engine's answer may cost: 10,000 containers cost ~25 MiB
/// (docs/testing.md's hardening figures).
pub const PER_ENGINE: usize = 64 << 20;
/// The most all engines' answers may cost together (16 are asked at once).
pub const TOTAL: usize = 192 << 20;
/// The most one element of a list (one container, image, …) or one line of
/// the client's may hold: docker's are a few KB.
pub const ELEMENT_CAP: usize = 256 << 10;

/// The memory all engines of one question share.
#[derive(Default)]
pub struct Budget {
    used: AtomicUsize,
}

/// One engine's share: what it was charged, and its own bound.
pub struct Meter {
    budget: Arc<Budget>,
    used: usize,
    cap: usize,
}

impl Meter {
    pub(super) fn new(budget: &Arc<Budget>, cap: usize) -> Meter {
        Meter {
            budget: Arc::clone(budget),
            used: 0,
            cap,
        }
    }

    /// Charges `bytes`; the status says which bound it passed.
    pub fn charge(&mut self, bytes: usize) -> Result<(), Status> {
        self.used = self.used.saturating_add(bytes);
        let total = self
            .budget
            .used
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        if self.used > self.cap {
            return Err(Status::failed(
                State::Error,
                format!(
                    "its answer would take more than {} of memory, more than an engine's answer may",
                    mib(self.cap)
                ),
                Some("check that this is a docker engine (ask it alone with NAME-docker)".into()),
            ));
        }
        if total > TOTAL {
            return Err(Status::failed(
                State::Error,
                format!(
                    "not read to the end: the engines' answers together would take more than {}",
                    mib(TOTAL)
                ),
                Some("ask fewer engines at once (name them)".into()),
            ));
        }
        Ok(())
    }
}

fn mib(n: usize) -> String {
    format!("{} MiB", n >> 20)
}

/// What a string kept from an answer costs: its header and its bytes.
pub fn string_cost(s: &str) -> usize {
    std::mem::size_of::<String>() + s.len()
}

/// Calls `f` with each element of the JSON list `body` (or of its object's
/// `field`, as `GET /volumes` wraps its list), parsed alone. An element that
/// is not an object, or is over [`ELEMENT_CAP`], ends the walk: it is not
/// one of docker's `what`.
pub fn each_object(
    body: &[u8],
    field: Option<&str>,
    what: &str,
    mut f: impl FnMut(Value) -> Result<(), Status>,
) -> Result<(), Status> {
    let list: &RawValue;
    let wrapped: Wrapped;
    let body = match field {
        None => body,
        Some(field) => {
            wrapped = serde_json::from_slice(body).map_err(|e| not_a_list(what, &e))?;
            list = match wrapped.0.get(field) {
                Some(Some(list)) => list,
                // Older engines write null for an empty list.
                Some(None) => return Ok(()),
                None => {
                    let e = format!("no \"{field}\" list in the answer");
                    return Err(not_a_list(what, &e));
                }
            };
            list.get().as_bytes()
        }
    };
    let mut failed = None;
    let mut index = 0;
    let walk = Walk(&mut |raw: &RawValue| {
        index += 1;
        let text = raw.get();
        let err = if text.len() > ELEMENT_CAP {
            Some(element_too_big(what, index, text.len()))
        } else if !text.starts_with('{') {
            Some(Status::bad_answer(&format!(
                "element {index} of the list is not an object, so not one of docker's {what}"
            )))
        } else {
            match serde_json::from_str(text) {
                Ok(v) => f(v).err(),
                Err(e) => Some(Status::bad_answer(&e)),
            }
        };
        match err {
            None => true,
            Some(e) => {
                failed = Some(e);
                false
            }
        }
    });
    let mut de = serde_json::Deserializer::from_slice(body);
    let walked = walk.deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = failed {
        return Err(e);
    }
    walked.map_err(|e| not_a_list(what, &e))
}

/// Calls `f` with each non-blank line of a client's output, parsed alone.
pub fn each_line(out: &[u8], mut f: impl FnMut(Value) -> Result<(), Status>) -> Result<(), Status> {
    for (i, line) in out
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .enumerate()
    {
        if line.len() > ELEMENT_CAP {
            return Err(element_too_big("lines", i + 1, line.len()));
        }
        f(serde_json::from_slice(line).map_err(|e| Status::bad_answer(&e))?)?;
    }
    Ok(())
}

fn element_too_big(what: &str, index: usize, len: usize) -> Status {
    Status::bad_answer(&format!(
        "element {index} is {len} bytes; one of docker's {what} is never over {} KiB",
        ELEMENT_CAP >> 10
    ))
}

fn not_a_list(what: &str, e: &dyn std::fmt::Display) -> Status {
    Status::bad_answer(&format!("not a list of {what}: {e}"))
}

/// An object's fields, each unparsed (a `null` is `None`).
#[derive(Deserialize)]
struct Wrapped<'a>(#[serde(borrow)] std::collections::HashMap<&'a str, Option<&'a RawValue>>);

/// A list's elements handed over one at a time, unparsed; the callback
/// says whether to go on.
struct Walk<'f>(&'f mut dyn FnMut(&RawValue) -> bool);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&RawValue>()? {
            if !(self.0)(raw) {
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(body: &str, field: Option<&str>) -> Result<usize, String> {
        let mut n = 0;
        each_object(body.as_bytes(), field, "containers", |_| {
            n += 1;
            Ok(())
        })
        .map(|()| n)
        .map_err(|s| s.detail())
    }

    #[test]
    fn lists_are_walked_object_by_object_and_anything_else_refused() {
        assert_eq!(count(r#"[{"Id":"a"},{"Id":"b"}]"#, None), Ok(2));
        assert_eq!(count(r#" [ ] "#, None), Ok(0));
        assert_eq!(
            count(
                r#"{"Volumes":[{"Name":"v"}],"Warnings":null}"#,
                Some("Volumes")
            ),
            Ok(1)
        );
        let e = count("[0,0,0]", None).unwrap_err();
        assert!(e.contains("element 1 of the list is not an object"), "{e}");
        let e = count(r#"[{"Id":"a"},[]]"#, None).unwrap_err();
        assert!(e.contains("element 2"), "{e}");
        assert!(count("{}", None).unwrap_err().contains("not a list"));
        assert!(count("[{}] x", None).is_err());
        assert_eq!(count(r#"{"Volumes":null}"#, Some("Volumes")), Ok(0));
        assert!(count(r#"{"Warnings":[]}"#, Some("Volumes")).is_err());
        let big = format!(r#"[{{"Id":"{}"}}]"#, "a".repeat(ELEMENT_CAP));
        assert!(
            count(&big, None)
                .unwrap_err()
                .contains("never over 256 KiB")
        );
    }

    #[test]
    fn a_meter_stops_at_its_engine_s_bound_and_at_the_total() {
        let budget = Arc::new(Budget::default());
        let mut a = Meter::new(&budget, 100);
        assert!(a.charge(100).is_ok());
        assert!(
            a.charge(1)
                .unwrap_err()
                .detail()
                .contains("an engine's answer")
        );
        let mut b = Meter::new(&budget, usize::MAX);
        let e = b.charge(TOTAL).unwrap_err().detail();
        assert!(e.contains("together"), "{e}");
    }
}

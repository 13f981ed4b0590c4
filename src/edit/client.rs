//! An engine's `client` as `add` and `set` write it: checked at once as
//! the engine path will check it (engine/client.rs), so a client that is
//! missing, not runnable or that another user could change is said now,
//! as a note, and not first when the engine is used.

use std::path::Path;

use crate::config::{Client, Origin, Settings};
use crate::engine::client;

/// The note for `engine`'s client in the config at `file`; `None` when it
/// has none or the client would run.
pub fn note(engine: &Settings, file: &Path) -> Option<String> {
    let path = engine.client.as_ref()?;
    let c = Client {
        path: path.clone(),
        origin: Origin::File(file.into()),
        engine: Some(engine.name.clone()),
    };
    client::usable(&c)
        .err()
        .map(|e| format!("note: {e}; until then {}-docker fails", engine.name))
}

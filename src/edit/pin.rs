//! Pinning a protected engine to the engine that answers now (`pin`, see
//! engine::policy::check_pin): what `add` and `set` record.

use crate::config::Settings;
use crate::engine::policy;

/// Pins a protected engine that has no pin yet to what its socket answers
/// as; the report's note (report.rs indents it under the engine's line):
/// why it could not be asked, and how to pin it later.
pub fn record(engine: &mut Settings) -> Option<String> {
    if !engine.protect || engine.pin.is_some() {
        return None;
    }
    match policy::identity(engine) {
        Ok(pin) => {
            engine.pin = Some(pin);
            None
        }
        Err(_) if engine.unix_socket().is_none() => Some(
            "note: not pinned: only an engine on a local unix socket can be asked what it is"
                .to_string(),
        ),
        Err(why) => Some(format!(
            "note: not pinned ({why}); once it answers: dockmux set {} --pin",
            engine.name
        )),
    }
}

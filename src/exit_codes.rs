//! The exit codes dockmux itself uses. In engine mode they match docker's own
//! conventions for `docker run`, so scripts can treat `pg-docker` like `docker`.

/// Everything went fine.
pub const SUCCESS: i32 = 0;
/// A management command ran but found or left problems (link conflicts, doctor findings).
pub const FAILURE: i32 = 1;
/// dockmux refused: bad config, unknown engine, refused flag, insecure config, bad usage.
pub const REFUSED: i32 = 125;
/// A docker client was found but cannot be executed.
pub const NOT_EXECUTABLE: i32 = 126;
/// No docker client was found.
pub const NOT_FOUND: i32 = 127;

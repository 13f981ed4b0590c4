//! The exit codes dockmux itself uses, one type for all (fd's exit_codes.rs
//! is the model): commands return one, errors map to one, and main.rs alone
//! turns it into the process's status. In engine mode they match docker's
//! own conventions for `docker run`, so scripts can treat `pg-docker` like
//! `docker`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything went fine.
    Success,
    /// A management command ran but found or left problems (link conflicts, doctor findings).
    Failure,
    /// dockmux refused: bad config, unknown engine, refused flag, insecure config, bad usage.
    Refused,
    /// A docker client was found but cannot be executed.
    NotExecutable,
    /// No docker client was found.
    NotFound,
}

impl From<ExitCode> for i32 {
    fn from(code: ExitCode) -> i32 {
        match code {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
            ExitCode::Refused => 125,
            ExitCode::NotExecutable => 126,
            ExitCode::NotFound => 127,
        }
    }
}

//! "Did you mean …?" for near misses: engine names, config keys.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
/// Case and leading dashes do not count against a match (`PG` is `pg`).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter_map(|c| Some((score(word, c)?, c)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// How near `candidate` is to `word` (higher is nearer), when near enough
/// to be a likely typo; for choosing among candidates one at a time.
pub fn score(word: &str, candidate: &str) -> Option<f64> {
    let norm = |s: &str| s.trim_start_matches('-').to_lowercase();
    let s = strsim::jaro_winkler(&norm(word), &norm(candidate));
    (s >= 0.8).then_some(s)
}

/// `"; did you mean 'x'?"`, or empty when nothing is close.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean '{c}'?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(closest("hots", ["host", "hint", "aliases"]), Some("host"));
        assert_eq!(closest("pgg", ["pg", "lzc"]), Some("pg"));
        assert_eq!(closest("alias", ["host", "aliases"]), Some("aliases"));
        assert_eq!(closest("PG", ["pg", "lzc"]), Some("pg"));
        assert_eq!(
            closest("PG-docker", ["pg-docker", "lzc-docker"]),
            Some("pg-docker")
        );
        assert_eq!(closest("--pg", ["pg", "lzc"]), Some("pg"));
    }

    #[test]
    fn far_words_are_not() {
        assert_eq!(closest("zzz", ["pg", "lzc"]), None);
        assert_eq!(did_you_mean("zzz", ["pg", "lzc"]), "");
    }
}

//! An engine's keys, written once: each key's TOML name, the `dockmux add`
//! option that sets it, the kind of value it takes, and the engine's
//! settings as one type ([`Settings`]) that the parser and the scanner fill,
//! the edits write back as TOML, `list --json` shows and doctor turns back
//! into the `dockmux add` line that makes the engine again. A new key is a
//! variant of [`Key`], its arms below and a field of [`Settings`]; the
//! compiler finds every match that must learn it, and tests hold the
//! parser, the scanner, the man page and `add`'s options to the list.

use super::{Policy, Tls, rules};

/// One key of an `[engines.NAME]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Host,
    Description,
    Aliases,
    Hint,
    Tls,
    Client,
    Protect,
    Readonly,
    SafeBinds,
    DataRoot,
    Pin,
    Persist,
    Tags,
}

/// How a key's value is written: a string, a list of names, true/false, or
/// the `tls` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Names,
    Switch,
    Tls,
}

impl Key {
    /// Every key, in the order a person writes them (and the edits do).
    pub const ALL: [Key; 13] = [
        Key::Host,
        Key::Description,
        Key::Aliases,
        Key::Hint,
        Key::Tls,
        Key::Client,
        Key::Protect,
        Key::Readonly,
        Key::SafeBinds,
        Key::DataRoot,
        Key::Pin,
        Key::Persist,
        Key::Tags,
    ];

    /// The key in engines.toml (and in `list --json`).
    pub const fn toml(self) -> &'static str {
        match self {
            Key::Host => "host",
            Key::Description => "description",
            Key::Aliases => "aliases",
            Key::Hint => "hint",
            Key::Tls => "tls",
            Key::Client => "client",
            Key::Protect => "protect",
            Key::Readonly => "readonly",
            Key::SafeBinds => "safe_binds",
            Key::DataRoot => "data_root",
            Key::Pin => "pin",
            Key::Persist => "persist",
            Key::Tags => "tags",
        }
    }

    /// The key a config's word names.
    #[inline]
    pub fn from_toml(word: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.toml() == word)
    }

    pub const fn kind(self) -> Kind {
        match self {
            Key::Host
            | Key::Description
            | Key::Hint
            | Key::Client
            | Key::DataRoot
            | Key::Pin
            | Key::Persist => Kind::Text,
            Key::Aliases | Key::SafeBinds | Key::Tags => Kind::Names,
            Key::Protect | Key::Readonly => Kind::Switch,
            Key::Tls => Kind::Tls,
        }
    }

    /// The `dockmux add` option that sets it (repeated once per name for a
    /// list); `None` for the host, which is add's second argument. TLS takes
    /// `--cert-path DIR` and `--tlsverify` or `--tls`.
    pub const fn flag(self) -> Option<&'static str> {
        match self {
            Key::Host => None,
            Key::Description => Some("--description"),
            Key::Aliases => Some("--alias"),
            Key::Hint => Some("--hint"),
            Key::Tls => Some("--cert-path"),
            Key::Client => Some("--client"),
            Key::Protect => Some("--protect"),
            Key::Readonly => Some("--readonly"),
            Key::SafeBinds => Some("--safe-bind"),
            Key::DataRoot => Some("--data-root"),
            Key::Pin => Some("--pin"),
            Key::Persist => Some("--persist"),
            Key::Tags => Some("--tag"),
        }
    }

    /// One item of a list key, as messages name it: "alias", "tag".
    pub const fn noun(self) -> &'static str {
        match self {
            Key::Aliases => "alias",
            Key::SafeBinds => "safe_binds entry",
            Key::Tags => "tag",
            _ => "value",
        }
    }

    /// [`Key::noun`] with its article.
    pub const fn a_noun(self) -> &'static str {
        match self {
            Key::Aliases => "an alias",
            Key::SafeBinds => "a safe_binds entry",
            Key::Tags => "a tag",
            _ => "a value",
        }
    }

    /// A value a list key's message shows as an example.
    pub const fn example(self) -> &'static str {
        match self {
            Key::Aliases => "playground",
            Key::SafeBinds => "/srv/apps",
            _ => "nas",
        }
    }

    /// What a list key's items are, as its message says: "a list of names".
    pub const fn items(self) -> &'static str {
        match self {
            Key::SafeBinds => "absolute directories",
            _ => "names",
        }
    }

    /// The rule one item of a list key follows (rules.rs).
    #[inline]
    pub fn check_item(self, item: &str) -> std::result::Result<(), String> {
        match self {
            Key::Aliases => rules::check_alias(item),
            Key::SafeBinds => rules::check_host_dir(item),
            Key::Tags => rules::check_tag(item),
            _ => Ok(()),
        }
    }

    /// The rule a text key's value follows, beyond plain text (the host's
    /// is host.rs's, which also gives its kind); the message names the key.
    #[inline]
    pub fn check_text(self, value: &str) -> std::result::Result<(), String> {
        match self {
            Key::DataRoot => rules::check_host_dir(value)
                .map_err(|why| format!("data_root = \"{value}\": {why}")),
            Key::Persist => rules::persist_secs(value).map(drop),
            Key::Pin => rules::check_pin(value),
            Key::Client => rules::check_client(value),
            _ => Ok(()),
        }
    }

    /// The engine keys' TOML names, for messages and the man page's test.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Key::ALL.into_iter().map(Key::toml)
    }
}

/// A key's value, borrowed from [`Settings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Names(&'a [String]),
    Switch(bool),
    Tls(&'a Tls),
}

/// What engines.toml says of one engine: its name and every key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub name: String,
    pub host: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub hint: Option<String>,
    pub tls: Option<Tls>,
    /// `client = "/usr/bin/docker"`: the docker client this engine runs,
    /// instead of the config's `docker` or the one on PATH (checked as
    /// those are: engine/client.rs).
    pub client: Option<String>,
    pub protect: bool,
    pub readonly: bool,
    /// `safe_binds = ["/srv/apps"]`: host directories a protected engine's
    /// containers may bind-mount unconfirmed (never its data root or socket).
    pub safe_binds: Vec<String>,
    /// `data_root = "/path"`: the engine's data root, when it is not to be
    /// asked (`DockerRootDir` of `/info`).
    pub data_root: Option<String>,
    /// `pin = "id=… name=… root=…"`: what a protected engine answered as
    /// when it was protected (rules::pin); a destructive command on an
    /// engine that now answers as another is refused.
    pub pin: Option<String>,
    /// `persist = "10m"` as written (checked by rules::persist_secs): how
    /// long an ssh engine's shared connection stays; the engine's own, the
    /// config's top-level one is [`super::Engine::top_persist`].
    pub persist: Option<String>,
    /// Labels that select engines (`@nas`): src/cli/selection.rs.
    pub tags: Vec<String>,
}

impl Settings {
    /// The value of `key` as it would be written: `None` when the key would
    /// not be (unset, false, an empty list).
    pub fn get(&self, key: Key) -> Option<Value<'_>> {
        match key {
            Key::Host => Some(Value::Text(&self.host)),
            Key::Description => self.description.as_deref().map(Value::Text),
            Key::Aliases => (!self.aliases.is_empty()).then_some(Value::Names(&self.aliases)),
            Key::Hint => self.hint.as_deref().map(Value::Text),
            Key::Tls => self.tls.as_ref().map(Value::Tls),
            Key::Client => self.client.as_deref().map(Value::Text),
            Key::Protect => self.protect.then_some(Value::Switch(true)),
            Key::Readonly => self.readonly.then_some(Value::Switch(true)),
            Key::SafeBinds => {
                (!self.safe_binds.is_empty()).then_some(Value::Names(&self.safe_binds))
            }
            Key::DataRoot => self.data_root.as_deref().map(Value::Text),
            Key::Pin => self.pin.as_deref().map(Value::Text),
            Key::Persist => self.persist.as_deref().map(Value::Text),
            Key::Tags => (!self.tags.is_empty()).then_some(Value::Names(&self.tags)),
        }
    }

    /// Sets a text key; `None` unsets it. Keys of another kind are left alone.
    pub fn set_text(&mut self, key: Key, value: Option<String>) {
        match key {
            Key::Host => self.host = value.unwrap_or_default(),
            Key::Description => self.description = value,
            Key::Hint => self.hint = value,
            Key::Client => self.client = value,
            Key::DataRoot => self.data_root = value,
            Key::Pin => self.pin = value,
            Key::Persist => self.persist = value,
            Key::Aliases | Key::Tls | Key::Protect | Key::Readonly | Key::SafeBinds | Key::Tags => {
            }
        }
    }

    /// Sets a list key. Keys of another kind are left alone.
    pub fn set_names(&mut self, key: Key, value: Vec<String>) {
        match key {
            Key::Aliases => self.aliases = value,
            Key::SafeBinds => self.safe_binds = value,
            Key::Tags => self.tags = value,
            Key::Host
            | Key::Description
            | Key::Hint
            | Key::Tls
            | Key::Client
            | Key::Protect
            | Key::Readonly
            | Key::DataRoot
            | Key::Pin
            | Key::Persist => {}
        }
    }

    /// Sets a true/false key. Keys of another kind are left alone.
    pub fn set_switch(&mut self, key: Key, value: bool) {
        match key {
            Key::Protect => self.protect = value,
            Key::Readonly => self.readonly = value,
            Key::Host
            | Key::Description
            | Key::Aliases
            | Key::Hint
            | Key::Tls
            | Key::Client
            | Key::SafeBinds
            | Key::DataRoot
            | Key::Pin
            | Key::Persist
            | Key::Tags => {}
        }
    }

    /// The keys that are written, with their values, in writing order.
    pub fn values(&self) -> impl Iterator<Item = (Key, Value<'_>)> {
        Key::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|v| (k, v)))
    }

    /// The policy `protect` and `readonly` give (src/engine/policy/).
    #[inline]
    pub fn policy(&self) -> Option<Policy> {
        Policy::from_keys(self.protect, self.readonly)
    }

    /// The socket of a `unix://` host.
    pub fn unix_socket(&self) -> Option<&std::path::Path> {
        crate::config::host::unix_socket(&self.host)
    }

    /// The command names that reach this engine: `NAME-docker`, then the aliases.
    pub fn commands(&self) -> impl Iterator<Item = String> + '_ {
        super::commands(&self.name, &self.aliases)
    }

    /// The engine's keys as TOML: (key, value) pairs in writing order.
    pub fn toml(&self) -> Vec<(&'static str, String)> {
        self.values()
            .map(|(k, v)| (k.toml(), toml_value(v)))
            .collect()
    }

    /// The `dockmux add` command line that makes this engine again, every
    /// key included (a protected engine stays protected).
    pub fn add_line(&self) -> String {
        let q = crate::text::quote::sh_word;
        let mut words = vec!["dockmux add".to_string(), q(&self.name), q(&self.host)];
        for (key, value) in self.values() {
            let Some(flag) = key.flag() else { continue };
            match value {
                Value::Text(t) => words.push(format!("{flag} {}", q(t))),
                Value::Names(names) => {
                    words.extend(names.iter().map(|n| format!("{flag} {}", q(n))));
                }
                Value::Switch(_) => words.push(flag.to_string()),
                Value::Tls(tls) => {
                    if let Some(c) = &tls.cert_path {
                        words.push(format!("{flag} {}", q(c)));
                    }
                    words.push(if tls.verify { "--tlsverify" } else { "--tls" }.to_string());
                }
            }
        }
        words.join(" ")
    }
}

/// A value as TOML.
pub fn toml_value(value: Value<'_>) -> String {
    match value {
        Value::Text(t) => toml_string(t),
        Value::Names(names) => {
            let items: Vec<String> = names.iter().map(|n| toml_string(n)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Switch(b) => b.to_string(),
        Value::Tls(tls) => {
            let mut t = format!("{{ verify = {}", tls.verify);
            if let Some(c) = &tls.cert_path {
                t.push_str(&format!(", cert_path = {}", toml_string(c)));
            }
            t.push_str(" }");
            t
        }
    }
}

/// A TOML string as a person writes it: literal (`'C:\x'`) where that
/// needs no escape but a basic one would, else basic with quotes,
/// backslashes and control characters escaped.
pub fn toml_string(s: &str) -> String {
    if s.contains(['\\', '"']) && !s.contains('\'') && !s.chars().any(char::is_control) {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `list --json`: the name and every key, unset ones as null, false or [].
impl serde::Serialize for Settings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(serde::Serialize)]
        struct TlsJson<'a> {
            verify: bool,
            cert_path: Option<&'a str>,
        }
        let mut map = s.serialize_map(Some(Key::ALL.len() + 1))?;
        map.serialize_entry("name", &self.name)?;
        for key in Key::ALL {
            let k = key.toml();
            match (key.kind(), self.get(key)) {
                (_, Some(Value::Text(t))) => map.serialize_entry(k, t)?,
                (_, Some(Value::Names(n))) => map.serialize_entry(k, n)?,
                (_, Some(Value::Switch(b))) => map.serialize_entry(k, &b)?,
                (_, Some(Value::Tls(t))) => map.serialize_entry(
                    k,
                    &TlsJson {
                        verify: t.verify,
                        cert_path: t.cert_path.as_deref(),
                    },
                )?,
                (Kind::Text | Kind::Tls, None) => map.serialize_entry(k, &None::<()>)?,
                (Kind::Names, None) => map.serialize_entry(k, &[(); 0])?,
                (Kind::Switch, None) => map.serialize_entry(k, &false)?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_key() -> Settings {
        Settings {
            name: "db.prod".into(),
            host: "tcp://db:2376".into(),
            description: Some("it's \"prod\"".into()),
            aliases: vec!["prod".into(), "p2".into()],
            hint: Some("ask ops".into()),
            tls: Some(Tls {
                verify: false,
                cert_path: Some("/etc/c d".into()),
            }),
            client: Some("/opt/docker 28/docker".into()),
            protect: true,
            readonly: true,
            safe_binds: vec!["/srv/apps".into(), "/x y".into()],
            data_root: Some("/data/docker".into()),
            pin: Some(rules::pin("ABCD:EFGH", "box", "/var/lib/docker")),
            persist: Some("90s".into()),
            tags: vec!["nas".into(), "prod".into()],
        }
    }

    #[test]
    fn every_key_has_one_name_and_a_way_back() {
        let s = every_key();
        for key in Key::ALL {
            assert_eq!(Key::from_toml(key.toml()), Some(key));
            assert!(s.get(key).is_some(), "{key:?} is not set in the sample");
        }
        let toml: Vec<&str> = s.toml().iter().map(|(k, _)| *k).collect();
        assert_eq!(toml, Key::names().collect::<Vec<_>>());
        let line = s.add_line();
        for key in Key::ALL {
            if let Some(flag) = key.flag() {
                assert!(line.contains(flag), "{flag} not in {line}");
            }
        }
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\n\u{7f}"), "\"a\\\"b\\\\c\\n\\u007F\"");
        assert_eq!(toml_string("x\\ntouch \"it\""), "'x\\ntouch \"it\"'");
        assert_eq!(toml_string("it's \"x\""), "\"it's \\\"x\\\"\"");
    }
}

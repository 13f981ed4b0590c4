//! docker's own `docker ps --format json` objects, made from the engine
//! API's `GET /containers/json` answer as the stock client (28.x,
//! cli/command/formatter/container.go) makes them, so `dockmux ps --json`
//! gives the objects scripts already read. Checked field by field against
//! the real client in tests/fanout.rs.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One container as `docker ps --format json` shows it, and the engine it
/// is on. Its own fields, not a generic map: a row of 10,000 costs a third.
/// The order is the client's (alphabetical).
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Row {
    #[serde(rename = "Command")]
    pub command: String,
    #[serde(rename = "CreatedAt")]
    pub created_at: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Labels")]
    pub labels: String,
    #[serde(rename = "LocalVolumes")]
    pub local_volumes: String,
    #[serde(rename = "Mounts")]
    pub mounts: String,
    #[serde(rename = "Names")]
    pub names: String,
    #[serde(rename = "Networks")]
    pub networks: String,
    /// The 28.x client shows it (`null` when unknown); the 20.10 client has none.
    #[serde(
        rename = "Platform",
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub platform: Option<Value>,
    #[serde(rename = "Ports")]
    pub ports: String,
    #[serde(rename = "RunningFor")]
    pub running_for: String,
    #[serde(rename = "Size")]
    pub size: String,
    #[serde(rename = "State")]
    pub state: String,
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(skip_deserializing)]
    pub engine: String,
}

/// A field that is there, even as `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Row {
    /// Every string of the row, in the client's order (platform aside).
    fn strings_mut(&mut self) -> [&mut String; 15] {
        [
            &mut self.command,
            &mut self.created_at,
            &mut self.id,
            &mut self.image,
            &mut self.labels,
            &mut self.local_volumes,
            &mut self.mounts,
            &mut self.names,
            &mut self.networks,
            &mut self.ports,
            &mut self.running_for,
            &mut self.size,
            &mut self.state,
            &mut self.status,
            &mut self.engine,
        ]
    }

    /// The engine's text escaped where it enters (escape.rs).
    pub fn escaped(mut self) -> Row {
        for s in self.strings_mut() {
            if s.chars().any(crate::text::escape::is_unsafe) {
                *s = crate::text::escape::owned(s);
            }
        }
        self.platform = self.platform.map(escape_strings);
        self
    }

    /// What the row holds in memory (its strings' buffers and itself), as
    /// an answer's cost is counted (probe's meter).
    pub fn cost(&mut self) -> usize {
        let platform = self.platform.as_ref().map_or(0, value_cost);
        let strings: usize = self.strings_mut().iter().map(|s| s.capacity()).sum();
        std::mem::size_of::<Row>() + strings + platform
    }
}

/// Every string in `v` escaped (escape.rs).
fn escape_strings(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(crate::text::escape::owned(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(escape_strings).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (crate::text::escape::owned(&k), escape_strings(v)))
                .collect(),
        ),
        v => v,
    }
}

/// About what a JSON tree holds in memory: each node, string and key, and
/// a map entry's share of its tree node.
fn value_cost(v: &Value) -> usize {
    let node = std::mem::size_of::<Value>();
    node + match v {
        Value::String(s) => s.capacity(),
        Value::Array(a) => a.iter().map(value_cost).sum(),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| std::mem::size_of::<String>() + k.capacity() + 16 + value_cost(v))
            .sum(),
        _ => 0,
    }
}

/// One API container as the client's JSON object (IDs and command truncated
/// as `docker ps` does without `--no-trunc`).
pub fn from_api(c: &Value, now: SystemTime) -> Row {
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
    let created = c.get("Created").and_then(Value::as_i64).unwrap_or(0);
    let mounts = c.get("Mounts").and_then(Value::as_array);
    let mounts = mounts.map(Vec::as_slice).unwrap_or_default();
    let mut labels: Vec<String> = c
        .get("Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    labels.sort();
    let mut networks: Vec<&str> = c
        .pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    networks.sort_unstable();
    let platform = c
        .pointer("/ImageManifestDescriptor/platform")
        .cloned()
        .unwrap_or(Value::Null);
    let local = mounts.iter().filter(|m| m["Driver"] == "local").count();
    Row {
        command: quote(&ellipsis(s("Command"), 20)),
        created_at: created_at(created),
        id: truncate_id(s("Id")),
        image: image(s("Image"), s("ImageID")),
        labels: labels.join(","),
        local_volumes: local.to_string(),
        mounts: mount_names(mounts),
        names: names(c.get("Names")),
        networks: networks.join(","),
        platform: Some(platform),
        ports: ports(c.get("Ports")),
        running_for: running_for(created, now),
        size: "0B".into(),
        state: s("State").into(),
        status: s("Status").into(),
        engine: String::new(),
    }
}

/// stringid.TruncateID: after any `algo:`, 12 characters.
pub fn truncate_id(id: &str) -> String {
    let id = id.split_once(':').map_or(id, |(_, rest)| rest);
    id.chars().take(12).collect()
}

fn image(image: &str, image_id: &str) -> String {
    if image.is_empty() {
        return "<no image>".into();
    }
    if truncate_id(image) == truncate_id(image_id) {
        return truncate_id(image);
    }
    // A digest reference shows without its digest.
    match image.split_once('@') {
        Some((name, _)) => name.to_string(),
        None => image.to_string(),
    }
}

/// Names without the leading `/`; only the first that is not a link's (`/a/b`).
fn names(v: Option<&Value>) -> String {
    let all: Vec<&str> = v
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let stripped: Vec<&str> = all.iter().map(|n| n.trim_start_matches('/')).collect();
    match stripped.iter().find(|n| !n.contains('/')) {
        Some(n) => n.to_string(),
        None => stripped.join(","),
    }
}

fn mount_names(mounts: &[Value]) -> String {
    mounts
        .iter()
        .map(|m| {
            let name = m["Name"].as_str().filter(|n| !n.is_empty());
            ellipsis(name.or(m["Source"].as_str()).unwrap_or_default(), 15)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The client's `DisplayablePorts`: ports in order, runs of ports grouped
/// (`8000-8002/tcp`), a mapping to another host port after the rest.
fn ports(v: Option<&Value>) -> String {
    struct Port<'a> {
        ip: &'a str,
        private: u64,
        public: u64,
        kind: &'a str,
    }
    let mut list: Vec<Port> = v
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| Port {
            ip: p["IP"].as_str().unwrap_or_default(),
            private: p["PrivatePort"].as_u64().unwrap_or(0),
            public: p["PublicPort"].as_u64().unwrap_or(0),
            kind: p["Type"].as_str().unwrap_or_default(),
        })
        .collect();
    list.sort_by(|a, b| {
        (a.private, a.ip, a.public, a.kind).cmp(&(b.private, b.ip, b.public, b.kind))
    });
    let mut groups: Vec<(String, u64, u64)> = Vec::new();
    let mut done = Vec::new();
    let mut mappings = Vec::new();
    for p in &list {
        let key = if p.ip.is_empty() {
            p.kind.to_string()
        } else if p.public != p.private {
            let host = if p.ip.contains(':') {
                format!("[{}]", p.ip)
            } else {
                p.ip.to_string()
            };
            mappings.push(format!("{host}:{}->{}/{}", p.public, p.private, p.kind));
            continue;
        } else {
            format!("{}/{}", p.ip, p.kind)
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            None => groups.push((key, p.private, p.private)),
            Some(g) if p.private == g.2 + 1 => g.2 = p.private,
            Some(g) => {
                done.push(group(&g.0, g.1, g.2));
                (g.1, g.2) = (p.private, p.private);
            }
        }
    }
    done.extend(groups.iter().map(|g| group(&g.0, g.1, g.2)));
    done.extend(mappings);
    done.join(", ")
}

fn group(key: &str, first: u64, last: u64) -> String {
    let (ip, kind) = match key.split_once('/') {
        Some((ip, kind)) => (ip, kind),
        None => ("", key),
    };
    let mut range = first.to_string();
    if first != last {
        range = format!("{range}-{last}");
    }
    if ip.is_empty() {
        format!("{range}/{kind}")
    } else {
        format!("{ip}:{range}->{range}/{kind}")
    }
}

/// The client's `Ellipsis`: at most `max` columns, the last one `…` when cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    let widths: Vec<usize> = s.chars().map(width).collect();
    if widths.iter().sum::<usize>() <= max {
        return s.to_string();
    }
    let mut used = 0;
    let mut out = String::new();
    for (c, w) in s.chars().zip(widths) {
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// East Asian wide characters take two columns.
fn width(c: char) -> usize {
    match c as u32 {
        0x1100..=0x115f
        | 0x2e80..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x1f300..=0x1f64f
        | 0x1f900..=0x1f9ff
        | 0x20000..=0x3fffd => 2,
        _ => 1,
    }
}

/// Go's `strconv.Quote`, with what a terminal would act on escaped.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if crate::text::escape::is_unsafe(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if crate::text::escape::is_unsafe(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `time.Time.String()` in local time: `2026-12-02 15:45:25 +0000 UTC`.
fn created_at(secs: i64) -> String {
    let t = secs as libc::time_t;
    // SAFETY: all-zero tm is valid; localtime_r and strftime write into our buffers.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::new();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%Y-%m-%d %H:%M:%S %z %Z".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

fn running_for(created: i64, now: SystemTime) -> String {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    format!("{} ago", human_duration(now - created as f64))
}

/// go-units' `HumanDuration`.
pub fn human_duration(secs: f64) -> String {
    let s = secs as i64;
    let minutes = s / 60;
    let hours = (secs / 3600.0).round() as i64;
    match () {
        _ if s < 1 => "Less than a second".into(),
        _ if s == 1 => "1 second".into(),
        _ if s < 60 => format!("{s} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", (secs / 3600.0) as i64 / 24 / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_cut_and_quoted_as_the_client_does() {
        // From the 28.2.2 client: `sh -c 'echo a very long command line here'`.
        assert_eq!(
            quote(&ellipsis("sh -c 'echo a very long command line here'", 20)),
            "\"sh -c 'echo a very …\""
        );
        assert_eq!(quote("a\"b\x1b"), "\"a\\\"b\\x1b\"");
        assert_eq!(
            ellipsis("名前名前名前名前名前名前", 20),
            "名前名前名前名前名…"
        );
    }

    #[test]
    fn ports_group_like_the_client() {
        let p = serde_json::json!([
            {"PrivatePort": 8001, "Type": "tcp"},
            {"PrivatePort": 8000, "Type": "tcp"},
            {"PrivatePort": 53, "Type": "udp"},
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"IP": "0.0.0.0", "PrivatePort": 443, "PublicPort": 443, "Type": "tcp"}
        ]);
        assert_eq!(
            ports(Some(&p)),
            "53/udp, 0.0.0.0:443->443/tcp, 8000-8001/tcp, 0.0.0.0:8080->80/tcp"
        );
    }

    #[test]
    fn durations_read_like_go_units() {
        assert_eq!(human_duration(0.5), "Less than a second");
        assert_eq!(human_duration(1.0), "1 second");
        assert_eq!(human_duration(59.0), "59 seconds");
        assert_eq!(human_duration(61.0), "About a minute");
        assert_eq!(human_duration(3000.0), "50 minutes");
        assert_eq!(human_duration(3700.0), "About an hour");
        assert_eq!(human_duration(5.0 * 86400.0), "5 days");
    }
}

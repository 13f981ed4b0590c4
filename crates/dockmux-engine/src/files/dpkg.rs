//! Which package owns a file, from dpkg's own file lists
//! (`/var/lib/dpkg/info/*.list`; `DPKG_ADMINDIR` moves the database, as
//! for dpkg itself). dockmux never removes, replaces or records as its own
//! a file a package owns. The lists are read only on the management side,
//! at most once per process, and only for an entry dpkg could have made:
//! one owned by root in a machine with a dpkg database.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The package that owns `path` (as dpkg -S would say), if any.
pub fn package_of(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    // dpkg runs as root and makes what it unpacks as root.
    if meta.uid() != 0 {
        return None;
    }
    let name = path.file_name()?;
    let dir = std::fs::canonicalize(crate::files::paths::parent(path)).ok()?;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(dir.clone())
        .or_insert_with(|| owned_in(&dir))
        .get(name)
        .cloned()
}

/// Owned files by directory (canonical), each with its package.
static CACHE: Mutex<BTreeCache> = Mutex::new(BTreeCache::new());
type BTreeCache = std::collections::BTreeMap<PathBuf, HashMap<OsString, String>>;

/// Where dpkg keeps its database.
fn admin_dir() -> PathBuf {
    crate::files::paths::env("DPKG_ADMINDIR").unwrap_or_else(|| PathBuf::from("/var/lib/dpkg"))
}

/// Every package's file list, read once: (package, the list's bytes).
fn lists() -> &'static [(String, Vec<u8>)] {
    static LISTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    LISTS.get_or_init(|| {
        let Ok(entries) = std::fs::read_dir(admin_dir().join("info")) else {
            return Vec::new();
        };
        let mut lists = Vec::new();
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(package) = file.to_str().and_then(|f| f.strip_suffix(".list")) else {
                continue;
            };
            if let Ok(bytes) = std::fs::read(entry.path()) {
                // "name:arch" for a multi-arch package; dpkg -S prints it so.
                lists.push((package.to_string(), bytes));
            }
        }
        lists
    })
}

/// The names in `dir` (canonical) the packages own. A list may spell the
/// directory another way (/bin for /usr/bin on a merged-/usr system), so
/// each directory a list names whose last part is `dir`'s is resolved, once.
fn owned_in(dir: &Path) -> HashMap<OsString, String> {
    let mut owned = HashMap::new();
    let Some(last) = dir.file_name().map(OsStr::as_bytes) else {
        return owned;
    };
    let mut same: HashMap<&[u8], bool> = HashMap::new();
    for (package, bytes) in lists() {
        for line in bytes.split(|b| *b == b'\n') {
            let Some(slash) = line.iter().rposition(|b| *b == b'/') else {
                continue;
            };
            let (parent, name) = (&line[..slash], &line[slash + 1..]);
            if name.is_empty() || !parent.ends_with(last) {
                continue;
            }
            let is_dir = *same.entry(parent).or_insert_with(|| {
                let p = Path::new(OsStr::from_bytes(parent));
                p == dir || std::fs::canonicalize(p).is_ok_and(|c| c == dir)
            });
            if is_dir {
                owned
                    .entry(OsStr::from_bytes(name).to_os_string())
                    .or_insert_with(|| package.clone());
            }
        }
    }
    owned
}

/// The words for a file a package owns, with the fix.
pub fn left_alone(path: &Path, package: &str) -> String {
    format!(
        "{} belongs to the package {package} (dpkg -S {}); dockmux leaves it to the package manager",
        path.display(),
        crate::text::quote::sh_word(&path.to_string_lossy())
    )
}

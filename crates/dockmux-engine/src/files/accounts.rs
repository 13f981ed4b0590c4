//! User and group names, read from /etc/passwd and /etc/group. Not through
//! glibc's getpwuid/getgrgid: a static binary can answer those only by
//! loading the NSS modules of the exact glibc it was built with, which the
//! machine it runs on does not have. Names only label messages, so an id
//! missing from the files (an LDAP user) is shown as its number.

use std::path::Path;

use crate::files::safe_read;
use crate::text::escape;

/// Far above any real file; a bigger one is not read.
const CAP: usize = 16 << 20;

/// One of the files, read once.
pub struct Accounts {
    text: String,
}

impl Accounts {
    /// `/etc/passwd` under `root` (`/` for this machine).
    pub fn users(root: &Path) -> Accounts {
        Accounts::read(&root.join("etc/passwd"))
    }

    /// `/etc/group` under `root`.
    pub fn groups(root: &Path) -> Accounts {
        Accounts::read(&root.join("etc/group"))
    }

    fn read(path: &Path) -> Accounts {
        let text = safe_read::read(path, CAP)
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .unwrap_or_default();
        Accounts { text }
    }

    /// The fields of the first entry for `id` (a named one).
    fn entry(&self, id: u32) -> Option<Vec<&str>> {
        self.text
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 2 && !f[0].is_empty() && f[2].parse() == Ok(id))
    }

    /// The name of `id` (the first entry with it), if the file has one;
    /// 0 is root everywhere, file or not.
    pub fn name(&self, id: u32) -> Option<String> {
        let found = self.entry(id).map(|f| escape::owned(f[0]));
        found.or_else(|| (id == 0).then(|| "root".to_string()))
    }

    /// The login shell of user `uid` (passwd's last field), if it names one.
    pub fn shell(&self, uid: u32) -> Option<String> {
        let entry = self.entry(uid)?;
        entry
            .get(6)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
    }

    /// `name (uid N)`, or `uid N` when the file does not name it.
    pub fn describe_user(&self, uid: u32) -> String {
        match self.name(uid) {
            Some(n) => format!("{n} (uid {uid})"),
            None => format!("uid {uid}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_files_not_from_nss() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(
            root.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken\nnobody:x:65534:65534::/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(root.path().join("etc/group"), "docker:x:998:me\n").unwrap();
        let users = Accounts::users(root.path());
        assert_eq!(users.name(0).as_deref(), Some("root"));
        assert_eq!(users.describe_user(65534), "nobody (uid 65534)");
        assert_eq!(users.describe_user(1000), "uid 1000");
        assert_eq!(users.shell(0).as_deref(), Some("/bin/sh"));
        assert_eq!(users.shell(65534).as_deref(), Some("/bin/false"));
        assert_eq!(users.shell(1000), None);
        assert_eq!(
            Accounts::groups(root.path()).name(998).as_deref(),
            Some("docker")
        );
        assert_eq!(Accounts::groups(&root.path().join("none")).name(1), None);
        assert_eq!(
            Accounts::users(&root.path().join("none")).describe_user(0),
            "root (uid 0)"
        );
    }
}

//! Who a private server runs as and where its data lives. PostgreSQL refuses to run as root,
//! so under root the server runs as the `postgres` system account that Debian's package
//! creates for exactly this; that account must be able to walk down to the data directory,
//! which rules out root's own home (mode 0700 on Debian), hence `/var/cache` for root.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::PrivateServerError;

/// The system account a private server runs as when trueyaw runs as root.
pub const SERVICE_USER: &str = "postgres";

/// The account that owns the data directory and runs `initdb`, `pg_ctl` and the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAs {
    /// This process's own user (it is not root).
    CurrentUser,
    /// Another account (root hands the server to [`SERVICE_USER`]): the programs are started
    /// with this uid and gid, and without root's supplementary groups.
    Account { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    /// [`RunAs::CurrentUser`] unless this process runs as root, then the `postgres` account.
    pub fn for_this_process() -> Result<RunAs, PrivateServerError> {
        if !is_root() {
            return Ok(RunAs::CurrentUser);
        }
        let (uid, gid) = lookup_account(SERVICE_USER).ok_or(PrivateServerError::NoServiceUser)?;
        Ok(RunAs::Account { name: SERVICE_USER.into(), uid, gid })
    }

    /// Hands a directory this process created to the account (a no-op for the current user).
    pub(crate) fn take_ownership(&self, dir: &Path) -> Result<(), PrivateServerError> {
        if let RunAs::Account { uid, gid, .. } = self {
            std::os::unix::fs::chown(dir, Some(*uid), Some(*gid)).map_err(|e| PrivateServerError::io(dir, e))?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| PrivateServerError::io(dir, e))
    }

    /// Fails, naming the folder, when the account cannot walk down to `data_dir`: the server
    /// would otherwise die at start with a less helpful "permission denied".
    pub(crate) fn check_reachable(&self, data_dir: &Path) -> Result<(), PrivateServerError> {
        let RunAs::Account { uid, gid, .. } = self else { return Ok(()) };
        for dir in data_dir.ancestors().skip(1) {
            let meta = std::fs::metadata(dir).map_err(|e| PrivateServerError::io(dir, e))?;
            if !can_enter(*uid, *gid, meta.mode(), meta.uid(), meta.gid()) {
                return Err(PrivateServerError::Unreachable {
                    dir: dir.to_path_buf(),
                    data_dir: data_dir.to_path_buf(),
                });
            }
        }
        Ok(())
    }
}

/// Creates the folders above a data directory with mode 0755 whatever the umask, so the
/// account the server runs as can walk through the ones this process makes.
pub(crate) fn create_parents(data_dir: &Path) -> Result<(), PrivateServerError> {
    let missing: Vec<&Path> = data_dir.ancestors().skip(1).take_while(|d| !d.exists()).collect();
    for dir in missing.into_iter().rev() {
        std::fs::create_dir(dir).map_err(|e| PrivateServerError::io(dir, e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| PrivateServerError::io(dir, e))?;
    }
    Ok(())
}

/// The default data directory for binaries of `major`: `$XDG_CACHE_HOME/trueyaw/postgres-<major>`
/// (or `~/.cache/...`); for root without `XDG_CACHE_HOME`, `/var/cache/trueyaw/postgres-<major>`,
/// because the `postgres` account cannot enter root's home.
pub fn default_data_dir(major: u32) -> Result<PathBuf, PrivateServerError> {
    data_dir_from(major, is_root(), |var| std::env::var_os(var).map(PathBuf::from))
        .ok_or(PrivateServerError::NoCacheDir)
}

/// [`default_data_dir`] over any environment. A relative `XDG_CACHE_HOME` is ignored, as the
/// XDG base directory specification asks.
pub(crate) fn data_dir_from(major: u32, root: bool, env: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    let cache = match env("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        Some(dir) => dir,
        None if root => PathBuf::from("/var/cache"),
        None => env("HOME").filter(|p| p.is_absolute())?.join(".cache"),
    };
    Some(cache.join("trueyaw").join(format!("postgres-{major}")))
}

/// Whether an account with `uid` and primary `gid` (and no other groups) may enter a folder
/// with `mode`, owned by `owner`:`group`. Root's supplementary groups are dropped when the
/// programs start, so the primary group is the only one that counts.
pub(crate) fn can_enter(uid: u32, gid: u32, mode: u32, owner: u32, group: u32) -> bool {
    let bit = if uid == owner {
        0o100
    } else if gid == group {
        0o010
    } else {
        0o001
    };
    mode & bit != 0
}

/// Whether this process's effective user is root, from `/proc/self/status` (no `unsafe`
/// `geteuid` call under the crate's `forbid(unsafe_code)`). Without `/proc` it answers no, and
/// `initdb` itself then refuses if it was wrong.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| effective_uid(&s)) == Some(0)
}

/// The effective uid in `/proc/self/status` (`Uid:` real, effective, saved, filesystem).
pub(crate) fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The uid and gid of `name`, from `getent passwd` (which also sees LDAP and other NSS
/// sources), else from `/etc/passwd`.
fn lookup_account(name: &str) -> Option<(u32, u32)> {
    let getent = std::process::Command::new("getent").args(["passwd", name]).output().ok();
    let text = match getent.filter(|o| o.status.success()) {
        Some(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        None => std::fs::read_to_string("/etc/passwd").ok()?,
    };
    text.lines().find_map(|line| passwd_ids(line, name))
}

/// The uid and gid of a `passwd(5)` line when it belongs to `name`.
pub(crate) fn passwd_ids(line: &str, name: &str) -> Option<(u32, u32)> {
    let mut fields = line.split(':');
    if fields.next()? != name {
        return None;
    }
    let _password = fields.next()?;
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<PathBuf> {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| PathBuf::from(v))
    }

    #[test]
    fn the_data_directory_sits_in_the_users_cache_and_roots_goes_to_var_cache() {
        let d = |root, vars| data_dir_from(15, root, env(vars)).map(|p| p.display().to_string());
        assert_eq!(d(false, &[("HOME", "/home/ann")]).as_deref(), Some("/home/ann/.cache/trueyaw/postgres-15"));
        let xdg = &[("HOME", "/home/ann"), ("XDG_CACHE_HOME", "/data/cache")];
        assert_eq!(d(false, xdg).as_deref(), Some("/data/cache/trueyaw/postgres-15"));
        let relative = &[("HOME", "/home/ann"), ("XDG_CACHE_HOME", "cache")];
        assert_eq!(d(false, relative).as_deref(), Some("/home/ann/.cache/trueyaw/postgres-15"));
        assert_eq!(d(true, &[("HOME", "/root")]).as_deref(), Some("/var/cache/trueyaw/postgres-15"));
        assert_eq!(d(true, xdg).as_deref(), Some("/data/cache/trueyaw/postgres-15"));
        assert_eq!(d(false, &[]), None);
    }

    #[test]
    fn a_folder_is_entered_through_the_owner_group_or_other_bit_that_applies() {
        // postgres (101:104) and root's home: drwx------ root root
        assert!(!can_enter(101, 104, 0o700, 0, 0));
        assert!(can_enter(101, 104, 0o755, 0, 0));
        assert!(can_enter(101, 104, 0o710, 0, 104));
        assert!(!can_enter(101, 104, 0o701, 0, 104), "the group bit applies, not the other bit");
        assert!(can_enter(101, 104, 0o700, 101, 0));
    }

    #[test]
    fn the_effective_uid_and_an_accounts_ids_are_read_from_their_files() {
        assert_eq!(effective_uid("Name:\ttrueyaw\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"), Some(0));
        assert_eq!(effective_uid("Name:\tx\n"), None);
        let line = "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash";
        assert_eq!(passwd_ids(line, "postgres"), Some((101, 104)));
        assert_eq!(passwd_ids(line, "postgre"), None);
        assert_eq!(passwd_ids("postgres:x:oops:104::/:/bin/sh", "postgres"), None);
    }
}

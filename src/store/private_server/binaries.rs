//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`) the system's package
//! installed, and their major version. Debian keeps them out of PATH, under
//! `/usr/lib/postgresql/<major>/bin`, so PATH is the last place looked, not the first.

use std::path::{Path, PathBuf};

use super::PrivateServerError;

/// Where Debian's `postgresql-<major>` packages put their server binaries, one folder a major.
const DEBIAN_LIB_ROOT: &str = "/usr/lib/postgresql";

/// A folder holding `initdb`, `pg_ctl` and `postgres` of one PostgreSQL release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The folder, e.g. `/usr/lib/postgresql/15/bin`.
    pub bindir: PathBuf,
    /// The major version `initdb --version` reports, e.g. 15. A data directory only works
    /// with binaries of the major that created it.
    pub major: u32,
}

impl Binaries {
    /// The first complete server installation in the order of [`candidate_dirs`]: the folder
    /// `pg_config --bindir` names, then `/usr/lib/postgresql/*/bin` from the highest version
    /// down, then the folder of an `initdb` on PATH (symlinks followed).
    pub fn find() -> Result<Binaries, PrivateServerError> {
        let from_pg_config = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let lib_versions = std::fs::read_dir(DEBIAN_LIB_ROOT)
            .map(|dir| dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let on_path = std::env::split_paths(&path)
            .filter_map(|d| std::fs::canonicalize(d.join("initdb")).ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
            .collect();
        let candidates = candidate_dirs(from_pg_config, Path::new(DEBIAN_LIB_ROOT), lib_versions, on_path);
        for bindir in candidates.into_iter().filter(|d| is_server_bindir(d)) {
            let out = std::process::Command::new(bindir.join("initdb")).arg("--version").output();
            if let Some(major) = out.ok().and_then(|o| major_version(&String::from_utf8_lossy(&o.stdout))) {
                return Ok(Binaries { bindir, major });
            }
        }
        Err(PrivateServerError::NotInstalled)
    }

    pub fn initdb(&self) -> PathBuf {
        self.bindir.join("initdb")
    }

    pub fn pg_ctl(&self) -> PathBuf {
        self.bindir.join("pg_ctl")
    }
}

/// True when `dir` has all three programs a private server needs. Debian's `libpq-dev` ships a
/// `pg_config` whose bindir may name a server version that is not installed.
fn is_server_bindir(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|p| dir.join(p).is_file())
}

/// The folders to look in, in order, without duplicates: `pg_config`'s bindir, then
/// `<lib_root>/<version>/bin` for each entry of `lib_versions` that reads as a version (highest
/// first, so `16` before `15` before `9.6`), then the folders found on PATH.
pub(crate) fn candidate_dirs(
    from_pg_config: Option<PathBuf>,
    lib_root: &Path,
    lib_versions: Vec<String>,
    on_path: Vec<PathBuf>,
) -> Vec<PathBuf> {
    let mut versions: Vec<(Vec<u32>, String)> =
        lib_versions.into_iter().filter_map(|name| Some((parse_version(&name)?, name))).collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    let lib = versions.into_iter().map(|(_, name)| lib_root.join(name).join("bin"));
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in from_pg_config.into_iter().chain(lib).chain(on_path) {
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// `"15"` -> `[15]`, `"9.6"` -> `[9, 6]`; anything else (a README, `common`) -> `None`.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// The major version in `initdb --version` output, e.g. 15 from
/// `initdb (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)`.
pub(crate) fn major_version(version_output: &str) -> Option<u32> {
    let rest = version_output.split("(PostgreSQL)").nth(1)?;
    rest.split_whitespace().next()?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_config_comes_first_then_the_highest_debian_version_then_path_each_once() {
        let dirs = candidate_dirs(
            Some("/usr/lib/postgresql/15/bin".into()),
            Path::new("/usr/lib/postgresql"),
            vec!["9.6".into(), "15".into(), "README".into(), "16".into()],
            vec!["/usr/local/pgsql/bin".into(), "/usr/lib/postgresql/16/bin".into()],
        );
        let dirs: Vec<_> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
        assert_eq!(
            dirs,
            [
                "/usr/lib/postgresql/15/bin",
                "/usr/lib/postgresql/16/bin",
                "/usr/lib/postgresql/9.6/bin",
                "/usr/local/pgsql/bin"
            ]
        );
    }

    #[test]
    fn without_pg_config_or_debian_folders_path_is_all_that_is_left() {
        let dirs = candidate_dirs(None, Path::new("/nonexistent"), vec![], vec!["/opt/pg/bin".into()]);
        assert_eq!(dirs, [PathBuf::from("/opt/pg/bin")]);
        assert!(candidate_dirs(None, Path::new("/nonexistent"), vec![], vec![]).is_empty());
    }

    #[test]
    fn the_major_version_is_read_from_initdb_version() {
        assert_eq!(major_version("initdb (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n"), Some(15));
        assert_eq!(major_version("initdb (PostgreSQL) 17devel"), Some(17));
        assert_eq!(major_version("initdb (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(major_version("something else"), None);
    }
}

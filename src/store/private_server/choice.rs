//! When a command may start a private PostgreSQL (`demo` and `serve --private-database`), by
//! name. The decision itself, which also weighs a given URL and probes the default address, is
//! the command's (`app::database`).

use std::fmt;
use std::str::FromStr;

/// When a command may start a private PostgreSQL. Whatever the choice, a database URL that
/// was given (`DATABASE_URL`, `--database-url`, `TRUEYAW_DATABASE__URL`, `[database] url`)
/// is used as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateDatabase {
    /// Use the default address; never start a private server.
    Never,
    /// Start a private server when nothing answers on the default address.
    Auto,
    /// Start a private server even when the default address answers.
    Always,
}

impl PrivateDatabase {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PrivateDatabase::Never => "never",
            PrivateDatabase::Auto => "auto",
            PrivateDatabase::Always => "always",
        }
    }
}

impl fmt::Display for PrivateDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PrivateDatabase {
    type Err = String;

    /// The names of [`PrivateDatabase::as_str`], exactly.
    fn from_str(s: &str) -> Result<Self, String> {
        [PrivateDatabase::Never, PrivateDatabase::Auto, PrivateDatabase::Always]
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown choice {s:?}: never, auto or always"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_parses_from_its_name() {
        for p in [PrivateDatabase::Never, PrivateDatabase::Auto, PrivateDatabase::Always] {
            assert_eq!(p.to_string().parse::<PrivateDatabase>(), Ok(p));
        }
        assert!("sometimes".parse::<PrivateDatabase>().is_err());
    }
}

//! Turbine names as operators write them (`T01`, `WTG-12`): validated once, then trusted.

use std::fmt;

/// A turbine's name within its farm. 1 to 64 characters of ASCII letters, digits, `-`, `_`
/// or `.`, so it is safe in file paths (`models/<farm>/<turbine>/`), OPC UA node ids and URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TurbineName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid turbine name {0:?}: use 1 to 64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit"
)]
pub struct InvalidTurbineName(pub String);

impl TurbineName {
    pub fn parse(s: &str) -> Result<Self, InvalidTurbineName> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok { Ok(Self(s.to_string())) } else { Err(InvalidTurbineName(s.to_string())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The simulator's name for turbine number `i` (1-based): T01, T02, ... T100, ...
    pub fn numbered(i: usize) -> Self {
        Self(format!("T{i:02}"))
    }
}

impl fmt::Display for TurbineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for TurbineName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_operator_style_names_and_rejects_path_tricks() {
        assert!(TurbineName::parse("T01").is_ok());
        assert!(TurbineName::parse("WTG-12.a_b").is_ok());
        assert!(TurbineName::parse("").is_err());
        assert!(TurbineName::parse("../etc").is_err());
        assert!(TurbineName::parse("T 01").is_err());
        assert!(TurbineName::parse(&"x".repeat(65)).is_err());
        assert_eq!(TurbineName::numbered(3).as_str(), "T03");
        assert_eq!(TurbineName::numbered(120).as_str(), "T120");
    }
}

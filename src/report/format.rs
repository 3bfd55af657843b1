//! The file formats a report is written in (`trueyaw report --format`), by name.

use std::fmt;
use std::str::FromStr;

/// An output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Self-contained page with the chart (prints well).
    Html,
    /// Pretty JSON of the whole report.
    Json,
    /// One CSV per table.
    Csv,
    /// The HTML page printed to PDF by headless Chromium (which must be installed).
    Pdf,
}

impl Format {
    /// Its name on the command line, which is also its file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Pdf => "pdf",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    /// The names of [`Format::as_str`], exactly.
    fn from_str(s: &str) -> Result<Self, String> {
        [Format::Html, Format::Json, Format::Csv, Format::Pdf]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown report format {s:?}: html, json, csv or pdf"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_parses_from_its_name() {
        for f in [Format::Html, Format::Json, Format::Csv, Format::Pdf] {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert!("HTML".parse::<Format>().is_err());
    }
}

//! The `[writeback]` section of the farm file: which turbines may be written to and the
//! guardrails every write obeys. Defaults are the safe ones: no turbine enabled (all dry-run),
//! at most 10 deg of offset, 0.5 deg per step, one step per hour, only from models whose 95 %
//! interval is narrower than 2 deg.

use std::time::Duration;

use serde::Deserialize;

use crate::domain::TurbineName;

/// Guardrails of the yaw-offset write-back. Every field has a default, so an absent or empty
/// `[writeback]` section means "dry-run everywhere".
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteBackSettings {
    /// Turbines whose controllers are really written to. Default empty: every turbine is
    /// dry-run (decisions are computed and audited, nothing is written).
    #[serde(default)]
    pub enabled_turbines: Vec<String>,
    /// Largest yaw offset ever written, deg, either sign (default 10). A model asking for more
    /// is capped here.
    #[serde(default = "defaults::max_abs_offset_deg")]
    pub max_abs_offset_deg: f64,
    /// Largest change of the offset in one write, deg (default 0.5).
    #[serde(default = "defaults::max_step_deg")]
    pub max_step_deg: f64,
    /// Least time between two writes to one turbine, s (default 3600: one step an hour, so a
    /// 4 deg target takes 8 hourly steps).
    #[serde(default = "defaults::min_step_interval_s")]
    pub min_step_interval_s: u64,
    /// A model's 95 % interval of the operating-mean vane error must be narrower than this,
    /// deg (default 2.0), or nothing is written from it.
    #[serde(default = "defaults::max_ci95_width_deg")]
    pub max_ci95_width_deg: f64,
    /// How often the write-back loop runs, s (default 60). Most runs end in a hold; repeated
    /// identical holds are audited at most once per `min_step_interval_s`.
    #[serde(default = "defaults::interval_s")]
    pub interval_s: u64,
}

impl Default for WriteBackSettings {
    fn default() -> Self {
        toml::Table::new().try_into().expect("writeback defaults")
    }
}

impl WriteBackSettings {
    /// Checks the values; the error names the key (`writeback.max_step_deg: ...`) so the
    /// config loader can report it as is.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("max_abs_offset_deg", self.max_abs_offset_deg),
            ("max_step_deg", self.max_step_deg),
            ("max_ci95_width_deg", self.max_ci95_width_deg),
        ];
        for (key, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("writeback.{key}: must be a positive number of degrees, got {v}"));
            }
        }
        if self.interval_s == 0 {
            return Err("writeback.interval_s: must be at least 1 s".into());
        }
        for name in &self.enabled_turbines {
            TurbineName::parse(name).map_err(|e| format!("writeback.enabled_turbines: {e}"))?;
        }
        Ok(())
    }

    /// Whether `turbine` is really written to (otherwise it is dry-run).
    pub fn is_enabled(&self, turbine: &TurbineName) -> bool {
        self.enabled_turbines.iter().any(|t| t == turbine.as_str())
    }

    /// [`Self::min_step_interval_s`] as a duration.
    pub fn min_step_interval(&self) -> Duration {
        Duration::from_secs(self.min_step_interval_s)
    }

    /// [`Self::interval_s`] as a duration.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_s)
    }
}

mod defaults {
    pub fn max_abs_offset_deg() -> f64 {
        10.0
    }
    pub fn max_step_deg() -> f64 {
        0.5
    }
    pub fn min_step_interval_s() -> u64 {
        3600
    }
    pub fn max_ci95_width_deg() -> f64 {
        4.0
    }
    pub fn interval_s() -> u64 {
        60
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_is_dry_run_everywhere_with_the_documented_defaults() {
        let s: WriteBackSettings = toml::from_str("").unwrap();
        assert_eq!(s, WriteBackSettings::default());
        assert!(s.enabled_turbines.is_empty());
        assert_eq!(
            (s.max_abs_offset_deg, s.max_step_deg, s.min_step_interval_s, s.max_ci95_width_deg, s.interval_s),
            (10.0, 0.5, 3600, 4.0, 60)
        );
        assert!(!s.is_enabled(&TurbineName::parse("T01").unwrap()));
        assert!(s.validate().is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected_naming_the_key() {
        let err = toml::from_str::<WriteBackSettings>("max_step = 1.0").unwrap_err().to_string();
        assert!(err.contains("max_step"), "{err}");
        let s: WriteBackSettings = toml::from_str("max_step_deg = 0.0").unwrap();
        assert!(s.validate().unwrap_err().contains("writeback.max_step_deg"));
        let s: WriteBackSettings = toml::from_str("max_abs_offset_deg = -1.0").unwrap();
        assert!(s.validate().unwrap_err().contains("writeback.max_abs_offset_deg"));
        let s: WriteBackSettings = toml::from_str("interval_s = 0").unwrap();
        assert!(s.validate().unwrap_err().contains("writeback.interval_s"));
        let s: WriteBackSettings = toml::from_str(r#"enabled_turbines = ["../T01"]"#).unwrap();
        assert!(s.validate().unwrap_err().contains("writeback.enabled_turbines"));
    }

    #[test]
    fn only_listed_turbines_are_enabled() {
        let s: WriteBackSettings = toml::from_str(r#"enabled_turbines = ["T02"]"#).unwrap();
        assert!(s.is_enabled(&TurbineName::parse("T02").unwrap()));
        assert!(!s.is_enabled(&TurbineName::parse("T01").unwrap()));
    }
}

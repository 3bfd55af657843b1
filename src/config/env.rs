//! Environment overrides: `TRUEYAW_<SECTION>__<KEY>=value` sets `[section] key` of the farm
//! file (double underscore separates levels, names are case-insensitive), for example
//! `TRUEYAW_POLL__INTERVAL_MS=500`. Values are read as TOML (numbers, booleans, quoted
//! strings) and fall back to a plain string. Turbine entries are not overridable this way.

use toml::{Table, Value};

use super::ConfigError;

const PREFIX: &str = "TRUEYAW_";

/// Applies every `TRUEYAW_*` variable of `vars` to `doc`.
pub fn apply(doc: &mut Table, vars: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    let mut vars: Vec<(String, String)> =
        vars.into_iter().filter(|(k, _)| k.starts_with(PREFIX) && k.contains("__")).collect();
    vars.sort();
    for (var, raw) in vars {
        let path: Vec<String> = var[PREFIX.len()..].split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(String::is_empty) || path[0] == "turbine" {
            return Err(ConfigError::Env { var, message: "is not a settable key".into() });
        }
        let value = parse_value(&raw);
        let mut table = &mut *doc;
        for part in &path[..path.len() - 1] {
            let entry = table.entry(part.clone()).or_insert_with(|| Value::Table(Table::new()));
            table = match entry {
                Value::Table(t) => t,
                _ => return Err(ConfigError::Env { var, message: format!("`{part}` is not a section") }),
            };
        }
        table.insert(path[path.len() - 1].clone(), value);
    }
    Ok(())
}

fn parse_value(raw: &str) -> Value {
    // Parse as the right-hand side of a TOML assignment so 500 is an integer and true a bool.
    match format!("v = {raw}").parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_are_set_with_typed_values() {
        let mut doc: Table = "[poll]\ninterval_ms = 1000\n".parse().unwrap();
        apply(
            &mut doc,
            [
                ("TRUEYAW_POLL__INTERVAL_MS".to_string(), "250".to_string()),
                ("TRUEYAW_STORAGE__SPOOL_DIR".to_string(), "/var/spool/ty".to_string()),
                ("OTHER".to_string(), "x".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(doc["poll"]["interval_ms"].as_integer(), Some(250));
        assert_eq!(doc["storage"]["spool_dir"].as_str(), Some("/var/spool/ty"));
    }

    #[test]
    fn turbine_entries_cannot_be_overridden() {
        let mut doc = Table::new();
        let err = apply(&mut doc, [("TRUEYAW_TURBINE__NAME".to_string(), "x".to_string())]).unwrap_err();
        assert!(err.to_string().contains("TRUEYAW_TURBINE__NAME"));
    }
}

//! The farm file: farm name, database, poll and storage settings, and the turbines with
//! their sources. `config/demo-farm.toml` is the worked example.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::settings::{DatabaseSettings, FarmSection, PollSettings, ServeSettings, StorageSettings, WindowSettings};
use super::writeback::WriteBackSettings;
use super::{ConfigError, env};
use crate::domain::{RegisterMap, Signal, TurbineName};

/// A Modbus TCP source as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModbusEntry {
    host: String,
    port: u16,
    #[serde(default = "one_u8")]
    unit_id: u8,
    /// Register map file, relative to the config file; the built-in generic map when absent.
    #[serde(default)]
    register_map: Option<PathBuf>,
}

fn one_u8() -> u8 {
    1
}

/// An OPC UA source as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpcUaEntry {
    endpoint: String,
    /// Namespace index of the default node ids `ns=<n>;s=<turbine>.<Field>`.
    #[serde(default = "two_u16")]
    namespace: u16,
    /// Node id per signal, overriding the default naming.
    #[serde(default)]
    nodes: BTreeMap<Signal, String>,
}

fn two_u16() -> u16 {
    2
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurbineEntry {
    name: TurbineName,
    #[serde(default)]
    modbus: Option<ModbusEntry>,
    #[serde(default)]
    opcua: Option<OpcUaEntry>,
    /// Overrides `[poll] interval_ms` for this turbine.
    #[serde(default)]
    interval_ms: Option<u64>,
    /// Modbus unit id of this turbine on trueyaw's SCADA server (default: its position, 1-based).
    #[serde(default)]
    scada_unit_id: Option<u8>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FarmFile {
    farm: FarmSection,
    #[serde(default)]
    database: DatabaseSettings,
    #[serde(default)]
    poll: PollSettings,
    #[serde(default)]
    storage: StorageSettings,
    #[serde(default)]
    windows: WindowSettings,
    #[serde(default)]
    serve: ServeSettings,
    #[serde(default)]
    writeback: WriteBackSettings,
    #[serde(default, rename = "turbine")]
    turbines: Vec<TurbineEntry>,
}

/// A Modbus TCP source, register map loaded.
#[derive(Debug, Clone)]
pub struct ModbusSource {
    pub host: String,
    pub port: u16,
    pub unit_id: u8,
    pub register_map: RegisterMap,
}

/// An OPC UA source: endpoint and the node id of every signal.
#[derive(Debug, Clone)]
pub struct OpcUaSource {
    pub endpoint: String,
    /// Node id strings (`ns=2;s=T01.Vane`) per signal.
    pub nodes: BTreeMap<Signal, String>,
}

#[derive(Debug, Clone)]
pub enum SourceConfig {
    Modbus(ModbusSource),
    OpcUa(OpcUaSource),
}

impl SourceConfig {
    /// Where the turbine is polled from, for people: `modbus://host:port/unit` or `opcua:endpoint`.
    pub fn describe(&self) -> String {
        match self {
            SourceConfig::Modbus(m) => format!("modbus://{}:{}/{}", m.host, m.port, m.unit_id),
            SourceConfig::OpcUa(o) => format!("opcua:{}", o.endpoint),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TurbineConfig {
    pub name: TurbineName,
    pub source: SourceConfig,
    /// Poll period for this turbine.
    pub interval_ms: u64,
    /// Modbus unit id on trueyaw's SCADA server (1..=247, unique in the farm).
    pub scada_unit_id: u8,
}

/// A checked farm configuration.
#[derive(Debug, Clone)]
pub struct FarmConfig {
    /// The file it came from (for messages and relative paths).
    pub path: PathBuf,
    pub farm: FarmSection,
    pub database: DatabaseSettings,
    pub poll: PollSettings,
    pub storage: StorageSettings,
    pub windows: WindowSettings,
    pub serve: ServeSettings,
    /// Guarded write-back of yaw offsets (dry-run unless a turbine is enabled).
    pub writeback: WriteBackSettings,
    pub turbines: Vec<TurbineConfig>,
}

impl FarmConfig {
    /// Parses a farm file's text, applies `TRUEYAW_*` overrides from `vars`, and checks it all.
    pub fn parse(
        text: &str,
        path: &Path,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let invalid = |message: String| ConfigError::Invalid { path: file.clone(), message };
        let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        env::apply(&mut doc, vars)?;
        let raw: FarmFile =
            serde_path_to_error::deserialize(doc).map_err(|e| invalid(format!("key `{}`: {}", e.path(), e.inner())))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Self::check(raw, path, &base).map_err(invalid)
    }

    fn check(raw: FarmFile, path: &Path, base: &Path) -> Result<Self, String> {
        if raw.farm.name.trim().is_empty() {
            return Err("key `farm.name`: must not be empty".into());
        }
        TurbineName::parse(&raw.farm.name).map_err(|e| format!("key `farm.name`: {e}"))?;
        let p = &raw.poll;
        for (key, v) in [
            ("poll.interval_ms", p.interval_ms),
            ("poll.timeout_ms", p.timeout_ms),
            ("poll.connect_timeout_ms", p.connect_timeout_ms),
            ("poll.backoff_initial_ms", p.backoff_initial_ms),
            ("storage.batch_max_delay_ms", raw.storage.batch_max_delay_ms),
            ("windows.refresh_s", raw.windows.refresh_s),
        ] {
            if v == 0 {
                return Err(format!("key `{key}`: must be greater than 0"));
            }
        }
        if p.backoff_max_ms < p.backoff_initial_ms {
            return Err("key `poll.backoff_max_ms`: must be at least poll.backoff_initial_ms".into());
        }
        if raw.storage.batch_max_rows == 0 {
            return Err("key `storage.batch_max_rows`: must be greater than 0".into());
        }
        if raw.windows.length_min == 0 || 1440 % raw.windows.length_min != 0 {
            return Err(format!(
                "key `windows.length_min`: {} does not divide a day into whole windows (use 1, 5, 10, 15, 30, 60, ...)",
                raw.windows.length_min
            ));
        }
        if raw.database.max_connections == 0 {
            return Err("key `database.max_connections`: must be greater than 0".into());
        }
        let sv = &raw.serve;
        for (key, v) in [
            ("serve.stale_after_s", sv.stale_after_s),
            ("serve.latest_refresh_ms", sv.latest_refresh_ms),
            ("serve.request_timeout_s", sv.request_timeout_s),
            ("serve.scada_idle_timeout_s", sv.scada_idle_timeout_s),
            ("serve.scada_frame_timeout_s", sv.scada_frame_timeout_s),
            ("serve.scada_max_connections", sv.scada_max_connections as u64),
            ("serve.max_batch_readings", sv.max_batch_readings as u64),
            ("serve.max_body_bytes", sv.max_body_bytes as u64),
            ("serve.drift_recent_h", sv.drift_recent_h),
            ("serve.drift_baseline_days", sv.drift_baseline_days),
        ] {
            if v == 0 {
                return Err(format!("key `{key}`: must be greater than 0"));
            }
        }
        if !(sv.low_confidence_ci95_width_deg.is_finite() && sv.low_confidence_ci95_width_deg > 0.0) {
            return Err("key `serve.low_confidence_ci95_width_deg`: must be a positive number of degrees".into());
        }
        if !(sv.drift_threshold_deg.is_finite() && sv.drift_threshold_deg > 0.0) {
            return Err("key `serve.drift_threshold_deg`: must be a positive number of degrees".into());
        }
        raw.writeback.validate().map_err(|e| match e.split_once(": ") {
            Some((key, msg)) => format!("key `{key}`: {msg}"),
            None => e,
        })?;
        let mut names = HashSet::new();
        let mut units = HashSet::new();
        let mut turbines = Vec::with_capacity(raw.turbines.len());
        for (i, t) in raw.turbines.into_iter().enumerate() {
            let key = format!("turbine[{i}]");
            if !names.insert(t.name.clone()) {
                return Err(format!("key `{key}.name`: turbine {} is listed twice", t.name));
            }
            let source = match (t.modbus, t.opcua) {
                (Some(m), None) => {
                    if m.host.trim().is_empty() {
                        return Err(format!("key `{key}.modbus.host`: must not be empty"));
                    }
                    let register_map = match &m.register_map {
                        None => RegisterMap::generic(),
                        Some(rel) => RegisterMap::load(&base.join(rel))
                            .map_err(|e| format!("key `{key}.modbus.register_map`: {e}"))?,
                    };
                    SourceConfig::Modbus(ModbusSource { host: m.host, port: m.port, unit_id: m.unit_id, register_map })
                }
                (None, Some(o)) => {
                    if !o.endpoint.starts_with("opc.tcp://") {
                        return Err(format!("key `{key}.opcua.endpoint`: must start with opc.tcp://"));
                    }
                    let mut nodes = BTreeMap::new();
                    for s in Signal::ALL {
                        let id = o
                            .nodes
                            .get(&s)
                            .cloned()
                            .unwrap_or_else(|| format!("ns={};s={}.{}", o.namespace, t.name, s.opcua_field()));
                        if id.parse::<opcua::types::NodeId>().is_err() {
                            return Err(format!(
                                "key `{key}.opcua.nodes.{}`: {id:?} is not an OPC UA node id (e.g. \"ns=2;s=T01.Vane\")",
                                s.name()
                            ));
                        }
                        nodes.insert(s, id);
                    }
                    SourceConfig::OpcUa(OpcUaSource { endpoint: o.endpoint, nodes })
                }
                (Some(_), Some(_)) => return Err(format!("key `{key}`: give either `modbus` or `opcua`, not both")),
                (None, None) => return Err(format!("key `{key}`: needs a source, `modbus` or `opcua`")),
            };
            let interval_ms = t.interval_ms.unwrap_or(p.interval_ms);
            if interval_ms == 0 {
                return Err(format!("key `{key}.interval_ms`: must be greater than 0"));
            }
            let scada_unit_id = match t.scada_unit_id {
                Some(u) => u,
                None => u8::try_from(i + 1).map_err(|_| {
                    format!("key `{key}.scada_unit_id`: more than 247 turbines; give unit ids explicitly")
                })?,
            };
            if !(1..=247).contains(&scada_unit_id) {
                return Err(format!("key `{key}.scada_unit_id`: {scada_unit_id} is not a Modbus unit id (1..=247)"));
            }
            if !units.insert(scada_unit_id) {
                return Err(format!(
                    "key `{key}.scada_unit_id`: unit {scada_unit_id} is already used by another turbine"
                ));
            }
            turbines.push(TurbineConfig { name: t.name, source, interval_ms, scada_unit_id });
        }
        for (i, name) in raw.writeback.enabled_turbines.iter().enumerate() {
            if !turbines.iter().any(|t| t.name.as_str() == name) {
                return Err(format!("key `writeback.enabled_turbines[{i}]`: {name} is not a turbine of this farm"));
            }
        }
        let mut storage = raw.storage;
        if storage.spool_dir.is_relative() {
            storage.spool_dir = base.join(&storage.spool_dir);
        }
        Ok(Self {
            path: path.to_path_buf(),
            farm: raw.farm,
            database: raw.database,
            poll: raw.poll,
            storage,
            windows: raw.windows,
            serve: raw.serve,
            writeback: raw.writeback,
            turbines,
        })
    }

    /// The database URL for this farm (see [`super::database_url`]).
    pub fn database_url(&self) -> String {
        super::database_url(self.database.url.as_deref())
    }

    /// The database URL named for this farm, if any (see [`super::given_database_url`]).
    pub fn given_database_url(&self) -> Option<String> {
        super::given_database_url(self.database.url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FarmConfig, ConfigError> {
        FarmConfig::parse(text, Path::new("/etc/trueyaw/farm.toml"), std::iter::empty())
    }

    const GOOD: &str = r#"
        [farm]
        name = "demo"
        [[turbine]]
        name = "T01"
        modbus = { host = "127.0.0.1", port = 5502 }
        [[turbine]]
        name = "T02"
        opcua = { endpoint = "opc.tcp://127.0.0.1:4840" }
        interval_ms = 500
    "#;

    #[test]
    fn a_minimal_farm_gets_sensible_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.poll.interval_ms, 1000);
        assert_eq!(c.turbines.len(), 2);
        assert_eq!(c.turbines[1].interval_ms, 500);
        assert_eq!(c.storage.spool_dir, PathBuf::from("/etc/trueyaw/spool"));
        match &c.turbines[1].source {
            SourceConfig::OpcUa(o) => assert_eq!(o.nodes[&Signal::Vane], "ns=2;s=T02.Vane"),
            other => panic!("expected OPC UA, got {other:?}"),
        }
        match &c.turbines[0].source {
            SourceConfig::Modbus(m) => assert_eq!(m.register_map.name, "generic"),
            other => panic!("expected Modbus, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let err = parse("[farm]\nname = \"x\"\n[poll]\ninterval_ms = \"fast\"\n").unwrap_err().to_string();
        assert!(err.contains("/etc/trueyaw/farm.toml") && err.contains("poll.interval_ms"), "{err}");
        let err = parse("[farm]\nname = \"x\"\n[poll]\nintervall_ms = 5\n").unwrap_err().to_string();
        assert!(err.contains("intervall_ms"), "{err}");
        let err = parse("[farm]\nname = \"x\"\n[[turbine]]\nname = \"T1\"\n").unwrap_err().to_string();
        assert!(err.contains("turbine[0]") && err.contains("source"), "{err}");
        let bad_node = GOOD.replace(
            "endpoint = \"opc.tcp://127.0.0.1:4840\"",
            "endpoint = \"opc.tcp://h:1\", nodes = { vane_deg = \"bogus\" }",
        );
        let err = parse(&bad_node).unwrap_err().to_string();
        assert!(err.contains("turbine[1].opcua.nodes.vane_deg"), "{err}");
        let err = parse(&GOOD.replace("T02", "T01")).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
        let err = parse("[farm]\nname = \"x\"\n[windows]\nlength_min = 7\n").unwrap_err().to_string();
        assert!(err.contains("windows.length_min"), "{err}");
        let err = parse("[farm]\nname = \"x\"\n[[turbine]]\nname = \"T1\"\nmodbus = { host = \"h\", port = 1, register_map = \"nope.toml\" }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("turbine[0].modbus.register_map") && err.contains("nope.toml"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let vars = [("TRUEYAW_POLL__INTERVAL_MS".to_string(), "250".to_string())];
        let c = FarmConfig::parse(GOOD, Path::new("farm.toml"), vars).unwrap();
        assert_eq!(c.poll.interval_ms, 250);
        assert_eq!(c.turbines[0].interval_ms, 250);
        let vars = [("TRUEYAW_POLL__INTERVAL_MS".to_string(), "soon".to_string())];
        let err = FarmConfig::parse(GOOD, Path::new("farm.toml"), vars).unwrap_err().to_string();
        assert!(err.contains("poll.interval_ms"), "{err}");
    }
}

//! Modbus register maps as data: which register holds which signal, in what type, scale and
//! word order. Maps live in `config/registers/*.toml` because every controller vendor lays its
//! registers out differently; this module parses them, plans the fewest reads that cover them,
//! and converts between engineering values and register words in both directions (the poller
//! decodes, the simulator and the write-back path encode).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::Signal;

/// The most registers one Modbus read may ask for (protocol limit for functions 3 and 4).
pub const MAX_REGISTERS_PER_READ: u16 = 125;

/// Which Modbus table a value lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Input registers, read with function 4.
    Input,
    /// Holding registers, read with function 3 and written with 6 or 16.
    Holding,
}

/// The wire type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    U16,
    I16,
    U32,
    I32,
    F32,
}

impl ValueType {
    pub fn words(self) -> u16 {
        match self {
            ValueType::U16 | ValueType::I16 => 1,
            _ => 2,
        }
    }
}

/// Order of the two 16-bit words of a 32-bit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    /// High word at the lower address (Modicon convention, the generic map).
    #[default]
    HighFirst,
    LowFirst,
}

/// Where and how one value is stored. Engineering value = raw * scale + offset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(default = "default_input")]
    pub table: Table,
    /// 0-based register address.
    pub address: u16,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub offset: f64,
    /// Overrides the map's word order for this value.
    #[serde(default)]
    pub word_order: Option<WordOrder>,
    /// Raw value the device uses for "not available" (for example 65535 or -32768).
    /// Float values use NaN for that and need no sentinel.
    #[serde(default)]
    pub missing: Option<i64>,
    /// Valid range of the engineering value; defaults to the signal's physical range.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

fn default_input() -> Table {
    Table::Input
}
fn one() -> f64 {
    1.0
}

/// Values trueyaw may write to a controller (the yaw-offset holding registers).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRegisters {
    /// Yaw offset command, degrees (`yaw_offset_deg`).
    pub yaw_offset_deg: Option<FieldSpec>,
    /// Correction enable, 0 or 1.
    pub correction_enable: Option<FieldSpec>,
}

/// A whole register map, as in `config/registers/generic.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterMap {
    pub name: String,
    #[serde(default)]
    pub word_order: WordOrder,
    /// Largest gap of unused registers a single read may span to save a request.
    #[serde(default = "default_max_gap")]
    pub max_gap: u16,
    /// Signals trueyaw reads. Keys are signal names (`wind_speed_ms`, `vane_deg`, ...).
    pub signals: BTreeMap<Signal, FieldSpec>,
    #[serde(default)]
    pub commands: CommandRegisters,
}

fn default_max_gap() -> u16 {
    16
}

/// One Modbus read request of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadBlock {
    pub table: Table,
    pub start: u16,
    pub count: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterMapError {
    #[error("cannot read register map {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("register map {path}: {message}")]
    Invalid { path: String, message: String },
}

impl RegisterMap {
    /// The generic map of `docs/domain.md`, compiled in from `config/registers/generic.toml`
    /// so the simulator and the default config can never disagree.
    pub fn generic() -> Self {
        Self::parse(include_str!("../../config/registers/generic.toml"), "config/registers/generic.toml")
            .expect("the bundled generic register map is valid")
    }

    pub fn load(path: &Path) -> Result<Self, RegisterMapError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| RegisterMapError::Io { path: path.display().to_string(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a map; errors name the file and the key.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RegisterMapError> {
        let invalid = |message: String| RegisterMapError::Invalid { path: origin.to_string(), message };
        // Read the signals with string keys first so error paths name them (`signals.vane_deg`);
        // serde_path_to_error cannot print enum map keys.
        let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        let raw_signals = doc.remove("signals").unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
        let raw_signals: BTreeMap<String, FieldSpec> = serde_path_to_error::deserialize(raw_signals)
            .map_err(|e| invalid(format!("key `signals.{}`: {}", e.path(), e.inner())))?;
        doc.insert("signals".into(), toml::Value::Table(toml::Table::new()));
        let mut map: RegisterMap =
            serde_path_to_error::deserialize(doc).map_err(|e| invalid(format!("key `{}`: {}", e.path(), e.inner())))?;
        for (name, spec) in raw_signals {
            let signal = Signal::ALL.into_iter().find(|s| s.name() == name).ok_or_else(|| {
                let known: Vec<_> = Signal::ALL.iter().map(|s| s.name()).collect();
                invalid(format!("key `signals.{name}`: unknown signal; known: {}", known.join(", ")))
            })?;
            map.signals.insert(signal, spec);
        }
        map.validate().map_err(invalid)?;
        Ok(map)
    }

    fn validate(&self) -> Result<(), String> {
        let mut used: Vec<(Table, u16, u16, String)> = Vec::new();
        let commands = [
            ("commands.yaw_offset_deg", &self.commands.yaw_offset_deg),
            ("commands.correction_enable", &self.commands.correction_enable),
        ];
        let all = self
            .signals
            .iter()
            .map(|(s, f)| (format!("signals.{}", s.name()), f))
            .chain(commands.iter().filter_map(|(k, f)| f.as_ref().map(|f| (k.to_string(), f))));
        for (key, f) in all {
            if f.scale == 0.0 || !f.scale.is_finite() || !f.offset.is_finite() {
                return Err(format!("key `{key}`: scale must be finite and non-zero, offset finite"));
            }
            let end = u32::from(f.address) + u32::from(f.value_type.words());
            if end > 65536 {
                return Err(format!("key `{key}`: address {} runs past register 65535", f.address));
            }
            for (t, a, n, other) in &used {
                let overlap = *t == f.table && f.address < a + n && *a < f.address + f.value_type.words();
                if overlap {
                    return Err(format!("key `{key}`: registers overlap those of `{other}`"));
                }
            }
            used.push((f.table, f.address, f.value_type.words(), key));
        }
        if let Some(f) = &self.commands.yaw_offset_deg
            && f.table != Table::Holding
        {
            return Err("key `commands.yaw_offset_deg`: commands must be holding registers".into());
        }
        if let Some(f) = &self.commands.correction_enable
            && f.table != Table::Holding
        {
            return Err("key `commands.correction_enable`: commands must be holding registers".into());
        }
        Ok(())
    }

    /// Valid engineering range of a signal under this map.
    pub fn range(&self, s: Signal) -> (f64, f64) {
        let (lo, hi) = s.default_range();
        match self.signals.get(&s) {
            Some(f) => (f.min.unwrap_or(lo), f.max.unwrap_or(hi)),
            None => (lo, hi),
        }
    }

    /// The fewest read requests that cover every signal: values in the same table are merged
    /// when the gap between them is at most `max_gap` registers and the read stays within the
    /// 125-register protocol limit.
    pub fn read_plan(&self) -> Vec<ReadBlock> {
        let mut spans: Vec<(Table, u16, u16)> =
            self.signals.values().map(|f| (f.table, f.address, f.address + f.value_type.words())).collect();
        spans.sort();
        let mut blocks: Vec<ReadBlock> = Vec::new();
        for (table, start, end) in spans {
            if let Some(b) = blocks.last_mut() {
                let b_end = b.start + b.count;
                if b.table == table
                    && start <= b_end.saturating_add(self.max_gap)
                    && end.max(b_end) - b.start <= MAX_REGISTERS_PER_READ
                {
                    b.count = end.max(b_end) - b.start;
                    continue;
                }
            }
            blocks.push(ReadBlock { table, start, count: end - start });
        }
        blocks
    }

    fn order(&self, f: &FieldSpec) -> WordOrder {
        f.word_order.unwrap_or(self.word_order)
    }

    /// Decodes one field from words read at `block_start`. `Ok(None)` means the device said
    /// the value is missing (sentinel or NaN). `Err` means the words do not cover the field.
    pub fn decode(&self, f: &FieldSpec, block_start: u16, words: &[u16]) -> Result<Option<f64>, ShortRead> {
        let i = usize::from(f.address.checked_sub(block_start).ok_or(ShortRead)?);
        let n = usize::from(f.value_type.words());
        let w = words.get(i..i + n).ok_or(ShortRead)?;
        let u32_of = |w: &[u16]| match self.order(f) {
            WordOrder::HighFirst => (u32::from(w[0]) << 16) | u32::from(w[1]),
            WordOrder::LowFirst => (u32::from(w[1]) << 16) | u32::from(w[0]),
        };
        let (raw_int, raw): (Option<i64>, f64) = match f.value_type {
            ValueType::U16 => (Some(i64::from(w[0])), f64::from(w[0])),
            ValueType::I16 => (Some(i64::from(w[0] as i16)), f64::from(w[0] as i16)),
            ValueType::U32 => {
                let v = u32_of(w);
                (Some(i64::from(v)), f64::from(v))
            }
            ValueType::I32 => {
                let v = u32_of(w) as i32;
                (Some(i64::from(v)), f64::from(v))
            }
            ValueType::F32 => (None, f64::from(f32::from_bits(u32_of(w)))),
        };
        if raw.is_nan() || (raw_int.is_some() && raw_int == f.missing) {
            return Ok(None);
        }
        Ok(Some(raw * f.scale + f.offset))
    }

    /// Encodes an engineering value into register words (the inverse of [`decode`]); `None`
    /// writes the missing sentinel (or NaN for floats). Integer values saturate at their type's
    /// range so a value beyond the register's reach never wraps around.
    ///
    /// [`decode`]: RegisterMap::decode
    pub fn encode(&self, f: &FieldSpec, value: Option<f64>) -> Vec<u16> {
        let raw = value.map(|v| (v - f.offset) / f.scale);
        let split = |bits: u32| {
            let (hi, lo) = ((bits >> 16) as u16, bits as u16);
            match self.order(f) {
                WordOrder::HighFirst => vec![hi, lo],
                WordOrder::LowFirst => vec![lo, hi],
            }
        };
        let int = |lo: f64, hi: f64| -> i64 {
            match raw {
                Some(r) if r.is_finite() => r.round().clamp(lo, hi) as i64,
                _ => f.missing.unwrap_or(0),
            }
        };
        match f.value_type {
            ValueType::U16 => vec![int(0.0, 65535.0) as u16],
            ValueType::I16 => vec![int(-32768.0, 32767.0) as i16 as u16],
            ValueType::U32 => split(int(0.0, 4_294_967_295.0) as u32),
            ValueType::I32 => split(int(-2_147_483_648.0, 2_147_483_647.0) as i32 as u32),
            ValueType::F32 => split(raw.map_or(f32::NAN, |r| r as f32).to_bits()),
        }
    }
}

/// The words read do not cover a field of the map (a short or mismatched response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("response too short for the register map")]
pub struct ShortRead;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_map_reads_all_signals_in_one_request() {
        let map = RegisterMap::generic();
        assert_eq!(map.read_plan(), vec![ReadBlock { table: Table::Input, start: 0, count: 8 }]);
        assert_eq!(map.signals.len(), 7);
        assert!(map.commands.yaw_offset_deg.is_some());
    }

    #[test]
    fn encode_then_decode_round_trips_every_type_and_word_order() {
        let map = RegisterMap::generic();
        for (t, v) in [
            (ValueType::U16, 123.45),
            (ValueType::I16, -123.45),
            (ValueType::U32, 70000.5),
            (ValueType::I32, -70000.5),
            (ValueType::F32, 1834.25),
        ] {
            for order in [WordOrder::HighFirst, WordOrder::LowFirst] {
                let f = FieldSpec {
                    table: Table::Input,
                    address: 10,
                    value_type: t,
                    scale: 0.01,
                    offset: 0.0,
                    word_order: Some(order),
                    missing: None,
                    min: None,
                    max: None,
                };
                let words = map.encode(&f, Some(v));
                let back = map.decode(&f, 10, &words).unwrap().unwrap();
                assert!((back - v).abs() < 0.006, "{t:?} {order:?}: {v} -> {back}");
            }
        }
    }

    #[test]
    fn high_word_first_puts_the_high_half_at_the_lower_address() {
        let map = RegisterMap::generic();
        let power = &map.signals[&Signal::Power];
        let words = map.encode(power, Some(1.0));
        assert_eq!(words, vec![0x3F80, 0x0000]);
    }

    #[test]
    fn sentinels_and_nan_decode_as_missing() {
        let map = RegisterMap::generic();
        let vane = &map.signals[&Signal::Vane];
        assert_eq!(map.decode(vane, 1, &[0x8000]).unwrap(), None);
        let power = &map.signals[&Signal::Power];
        assert_eq!(map.decode(power, 3, &map.encode(power, None)).unwrap(), None);
        assert_eq!(map.decode(power, 3, &[0x3F80]), Err(ShortRead));
    }

    #[test]
    fn out_of_reach_values_saturate_instead_of_wrapping() {
        let map = RegisterMap::generic();
        let vane = &map.signals[&Signal::Vane];
        assert_eq!(map.encode(vane, Some(400.0)), vec![32767]);
    }

    #[test]
    fn gaps_larger_than_max_gap_split_the_plan() {
        let text = r#"
            name = "split"
            max_gap = 4
            [signals.wind_speed_ms]
            address = 0
            type = "u16"
            [signals.vane_deg]
            address = 20
            type = "i16"
            [signals.power_kw]
            table = "holding"
            address = 0
            type = "f32"
        "#;
        let map = RegisterMap::parse(text, "split.toml").unwrap();
        assert_eq!(map.read_plan().len(), 3);
    }

    #[test]
    fn bad_maps_name_the_file_and_key() {
        let text = "name = \"x\"\n[signals.vane_deg]\naddress = 1\ntype = \"i17\"\n";
        let err = RegisterMap::parse(text, "bad.toml").unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("signals.vane_deg"), "{err}");
        let text = "name = \"x\"\n[signals.vane_deg]\naddress = 1\ntype = \"i16\"\n[signals.pitch_deg]\naddress = 1\ntype = \"i16\"\n";
        let err = RegisterMap::parse(text, "ov.toml").unwrap_err().to_string();
        assert!(err.contains("overlap"), "{err}");
        let err = RegisterMap::parse("name = \"x\"\n[signals.yaw_rate]\naddress = 1\ntype = \"i16\"\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("signals.yaw_rate") && err.contains("unknown signal"), "{err}");
    }
}

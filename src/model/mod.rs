//! Vane-error estimation from operating data: data preparation ([`prep`]) and the baseline
//! per-bin power-peak estimator ([`binned`], NREL OpenOA's StaticYawMisalignment method), the
//! Burn estimator ([`neural`]), the serving-side evaluator of a registered model
//! ([`correction`]), training a farm into the model registry ([`training`]) and scoring stored
//! models against ground truth ([`evaluation`]).
//! The estimators are pure functions on in-memory windows; [`training`] and [`evaluation`] load
//! them from the store and register or read models there.
//! Uses `domain` and `store` types only, never `ingest`, `sim`, `serve` or `app`.

pub mod air_density;
pub mod binned;
pub mod consensus;
pub mod correction;
mod cosfit;
pub mod estimate;
pub mod evaluation;
pub mod neural;
pub mod prep;
pub(crate) mod stats;
#[cfg(test)]
mod testdata;
pub mod training;

pub use binned::{BinEstimate, BinnedConfig, BinnedEstimate, CosExponent, SkipReason, estimate_binned};
pub use correction::{Corrected, CorrectionError, CorrectionModel, OperatingPoint, VaneErrorAt};
pub use estimate::{BinVaneError, DriftEvent, DriftEvidence, VaneErrorEstimate};
pub use prep::{
    FilterCounts, OperatingWindow, PrepConfig, Prepared, WindowError, prepare, prepare_rows, windows_from_rows,
};

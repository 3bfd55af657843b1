//! The commands the CLI runs. Each takes typed options, does its work through the lower
//! layers, and returns `anyhow::Result` so `main` can report the cause chain.

pub mod simulate;

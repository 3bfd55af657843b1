//! The `trueyaw` binary: parse the command line, start logging, dispatch, map errors to exit
//! codes (2 for bad usage or configuration, 1 for runtime failures).

use std::process::ExitCode;

use clap::Parser;
use trueyaw::app;
use trueyaw::cli::Cli;
use trueyaw::config::ConfigError;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    trueyaw::telemetry::init(cli.log_format, cli.log.as_deref());
    match app::dispatch::dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let usage = |c: &(dyn std::error::Error + 'static)| {
                c.is::<ConfigError>() || c.downcast_ref::<app::import::ImportError>().is_some_and(|e| e.is_usage())
            };
            if e.chain().any(usage) { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

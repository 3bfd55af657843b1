//! The `trueyaw` binary: parse the command line, start logging, dispatch, map errors to exit
//! codes (2 for bad usage or configuration, 1 for runtime failures).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use trueyaw::app;
use trueyaw::cli::{Cli, Command, SimulateArgs, TokenCommand, WritebackCommand};
use trueyaw::config::{self, ConfigError};
use trueyaw::sim::farm::{SimOptions, SimProfile};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    trueyaw::telemetry::init(cli.log_format, cli.log.as_deref());
    match dispatch(cli).await {
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

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let url = || cli.database_url.clone().unwrap_or_else(|| config::database_url(None));
    match cli.command {
        Command::Migrate => app::migrate::run(&url()).await,
        Command::Simulate(args) => app::simulate::run(sim_options(&args)).await,
        Command::Poll(args) => {
            let farm = config::load(&args.config)?;
            let opts = app::poll::PollOptions {
                duration: args.duration.map(Duration::from_secs),
                database_url: cli.database_url.clone(),
            };
            let summary = app::poll::run(farm, opts).await?;
            if let Some(path) = args.summary {
                let json = serde_json::to_vec_pretty(&summary)?;
                std::fs::write(&path, json).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            }
            Ok(())
        }
        Command::Demo(args) => {
            let opts = app::demo::DemoOptions {
                turbines: args.turbines as usize,
                history_days: args.history_days,
                duration: Duration::from_secs(args.duration),
                speedup: args.speedup,
                seed: args.seed,
                database_url: url(),
            };
            app::demo::run(opts).await
        }
        Command::Import(args) => {
            let opts = app::import::ImportOptions {
                format: args.format,
                farm: args.farm,
                create_turbines: args.create_turbines,
                length_s: args.window_min as i32 * 60,
            };
            app::import::run(&url(), opts, args.files).await.map(drop)
        }
        Command::Synth(args) => app::synth::run(&args.options().unwrap_or_else(|e| e.exit())).map(drop),
        Command::Train(args) => usage_exits(app::train::run(&url(), &args.options()).await).map(drop),
        Command::Estimates(args) => {
            usage_exits(app::estimates::run(&url(), args.farm.as_deref(), args.format).await).map(drop)
        }
        Command::Evaluate(args) => {
            usage_exits(app::evaluate::run(&url(), &args.truth, args.farm.as_deref(), args.format).await).map(drop)
        }
        Command::Serve(args) => {
            let farm = config::load(&args.config)?;
            let database_url = cli.database_url.clone().unwrap_or_else(|| farm.database_url());
            let models_dir = args.models_dir.unwrap_or_else(|| farm.serve.models_dir.clone());
            let train = app::train::TrainOptions { models_dir, ..trueyaw::cli::default_train_options(&farm.farm.name) };
            let opts = app::serve::ServeOptions { database_url, train };
            app::serve::run(farm, opts, Default::default()).await
        }
        Command::Token(TokenCommand::Create { name, role }) => {
            app::token::create(&url(), &name, role.into()).await.map(drop)
        }
        Command::Token(TokenCommand::List) => app::token::list(&url()).await,
        Command::Token(TokenCommand::Revoke { name }) => app::token::revoke(&url(), &name).await,
        Command::Report(args) => {
            let r = app::report::run(&url(), &args.farm, args.turbine.as_deref(), &args.out, &args.format).await;
            if let Err(e) = &r
                && let Some(u) = e.downcast_ref::<trueyaw::report::ReportError>().filter(|u| u.is_usage())
            {
                eprintln!("error: {u}");
                std::process::exit(2);
            }
            r.map(drop)
        }
        Command::Writeback(WritebackCommand::Status { config, turbine }) => {
            app::writeback::status(&config::load(&config)?, cli.database_url.as_deref(), &turbine).await
        }
        Command::Writeback(WritebackCommand::Revert { config, turbine }) => {
            app::writeback::revert(&config::load(&config)?, cli.database_url.as_deref(), &turbine).await
        }
    }
}

/// Exits with code 2 on a usage mistake of the model commands (unknown farm or turbine,
/// unavailable method, unreadable truth file); passes everything else on.
fn usage_exits<T>(r: anyhow::Result<T>) -> anyhow::Result<T> {
    if let Err(e) = &r
        && let Some(u) = e.downcast_ref::<app::train::TrainError>().filter(|u| u.is_usage())
    {
        eprintln!("error: {u}");
        std::process::exit(2);
    }
    r
}

fn sim_options(args: &SimulateArgs) -> SimOptions {
    SimOptions {
        turbines: args.turbines as usize,
        base_port: args.base_port,
        host: args.host,
        seed: args.seed,
        speedup: args.speedup,
        start: chrono::Utc::now(),
        opcua_port: args.opcua_port,
        truth_path: args.truth.clone(),
        profile: if args.clean { SimProfile::clean() } else { SimProfile::realistic() },
    }
}

//! From a parsed command line to the command that runs it: builds each command's options from
//! its flags, the farm file and the environment. Exits with code 2 itself on usage mistakes the
//! commands report as typed errors (unknown farm or turbine, bad truth file); `main` maps the rest.

use std::time::Duration;

use crate::cli::{Cli, Command, SimulateArgs, TokenCommand, WritebackCommand};
use crate::model::training::TrainOptions;
use crate::sim::farm::{SimOptions, SimProfile};

/// Runs the command `cli` names.
pub async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let url = || cli.database_url.clone().unwrap_or_else(|| crate::config::database_url(None));
    match cli.command {
        Command::Migrate => crate::app::migrate::run(&url()).await,
        Command::Simulate(args) => crate::app::simulate::run(sim_options(&args)).await,
        Command::Poll(args) => {
            let farm = crate::config::load(&args.config)?;
            let opts = crate::app::poll::PollOptions {
                duration: args.duration.map(Duration::from_secs),
                database_url: cli.database_url.clone(),
            };
            let summary = crate::app::poll::run(farm, opts).await?;
            if let Some(path) = args.summary {
                let json = serde_json::to_vec_pretty(&summary)?;
                std::fs::write(&path, json).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            }
            Ok(())
        }
        Command::Demo(args) => {
            let opts = crate::app::demo::DemoOptions {
                turbines: args.turbines as usize,
                history_days: args.history_days,
                duration: Duration::from_secs(args.duration),
                speedup: args.speedup,
                seed: args.seed,
                database_url: cli.database_url.clone().or_else(|| crate::config::given_database_url(None)),
                private_database: args.private_database,
            };
            crate::app::demo::run(opts).await
        }
        Command::Import(args) => {
            let opts = crate::app::import::ImportOptions {
                format: args.format,
                farm: args.farm,
                create_turbines: args.create_turbines,
                length_s: args.window_min as i32 * 60,
            };
            crate::app::import::run(&url(), opts, args.files).await.map(drop)
        }
        Command::Synth(args) => {
            let spec = args.spec().unwrap_or_else(|e| e.exit());
            crate::app::synth::run(&crate::app::synth::SynthOptions { spec, out: args.out }).map(drop)
        }
        Command::Train(args) => usage_exits(crate::app::train::run(&url(), &args.options()).await).map(drop),
        Command::Estimates(args) => {
            usage_exits(crate::app::estimates::run(&url(), args.farm.as_deref(), args.format).await).map(drop)
        }
        Command::Evaluate(args) => {
            usage_exits(crate::app::evaluate::run(&url(), &args.truth, args.farm.as_deref(), args.format).await)
                .map(drop)
        }
        Command::Serve(args) => {
            let farm = crate::config::load(&args.config)?;
            let database_url = cli.database_url.clone().or_else(|| farm.given_database_url());
            let models_dir = args.models_dir.unwrap_or_else(|| farm.serve.models_dir.clone());
            let train = TrainOptions { models_dir, ..TrainOptions::new(&farm.farm.name) };
            let private_database = args.private_database;
            let opts = crate::app::serve::ServeOptions { database_url, private_database, train };
            crate::app::serve::run(farm, opts, Default::default()).await
        }
        Command::Token(TokenCommand::Create { name, role }) => {
            crate::app::token::create(&url(), &name, role.into()).await.map(drop)
        }
        Command::Token(TokenCommand::List) => crate::app::token::list(&url()).await,
        Command::Token(TokenCommand::Revoke { name }) => crate::app::token::revoke(&url(), &name).await,
        Command::Report(args) => {
            let pdf = crate::report::pdf::PdfOptions {
                browser: args.chromium,
                timeout: std::time::Duration::from_secs(args.pdf_timeout_s),
            };
            let r = crate::app::report::run(&url(), &args.farm, args.turbine.as_deref(), &args.out, &args.format, &pdf)
                .await;
            if let Err(e) = &r
                && let Some(u) = e.downcast_ref::<crate::report::ReportError>().filter(|u| u.is_usage())
            {
                eprintln!("error: {u}");
                std::process::exit(2);
            }
            r.map(drop)
        }
        Command::Writeback(WritebackCommand::Status { config, turbine }) => {
            crate::app::writeback::status(&crate::config::load(&config)?, cli.database_url.as_deref(), &turbine).await
        }
        Command::Writeback(WritebackCommand::Revert { config, turbine }) => {
            crate::app::writeback::revert(&crate::config::load(&config)?, cli.database_url.as_deref(), &turbine).await
        }
        Command::Writeback(WritebackCommand::Enable { config, turbine }) => {
            crate::app::writeback::enable(&crate::config::load(&config)?, cli.database_url.as_deref(), &turbine).await
        }
    }
}

/// Exits with code 2 on a usage mistake of the model commands (unknown farm or turbine,
/// unavailable method, unreadable truth file); passes everything else on.
fn usage_exits<T>(r: anyhow::Result<T>) -> anyhow::Result<T> {
    if let Err(e) = &r
        && let Some(u) = e.downcast_ref::<crate::model::training::TrainError>().filter(|u| u.is_usage())
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

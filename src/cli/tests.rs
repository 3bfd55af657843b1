//! How the command line parses: the typed defaults, the named choices, the flags that reach
//! the options.

use super::values::{METHODS, PRIVATE_DATABASE, REPORT_FORMATS};
use super::*;
use crate::model::training::{Method, Period, TrainOptions};
use crate::store::private_server::PrivateDatabase;

fn parse(args: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("trueyaw").chain(args.iter().copied())).unwrap().command
}

#[test]
fn every_listed_value_parses_into_its_type() {
    for (name, _) in METHODS {
        assert_eq!(name.parse::<Method>().unwrap().as_str(), *name);
    }
    for (name, _) in REPORT_FORMATS {
        name.parse::<crate::report::Format>().unwrap();
    }
    for (name, _) in PRIVATE_DATABASE {
        name.parse::<PrivateDatabase>().unwrap();
    }
}

#[test]
fn train_without_flags_uses_the_typed_defaults() {
    let Command::Train(args) = parse(&["train", "--farm", "f"]) else { panic!("not train") };
    assert_eq!(format!("{:?}", args.options()), format!("{:?}", TrainOptions::new("f")));
}

#[test]
fn train_flags_reach_the_options() {
    let args = ["train", "--farm", "f", "--method", "binned", "--window-min", "5", "--since", "2025-03-01"];
    let Command::Train(args) = parse(&args) else { panic!("not train") };
    let opts = args.options();
    assert_eq!((opts.method, opts.length_s), (Method::Binned, 300));
    assert_eq!(opts.period.from.to_rfc3339(), "2025-03-01T00:00:00+00:00");
    assert_eq!(opts.period.to, Period::default().to);
}

#[test]
fn the_private_database_flag_defaults_and_bare_form_are_kept() {
    let serve = |extra: &[&str]| match parse(&[&["serve", "-c", "x.toml"], extra].concat()) {
        Command::Serve(a) => a.private_database,
        _ => panic!("not serve"),
    };
    assert_eq!(serve(&[]), PrivateDatabase::Never);
    assert_eq!(serve(&["--private-database"]), PrivateDatabase::Auto);
    assert_eq!(serve(&["--private-database=always"]), PrivateDatabase::Always);
    let Command::Report(r) = parse(&["report", "--farm", "f", "--out", "o"]) else { panic!("not report") };
    use crate::report::Format;
    assert_eq!(r.format, [Format::Html, Format::Json, Format::Csv]);
}

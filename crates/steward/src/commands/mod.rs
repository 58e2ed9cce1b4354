//! One module per subcommand.

mod backup;
mod demo;
mod dsar;
mod import;
mod keys;
mod operator;
mod progress;
mod retention;
mod serve;

use crate::cli::{Cli, Command};
use crate::runtime::StartError;

pub async fn run(cli: Cli) -> Result<(), StartError> {
    let config = crate::runtime::load_config(&cli.global)?;
    match cli.command {
        Command::Serve => serve::serve(&config).await,
        Command::Demo => demo::demo(&config).await,
        Command::Migrate { grant_to } => operator::migrate(&config, grant_to.as_deref()).await,
        Command::Tenant(command) => operator::tenant(&config, command).await,
        Command::Member(command) => operator::member(&config, command).await,
        Command::Audit(command) => operator::audit(&config, command).await,
        Command::Import(command) => import::run(&config, command).await,
        Command::Retention(command) => retention::run(&config, command).await,
        Command::Hold(command) => retention::hold(&config, command).await,
        Command::Dsar(command) => dsar::run(&config, command).await,
        Command::Keys(command) => keys::run(&config, command).await,
        Command::Backup { to, keys_to, now } => backup::backup(&config, to, keys_to, now.as_deref()).await,
        Command::Restore { from, keys } => backup::restore(&config, &from, keys.as_deref()).await,
        Command::Config { example } => {
            if example {
                print!("{}", crate::config::example_file());
            } else {
                let fingerprint = if config.master_key_file.exists() || std::env::var("STEWARD_MASTER_KEY").is_ok() {
                    crate::runtime::load_master_key(&config).ok().map(|k| k.fingerprint())
                } else {
                    None
                };
                print!("{}", config.describe(fingerprint.as_deref()));
            }
            Ok(())
        }
    }
}

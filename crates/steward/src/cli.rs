//! The command line: subcommands, their flags, and `--help` on each.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "steward",
    version,
    about = "Steward: a CRM and booking platform that keeps its privacy promises in code."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that override the configuration file and environment.
#[derive(Args, Debug, Default, Clone)]
pub struct GlobalFlags {
    /// Configuration file (default: ./steward.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The configuration keys that have a flag (`--data-dir`, `--listen`, ...), declared
    /// with the keys in `config.rs`.
    #[command(flatten)]
    pub keys: crate::config::KeyFlags,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Run the server with a demo business, and print where to log in.
    Demo,
    /// Apply database migrations (PostgreSQL: connect as the owner role).
    Migrate {
        /// PostgreSQL: grant the runtime role what `serve` needs (rows only, no schema).
        #[arg(long, value_name = "ROLE")]
        grant_to: Option<String>,
    },
    /// Create, list and show tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Add and list members of a tenant.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Check a tenant's audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import records into a tenant.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Apply the retention rules now: remove what has expired, move tenants along their
    /// lifecycle, and report what was done.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Set, lift and list legal holds, which stop the sweep and purges deleting what they cover.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Answer a person's request for their data on a business's instruction: export
    /// everything the business holds about them, or erase them (audited as platform support).
    #[command(subcommand)]
    Dsar(DsarCommand),
    /// Manage the master key: rotate it (re-wrap every tenant key under a new one).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Back up the database and, separately, the key store; remove expired backups.
    Backup {
        /// Folder for data backups (default: backup_dir/data).
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
        /// Folder for key store backups: keep it on another medium than the data
        /// (default: backup_dir/keys).
        #[arg(long, value_name = "DIR")]
        keys_to: Option<PathBuf>,
        /// The instant to date the backup and expire old ones by (RFC 3339; tests).
        #[arg(long, value_name = "INSTANT")]
        now: Option<String>,
    },
    /// Restore a data backup made by `steward backup` (SQLite; stop `serve` first). The key
    /// store is left as it is unless --keys is given, so keys destroyed since the backup
    /// stay destroyed.
    Restore {
        /// The data backup file.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// A key store backup to restore as well.
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
    },
    /// Print the effective configuration, secrets redacted.
    Config {
        /// Print the commented example configuration file instead.
        #[arg(long)]
        example: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant and its owner. The owner's password comes from
    /// STEWARD_OWNER_PASSWORD, or a strong one is generated and printed once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long)]
        owner_name: String,
        #[arg(long, default_value = "IN")]
        country: String,
        #[arg(long, default_value = "Asia/Kolkata")]
        time_zone: String,
    },
    /// List every tenant.
    List,
    /// Show one tenant, its members and its lifecycle dates.
    Show { slug: String },
    /// Terminate a tenant now (end of contract, unpaid): nobody can sign in, and its data
    /// is purged on the promised date.
    Terminate {
        slug: String,
        #[arg(long)]
        reason: String,
    },
    /// Purge a terminated tenant: destroy its keys at once, then remove every row, with a
    /// progress bar. Refused while a legal hold is in force.
    Purge { slug: String },
}

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Run the sweep.
    Run {
        /// Count what would be removed and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Only this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
        /// Apply the rules as of this instant (RFC 3339), e.g. to see what a date will remove.
        #[arg(long, value_name = "INSTANT")]
        now: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum HoldCommand {
    /// Put a tenant, one of its customers, or one data class on hold.
    Set {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// tenant, customer or class.
        #[arg(long)]
        scope: String,
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Lift a hold.
    Lift {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// List a tenant's holds.
    List {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Add a member with a role (owner, admin, staff or a custom role). The password
    /// comes from STEWARD_MEMBER_PASSWORD, or one is generated and printed once.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "staff")]
        role: String,
    },
    /// List the members of a tenant.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify a tenant's whole audit chain; exits 1 and names the first broken event if
    /// anything was edited, deleted or reordered.
    Verify {
        #[arg(long)]
        tenant: String,
    },
    /// Verify an exported log (JSON lines from the API or the audit page), offline,
    /// without any database.
    VerifyFile { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import customers from a CSV or vCard file, streamed, with a progress bar and a
    /// report of every rejected row by line number. Nothing is written if any row is bad,
    /// unless --skip-bad-rows.
    Customers {
        file: std::path::PathBuf,
        #[arg(long)]
        tenant: String,
        /// csv or vcard; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
        /// Check everything and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the good rows and report the bad ones.
        #[arg(long)]
        skip_bad_rows: bool,
        /// What a row matching an existing customer does: skip or update.
        #[arg(long, default_value = "skip")]
        on_duplicate: String,
        /// How duplicates are recognised: phone_or_email, phone, email or none.
        #[arg(long, default_value = "phone_or_email")]
        dedupe_by: String,
        /// A column mapping, HEADER=TARGET (name, first_name, last_name, phone, email,
        /// address, date_of_birth, tags, note, source, preferred_channel, field:LABEL, or
        /// nothing to ignore the column). Repeatable; other columns are guessed.
        #[arg(long = "map", value_name = "HEADER=TARGET")]
        mappings: Vec<String>,
    },
}

/// Which customer of the business a request is about: exactly one of the three.
#[derive(Args, Debug, Clone)]
#[group(required = true, multiple = false)]
pub struct PersonFlags {
    /// The customer's id (as their page shows it).
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// The customer's email address, as the business has it (case does not matter).
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// The customer's phone number, as the business has it (spaces and a missing country
    /// code are fine). When several customers share it, the command lists their ids.
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum DsarCommand {
    /// Write everything the business holds about one customer as JSON: the same records as
    /// the archive a privacy manager downloads, sensitive values opened, no secrets. It is
    /// personal data: write it where only the business will collect it.
    Export {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[command(flatten)]
        person: PersonFlags,
        /// Write here (created with mode 0600; refused if it exists) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase one customer: every row of them in every table the erasure map names, and
    /// their key, in one transaction with an audit event naming the operator. Refused while
    /// a legal hold covers them.
    Erase {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[command(flatten)]
        person: PersonFlags,
        /// On whose instruction (a ticket, a letter): kept in the business's audit log, so
        /// name the instruction, not the person.
        #[arg(long)]
        reason: String,
        /// Keep their appointments, anonymized (moved to the business's "Anonymized"
        /// record, notes cleared), for the business's statistics.
        #[arg(long)]
        keep_appointments: bool,
        /// Show what would be erased and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Re-wrap every tenant key under a new master key, one tenant per transaction, without
    /// touching the data. Reads the current key as every command does (master_key_file or
    /// STEWARD_MASTER_KEY) and the new one from FILE (created, mode 0600, if missing).
    /// Stopped half-way, running it again finishes. Stop `serve` first.
    Rotate {
        /// The new master key file (64 hexadecimal characters).
        #[arg(long, value_name = "FILE")]
        new_master_key: PathBuf,
        /// Re-wrap at most this many tenant keys, then stop (run again to continue).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
}

//! The machinery behind the one table of configuration keys in `config.rs`: the
//! [`declare_keys!`] macro, the kinds of value a key may hold, and what every key shares
//! (its environment variable, its command-line flag, its line in the example file and in
//! `steward config`). Nothing here names a key: the keys live only in the table.

use serde::de::DeserializeOwned;

/// One configuration key, as the table declares it.
pub struct Key {
    pub name: &'static str,
    /// The default as TOML text, exactly as the table writes it.
    pub default: &'static str,
    /// The documentation, joined from the table's `///` lines.
    pub(super) doc: &'static str,
    /// How `steward config` hides the value; `None`: not a secret.
    pub redact: Option<fn(&str) -> String>,
    /// The value name of its command-line flag (`--data-dir DIR`); `None`: no flag.
    pub flag: Option<&'static str>,
}

impl Key {
    /// The documentation as one line (each `///` line starts with a space, so joining
    /// them leaves one in front).
    pub fn doc(&self) -> &'static str {
        self.doc.trim()
    }

    /// `--data-dir` for `data_dir`, if the key has a flag.
    pub fn flag_name(&self) -> Option<String> {
        self.flag.map(|_| self.name.replace('_', "-"))
    }
}

/// `STEWARD_DATA_DIR` for `data_dir`.
pub fn env_var(name: &str) -> String {
    format!("STEWARD_{}", name.to_ascii_uppercase())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("--{name}: {message}")]
    Flag { name: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// What a key holds as written: in `steward.toml` (through serde), or as text in an
/// environment variable or a flag.
pub trait Raw: DeserializeOwned + Clone {
    /// The kind of literal the table writes its default as.
    type Literal;
    fn from_literal(literal: Self::Literal) -> Self;
    fn from_text(text: &str) -> Result<Self, String>;
}

impl Raw for String {
    type Literal = &'static str;
    fn from_literal(literal: &'static str) -> Self {
        literal.to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

impl Raw for bool {
    type Literal = bool;
    fn from_literal(literal: bool) -> Self {
        literal
    }
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(format!("'{text}' is not true or false")),
        }
    }
}

macro_rules! whole_numbers {
    ($($number:ty),+) => {$(
        impl Raw for $number {
            type Literal = $number;
            fn from_literal(literal: $number) -> Self {
                literal
            }
            fn from_text(text: &str) -> Result<Self, String> {
                text.trim().parse().map_err(|_| format!("'{text}' is not a whole number"))
            }
        }
    )+};
}
whole_numbers!(i64, u32, u64, usize);

/// A value as `steward config` prints it: text is quoted, numbers and booleans are not,
/// so each line is valid TOML.
pub enum Shown {
    Bare(String),
    Text(String),
}

/// How an effective value is shown by `steward config`.
pub trait Show {
    fn show(&self) -> Shown;
}

impl Show for String {
    fn show(&self) -> Shown {
        Shown::Text(self.clone())
    }
}

impl Show for Option<String> {
    fn show(&self) -> Shown {
        Shown::Text(self.clone().unwrap_or_default())
    }
}

impl Show for std::path::PathBuf {
    fn show(&self) -> Shown {
        Shown::Text(self.display().to_string())
    }
}

impl Show for steward_web::client_address::TrustedProxies {
    fn show(&self) -> Shown {
        Shown::Text(self.to_string())
    }
}

impl Show for steward_web::client_address::ProxyHeader {
    fn show(&self) -> Shown {
        Shown::Text(self.name().to_string())
    }
}

macro_rules! bare {
    ($($bare:ty),+) => {$(
        impl Show for $bare {
            fn show(&self) -> Shown {
                Shown::Bare(self.to_string())
            }
        }
    )+};
}
bare!(bool, i64, u32, u64, usize);

/// Applies a key's `check` or `read` to its raw value; naming the function's types here
/// lets the table write bare closures.
pub fn read<R, T>(raw: R, read: impl FnOnce(R) -> Result<T, String>) -> Result<T, String> {
    read(raw)
}

/// `Some(x)` for an option the table gave, `None` for one it left out.
macro_rules! given {
    () => {
        None
    };
    ($value:expr) => {
        Some($value)
    };
}
pub(crate) use given;

/// The effective type: the `read` type when the table gives one, else the raw type.
macro_rules! effective {
    ($raw:ty) => {
        $raw
    };
    ($raw:ty, $read:ty) => {
        $read
    };
}
pub(crate) use effective;

/// The function a key's value goes through: the table's, else the value as it is.
macro_rules! or_as_is {
    () => {
        |value| Ok(value)
    };
    ($read:expr) => {
        $read
    };
}
pub(crate) use or_as_is;

/// Declares every configuration key once. Each entry is
///
/// ```text
/// /// Documentation (the example file, `--help` of its flag, the `Config` field).
/// name: RawType = default_literal
///     [, secret redact_fn]        // shown by `steward config` through redact_fn
///     [, flag "VALUE"]            // a global `--name VALUE` flag
///     [, check fn(raw) -> Result<raw, String>]
///     [, read Type = fn(raw) -> Result<Type, String>];
/// ```
///
/// `RawType` is what `steward.toml`, `STEWARD_<NAME>` and the flag hold (`String`,
/// `bool` or a whole number); `default_literal` is written as TOML would write it, and is
/// what a missing key means. `read` turns the raw value into the field's type; keys are
/// read in the table's order, so a `read` may use a key above it by name. A `check` or
/// `read` error becomes "`name`: message".
///
/// From the table come [`Layer`](super::Layer) (one source of settings), its reading
/// from the environment and from the flags, [`Config`](super::Config) with one documented
/// field per key, `Config::resolve`, `KEYS` (the example file, the flags, `steward
/// config`), and `Config::shown`.
macro_rules! declare_keys {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $raw:ty = $default:literal
        $(, secret $redact:expr)?
        $(, flag $flag:literal)?
        $(, check $check:expr)?
        $(, read $read_type:ty = $read:expr)?
        ;
    )+) => {
        /// Every configuration key, in the table's order.
        pub const KEYS: &[$crate::config::table::Key] = &[$(
            $crate::config::table::Key {
                name: stringify!($name),
                default: stringify!($default),
                doc: concat!($($doc),+),
                redact: $crate::config::table::given!($($redact)?),
                flag: $crate::config::table::given!($($flag)?),
            },
        )+];

        /// One layer of settings (the file, the environment or the flags); `None` means
        /// "not set here".
        #[derive(Debug, Default, Clone, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Layer {
            $(pub $name: Option<$raw>,)+
        }

        impl Layer {
            /// Reads a layer from text, one value per key name (environment variables,
            /// flags); `error` names where a value that does not parse came from.
            fn from_text(
                lookup: impl Fn(&'static str) -> Option<String>,
                error: impl Fn(&'static str, String) -> $crate::config::table::ConfigError,
            ) -> Result<Self, $crate::config::table::ConfigError> {
                Ok(Layer {$(
                    $name: match lookup(stringify!($name)) {
                        Some(text) => Some(
                            <$raw as $crate::config::table::Raw>::from_text(&text)
                                .map_err(|message| error(stringify!($name), message))?,
                        ),
                        None => None,
                    },
                )+})
            }
        }

        /// The effective configuration.
        #[derive(Debug, Clone)]
        pub struct Config {
            $(
                $(#[doc = $doc])+
                pub $name: $crate::config::table::effective!($raw $(, $read_type)?),
            )+
            /// Where each key's value came from, for `steward config`.
            pub sources: Vec<(&'static str, &'static str)>,
        }

        impl Config {
            /// Resolves layers given lowest first: `[("file", ..), ("env", ..), ("flag", ..)]`.
            pub fn resolve(layers: &[(&'static str, Layer)]) -> Result<Self, $crate::config::table::ConfigError> {
                let mut sources = Vec::new();
                $(
                    let $name = {
                        let mut chosen = None;
                        let mut source = "default";
                        for (origin, layer) in layers {
                            if let Some(value) = &layer.$name {
                                chosen = Some(value.clone());
                                source = *origin;
                            }
                        }
                        sources.push((stringify!($name), source));
                        let raw: $raw = chosen
                            .unwrap_or_else(|| <$raw as $crate::config::table::Raw>::from_literal($default));
                        let checked: Result<$raw, String> = Ok(raw);
                        $(let checked = checked.and_then(|raw| $crate::config::table::read::<$raw, $raw>(raw, $check));)?
                        checked.and_then(|raw| {
                            $crate::config::table::read::<
                                $raw,
                                $crate::config::table::effective!($raw $(, $read_type)?),
                            >(raw, $crate::config::table::or_as_is!($($read)?))
                        })
                        .map_err(|message| $crate::config::table::ConfigError::Invalid {
                            key: stringify!($name),
                            message,
                        })?
                    };
                )+
                let config = Config { $($name,)+ sources };
                config.check_together()?;
                Ok(config)
            }

            /// Each key's effective value, in the table's order.
            fn shown(&self) -> Vec<$crate::config::table::Shown> {
                vec![$($crate::config::table::Show::show(&self.$name),)+]
            }
        }
    };
}
pub(crate) use declare_keys;

impl super::Layer {
    /// Reads `steward.toml`; a missing file is an empty layer unless it was asked for.
    pub fn from_file(path: &std::path::Path, required: bool) -> Result<Self, ConfigError> {
        let failed = |message: String| ConfigError::File { path: path.display().to_string(), message };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| failed(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(e) => Err(failed(e.to_string())),
        }
    }

    /// Reads the `STEWARD_<KEY>` variables; an empty one counts as not set.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_text(
            |name| get(&env_var(name)).filter(|value| !value.is_empty()),
            |name, message| ConfigError::Env { name: env_var(name), message },
        )
    }

    /// The keys given as command-line flags.
    pub fn from_flags(flags: &KeyFlags) -> Result<Self, ConfigError> {
        Self::from_text(
            |name| flags.given.iter().find(|(given, _)| *given == name).map(|(_, value)| value.clone()),
            |name, message| ConfigError::Flag { name: name.replace('_', "-"), message },
        )
    }
}

impl super::Config {
    /// The effective configuration as `key = value  # source` lines, secrets redacted.
    pub fn describe(&self, master_key_fingerprint: Option<&str>) -> String {
        let mut out = String::new();
        for (key, shown) in super::KEYS.iter().zip(self.shown()) {
            let source = self.sources.iter().find(|(name, _)| *name == key.name).map(|(_, s)| *s).unwrap_or("default");
            let value = match (shown, key.redact) {
                (Shown::Text(text) | Shown::Bare(text), Some(redact)) => format!("{:?}", redact(&text)),
                (Shown::Text(text), None) => format!("{text:?}"),
                (Shown::Bare(value), None) => value,
            };
            out.push_str(&format!("{} = {value}  # {source}\n", key.name));
        }
        match master_key_fingerprint {
            Some(fp) => {
                out.push_str(&format!("# master key loaded, fingerprint {fp} (the key itself is never shown)\n"))
            }
            None => out.push_str("# master key not loaded yet (created on first serve)\n"),
        }
        out
    }
}

/// The commented example file `steward.example.toml`, generated from the table.
pub fn example_file() -> String {
    let mut out = String::from(
        "# Steward configuration. Every key is optional; shown here with its default.\n\
         # Precedence: defaults < this file < STEWARD_<KEY> environment variables < command-line flags.\n\
         # Generated by `steward config --example`; a test keeps this file current.\n",
    );
    for key in super::KEYS {
        let secret = if key.redact.is_some() { " (secret: redacted by `steward config`)" } else { "" };
        let flag = key.flag_name().map(|flag| format!(" Flag: --{flag}.")).unwrap_or_default();
        out.push_str(&format!("\n# {}{flag}{secret}\n# {} = {}\n", key.doc(), key.name, key.default));
    }
    out
}

/// The keys that have a command-line flag, as global flags of every command. Written by
/// hand against clap's builder because the flags come from the table, not from fields.
#[derive(Debug, Default, Clone)]
pub struct KeyFlags {
    given: Vec<(&'static str, String)>,
}

impl clap::FromArgMatches for KeyFlags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = KeyFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        for key in super::KEYS.iter().filter(|key| key.flag.is_some()) {
            let value = matches
                .try_get_one::<String>(key.name)
                .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))?;
            if let Some(value) = value {
                self.given.retain(|(name, _)| *name != key.name);
                self.given.push((key.name, value.clone()));
            }
        }
        Ok(())
    }
}

impl clap::Args for KeyFlags {
    fn augment_args(command: clap::Command) -> clap::Command {
        super::KEYS.iter().fold(command, |command, key| match (key.flag, key.flag_name()) {
            (Some(value_name), Some(long)) => command.arg(
                clap::Arg::new(key.name)
                    .long(long)
                    .global(true)
                    .value_name(value_name)
                    .action(clap::ArgAction::Set)
                    .value_parser(clap::value_parser!(String))
                    .help(key.doc()),
            ),
            _ => command,
        })
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

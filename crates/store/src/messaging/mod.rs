//! Messaging's storage: each business's rules, provider accounts and templates
//! ([`settings`]), and the outbox the worker sends from ([`outbox`]).

pub mod outbox;
pub mod settings;

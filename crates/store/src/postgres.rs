//! The PostgreSQL backend: production and scale-out.
//!
//! Tenant isolation rests on three things checked here at start-up: the runtime role is
//! neither superuser nor `BYPASSRLS` and owns no tenant table, and every table with a
//! `tenant_id` column has forced row-level security with a policy. A tenant transaction
//! sets `app.tenant_id` with `SET LOCAL` (never per connection, which would leak to the
//! next pooled request; never `set_config`, which does not reach Citus worker shards).

use crate::tx::Backend;
use crate::{Store, StoreError};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;
use steward_domain::ids::TenantId;

pub(crate) async fn open_pool(url: &str, max_connections: u32) -> Result<sqlx::PgPool, StoreError> {
    // No ping before each acquire: it is a round trip per request, and sqlx already pings
    // on release and drops a connection that errors, so a dead one costs at most one
    // failed request after a database restart.
    let pool = PgPoolOptions::new()
        .test_before_acquire(false)
        .max_connections(max_connections.max(2))
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    Ok(pool)
}

/// `BEGIN` and `SET LOCAL` in one round trip. The value is formatted from a parsed UUID,
/// never from a caller's text, so it cannot carry SQL.
pub(crate) fn begin_statement(tenant: TenantId, mode: crate::tx::Mode) -> String {
    let (begin, planning) = match mode {
        crate::tx::Mode::Write => ("BEGIN", ""),
        crate::tx::Mode::Read => ("BEGIN READ ONLY", ""),
        crate::tx::Mode::Search => ("BEGIN READ ONLY", "; SET LOCAL plan_cache_mode = force_custom_plan"),
    };
    format!("{begin}; SET LOCAL app.tenant_id = '{}'{planning}", tenant.as_uuid().hyphenated())
}

/// Whether a database role name is safe to put into a GRANT statement.
fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

impl Store {
    /// Refuses to run unless tenant isolation is enforced by the database itself.
    /// SQLite has no roles or row-level security; there [`crate::TenantTx`] alone guards.
    pub async fn verify_isolation(&self) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        let (role, superuser, bypass): (String, bool, bool) =
            sqlx::query_as("SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .fetch_one(pool)
                .await?;
        if superuser || bypass {
            return Err(StoreError::UnsafeSetup(format!(
                "the database role '{role}' can bypass row-level security (superuser or BYPASSRLS). \
                 Connect `serve` as a role created with NOSUPERUSER NOBYPASSRLS, and run `steward migrate` \
                 as the owner role with --grant-to that role."
            )));
        }
        if crate::citus::installed(pool).await? && !crate::citus::set_commands_reach_workers(pool).await? {
            return Err(StoreError::UnsafeSetup(
                "this database runs Citus, but citus.propagate_set_commands is not 'local', so the business a \
                 transaction works for would not reach the workers' row-level security; run `steward migrate`, \
                 which sets it on the database, and reconnect"
                    .into(),
            ));
        }
        let tables: Vec<(String, bool, bool, i64, bool)> = sqlx::query_as(
            "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                    (SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid),
                    pg_get_userbyid(c.relowner) = current_user
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN (current_schema(), 'keystore') AND c.relkind IN ('r', 'p')
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
             ORDER BY 1",
        )
        .fetch_all(pool)
        .await?;
        for (table, enabled, forced, policies, owned) in tables {
            if !enabled || !forced || policies == 0 {
                return Err(StoreError::UnsafeSetup(format!(
                    "table '{table}' holds tenant data but lacks forced row-level security with a policy; \
                     run `steward migrate` with this version, or restore the policy"
                )));
            }
            if owned {
                return Err(StoreError::UnsafeSetup(format!(
                    "the runtime role '{role}' owns table '{table}' and could switch its row-level security off; \
                     connect `serve` as a separate role that is not the owner"
                )));
            }
        }
        Ok(())
    }

    /// Gives the runtime role what it needs and nothing more: read and write rows, never
    /// change the schema or the migration ledger. Run by `migrate --grant-to ROLE`.
    pub async fn grant_runtime_role(&self, role: &str) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        if !is_plain_identifier(role) {
            return Err(StoreError::UnsafeSetup(format!(
                "'{role}' is not a plain role name (lowercase letters, digits, underscores)"
            )));
        }
        crate::citus::again_after_catalog_race(|| grant_once(pool, role)).await
    }
}

async fn grant_once(pool: &sqlx::PgPool, role: &str) -> Result<(), StoreError> {
    {
        // One statement per call: on Citus each is carried to the workers as it is written,
        // and they refuse several in one. Citus must also grant on the shards one after
        // another, since a grant on a reference table may not follow parallel work on
        // distributed ones in a transaction (on one PostgreSQL the setting is inert).
        let mut tx = pool.begin().await?;
        sqlx::raw_sql("SET LOCAL citus.multi_shard_modify_mode = 'sequential'").execute(&mut *tx).await?;
        let statements = [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
            format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
            format!("REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM {role}"),
            format!("REVOKE INSERT, UPDATE, DELETE ON policy_versions FROM {role}"),
            format!("GRANT USAGE ON SCHEMA keystore TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA keystore TO {role}"),
        ];
        for statement in statements {
            sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Vacuums each of `tables` (names such as `customers` or `keystore.subject_keys`) that
/// the connected role owns, with index clean-up forced, so the dead versions of erased
/// rows and their index entries are removed now rather than when autovacuum gets to them.
/// Returns the tables it could not vacuum: the runtime role owns none (see
/// [`Store::verify_isolation`]), so a server's sweep reports them and the operator's
/// `steward retention run` with the owner's URL vacuums them.
pub(crate) async fn vacuum_if_owner(pool: &sqlx::PgPool, tables: &[&str]) -> Result<Vec<String>, StoreError> {
    // One round trip asks about every table: on the runtime role, which owns none, this is
    // all an erasure pays.
    let names: Vec<String> = tables.iter().map(|t| (*t).to_string()).collect();
    let owned: Vec<(String, bool)> = sqlx::query_as(
        "SELECT name, COALESCE(pg_has_role(current_user, c.relowner, 'USAGE'), false)
         FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n) LEFT JOIN pg_class c ON c.oid = to_regclass(name)
         ORDER BY n",
    )
    .bind(&names)
    .fetch_all(pool)
    .await?;
    let mut skipped = Vec::new();
    for (table, owned) in owned {
        let plain = table.split('.').all(is_plain_identifier) && table.split('.').count() <= 2;
        if owned && plain {
            sqlx::raw_sql(AssertSqlSafe(format!("VACUUM (INDEX_CLEANUP ON) {table}"))).execute(pool).await?;
        } else {
            skipped.push(table);
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_role_names_reach_a_grant() {
        assert!(is_plain_identifier("steward_app"));
        assert!(!is_plain_identifier("app; DROP TABLE members"));
        assert!(!is_plain_identifier("App"));
        assert!(!is_plain_identifier("1app"));
    }
}

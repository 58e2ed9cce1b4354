//! What the PostgreSQL server ran for a benchmark's requests, from `pg_stat_statements`
//! (which must be in `shared_preload_libraries`; without it nothing is profiled): how
//! many statements one request sends, and which cost the most.

use crate::seed;

/// The runtime role's statements over some requests.
pub(crate) struct Profile {
    pub(crate) statements_per_request: f64,
    /// Statement text (shortened), executions per request, mean milliseconds, share of the
    /// statement time; the most costly first.
    pub(crate) top: Vec<(String, f64, f64, f64)>,
}

impl Profile {
    /// The profile as a paragraph of the results: `run` names what was counted ("At 1000
    /// customers, one create run"), `per` one request ("create").
    pub(crate) fn as_markdown(&self, run: &str, per: &str) -> String {
        let mut out = format!(
            "\n{run} sent {:.1} statements per {per} (pg_stat_statements; executions per {per}, mean ms, share of statement time):\n\n",
            self.statements_per_request
        );
        for (query, executions, mean, share) in &self.top {
            out.push_str(&format!(
                "- {executions:.2} × {mean:.3} ms, {:.0}%: `{}`\n",
                share * 100.0,
                query.replace('`', "'")
            ));
        }
        out
    }
}

/// Starts counting the server's statements when `pg_stat_statements` is loaded (it must be
/// in `shared_preload_libraries`); `false` when it is not, and the step goes unprofiled.
pub(crate) async fn start_profile(url: &str) -> bool {
    use sqlx::Connection;
    let Ok(mut connection) = sqlx::PgConnection::connect(url).await else { return false };
    let started = sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()")
        .execute(&mut connection)
        .await
        .is_ok();
    let _ = connection.close().await;
    started
}

/// The runtime role's statements in the bench database since `start_profile`, counted per
/// one of `per` requests.
pub(crate) async fn read_profile(url: &str, per: usize) -> Result<Profile, String> {
    use sqlx::{Connection, Row};
    let mut connection = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
    let rows = sqlx::query(
        "SELECT query, calls, total_exec_time, mean_exec_time FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND userid = (SELECT oid FROM pg_roles WHERE rolname = $1)
          ORDER BY total_exec_time DESC",
    )
    .bind(seed::APP_ROLE)
    .fetch_all(&mut connection)
    .await
    .map_err(|e| e.to_string())?;
    let _ = connection.close().await;
    let mut calls = 0i64;
    let mut total = 0f64;
    let mut top = Vec::new();
    for row in &rows {
        let (query, n, time, mean): (String, i64, f64, f64) = (
            row.try_get(0).map_err(|e| e.to_string())?,
            row.try_get(1).map_err(|e| e.to_string())?,
            row.try_get(2).map_err(|e| e.to_string())?,
            row.try_get(3).map_err(|e| e.to_string())?,
        );
        calls += n;
        total += time;
        let short: String = query.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(90).collect();
        top.push((short, n as f64 / per as f64, mean, time));
    }
    for entry in &mut top {
        entry.3 = if total > 0.0 { entry.3 / total } else { 0.0 };
    }
    top.truncate(8);
    Ok(Profile { statements_per_request: calls as f64 / per as f64, top })
}

//! The open-file limit. Every connection is a file descriptor, and the soft limit many
//! systems start a process with (1024) is spent by a few hundred slow clients, after
//! which neither a new connection nor a database file can be opened (issue 23). The hard
//! limit is usually far higher and a process may raise its own soft limit up to it.

/// The soft limit on open files once raised as far as allowed; `None` when unlimited or
/// unknown.
pub fn raise_to_hard_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let soft = limit.current?;
        if limit.maximum.is_none_or(|hard| hard > soft) {
            let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
            if let Err(error) = setrlimit(Resource::Nofile, raised) {
                // macOS refuses an unlimited soft limit; the old one still stands.
                tracing::debug!(%error, "the open-file limit could not be raised");
            }
        }
        getrlimit(Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Descriptors kept for what is not a client connection: the database pool, the SQLite
/// and key-store files, logs, the metrics listener, outbound calls.
const RESERVED_FOR_THE_REST: u64 = 128;

/// The connection limit that fits under the open-file limit.
pub fn connections_that_fit(configured: usize, open_files: Option<u64>, database_connections: u32) -> usize {
    let Some(open_files) = open_files else { return configured };
    let reserved = RESERVED_FOR_THE_REST + u64::from(database_connections);
    let fits = open_files.saturating_sub(reserved).max(16);
    configured.min(usize::try_from(fits).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_reaches_the_hard_one() {
        let raised = raise_to_hard_limit();
        #[cfg(unix)]
        {
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
            assert_eq!(raised, limit.current);
            if limit.maximum.is_some() && !cfg!(target_os = "macos") {
                assert_eq!(limit.current, limit.maximum);
            }
        }
    }

    #[test]
    fn connections_leave_room_for_the_database() {
        assert_eq!(connections_that_fit(4096, Some(1024), 16), 1024 - 128 - 16);
        assert_eq!(connections_that_fit(4096, Some(1_048_576), 16), 4096);
        assert_eq!(connections_that_fit(4096, None, 16), 4096);
        assert_eq!(connections_that_fit(4096, Some(100), 16), 16);
    }
}

//! `steward serve`: bind, open the store, serve until Ctrl-C or SIGTERM.

use crate::config::Config;
use crate::runtime::{StartError, build_app, init_logging, load_master_key, open_store};
use steward_app::App;
use tokio::net::TcpListener;

pub async fn serve(config: &Config) -> Result<(), StartError> {
    init_logging(config);
    let (listener, app) = prepare(config).await?;
    let address = listener.local_addr()?;
    println!("Steward is serving on http://{address} ({} database)", app.store.kind().name());
    run(listener, app, config).await
}

/// Binds the listener first, so the port (possibly picked by the system) is known when
/// links in mail are built.
pub async fn prepare(config: &Config) -> Result<(TcpListener, App), StartError> {
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| StartError::Usage(format!("cannot listen on {}: {e}", config.listen)))?;
    let port = listener.local_addr()?.port();
    let master_key = load_master_key(config)?;
    let store = open_store(config).await?;
    let app = build_app(config, store, master_key, Some(port))?;
    Ok((listener, app))
}

pub async fn run(listener: TcpListener, app: App, config: &Config) -> Result<(), StartError> {
    let stop = shutdown_signal();
    if steward_app::audit::UNAUDITED_BUILD {
        eprintln!("WARNING: this is the benchmark build that writes no audit events; never serve anyone with it.");
    }
    match app.database_ready().await {
        Ok(warnings) => {
            for warning in warnings {
                tracing::warn!(warning = warning.name(), "{}", warning.explanation());
            }
        }
        Err(error) => tracing::warn!(%error, "the database did not answer the start-up check"),
    }
    let sweeper = (config.retention_sweep_minutes > 0).then(|| {
        let every = std::time::Duration::from_secs(config.retention_sweep_minutes as u64 * 60);
        tokio::spawn(steward_app::schedule::run(app.clone(), every))
    });
    let messenger = tokio::spawn(steward_app::messaging::worker::run(app.clone(), std::time::Duration::from_secs(5)));
    let sealer = tokio::spawn(steward_app::audit::sealer::run(app.clone()));
    let memory = tokio::spawn(crate::memory::return_freed_memory_when_quiet(steward_web::metrics::requests_answered));
    let stopping = app.clone();
    let server = server_settings(config);
    let metrics_token = steward_web::metrics::MetricsToken::new(&config.metrics_token);
    let web = steward_web::WebSettings {
        body_limit_bytes: config.body_limit_bytes,
        trusted_proxies: config.trusted_proxies.clone(),
        metrics_token: metrics_token.clone(),
        metrics_elsewhere: config.metrics_listen.is_some(),
    };
    let router = steward_web::router(app, web);
    // One signal stops both listeners.
    let (stop_sender, stop_seen) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_sender.send(true);
    });
    let stopped = |mut seen: tokio::sync::watch::Receiver<bool>| async move {
        let _ = seen.wait_for(|stopped| *stopped).await;
    };
    let metrics_server = match &config.metrics_listen {
        Some(address) => {
            let metrics_listener = TcpListener::bind(address)
                .await
                .map_err(|e| StartError::Usage(format!("cannot listen on {address} (metrics_listen): {e}")))?;
            let router = steward_web::metrics::router(metrics_token);
            Some(tokio::spawn(steward_web::serve(metrics_listener, router, server.clone(), stopped(stop_seen.clone()))))
        }
        None => None,
    };
    steward_web::serve(listener, router, server, stopped(stop_seen)).await?;
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    messenger.abort();
    sealer.abort();
    memory.abort();
    // What the last requests committed is sealed now rather than at the next start.
    crate::runtime::close_app(&stopping).await;
    println!("Steward stopped.");
    Ok(())
}

/// The server's clocks and connection limit, the limit lowered to fit the open-file
/// limit (raised first as far as the system allows).
fn server_settings(config: &Config) -> steward_web::ServerSettings {
    let open_files = crate::open_files::raise_to_hard_limit();
    let max_connections =
        crate::open_files::connections_that_fit(config.http_max_connections, open_files, config.max_connections);
    if max_connections < config.http_max_connections {
        tracing::warn!(
            configured = config.http_max_connections,
            serving = max_connections,
            open_files,
            "http_max_connections lowered to fit the open-file limit"
        );
    }
    let seconds = std::time::Duration::from_secs;
    steward_web::ServerSettings {
        header_timeout: seconds(config.http_header_timeout_seconds),
        body_timeout: seconds(config.http_body_timeout_seconds),
        idle_timeout: seconds(config.http_idle_timeout_seconds),
        max_connections,
        drain_limit_bytes: config.body_limit_bytes,
    }
}

/// Listens for Ctrl-C and SIGTERM from the moment it is called, before the first request
/// is served: a handler installed only when the server first polls its shutdown future
/// left a moment after start in which SIGTERM killed the process outright, without the
/// last seal and the store's close.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        async fn received(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                _ = received(terminate) => {},
                _ = received(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

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
    let sweeper = (config.retention_sweep_minutes > 0).then(|| {
        let every = std::time::Duration::from_secs(config.retention_sweep_minutes as u64 * 60);
        tokio::spawn(steward_app::schedule::run(app.clone(), every))
    });
    let messenger = tokio::spawn(steward_app::messaging::worker::run(app.clone(), std::time::Duration::from_secs(5)));
    let sealer = tokio::spawn(steward_app::audit::sealer::run(app.clone()));
    let stopping = app.clone();
    let web = steward_web::WebSettings { body_limit_bytes: config.body_limit_bytes };
    let router = steward_web::router(app, web);
    steward_web::serve(listener, router, stop).await?;
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    messenger.abort();
    sealer.abort();
    // What the last requests committed is sealed now rather than at the next start.
    crate::runtime::close_app(&stopping).await;
    println!("Steward stopped.");
    Ok(())
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

//! A small, fixed pool of threads for argon2id. Each hash takes ~19 MiB and tens of
//! milliseconds of CPU; running them on the async runtime's unbounded blocking pool would
//! let a burst of log-ins take every core and hundreds of MiB. With a pool of half the
//! cores, log-ins queue among themselves while other requests keep a core.

use crate::AppError;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use steward_crypto::password;

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    sender: SyncSender<Job>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map(|n| (n.get() / 2).max(1)).unwrap_or(1);
        // A bounded queue: under a flood, callers wait for room instead of piling up memory.
        let (sender, receiver) = sync_channel::<Job>(1024);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver: Arc<Mutex<Receiver<Job>>> = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("steward-hash-{index}")).spawn(move || {
                loop {
                    let job = match receiver.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password-hashing thread");
            }
        }
        Pool { sender }
    })
}

async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    let sender = pool().sender.clone();
    // `send` blocks only when the queue is full; do that wait off the async threads.
    tokio::task::spawn_blocking(move || sender.send(job))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|_| AppError::Internal("the password-hashing pool has stopped".into()))?;
    rx.await.map_err(|_| AppError::Internal("a password-hashing job was dropped".into()))
}

pub async fn hash(password: String) -> Result<String, AppError> {
    run(move || password::hash_password(&password)).await?.map_err(AppError::from)
}

/// Checks a password against a stored hash; with no hash, spends the same time on a dummy.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    run(move || match stored {
        Some(stored) => password::verify_password(&password, &stored),
        None => {
            password::verify_against_dummy(&password);
            false
        }
    })
    .await
}

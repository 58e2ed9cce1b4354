//! The HTTP/1.1 server loop: accepts connections up to a limit and serves each with
//! hyper, under three clocks axum::serve does not keep (issue 23, finding 4):
//!
//! - a fresh connection must send a whole request head within the header timeout, and
//!   so must a kept-alive connection once the first byte of its next request arrived;
//! - a kept-alive connection with no request for the idle timeout is closed;
//! - a request body that stops arriving for the body timeout ends the request with 408
//!   and `Connection: close`.
//!
//! It also keeps a connection usable after a handler answered without reading the whole
//! body (finding 8): hyper closes such a connection after the response, without saying
//! so, when the rest of the body has not arrived yet, and the client's next request on
//! it is lost. Here the rest is read and dropped (up to a limit, within the body timeout)
//! before the response goes out, and when it cannot be, the response says
//! `Connection: close`.
//!
//! At the connection limit, new connections wait in the listen backlog, and the
//! connections with no request in flight are held to a one-second header and idle
//! timeout until an eighth of the slots are free again (noticed at the next accept):
//! idle keep-alives and slow heads make way within a second or so for a health check or
//! a real client, while requests being answered are left alone.

use crate::error::{ApiError, Failure};
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, TryAcquireError, mpsc, watch};

/// The header and idle timeout while every connection slot is taken.
const TIMEOUT_WHEN_FULL: Duration = Duration::from_secs(1);

/// How the server treats its connections.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Time to send a whole request head, from the connection's start or from the first
    /// byte of a kept-alive connection's next request.
    pub header_timeout: Duration,
    /// Longest pause while a request body arrives.
    pub body_timeout: Duration,
    /// Longest wait for the next request on a kept-alive connection.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Most of an unread request body read and dropped to keep the connection usable;
    /// a larger remainder closes the connection instead.
    pub drain_limit_bytes: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            drain_limit_bytes: 64 * 1024,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// the requests in flight finish and closes idle connections.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = Arc::new(settings);
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let (stopping, stop_seen) = watch::channel(false);
    let (full, full_seen) = watch::channel(false);
    // Each connection holds a sender; the receiver learns that all have ended when the
    // last one is dropped.
    let (connection_alive, mut connections_ended) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(TryAcquireError::Closed) => break,
            Err(TryAcquireError::NoPermits) => {
                full.send_replace(true);
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        // Some room to spare before the short timeouts end, so that a stream of new
        // connections does not find the server full again at once.
        if slots.available_permits() >= (settings.max_connections / 8).max(1) {
            full.send_if_modified(|full| std::mem::replace(full, false));
        }
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_per_connection(&error) => continue,
            Err(error) => {
                // Out of file descriptors or memory: waiting lets connections end
                // instead of spinning on the same error.
                tracing::warn!(%error, "cannot accept a connection; trying again shortly");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let connection = Connection {
            router: router.clone(),
            settings: settings.clone(),
            stop_seen: stop_seen.clone(),
            full_seen: full_seen.clone(),
            _slot: slot,
            _alive: connection_alive.clone(),
        };
        tokio::spawn(connection.run(stream, peer));
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(connection_alive);
    let _ = connections_ended.recv().await;
    Ok(())
}

/// Errors of one accepted connection, not of the listener.
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

struct Connection {
    router: axum::Router,
    settings: Arc<ServerSettings>,
    stop_seen: watch::Receiver<bool>,
    full_seen: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
    _alive: mpsc::Sender<()>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let clock = Arc::new(ConnectionClock::new());
        let io = TokioIo::new(WatchedStream { inner: stream, clock: clock.clone() });
        let service = ExchangeService {
            router: self.router.clone(),
            peer,
            clock: clock.clone(),
            settings: self.settings.clone(),
        };
        // hyper's own header timer starts when it begins waiting for a head, which on a
        // kept-alive connection is the idle wait too; the clock below keeps the two apart.
        let connection = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, service);
        tokio::pin!(connection);
        let mut stopping = false;
        let mut full_seen_open = true;
        loop {
            let (header, idle) = if *self.full_seen.borrow() {
                (self.settings.header_timeout.min(TIMEOUT_WHEN_FULL), self.settings.idle_timeout.min(TIMEOUT_WHEN_FULL))
            } else {
                (self.settings.header_timeout, self.settings.idle_timeout)
            };
            // Deadlines can move earlier (a head starts arriving on an idle connection),
            // so the clock is looked at at least this often.
            let look_again = (header.min(idle) / 2).max(Duration::from_millis(50));
            let next_look = match clock.deadline(header, idle) {
                Some(deadline) => deadline.min(Instant::now() + look_again),
                None => Instant::now() + look_again,
            };
            tokio::select! {
                biased;
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    return;
                }
                changed = self.stop_seen.changed(), if !stopping => {
                    let _ = changed;
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
                changed = self.full_seen.changed(), if full_seen_open => {
                    full_seen_open = changed.is_ok();
                }
                () = tokio::time::sleep_until(next_look.into()) => {
                    // The connection was polled first (biased), so bytes that arrived
                    // with the timer are already counted.
                    if clock.deadline(header, idle).is_some_and(|deadline| deadline <= Instant::now()) {
                        return;
                    }
                }
            }
        }
    }
}

const NOT_STARTED: u64 = u64::MAX;

/// What a connection is doing, in milliseconds since it was accepted.
struct ConnectionClock {
    accepted: Instant,
    exchanges_in_flight: AtomicUsize,
    last_activity_ms: AtomicU64,
    /// When the head now arriving began; the first head begins at accept.
    head_started_ms: AtomicU64,
}

impl ConnectionClock {
    fn new() -> Self {
        Self {
            accepted: Instant::now(),
            exchanges_in_flight: AtomicUsize::new(0),
            last_activity_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.accepted.elapsed().as_millis() as u64
    }

    fn at(&self, ms: u64) -> Instant {
        self.accepted + Duration::from_millis(ms)
    }

    fn read(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let now = self.now_ms();
        self.last_activity_ms.store(now, Ordering::Relaxed);
        if self.exchanges_in_flight.load(Ordering::Relaxed) == 0 {
            let _ = self.head_started_ms.compare_exchange(NOT_STARTED, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    fn wrote(&self, bytes: usize) {
        if bytes > 0 {
            self.last_activity_ms.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    /// When the connection is to be closed if nothing changes; none while a request is
    /// being answered (its body has a clock of its own).
    fn deadline(&self, header: Duration, idle: Duration) -> Option<Instant> {
        if self.exchanges_in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        match self.head_started_ms.load(Ordering::Relaxed) {
            NOT_STARTED => Some(self.at(self.last_activity_ms.load(Ordering::Relaxed)) + idle),
            started => Some(self.at(started) + header),
        }
    }

    fn begin_exchange(self: &Arc<Self>) -> Exchange {
        self.exchanges_in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_started_ms.store(NOT_STARTED, Ordering::Relaxed);
        Exchange(self.clone())
    }
}

/// One request being answered, until its response body has been written (or dropped).
struct Exchange(Arc<ConnectionClock>);

impl Drop for Exchange {
    fn drop(&mut self) {
        self.0.last_activity_ms.store(self.0.now_ms(), Ordering::Relaxed);
        self.0.exchanges_in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting each read and write on the connection's clock.
struct WatchedStream {
    inner: TcpStream,
    clock: Arc<ConnectionClock>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut self.inner).poll_read(cx, buf));
        self.clock.read(buf.filled().len() - before);
        Poll::Ready(result)
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = ready!(Pin::new(&mut self.inner).poll_write(cx, data));
        if let Ok(written) = &result {
            self.clock.wrote(*written);
        }
        Poll::Ready(result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, data));
        if let Ok(written) = &result {
            self.clock.wrote(*written);
        }
        Poll::Ready(result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Hands each request to the router with the peer's address, a request body under the
/// body timeout, and the care for an unread remainder described at the top.
#[derive(Clone)]
struct ExchangeService {
    router: axum::Router,
    peer: SocketAddr,
    clock: Arc<ConnectionClock>,
    settings: Arc<ServerSettings>,
}

impl hyper::service::Service<Request<Incoming>> for ExchangeService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let exchange = self.clock.begin_exchange();
        let (mut parts, incoming) = request.into_parts();
        parts.extensions.insert(ConnectInfo(self.peer));
        let expects_continue = parts
            .headers
            .get(header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        let body = SharedBody::new(incoming, self.settings.body_timeout);
        let request = Request::from_parts(parts, Body::new(body.clone()));
        let mut router = self.router.clone();
        let drain_limit = self.settings.drain_limit_bytes;
        Box::pin(async move {
            let response = match tower_service::Service::call(&mut router, request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let response = if body.timed_out() {
                body_timed_out(response)
            } else if body.ended() {
                response
            } else if expects_continue || !body.drain(drain_limit).await {
                // Reading a body the client has not been asked for yet (100-continue)
                // or one too large or too slow costs more than a new connection.
                close_after(response)
            } else {
                response
            };
            Ok(response.map(|body| Body::new(ExchangeBody { inner: body, _exchange: exchange })))
        })
    }
}

fn close_after(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A 408 in place of what the handler made of its failed read, keeping the headers the
/// middleware put on (request id, security headers).
fn body_timed_out(handled: Response<Body>) -> Response<Body> {
    let failure = Failure::new(StatusCode::REQUEST_TIMEOUT, "body_timeout", "the request body stopped arriving");
    let (mut parts, _) = handled.into_parts();
    let (replacement, body) = ApiError(failure).into_response().into_parts();
    parts.status = replacement.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &replacement.headers {
        parts.headers.insert(name, value.clone());
    }
    close_after(Response::from_parts(parts, body))
}

/// A response body that holds its exchange open until it has been written.
struct ExchangeBody {
    inner: Body,
    _exchange: Exchange,
}

impl HttpBody for ExchangeBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The request body stopped arriving.
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped arriving")]
pub struct BodyTimedOut;

/// The request body, shared between the handler and the exchange, so that what the
/// handler left unread can still be read after it answered.
#[derive(Clone)]
struct SharedBody(Arc<Mutex<TimedBody>>);

struct TimedBody {
    incoming: Incoming,
    pause_limit: Duration,
    /// Armed on the first read, moved on by every frame.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    ended: bool,
    timed_out: bool,
}

impl SharedBody {
    fn new(incoming: Incoming, pause_limit: Duration) -> Self {
        let ended = incoming.is_end_stream();
        Self(Arc::new(Mutex::new(TimedBody { incoming, pause_limit, deadline: None, ended, timed_out: false })))
    }

    fn lock(&self) -> MutexGuard<'_, TimedBody> {
        // A handler that panicked mid-read leaves a body still fit to be drained.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn ended(&self) -> bool {
        self.lock().ended
    }

    fn timed_out(&self) -> bool {
        self.lock().timed_out
    }

    /// Reads and drops the rest of the body; whether it all came, within `limit` bytes
    /// and the body timeout.
    async fn drain(&self, limit: usize) -> bool {
        if self.lock().incoming.size_hint().lower() > limit as u64 {
            return false;
        }
        let mut remaining = limit;
        std::future::poll_fn(|cx| {
            let mut body = self.lock();
            loop {
                match body.poll_timed(cx) {
                    Poll::Ready(None) => return Poll::Ready(true),
                    Poll::Ready(Some(Ok(frame))) => {
                        let size = frame.data_ref().map_or(0, Bytes::len);
                        if size > remaining {
                            return Poll::Ready(false);
                        }
                        remaining -= size;
                    }
                    Poll::Ready(Some(Err(_))) => return Poll::Ready(false),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }
}

impl TimedBody {
    fn poll_timed(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.timed_out {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        let pause_limit = self.pause_limit;
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(deadline) = &mut self.deadline {
                    deadline.as_mut().reset(tokio::time::Instant::now() + pause_limit);
                }
                if self.incoming.is_end_stream() {
                    self.ended = true;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                // The client went away or broke the framing; nothing more will come.
                self.ended = true;
                Poll::Ready(Some(Err(axum::Error::new(error))))
            }
            Poll::Pending => {
                let deadline = self.deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(pause_limit)));
                if deadline.as_mut().poll(cx).is_ready() {
                    self.timed_out = true;
                    return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
                }
                Poll::Pending
            }
        }
    }
}

impl HttpBody for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.lock().poll_timed(cx)
    }

    fn is_end_stream(&self) -> bool {
        let body = self.lock();
        body.ended || body.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.lock().incoming.size_hint()
    }
}

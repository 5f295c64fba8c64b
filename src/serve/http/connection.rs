//! The preview's connections: accepted from the listener and served over HTTP/1.1 with a deadline on each
//! request's headers, and closed gracefully when the server stops. Sockets only; what is answered is
//! [`super::router`]'s business.
//!
//! `axum::serve` has no timeouts: a client that connects and sends nothing, or half a request, or leaves a
//! kept-alive connection idle, held its connection (and a file descriptor) until the server stopped. hyper's own
//! header timeout needs a timer, which `axum::serve` does not give it, hence this loop (the same as axum's, with
//! the timer).

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a client has to send a request's headers, counted from when the server starts waiting for them: from
/// the connection's opening, and again after each answer on a kept-alive connection, so it is also how long an
/// idle connection stays open. Ten seconds is far more than any client on this machine or a network takes to send
/// a few hundred bytes, and longer than Node's and Apache's five-second keep-alive; a browser opens a new
/// connection when it finds an idle one closed. A live-reload stream or a sync WebSocket is not idle: once a
/// request's headers are in, the deadline no longer runs.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on every connection `listener` accepts, until `stop` completes; then lets each connection finish
/// the answer it is giving (an idle one closes at once) and returns once all are closed.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    // Every connection's task holds a receiver: it watches for the stop, and the sender's `closed` tells when the
    // last task has ended.
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, from) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: wait for some to be freed rather than spin.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            // Where the request came from, for the sync log (`ConnectInfo`, as axum's own server gives it).
            request.extensions_mut().insert(ConnectInfo(from));
            app.clone().oneshot(request)
        });
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades());
            let mut closing = false;
            loop {
                tokio::select! {
                    // Errors are a client's: a timeout, a malformed request, a connection reset.
                    _ = connection.as_mut() => break,
                    changed = stopped.changed(), if !closing => {
                        if changed.is_err() || *stopped.borrow() {
                            closing = true;
                            connection.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop(stopped);
        });
    }
    drop((listener, stopped));
    let _ = stopping.send(true);
    stopping.closed().await;
}

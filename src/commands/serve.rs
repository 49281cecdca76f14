//! `hashpin serve`: a package index between any installer and the real one, that hands out
//! only the bytes the lockfile records (the gate is [`crate::proxy`]).
//!
//! The HTTP side is axum on a small tokio runtime; every request's work (listings, downloads,
//! hashing, the judge, `--record`'s lock) runs on a thread of its own, because the index
//! client and the lock machinery are blocking. SIGINT and SIGTERM end it through
//! [`crate::interrupt`]: children and temporary files go, a lockfile being recorded is written
//! whole or not at all, and a summary is printed.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::AsyncReadExt as _;
use tokio_util::io::ReaderStream;

use crate::cache::Cache;
use crate::cli::ServeArgs;
use crate::commands::Context;
use crate::error::{Status, UsageError};
use crate::interrupt;
use crate::name::PackageName;
use crate::proxy::pages::Format;
use crate::proxy::{Answered, Proxy};

/// Runs `hashpin serve` until a signal stops it.
pub(crate) fn run(args: &ServeArgs, context: Context) -> Result<Status> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        return Err(UsageError::new(format!(
            "`{}` is reachable from other machines, which could then install through this proxy\nhint: pass `--allow-remote` if that is meant, or listen on `127.0.0.1`",
            args.listen
        ))
        .into());
    }
    let lockfiles: Vec<PathBuf> = if args.lockfiles.is_empty() {
        vec![PathBuf::from("requirements.txt")]
    } else {
        args.lockfiles.clone()
    };
    // Verified bytes must be kept somewhere to be sent: without the user's cache, a private
    // directory, held here until `run` returns (an error) and registered with `interrupt` for
    // the signal that is a server's normal end.
    let (cache, _scratch) = match Cache::from_env(&*context.env).filter(|_| !args.download.no_cache)
    {
        Some(cache) => (cache, None),
        None => {
            let dir = interrupt::temporary(|| {
                tempfile::Builder::new().prefix("hashpin-serve-").tempdir()
            })?;
            (Cache::at(dir.path().to_path_buf()), Some(dir))
        }
    };
    let printer = context.printer.clone();
    // The proxy lives until the process ends, which is how a server ends.
    let proxy: &'static Proxy = Box::leak(Box::new(Proxy::new(args, lockfiles, cache, context)?));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hashpin-serve")
        .enable_io()
        .build()
        .context("cannot start the server's runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on `{}`", args.listen))?;
    let address = listener.local_addr()?;
    if let Some(upstream) = proxy.upstream_is(address) {
        return Err(UsageError::new(format!(
            "the upstream index `{upstream}` is this proxy itself\nhint: unset `PIP_INDEX_URL` (or the lockfile's `--index-url`) pointing at it, or name the real index with `--index-url`"
        ))
        .into());
    }
    printer.out(&format!("serving http://{address}/simple/\n"))?;
    let farewell_printer = printer.clone();
    interrupt::on_stop(move || {
        let (served, refused) = proxy.counts();
        farewell_printer.info(&format!(
            "stopped: {served} file{} served, {refused} request{} refused",
            if served == 1 { "" } else { "s" },
            if refused == 1 { "" } else { "s" },
        ));
        Status::Success
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/simple", get(|| async { redirect("/simple/") }))
        .route("/simple/", get(index))
        .route("/simple/{project}", get(add_slash))
        .route("/simple/{project}/", get(project))
        .route("/files/{project}/{filename}", get(file))
        .with_state(proxy);
    runtime
        .block_on(async move { axum::serve(listener, app).await })
        .context("the server stopped")?;
    Ok(Status::Success)
}

/// Runs blocking work on a thread of its own and waits for it without holding up the runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("hashpin-request".to_string())
        .spawn(move || {
            let _ = sender.send(work());
        })
        .ok()?;
    receiver.await.ok()
}

fn format_of(headers: &HeaderMap) -> Format {
    Format::negotiate(
        headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok()),
    )
}

fn redirect(to: &str) -> Response {
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn answered(answer: Option<Answered>) -> Response {
    let Some(answer) = answer else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "hashpin failed\n").into_response();
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [
            (header::CONTENT_TYPE, answer.content_type),
            (header::VARY, "Accept"),
        ],
        answer.body,
    )
        .into_response()
}

async fn index(State(proxy): State<&'static Proxy>, headers: HeaderMap) -> Response {
    let format = format_of(&headers);
    answered(blocking(move || proxy.index(format)).await)
}

async fn add_slash(Path(project): Path<String>) -> Response {
    match PackageName::validated(&project) {
        Some(name) => redirect(&format!("/simple/{name}/")),
        None => answered(Some(not_a_project())),
    }
}

fn not_a_project() -> Answered {
    Answered {
        status: 404,
        content_type: "text/plain; charset=utf-8",
        body: "not a project name\n".to_string(),
    }
}

async fn project(
    State(proxy): State<&'static Proxy>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    // Only a valid project name goes upstream: a decoded `%2F` or `?` must not reshape the URL.
    let Some(normalized) = PackageName::validated(&project) else {
        return answered(Some(not_a_project()));
    };
    if normalized.as_str() != project {
        // PEP 503: one URL per project, the normalized name; PyPI redirects the others.
        return redirect(&format!("/simple/{normalized}/"));
    }
    let format = format_of(&headers);
    answered(blocking(move || proxy.project(&normalized, format)).await)
}

async fn file(
    State(proxy): State<&'static Proxy>,
    Path((project, filename)): Path<(String, String)>,
) -> Response {
    if PackageName::validated(&project).is_none() {
        return answered(Some(not_a_project()));
    }
    if filename.ends_with(".whl.metadata") {
        let project = PackageName::new(&project);
        return match blocking(move || proxy.core_metadata(&project, &filename))
            .await
            .unwrap_or_else(|| Err(not_a_project()))
        {
            Ok(bytes) => (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::from(bytes.as_ref().clone()),
            )
                .into_response(),
            Err(answer) => answered(Some(answer)),
        };
    }
    let passed = blocking(move || proxy.file(&project, &filename)).await;
    match passed {
        Some(Ok(passed)) => {
            let length = passed.length;
            // Never more than was hashed, even if the file grew since.
            let reader = tokio::fs::File::from_std(passed.file).take(length);
            let mut response = Body::from_stream(ReaderStream::new(reader)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            response
        }
        Some(Err(answer)) => answered(Some(answer)),
        None => answered(None),
    }
}

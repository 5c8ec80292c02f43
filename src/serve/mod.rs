//! `huizong serve`: the county reporting service (`serve.md`). Townships
//! check and submit their returns in a browser; the county watches who has
//! reported and consolidates with a button.
//!
//! Layout: `engine` is the one door into the batch engine (the pipeline
//! API the commands use); `service` is what the service does (no HTTP),
//! one file per concern; `http` the router, guard and JSON API;
//! `pages` the HTML; `store` the files; `db` the database; `accounts` the
//! logins; `clock` Beijing time.

pub mod accounts;
pub(crate) mod clock;
pub mod db;
pub mod engine;
pub mod http;
pub mod pages;
pub mod service;
pub mod store;

use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to run the service.
pub(crate) struct Config {
    pub(crate) workspace: PathBuf,
    pub(crate) listen: SocketAddr,
    pub(crate) period: Option<engine::Month>,
    pub(crate) rules: Option<PathBuf>,
    pub(crate) tls: Option<(PathBuf, PathBuf)>,
    /// How long a connection may keep the server waiting for its request's
    /// headers, or for the next part of its body: a client that goes quiet
    /// is let go, so idle connections cannot use up the server.
    pub(crate) idle: std::time::Duration,
}

/// Open the service over a workspace (also for tests and the bench).
pub fn open(
    workspace: &std::path::Path,
    rules: Option<&std::path::Path>,
    period: Option<engine::Month>,
    tls: bool,
) -> anyhow::Result<Arc<service::Service>> {
    let setup = engine::load(workspace, rules)?;
    Ok(Arc::new(service::Service::open(setup, period, tls)?))
}

/// Run until Ctrl-C or SIGTERM; in-flight requests and a running
/// consolidation finish first.
pub(crate) fn run(config: Config) -> anyhow::Result<()> {
    let svc = open(
        &config.workspace,
        config.rules.as_deref(),
        config.period,
        config.tls.is_some(),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
        .context("无法启动服务的运行环境")?;
    // Read the open period's folder once in the background, so the first
    // board is quick.
    let warm = svc.clone();
    std::thread::spawn(move || {
        warm.folder(warm.period());
    });
    let app = http::App::new(svc.clone());
    let router = http::router(app).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        config.idle,
    ));
    let svc2 = svc.clone();
    let result = rt.block_on(async move {
        let handle = axum_server::Handle::new();
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let make = router.into_make_service_with_connect_info::<SocketAddr>();
        let listener = std::net::TcpListener::bind(config.listen).with_context(|| {
            format!(
                "无法在 {} 上监听(端口可能已被占用,或没有权限)。请用 --listen 换一个地址或端口",
                config.listen
            )
        })?;
        listener.set_nonblocking(true)?;
        // The certificate is read before the address is announced.
        let tls = match &config.tls {
            Some((cert, key)) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let loaded = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "无法读取 TLS 证书 {} 或私钥 {}。请确认两个文件都存在、可读,且是 PEM 格式的证书和私钥(详情:{e})",
                            cert.display(),
                            key.display()
                        )
                    })?;
                Some(loaded)
            }
            None => None,
        };
        let local = listener.local_addr()?;
        let shown = if local.ip().is_unspecified() {
            format!("{scheme}://<本机地址>:{}/", local.port())
        } else {
            format!("{scheme}://{local}/")
        };
        if !local.ip().is_unspecified() {
            // What `huizong accounts` writes as the login address next time.
            let _ = db::set_setting(&svc2.conn(), "url", &shown);
        }
        println!("汇总报送服务已启动:请在浏览器中打开 {shown}");
        println!("工作区:{};本期:{}", config.workspace.display(), svc2.period());
        if config.tls.is_none() && !local.ip().is_loopback() {
            eprintln!(
                "警告:没有启用 TLS(HTTPS),密码和报表将以明文在网络上传输。请用 --tls-cert 和 --tls-key 启用 HTTPS,或只在本机(127.0.0.1)使用"
            );
        }
        println!("按 Ctrl-C 停止服务。");
        let h2 = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            println!("正在停止:等待进行中的请求完成……");
            h2.graceful_shutdown(Some(std::time::Duration::from_secs(60)));
        });
        match tls {
            Some(tls) => {
                let mut server = axum_server::from_tcp_rustls(listener, tls)?;
                server.http_builder().http1().header_read_timeout(config.idle);
                server
                    .first_request_timeout(config.idle)
                    .handle(handle)
                    .serve(make)
                    .await?;
            }
            None => {
                let mut server = axum_server::from_tcp(listener)?;
                server.http_builder().http1().header_read_timeout(config.idle);
                server
                    .first_request_timeout(config.idle)
                    .handle(handle)
                    .serve(make)
                    .await?;
            }
        }
        anyhow::Ok(())
    });
    svc.wait_jobs();
    result?;
    println!("服务已停止。");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

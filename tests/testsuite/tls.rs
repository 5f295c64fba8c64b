//! Sync over TLS, as a community reaches a garden across the internet: `loam serve` behind a TLS terminator (as
//! Caddy or nginx would stand in front of it) whose certificate a private authority made by the test signed.
//! `loam clone`, `loam sync` and `loam serve --peer` reach it at `wss://` and `https://` addresses when they trust
//! that authority (`--ca`, `[sync] ca`), and refuse it, saying why, when they do not.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::garden::{Garden, TempGarden};
use crate::served::Served;
use crate::wait::eventually;
use crate::LOAM;

fn loam(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(LOAM).args(args).env_remove("LOAM_CA").output().expect("loam runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// A private certificate authority, and a certificate it signed for `localhost` and 127.0.0.1.
struct Authority {
    /// The authority's certificate, as a PEM file.
    pem: PathBuf,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn authority(dir: &Path) -> Authority {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Loam test authority");
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(params, ca_key);

    let mut server = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let server_key = rcgen::KeyPair::generate().unwrap();
    let signed = server.signed_by(&server_key, &issuer).unwrap();

    let pem = dir.join("community-ca.pem");
    std::fs::write(&pem, ca.pem()).unwrap();
    Authority {
        pem,
        chain: vec![signed.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
    }
}

/// A TLS terminator on a free loopback port, passing every connection's bytes on to `backend`: HTTP and the
/// WebSocket upgrade alike, as a reverse proxy in TCP mode does. Stops with the test.
struct Terminator {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

fn terminate_tls(authority: &Authority, backend: u16) -> Terminator {
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(authority.chain.clone(), authority.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(("127.0.0.1", backend)).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Terminator { port, _runtime: runtime }
}

fn vault() -> TempGarden {
    Garden::named("ada")
        .config("title = \"Over TLS\"\n[author]\nname = \"Ada\"\n")
        .file("content/index.md", "# Over TLS\n\nThe first line.\n")
        .file("content/second.md", "A second note.\n")
        .build()
}

/// Ada's garden served behind a TLS terminator: the garden, its server, the authority, the terminator and the
/// `wss://` address.
fn served_over_tls() -> (TempGarden, Served, Authority, Terminator, String) {
    let ada = vault();
    assert!(loam(&["import", ada.to_str().unwrap()]).0);
    let server = Served::start(&ada, &[]);
    let ca = authority(ada.dir());
    let tls = terminate_tls(&ca, server.port);
    let wss = format!("wss://localhost:{}/sync", tls.port);
    (ada, server, ca, tls, wss)
}

#[test]
fn clone_and_sync_reach_a_garden_over_tls_trusting_a_private_authority() {
    let (ada, server, ca, tls, wss) = served_over_tls();
    let bo = ada.beside("bo");
    let bo_path = bo.to_str().unwrap();

    // Not trusted: refused at once, saying it is TLS and what to do.
    let started = Instant::now();
    let (ok, out, err) = loam(&["clone", &wss, bo_path]);
    assert!(!ok && err.contains("--ca"), "{out}\n{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "refused in {:?}", started.elapsed());

    let (ok, out, err) = loam(&["clone", &wss, bo_path, "--ca", ca.pem.to_str().unwrap()]);
    assert!(ok && out.contains("cloned"), "{out}\n{err}\n{}", server.log());
    assert_eq!(std::fs::read_to_string(bo.join("content/index.md")).unwrap(), "# Over TLS\n\nThe first line.\n");

    // The site's own address works too, and the authority may be a setting of the garden.
    let settings = bo.join("loam.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}[author]\nname = \"Bo\"\n[sync]\nca = \"../community-ca.pem\"\n"))
        .unwrap();
    std::fs::write(bo.join("content/second.md"), "A second note.\nBo adds a line over TLS.\n").unwrap();
    let https = format!("https://localhost:{}", tls.port);
    let (ok, out, err) = loam(&["sync", &https, bo_path]);
    assert!(ok && out.contains("second.md"), "{out}\n{err}\n{}", server.log());
    eventually("Ada's note has Bo's line", || {
        std::fs::read_to_string(ada.join("content/second.md")).unwrap().contains("Bo adds a line over TLS.")
    });
}

#[test]
fn serve_keeps_in_step_with_a_peer_over_tls() {
    let (ada, _server, ca, _tls, wss) = served_over_tls();
    let bo = ada.beside("bo");
    let (ok, out, err) = loam(&["clone", &wss, bo.to_str().unwrap(), "--ca", ca.pem.to_str().unwrap()]);
    assert!(ok, "{out}\n{err}");

    let peer = Served::start_with(&bo, &["--peer", &wss, "--ca", ca.pem.to_str().unwrap()], &[]);
    std::fs::write(ada.join("content/index.md"), "# Over TLS\n\nThe first line.\nAda's save while Bo serves.\n")
        .unwrap();
    eventually("Ada's save reaches Bo over TLS", || {
        std::fs::read_to_string(bo.join("content/index.md")).unwrap().contains("Ada's save while Bo serves.")
    });
    drop(peer);
}

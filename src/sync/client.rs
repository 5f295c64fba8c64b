//! Reaching a peer over the network: its sync address read the way a user may write it, its HTTP side
//! (`/_loam/garden.json`, `/_loam/heads.json`, `/_loam/documents`) and its WebSocket (`/sync`), each plain or over
//! TLS. One [`Client`] per command holds what it trusts: the platform's certificate authorities, Mozilla's as a
//! bundled set (a machine without any still reaches a public relay), and a private authority given with `--ca`
//! or `[sync] ca`, for a community's own server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

/// How long a connection may take to be made (TCP, TLS and the WebSocket's upgrade), and an HTTP request to be
/// answered: a peer that does not answer in that time is reported, not waited for.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// What a command trusts when it reaches peers, and the HTTP agent that trusts the same.
#[derive(Clone)]
pub struct Client {
    tls: Arc<rustls::ClientConfig>,
    agent: ureq::Agent,
}

/// A connection to a peer, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Client {
    /// A client trusting the platform's authorities, the bundled ones, and those in the PEM file `ca`.
    pub fn new(ca: Option<&Path>) -> anyhow::Result<Client> {
        let mut roots = Vec::new();
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::debug!("a certificate authority of this machine could not be read: {error}");
        }
        roots.extend(native.certs);
        roots.extend(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        if let Some(ca) = ca {
            roots.extend(private_authority(ca)?);
        }
        let mut store = rustls::RootCertStore::empty();
        let (_, unusable) = store.add_parsable_certificates(roots.iter().cloned());
        if unusable > 0 {
            tracing::debug!("{unusable} certificate authorities could not be used");
        }
        // ring rather than aws-lc-rs, whose build needs cmake and takes minutes: ring has no post-quantum key
        // exchange, so rustls marks it deprecated; the classical exchanges it has are what most servers offer.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .context("TLS cannot be set up")?
            .with_root_certificates(store)
            .with_no_client_auth();
        let certificates: Vec<_> =
            roots.iter().map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()).collect();
        let tls_config = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certificates)))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls_config)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(CONNECT_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Client { tls: Arc::new(tls), agent })
    }

    /// A GET of `address` (http:// or https://), with the token as `Authorization: Bearer`; the answer whatever its
    /// status, so that a refusal's text can be shown.
    pub fn get(&self, address: &str, token: Option<&str>) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
        let mut request = self.agent.get(address);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        request.call().map_err(|error| anyhow::anyhow!("cannot reach {address}: {}", tls_reason(&error.to_string())))
    }

    /// A connection to the host of `url` (ws:// or wss://): TCP, then TLS for wss:// with the host's name checked
    /// against its certificate.
    pub async fn connect(&self, url: &url::Url) -> Result<Box<dyn Io>, ConnectError> {
        let host = url.host_str().ok_or_else(|| ConnectError::Address(format!("`{url}` names no host")))?;
        let secure = match url.scheme() {
            "wss" => true,
            "ws" => false,
            other => return Err(ConnectError::Address(format!("`{url}`: {other}:// is not a WebSocket address"))),
        };
        let port = url.port_or_known_default().unwrap_or(if secure { 443 } else { 80 });
        // IPv6 literals come bracketed in URLs; the resolver wants them bare.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<_> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| ConnectError::Dns(format!("cannot find {host}: {e}")))?
            .collect();
        if addresses.is_empty() {
            return Err(ConnectError::Dns(format!("cannot find {host}: no address")));
        }
        let mut last = None;
        let mut tcp = None;
        for address in addresses {
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    tcp = Some(stream);
                    break;
                }
                Ok(Err(e)) => last = Some(format!("cannot connect to {host}:{port}: {e}")),
                Err(_) => last = Some(format!("{host}:{port} did not answer within {} s", CONNECT_TIMEOUT.as_secs())),
            }
        }
        let Some(tcp) = tcp else { return Err(ConnectError::Unreachable(last.unwrap_or_default())) };
        let _ = tcp.set_nodelay(true);
        if !secure {
            return Ok(Box::new(tcp));
        }
        let name = ServerName::try_from(bare.to_string())
            .map_err(|_| ConnectError::Address(format!("`{host}` is not a name a certificate can hold")))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls));
        match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(Box::new(tls)),
            Ok(Err(e)) => {
                Err(ConnectError::Tls(format!("TLS with {host}:{port} failed: {}", tls_reason(&e.to_string()))))
            }
            Err(_) => Err(ConnectError::Tls(format!("{host}:{port} did not finish TLS within a while"))),
        }
    }
}

/// Why a connection could not be made, by kind, so that a user is told which.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Address(String),
    #[error("{0}")]
    Dns(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Tls(String),
}

/// A failure in a user's words: a certificate this machine does not trust says what to do about it.
fn tls_reason(text: &str) -> String {
    if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
        format!("{text} (if the server's certificate is from a private authority, give it with --ca FILE)")
    } else {
        text.to_string()
    }
}

/// The certificates of the PEM file `path`: a private authority's.
fn private_authority(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the certificate authority `{}`", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("`{}` is not a PEM file of certificates", path.display()))?;
    if certificates.is_empty() {
        anyhow::bail!("`{}` holds no certificate (a PEM file with -----BEGIN CERTIFICATE-----)", path.display());
    }
    Ok(certificates)
}

/// The sync address of a peer given as a user writes it: `ws://` and `wss://` addresses as they are (a Loam
/// peer's `/sync`, or any automerge-repo relay); `http://` and `https://` ones are a Loam garden's site, whose sync
/// endpoint is `/sync` under it (`https://garden.example.org` syncs at `wss://garden.example.org/sync`).
pub fn sync_address(given: &str) -> anyhow::Result<url::Url> {
    let mut url = url::Url::parse(given).map_err(|e| anyhow::anyhow!("`{given}` is not an address: {e}"))?;
    let websocket = match url.scheme() {
        "ws" | "wss" => return Ok(url),
        "http" => "ws",
        "https" => "wss",
        _ => anyhow::bail!("`{given}` is not a peer's address (wss://HOST/sync, ws://HOST:PORT/sync or https://HOST)"),
    };
    url.set_scheme(websocket).map_err(|()| anyhow::anyhow!("`{given}` is not a peer's address"))?;
    if !url.path().ends_with("/sync") {
        let path = format!("{}/sync", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The HTTP address of `path` beside the sync endpoint `url` (`wss://HOST/garden/sync` gives
/// `https://HOST/garden/PATH`), where a Loam peer answers what it serves.
pub fn beside(url: &str, path: &str) -> anyhow::Result<String> {
    let mut address = sync_address(url)?;
    let http = if address.scheme() == "wss" { "https" } else { "http" };
    address.set_scheme(http).map_err(|()| anyhow::anyhow!("`{url}` is not a peer's address"))?;
    let folder = match address.path().rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/"),
        None => "/".to_string(),
    };
    address.set_path(&format!("{folder}{path}"));
    address.set_query(None);
    Ok(address.to_string())
}

/// The private authority a command trusts: the one given on its command line, else `[sync] ca` of the garden's
/// `loam.toml` (relative to the garden), else `LOAM_CA`.
pub fn authority(given: Option<PathBuf>, configured: Option<(&Path, &str)>) -> Option<PathBuf> {
    given
        .or_else(|| configured.map(|(root, ca)| root.join(ca)))
        .or_else(|| std::env::var_os("LOAM_CA").filter(|v| !v.is_empty()).map(PathBuf::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_users_write_them() {
        let sync = |given: &str| sync_address(given).unwrap().to_string();
        assert_eq!(sync("ws://127.0.0.1:4000/sync"), "ws://127.0.0.1:4000/sync");
        assert_eq!(sync("wss://relay.example.org"), "wss://relay.example.org/", "a relay is taken as given");
        assert_eq!(sync("https://garden.example.org"), "wss://garden.example.org/sync");
        assert_eq!(sync("https://example.org/wiki/"), "wss://example.org/wiki/sync");
        assert_eq!(sync("http://laptop.local:1111/sync"), "ws://laptop.local:1111/sync");
        assert!(sync_address("ftp://host").is_err());
        assert!(sync_address("laptop:1111").is_err());
    }

    #[test]
    fn the_garden_description_beside_the_sync_endpoint() {
        assert_eq!(
            beside("ws://127.0.0.1:4000/sync", "_loam/garden.json").unwrap(),
            "http://127.0.0.1:4000/_loam/garden.json"
        );
        assert_eq!(beside("wss://host/sync", "_loam/heads.json").unwrap(), "https://host/_loam/heads.json");
        assert_eq!(beside("wss://host/wiki/sync", "_loam/garden.json").unwrap(), "https://host/wiki/_loam/garden.json");
        assert_eq!(beside("https://host", "_loam/documents").unwrap(), "https://host/_loam/documents");
    }

    #[test]
    fn a_private_authority_that_is_no_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ca.pem");
        std::fs::write(&file, "not a certificate").unwrap();
        let error = format!("{:#}", Client::new(Some(&file)).err().unwrap());
        assert!(error.contains("ca.pem") && error.contains("no certificate"), "{error}");
        let missing = format!("{:#}", Client::new(Some(&dir.path().join("gone.pem"))).err().unwrap());
        assert!(missing.contains("gone.pem"), "{missing}");
    }
}

//! Host names: a `--source` name that does not resolve says so, rather than failing as a bare
//! connect error.

/// The addresses `host` resolves to with `port`; when it does not resolve, the error says so
/// (rather than a bare connect error).
pub async fn resolve(host: &str, port: u16) -> Result<Vec<std::net::SocketAddr>, String> {
    match tokio::net::lookup_host((host, port)).await {
        Ok(found) => {
            let addresses: Vec<_> = found.collect();
            if addresses.is_empty() {
                Err(format!(
                    "the host name {host} does not resolve (it has no address)"
                ))
            } else {
                Ok(addresses)
            }
        }
        Err(e) => Err(format!("the host name {host} does not resolve ({e})")),
    }
}
